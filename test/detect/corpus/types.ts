/**
 * One entry of Shroud's own detector corpus: a value written from a provider's documentation of
 * its format or made up here (never copied from another scanner's test suite), and whether it is
 * a credential. The evaluation pastes every case into ConfigMaps four ways (under a telling key,
 * under a neutral key, inside an embedded config file, in binaryData) and counts verdicts.
 */
export interface CorpusCase {
  /** Short unique name, shown when a case is missed or wrongly flagged. */
  name: string;
  /** The value itself. Credentials here are synthetic: right shape (and checksum), never live. */
  value: string;
  /** True for a credential (should be flagged), false for a look-alike (must never be denied). */
  secret: boolean;
  /** Key name a user would store it under (`HEROKU_API_KEY`); the evaluation also uses neutral keys. */
  key: string;
  /** Where the format is documented, or `synthetic` for made-up look-alikes. */
  source: string;
}
