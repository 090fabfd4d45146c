/**
 * Where the built-in policies live: the `policies/` folder at the package root, next to `src/`
 * in a checkout and next to `dist/` in an installed package. Both trees keep the same depth
 * (src/policy/builtin.ts, dist/policy/builtin.js), so one module-relative path finds it in both.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the built-in policy folder: the default of `--policies` / `SHROUD_POLICIES`. */
export const BUILTIN_POLICY_DIR: string = fileURLToPath(new URL('../../policies', import.meta.url));

/** Absolute path of the policy file JSON Schema (`policies/schema.json`) that validation uses. */
export const POLICY_SCHEMA_FILE: string = join(BUILTIN_POLICY_DIR, 'schema.json');
