/**
 * The shape of one provider token format, as data. Built-in formats live in table.ts; platform
 * teams add their own in the policy directory (`kind: SecretFormats`, compiled by team.ts).
 */

/**
 * A named alphabet (see alphabets.ts) or a character class written as ranges and single
 * characters without brackets (`A-Za-z0-9_-`, `a-f0-9`).
 */
export type Alphabet = string;

/**
 * One part of a token: a literal, or a run of `min`..`max` characters (exactly `min` when `max`
 * is omitted) from an alphabet.
 */
export type Part = string | readonly [alphabet: Alphabet, min: number, max?: number];

/** `high` findings deny under the built-in policy; `low` ones warn. */
export type Tier = 'high' | 'low';

/** Checksums a provider defines for its tokens. */
export type Checksum =
  /**
   * GitHub's and npm's format: the last 6 characters are the CRC-32 (IEEE) of the characters
   * between the prefix and them, written in base62 (`0-9A-Za-z`) and padded with `0`.
   */
  'crc32-base62';

export interface TokenFormat {
  /** Stable, unique id (`github-pat-classic`). */
  id: string;
  /** Who issues the token, as people write it (`GitHub`). */
  provider: string;
  /** What kind of credential it is, lower case (`personal access token (classic)`). */
  what: string;
  /**
   * Literal anchors, case-sensitive. The token starts with one of them, unless `head` is given:
   * then the anchor sits inside the token after the `head` parts (Mailchimp's `-us`, Azure's
   * `Q~`). Empty for a keyed-only format (`keyed: true`).
   */
  prefixes: readonly string[];
  /** Parts before the anchor, for anchors inside the token. */
  head?: readonly Part[];
  /** Parts after the anchor, in order. The last part is a run (so the token has an end). */
  body: readonly Part[];
  checksum?: Checksum;
  tier: Tier;
  /**
   * Lower-case words naming the provider in key names (`heroku`, `datadog`). A keyed format is
   * flagged only under a key that contains one of them and is secret-named.
   */
  hints?: readonly string[];
  /**
   * The shape is generic (a UUID, 32 hex characters): the value is flagged only when it is the
   * whole value of a setting whose key names the provider (see `hints`) and a secret.
   */
  keyed?: boolean;
  /** Where the format is documented (provider documentation or announcement). */
  source: string;
}
