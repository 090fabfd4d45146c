import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SETTINGS } from '../../src/config/index.js';
import { Rejected } from '../../src/config/setting.js';
import {
  appendKnownKey,
  createKeyring,
  decideTrust,
  exportPublicKey,
  formatKnownKey,
  KNOWN_KEYS_HEADER,
  type KnownKey,
  MAX_KNOWN_KEY_ID_BYTES,
  parseFingerprint,
  parseKnownKeys,
  parsePublicKey,
  publicKeyFingerprint,
  type PublicSealingKey,
} from '../../src/crypto/index.js';
import { throwsWithCode } from '../helpers/crypto.js';

const FILE = '/home/dev/.config/shroud/known-keys';
const FP_A = `sha256:${'a'.repeat(32)}`;
const FP_B = `sha256:${'b'.repeat(32)}`;
const line = (o: Record<string, unknown>) => JSON.stringify(o);
const ENTRY = { provider: 'local', keyId: '0123456789abcdef', version: 1, fingerprint: FP_A };

const corrupt: { name: string; text: string; line: number }[] = [
  { name: 'a line that is not JSON', text: `${KNOWN_KEYS_HEADER}${line(ENTRY)}\nlocal 0123 1 ${FP_A}\n`, line: 5 },
  { name: 'a JSON array', text: `[1]\n`, line: 1 },
  { name: 'no provider', text: `\n\n${line({ ...ENTRY, provider: undefined })}\n`, line: 3 },
  { name: 'an empty key id', text: line({ ...ENTRY, keyId: '' }), line: 1 },
  { name: 'a key id over 1 KiB', text: line({ ...ENTRY, keyId: 'é'.repeat(513) }), line: 1 },
  { name: 'a key id with a lone surrogate', text: line({ ...ENTRY, keyId: 'a\ud800b' }), line: 1 },
  { name: 'version 0', text: line({ ...ENTRY, version: 0 }), line: 1 },
  { name: 'version 1.5', text: line({ ...ENTRY, version: 1.5 }), line: 1 },
  { name: 'a version as text', text: line({ ...ENTRY, version: '1' }), line: 1 },
  { name: 'an upper-case fingerprint', text: line({ ...ENTRY, fingerprint: FP_A.toUpperCase() }), line: 1 },
  { name: 'a short fingerprint', text: line({ ...ENTRY, fingerprint: 'sha256:abc' }), line: 1 },
  { name: 'a sha1 fingerprint', text: line({ ...ENTRY, fingerprint: `sha1:${'a'.repeat(32)}` }), line: 1 },
  {
    name: 'the same key version twice',
    text: `${line(ENTRY)}\n# note\n${line({ ...ENTRY, fingerprint: FP_B })}\n`,
    line: 3,
  },
  { name: 'a line longer than 16 KiB', text: `# ok\n${' '.repeat(16_385)}x\n`, line: 2 },
  { name: 'a truncated last line', text: `${line(ENTRY)}\n{"provider":"local","keyId":"ab`, line: 2 },
];

for (const c of corrupt) {
  test(`a known-keys file with ${c.name} is CRYPTO_KNOWN_KEYS_INVALID at file:${c.line}`, () => {
    const err = throwsWithCode(() => parseKnownKeys(c.text, FILE), 'CRYPTO_KNOWN_KEYS_INVALID');
    assert.ok(err.message.startsWith(`${FILE}:${c.line}: `), err.message);
    assert.match(err.message, /Fix or delete that line/);
  });
}

const keyIds: { name: string; keyId: string }[] = [
  { name: 'a hex keyring id', keyId: '0123456789abcdef' },
  { name: 'spaces, quotes and a backslash', keyId: 'projects/p 1/keys/"k"\\v' },
  { name: 'a newline and a tab', keyId: 'line one\nline\ttwo' },
  { name: 'non-ASCII text', keyId: 'clé-日本-🔑' },
  { name: 'a `#` first', keyId: '# not a comment' },
  { name: 'exactly 1 KiB of UTF-8', keyId: 'ü'.repeat(MAX_KNOWN_KEY_ID_BYTES / 2) },
  { name: '1 KiB of control characters (the longest line)', keyId: '\u0001'.repeat(MAX_KNOWN_KEY_ID_BYTES) },
];

