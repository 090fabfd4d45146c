import { isShroudError } from '../errors.js';
import { EXIT, type CliIO, type Command } from './io.js';

interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

/** Every `shroud <command>`, loaded on demand so `shroud check` never pays for the server. */
const COMMANDS: Record<string, CommandEntry> = {
  serve: {
    summary: 'run the admission webhook over HTTPS (dev certificates made on first run)',
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
  certs: {
    summary: 'make a CA and a serving certificate for the webhook; print the caBundle',
    load: async () => (await import('./commands/certs.js')).certsCommand,
  },
  encrypt: {
    summary: 'seal values into a ConfigMap manifest that is safe to commit',
    load: async () => (await import('./commands/encrypt.js')).encrypt,
  },
  decrypt: {
    summary: 'print the plaintext of sealed values (administrators holding the keyring)',
    load: async () => (await import('./commands/decrypt.js')).decrypt,
  },
  keys: {
    summary: 'manage the keyring: init, rotate, retire, shred, status, export-public, rewrap',
    load: async () => (await import('./commands/keys.js')).keys,
  },
  check: {
    summary: 'evaluate manifests against the policies offline (CI); exit 1 if anything would be denied',
    load: async () => (await import('./commands/check.js')).check,
  },
  scan: {
    summary: 'audit a live cluster: what the policies would deny or warn, who can read Secrets, uninjected pods',
    load: async () => (await import('./commands/scan.js')).scan,
  },
  export: {
    summary:
      'compile to in-tree admission objects: `export vap` (policies as ValidatingAdmissionPolicy), `export map` (injection as MutatingAdmissionPolicy)',
    load: async () => (await import('./commands/export.js')).exportCommand,
  },
  policy: {
    summary: 'work with policy files: `shroud policy test DIR` runs policy test cases',
    load: async () => (await import('./commands/policy.js')).policy,
  },
  'kms-plugin': {
    summary: "serve the Kubernetes KMS v2 API on a Unix socket: etcd encryption at rest under Shroud's keys",
    load: async () => (await import('./commands/kms-plugin.js')).kmsPluginCommand,
  },
  'unseal-init': {
    summary: "an injected pod's init container: fetch the opened sealed values into the secrets volume",
    load: async () => (await import('./commands/unseal-init.js')).unsealInitCommand,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: shroud <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'shroud <command> --help' for a command's options.\n`;
}

/**
 * Runs one command line and returns its exit code: 0 ok, 1 violations, 2 usage,
 * 3 input/config/crypto failure. Errors go to stderr as `CODE: message`.
 */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (entry === undefined) {
    io.stderr.write(`CLI_USAGE: unknown command "${name}"\n\n${usage()}`);
    return EXIT.USAGE;
  }
  try {
    const command = await entry.load();
    return await command(rest, io);
  } catch (err) {
    return reportError(err, io);
  }
}

/** Prints an error as `CODE: message` and maps it to an exit code. */
export function reportError(err: unknown, io: CliIO): number {
  if (isShroudError(err)) {
    io.stderr.write(`${err.code}: ${err.message}\n`);
    return err.code === 'CLI_USAGE' ? EXIT.USAGE : EXIT.FAILURE;
  }
  // node:util parseArgs throws TypeErrors with codes like ERR_PARSE_ARGS_UNKNOWN_OPTION.
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`CLI_USAGE: ${(err as Error).message}\n`);
    return EXIT.USAGE;
  }
  const what = err instanceof Error ? err.message : String(err);
  io.stderr.write(`SHROUD_INTERNAL: ${what} (this is a bug in shroud; please report it with the command line)\n`);
  return EXIT.FAILURE;
}
