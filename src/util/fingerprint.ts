/**
 * The text form of a public key fingerprint, `sha256:` and 32 lowercase hex digits: what
 * `publicKeyFingerprint` (src/crypto/public-key.ts) writes and what a pin (`--fingerprint`) must
 * be. Here, at the bottom, so the settings table and crypto read it the same way.
 */

const FINGERPRINT = /^sha256:[0-9a-f]{32}$/;

/**
 * A fingerprint typed by a person or copied from `shroud keys status`, in canonical form (hex
 * lowercased, surrounding white space removed); undefined when it is not one.
 */
export function parseFingerprint(text: string): string | undefined {
  const t = text.trim();
  const canonical = t.slice(0, 7).toLowerCase() === 'sha256:' ? `sha256:${t.slice(7).toLowerCase()}` : t;
  return FINGERPRINT.test(canonical) ? canonical : undefined;
}