for (const k of keyIds) {
  test(`a key id with ${k.name} takes one line and reads back exactly`, () => {
    const first: KnownKey = { provider: 'kms', keyId: k.keyId, version: 7, fingerprint: FP_A };
    const second: KnownKey = { ...first, version: 8, fingerprint: FP_B };
    const one = appendKnownKey('', first, new Date('2026-01-02T03:04:05Z'));
    const two = appendKnownKey(one.text, second, new Date('2026-01-02T03:04:05Z'));
    assert.equal(formatKnownKey(first, new Date(0)).split('\n').length, 2, 'one line and its newline');
    assert.deepEqual(parseKnownKeys(two.text, FILE), [
      { ...first, line: one.line },
      { ...second, line: two.line },
    ]);
    assert.ok(two.text.startsWith(one.text), 'appending keeps what was there byte for byte');
  });
}

test('appending keeps comments and a last line without a newline, and counts lines from 1', () => {
  const text = `# mine\r\n${line(ENTRY)}`;
  const next = appendKnownKey(text, { ...ENTRY, version: 2 }, new Date(0));
  assert.equal(next.line, 3);
  assert.ok(next.text.startsWith(`${text}\n`));
  assert.deepEqual(
    parseKnownKeys(next.text, FILE).map((e) => [e.version, e.line]),
    [
      [1, 2],
      [2, 3],
    ],
  );
  assert.deepEqual(parseKnownKeys(`${line({ ...ENTRY, comment: 'unknown fields are kept for later' })}\n`, FILE), [
    { ...ENTRY, line: 1 },
  ]);
});

const unrecordable: { name: string; key: KnownKey }[] = [
  { name: 'a key id with a lone surrogate', key: { ...ENTRY, keyId: 'k\udc00' } },
  { name: 'a key id over 1 KiB', key: { ...ENTRY, keyId: 'k'.repeat(MAX_KNOWN_KEY_ID_BYTES + 1) } },
  { name: 'an empty provider', key: { ...ENTRY, provider: '' } },
  { name: 'a fingerprint that is not one', key: { ...ENTRY, fingerprint: 'sha256:00' } },
];

for (const u of unrecordable) {
  test(`a key with ${u.name} is refused before it is appended, so the file never gets a line it cannot read`, () => {
    throwsWithCode(() => appendKnownKey(KNOWN_KEYS_HEADER, u.key, new Date(0)), 'CRYPTO_PUBLIC_KEY_INVALID');
  });
}

/** A real exported key, and the attacker's: another key under the same reference, fingerprint field recomputed. */
function keys(): { real: PublicSealingKey; swapped: PublicSealingKey } {
  const text = exportPublicKey(createKeyring());
  const doc = JSON.parse(text);
  const attacker = parsePublicKey(exportPublicKey(createKeyring()));
  const swappedDoc = {
    ...doc,
    publicKey: attacker.publicKey.toString('base64url'),
    fingerprint: publicKeyFingerprint(attacker.publicKey),
  };
  return { real: parsePublicKey(text), swapped: parsePublicKey(JSON.stringify(swappedDoc)) };
}

