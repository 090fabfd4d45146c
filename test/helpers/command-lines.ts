import type { CommandLineSpec } from '../../src/cli/command-line.js';
import { CERTS_COMMAND_LINE } from '../../src/cli/commands/certs.js';
import { CHECK_COMMAND_LINE } from '../../src/cli/commands/check.js';
import { DECRYPT_COMMAND_LINE } from '../../src/cli/commands/decrypt.js';
import { ENCRYPT_COMMAND_LINE } from '../../src/cli/commands/encrypt.js';
import { EXPORT_MAP_COMMAND_LINE } from '../../src/cli/commands/export-map.js';
import { EXPORT_VAP_COMMAND_LINE } from '../../src/cli/commands/export-vap.js';
import { KEYS_COMMAND_LINE } from '../../src/cli/commands/keys.js';
import { KMS_PLUGIN_COMMAND_LINE } from '../../src/cli/commands/kms-plugin.js';
import { POLICY_TEST_COMMAND_LINE } from '../../src/cli/commands/policy.js';
import { SCAN_COMMAND_LINE } from '../../src/cli/commands/scan.js';
import { SERVE_COMMAND_LINE } from '../../src/cli/commands/serve.js';
import { UNSEAL_INIT_COMMAND_LINE } from '../../src/cli/commands/unseal-init.js';
import type { SettingTable } from '../../src/config/index.js';

/** Every command line `shroud` reads, for tests that hold them all to the same rules. */
export const COMMAND_LINES: readonly CommandLineSpec<SettingTable>[] = [
  SERVE_COMMAND_LINE,
  CERTS_COMMAND_LINE,
  CHECK_COMMAND_LINE,
  SCAN_COMMAND_LINE,
  POLICY_TEST_COMMAND_LINE,
  EXPORT_VAP_COMMAND_LINE,
  KEYS_COMMAND_LINE,
  ENCRYPT_COMMAND_LINE,
  DECRYPT_COMMAND_LINE,
  UNSEAL_INIT_COMMAND_LINE,
  EXPORT_MAP_COMMAND_LINE,
  KMS_PLUGIN_COMMAND_LINE,
];