const decisions: {
  name: string;
  run: (k: ReturnType<typeof keys>) => ReturnType<typeof decideTrust>;
  kind?: string;
  knownVersions?: number[];
  refused?: RegExp;
}[] = [
  {
    name: 'a pinned key with its fingerprint is trusted',
    run: ({ real }) =>
      decideTrust(real, 'pub.json', { pin: publicKeyFingerprint(real.publicKey), pinSource: '--fingerprint' }),
    kind: 'pinned',
  },
  {
    name: 'a swapped file is refused with a pin, naming both fingerprints',
    run: ({ real, swapped }) =>
      decideTrust(swapped, 'pub.json', {
        pin: publicKeyFingerprint(real.publicKey),
        pinSource: 'SHROUD_PUBLIC_KEY_FINGERPRINT',
      }),
    refused:
      /^pub\.json holds local key ".*" version 1 with fingerprint sha256:\w{32}, but SHROUD_PUBLIC_KEY_FINGERPRINT expects sha256:\w{32}; nothing was sealed.*shroud keys status/,
  },
  {
    name: 'a first use is a first use',
    run: ({ real }) => decideTrust(real, 'pub.json', { knownKeysFile: FILE, known: [] }),
    kind: 'first-use',
    knownVersions: [],
  },
  {
    name: 'a known key with its first fingerprint is trusted',
    run: ({ real }) =>
      decideTrust(real, 'pub.json', {
        knownKeysFile: FILE,
        known: [{ ...real.ref, fingerprint: publicKeyFingerprint(real.publicKey), line: 4 }],
      }),
    kind: 'known',
  },
  {
    name: 'a swapped file is refused under a known key version, saying how to check and re-pin',
    run: ({ real, swapped }) =>
      decideTrust(swapped, 'pub.json', {
        knownKeysFile: FILE,
        known: [{ ...real.ref, fingerprint: publicKeyFingerprint(real.publicKey), line: 4 }],
      }),
    refused: new RegExp(
      `but ${FILE}:4 expects sha256:\\w{32}.*nothing was sealed.*shroud keys status.*delete line 4 of ${FILE}, or pass --fingerprint sha256:\\w{32}`,
    ),
  },
  {
    name: 'a new version of a known key id is a first use that names the known versions',
    run: ({ real }) =>
      decideTrust(real, 'pub.json', {
        knownKeysFile: FILE,
        known: [
          { ...real.ref, version: 3, fingerprint: FP_A, line: 5 },
          { ...real.ref, version: 2, fingerprint: FP_B, line: 4 },
          { ...real.ref, keyId: 'other', version: 9, fingerprint: FP_B, line: 6 },
        ],
      }),
    kind: 'first-use',
    knownVersions: [2, 3],
  },
];

for (const d of decisions) {
  test(d.name, () => {
    const k = keys();
    if (d.refused !== undefined) {
      const err = throwsWithCode(() => d.run(k), 'CRYPTO_PUBLIC_KEY_UNTRUSTED');
      assert.match(err.message, d.refused);
      assert.ok(err.message.includes(publicKeyFingerprint(k.swapped.publicKey)), 'says which fingerprint was found');
      assert.ok(err.message.includes(publicKeyFingerprint(k.real.publicKey)), 'says which was expected');
      return;
    }
    const decision = d.run(k);
    assert.equal(decision.kind, d.kind);
    assert.equal(decision.fingerprint, publicKeyFingerprint(k.real.publicKey));
    if (decision.kind === 'first-use') {
      const { provider, keyId, version } = k.real.ref;
      assert.deepEqual(decision.record, { provider, keyId, version, fingerprint: decision.fingerprint });
      assert.deepEqual(decision.knownVersions, d.knownVersions);
    }
  });
}

const fingerprints: { text: string; canonical: string | undefined }[] = [
  { text: FP_A, canonical: FP_A },
  { text: `  SHA256:${'AB'.repeat(16)}\n`, canonical: `sha256:${'ab'.repeat(16)}` },
  { text: 'sha256:abc', canonical: undefined },
  { text: `sha256:${'g'.repeat(32)}`, canonical: undefined },
  { text: `${'a'.repeat(32)}`, canonical: undefined },
  { text: `sha256: ${'a'.repeat(32)}`, canonical: undefined },
];

for (const f of fingerprints) {
  test(`the fingerprint ${JSON.stringify(f.text)} reads as ${String(f.canonical)} in crypto and in the settings table`, () => {
    assert.equal(parseFingerprint(f.text), f.canonical);
    const read = SETTINGS.publicKeyFingerprint.read(f.text);
    if (f.canonical === undefined) assert.ok(read instanceof Rejected);
    else assert.equal(read, f.canonical);
  });
}

test('every fingerprint the code writes is one a pin accepts unchanged', () => {
  for (let i = 0; i < 20; i++) {
    const fp = publicKeyFingerprint(parsePublicKey(exportPublicKey(createKeyring())).publicKey);
    assert.equal(parseFingerprint(fp), fp);
  }
});
