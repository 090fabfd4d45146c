/**
 * `shroud keys init|rotate|retire|shred|status|export-public|rewrap`: the KEK's lifecycle. With
 * `--kek-provider local` (the default) that is the keyring file (`--keyring FILE`, else
 * SHROUD_KEYRING, else its default, under the working directory); with `--kek-provider pkcs11`
 * (or `--provider pkcs11`) it is a key in a PKCS#11 token, each version its own token object; with
 * `--kek-provider kms` the KMS behind a KMS v2 plugin manages the key: only status and rewrap apply.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  createKeyring,
  DEFAULT_PUBLIC_KEY_VALID_DAYS,
  exportPublicKey,
  findVersion,
  keyRefOf,
  loadKeyring,
  MAX_PUBLIC_KEY_VALID_DAYS,
  parseEnvelope,
  parsePublicKey,
  publicKeyFingerprint,
  retireKeyVersion,
  rotateKeyring,
  saveKeyring,
  shredKeyVersion,
  type Keyring,
  type KeyRef,
  updateKeyring,
} from '../../crypto/index.js';
import { integerSetting, pathSetting, SETTINGS, switchSetting } from '../../config/index.js';
import { ShroudError } from '../../errors.js';
import { defineCommandLine, readCommandLine, renderHelp } from '../command-line.js';
import { EXIT, type CliIO, type Command } from '../io.js';
import { readInputFile } from '../read-input.js';
import { findSealedScalars } from '../sealed-tokens.js';
import { kekChoiceFrom, KEK_SETTINGS, type KekProviderChoice, openKekProvider } from '../../roles/index.js';
import { rewrapFiles } from './rewrap-files.js';

export const KEYS_COMMAND_LINE = defineCommandLine({
  command: 'keys',
  usage: '<subcommand> [options] [FILE...]',
  description: `  init                      create a keyring, or with --kek-provider pkcs11 the key's version 1
                            in the token (refuses to overwrite either)
  rotate                    add a new primary version; older versions keep opening
  retire --version N        mark an active version for removal (it still opens)
  shred --version N --yes [FILE...]
                            destroy a retired version: its values become unreadable forever
                            (FILE...: YAML files to scan for values that would be lost)
  status [--output json]    versions, states, creation times, public key fingerprints
  export-public [--out F] [--valid-for DAYS]
                            print (or write) the primary version's public sealing key; encrypt
                            refuses the file after DAYS (default 90)
  rewrap FILE...            rewrap every sealed value in these YAML files to the primary version
With --kek-provider pkcs11 the key lives in the token: rotate adds the object LABEL.vN, retire
stops it wrapping, shred destroys it (C_DestroyObject); there is no public key to export.
With --kek-provider kms --kms-socket PATH the KMS manages its keys (rotate them there; Shroud sees
the new key_id at the next Status): only status and rewrap FILE... apply.`,
  settings: {
    keyringPath: SETTINGS.keyringPath,
    ...KEK_SETTINGS,
    kekProvider: { ...KEK_SETTINGS.kekProvider, alias: 'provider' },
    version: integerSetting({
      flag: 'version',
      arg: 'N',
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      accepts: 'a key version number (1 or more)',
      help: 'the key version (retire, shred)',
    }),
    yes: switchSetting({ flag: 'yes', default: false, help: 'really shred' }),
    output: { ...SETTINGS.output, help: 'status as text or json' },
    out: pathSetting({ flag: 'out', arg: 'FILE', help: 'export-public writes the key here instead of stdout' }),
    validFor: integerSetting({
      flag: 'valid-for',
      arg: 'DAYS',
      default: DEFAULT_PUBLIC_KEY_VALID_DAYS,
      min: 1,
      max: MAX_PUBLIC_KEY_VALID_DAYS,
      accepts: `a whole number of days from 1 to ${MAX_PUBLIC_KEY_VALID_DAYS}`,
      help: 'export-public: days until the file expires (encrypt then refuses it)',
    }),
  },
  positionals: true,
});

function usageError(message: string): ShroudError {
  return new ShroudError('CLI_USAGE', `${message}\n\n${renderHelp(KEYS_COMMAND_LINE)}`);
}

function versionFlag(value: number | undefined): number {
  if (value === undefined) throw usageError('--version N (a key version number) is required');
  return value;
}

/** Runs `shroud keys ...`. */
export const keys: Command = async (argv, io) => {
  const commandLine = readCommandLine(KEYS_COMMAND_LINE, argv, io);
  if (commandLine === undefined) return EXIT.OK;
  const { values, positionals } = commandLine;
  const [sub, ...files] = positionals;
  if (sub === undefined) {
    io.stdout.write(renderHelp(KEYS_COMMAND_LINE));
    return EXIT.USAGE;
  }
  const path = resolve(io.cwd, values.keyringPath);
  const noFiles = () => {
    if (files.length > 0) throw usageError(`keys ${sub} takes no file arguments`);
  };
  const choice = kekChoiceFrom(values, io.cwd, io.env);
  if (sub === 'rewrap') return rewrapWith(choice, files, io);
  if (choice.kind === 'kms') return kmsKeys(sub, values.output, choice, noFiles, io);
  if (choice.kind !== 'local') return tokenKeys(sub, files, values, choice, noFiles, io);
  switch (sub) {
    case 'init': {
      noFiles();
      const keyring = createKeyring();
      await saveKeyring(path, keyring);
      io.stdout.write(
        `Created keyring ${keyring.keyringId} at ${path} (mode 0600), version 1 primary.\n` +
          `Back it up offline now: if it is lost, every value sealed to it is lost.\n` +
          `Give CI and developers the public key: shroud keys export-public --keyring ${path} --out shroud-public-key.json\n`,
      );
      return EXIT.OK;
    }
    case 'rotate': {
      noFiles();
      const { keyring: rotated } = await updateKeyring(path, rotateKeyring);
      const primary = rotated.versions[rotated.versions.length - 1]!;
      io.stdout.write(
        `Version ${primary.version} is now primary; version ${primary.version - 1} stays active and still opens its values.\n` +
          `Next: export the new public key (shroud keys export-public), then move values over with shroud keys rewrap FILE...\n`,
      );
      return EXIT.OK;
    }
    case 'retire': {
      noFiles();
      const version = versionFlag(values.version);
      await updateKeyring(path, (k) => retireKeyVersion(k, version));
      io.stdout.write(
        `Version ${version} is retired: it still opens its values. Rewrap them, then shred it: shroud keys shred --version ${version} --yes\n`,
      );
      return EXIT.OK;
    }
    case 'shred':
      return shred(path, versionFlag(values.version), values.yes === true, files, io);
    case 'status':
      noFiles();
      return status(path, await loadKeyring(path), values.output, io);
    case 'export-public': {
      noFiles();
      const text = exportPublicKey(await loadKeyring(path), { validForDays: values.validFor });
      if (values.out === undefined) {
        io.stdout.write(text);
      } else {
        const { ref, publicKey, expires } = parsePublicKey(text);
        await writeFile(resolve(io.cwd, values.out), text);
        io.stdout.write(
          `Wrote the public sealing key of version ${ref.version} to ${values.out}. It holds no secret: commit it or give it to CI.\n` +
            `Fingerprint ${publicKeyFingerprint(publicKey)}: give it to those who seal, through a channel other than the file (CI: SHROUD_PUBLIC_KEY_FINGERPRINT).\n` +
            `encrypt refuses the file after ${expires ?? ''}: export it again before then (--valid-for DAYS).\n`,
        );
      }
      return EXIT.OK;
    }
    default:
      throw usageError(`unknown keys subcommand "${sub}"`);
  }
};

async function shred(path: string, version: number, yes: boolean, files: string[], io: CliIO): Promise<number> {
  const keyring = await loadKeyring(path);
  const doomed =
    findVersion(keyring, version) === undefined ? [] : await scanForRef(keyRefOf(keyring, version), files, io);
  const lines = [
    `Shredding version ${version} of keyring ${keyring.keyringId} deletes its KEK and private sealing key.`,
    `Every value sealed under version ${version} (with the keyring or with its public key) becomes unreadable forever,`,
    `including copies in git history, backups and clusters. Backups of the keyring file still hold the key: destroy them too.`,
    ...(files.length > 0
      ? [
          `In the given files, ${doomed.length} value(s) would become unreadable${doomed.length > 0 ? ':' : '.'}`,
          ...doomed.map((d) => `  ${d}`),
        ]
      : []),
  ];
  if (!yes) {
    io.stderr.write(`${lines.join('\n')}\nCLI_USAGE: nothing was changed; re-run with --yes to shred.\n`);
    return EXIT.USAGE;
  }
  const { swept } = await updateKeyring(path, (k) => shredKeyVersion(k, version));
  io.stderr.write(`${lines.join('\n')}\n`);
  io.stdout.write(
    `Version ${version} is destroyed.\n` +
      `Removed ${swept.length} leftover temporary keyring file(s) of interrupted writes${swept.length > 0 ? `: ${swept.join(', ')}` : ''}.\n`,
  );
  return EXIT.OK;
}

/** `keys rewrap FILE...`: every value moved to the primary key of the chosen provider, whichever it is. */
async function rewrapWith(choice: KekProviderChoice, files: string[], io: CliIO): Promise<number> {
  if (files.length === 0) throw usageError('keys rewrap needs at least one YAML file');
  const kek = await openKekProvider(choice, { cwd: io.cwd, env: io.env });
  try {
    return await rewrapFiles(
      files.map((f) => resolve(io.cwd, f)),
      files,
      kek.provider,
      io,
    );
  } finally {
    await kek.close();
  }
}

function status(path: string, keyring: Keyring, output: string, io: CliIO): number {
  const rows = keyring.versions.map((v) => ({
    version: v.version,
    state: v.state,
    createdAt: v.createdAt,
    keyTag: v.tag,
    ...(v.destroyedAt !== undefined ? { destroyedAt: v.destroyedAt } : {}),
    ...(v.material !== undefined ? { publicKeyFingerprint: publicKeyFingerprint(v.material.seal.publicKey) } : {}),
  }));
  if (output === 'json') {
    io.stdout.write(
      `${JSON.stringify({ file: path, keyringId: keyring.keyringId, createdAt: keyring.createdAt, versions: rows }, null, 2)}\n`,
    );
    return EXIT.OK;
  }
  if (output !== 'text') throw usageError('--output must be text or json');
  const lines = [
    `keyring ${keyring.keyringId} (${path})`,
    `${'version'.padStart(7)}  ${'state'.padEnd(9)}  ${'created'.padEnd(24)}  ${'key tag'.padEnd(32)}  public key / destroyed`,
  ];
  for (const r of rows) {
    lines.push(
      `${String(r.version).padStart(7)}  ${r.state.padEnd(9)}  ${r.createdAt.padEnd(24)}  ${r.keyTag}  ${r.publicKeyFingerprint ?? `destroyed ${r.destroyedAt ?? ''}`}`,
    );
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.OK;
}

/** `shroud keys` on a key in a PKCS#11 token: every state lives in the token. */
async function tokenKeys(
  sub: string,
  files: string[],
  values: { version: number | undefined; yes: boolean; output: string },
  choice: Extract<KekProviderChoice, { kind: 'pkcs11' }>,
  noFiles: () => void,
  io: CliIO,
): Promise<number> {
  if (sub === 'export-public') {
    throw usageError(
      'a key in a PKCS#11 token has no public sealing key to export: seal with shroud encrypt --kek-provider pkcs11 on a host that reaches the token',
    );
  }
  if (!['init', 'rotate', 'retire', 'shred', 'status'].includes(sub))
    throw usageError(`unknown keys subcommand "${sub}"`);
  if (sub !== 'shred') noFiles();
  const version = sub === 'retire' || sub === 'shred' ? versionFlag(values.version) : 0;
  const kek = await openKekProvider(choice, { cwd: io.cwd, env: io.env });
  try {
    const token = kek.pkcs11!;
    const key = `pkcs11 key ${token.keyLabel} (${token.where})`;
    switch (sub) {
      case 'init': {
        const created = await token.createKey();
        io.stdout.write(
          `Created ${key} version 1 (object ${token.keyLabel}.v1, key tag ${created.ref.keyTag}), primary.\n` +
            `The key cannot leave the token: back the token up with the vendor's tools (an HSM cluster or backup token). If the token is lost, every value sealed to it is lost.\n`,
        );
        return EXIT.OK;
      }
      case 'rotate': {
        const rotated = await token.rotate();
        io.stdout.write(
          `Version ${rotated.ref.version} of ${key} is now primary (object ${token.keyLabel}.v${rotated.ref.version}); older versions stay active and still open their values.\n` +
            `Next: move values over with shroud keys rewrap --kek-provider pkcs11 FILE...\n`,
        );
        return EXIT.OK;
      }
      case 'retire':
        await token.retire(version);
        io.stdout.write(
          `Version ${version} of ${key} is retired (it no longer wraps; it still opens its values). Rewrap them, then shred it: shroud keys shred --kek-provider pkcs11 --version ${version} --yes\n`,
        );
        return EXIT.OK;
      case 'shred': {
        const status = await token.status();
        if (!status.healthy)
          throw new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', status.message ?? `${key} did not answer`);
        const target = status.versions.find((v) => v.ref.version === version)?.ref;
        const doomed = target === undefined ? [] : await scanForRef(target, files, io);
        const lines = [
          `Shredding version ${version} of ${key} destroys its key object in the token (C_DestroyObject).`,
          `Every value sealed under version ${version} becomes unreadable forever, including copies in git history, backups and clusters.`,
          `Backups and clones of the token still hold the key: destroy them too.`,
          ...(files.length > 0
            ? [
                `In the given files, ${doomed.length} value(s) would become unreadable${doomed.length > 0 ? ':' : '.'}`,
                ...doomed.map((d) => `  ${d}`),
              ]
            : []),
        ];
        if (!values.yes) {
          io.stderr.write(`${lines.join('\n')}\nCLI_USAGE: nothing was changed; re-run with --yes to shred.\n`);
          return EXIT.USAGE;
        }
        await token.shred(version);
        io.stderr.write(`${lines.join('\n')}\n`);
        io.stdout.write(`Version ${version} is destroyed.\n`);
        return EXIT.OK;
      }
      case 'status': {
        const status = await token.status();
        if (!status.healthy)
          throw new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', status.message ?? `${key} did not answer`);
        const rows = status.versions.map((v) => ({
          version: v.ref.version,
          state: v.state,
          createdAt: v.createdAt,
          keyTag: v.ref.keyTag,
          object: `${token.keyLabel}.v${v.ref.version}`,
        }));
        if (values.output === 'json') {
          io.stdout.write(
            `${JSON.stringify({ provider: 'pkcs11', module: choice.module, token: choice.token, keyLabel: token.keyLabel, versions: rows }, null, 2)}\n`,
          );
          return EXIT.OK;
        }
        if (values.output !== 'text') throw usageError('--output must be text or json');
        const lines = [
          `${key}`,
          `${'version'.padStart(7)}  ${'state'.padEnd(9)}  ${'created'.padEnd(24)}  ${'key tag'.padEnd(32)}  object`,
          ...rows.map(
            (r) =>
              `${String(r.version).padStart(7)}  ${r.state.padEnd(9)}  ${r.createdAt.padEnd(24)}  ${r.keyTag}  ${r.state === 'destroyed' ? '(destroyed)' : r.object}`,
          ),
        ];
        io.stdout.write(`${lines.join('\n')}\n`);
        return EXIT.OK;
      }
      default:
        throw usageError(`unknown keys subcommand "${sub}"`);
    }
  } finally {
    await kek.close();
  }
}

/** `shroud keys` on a KMS v2 plugin: the KMS manages its keys; Shroud reads its status and rewraps. */
async function kmsKeys(
  sub: string,
  output: string,
  choice: Extract<KekProviderChoice, { kind: 'kms' }>,
  noFiles: () => void,
  io: CliIO,
): Promise<number> {
  if (['init', 'rotate', 'retire', 'shred', 'export-public'].includes(sub)) {
    throw usageError(
      `keys ${sub} does not apply to --kek-provider kms: the KMS behind the plugin at ${choice.socket} manages its keys. Rotate there (for a Shroud kms-plugin: shroud keys rotate on its keyring or token); Shroud sees the new key_id at the next Status, then move values with shroud keys rewrap --kek-provider kms FILE...`,
    );
  }
  if (sub !== 'status') throw usageError(`unknown keys subcommand "${sub}"`);
  noFiles();
  if (output !== 'text' && output !== 'json') throw usageError('--output must be text or json');
  const kek = await openKekProvider(choice, { cwd: io.cwd, env: io.env });
  try {
    const { report, text } = await kek.kmsStatus!();
    io.stdout.write(output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${text}\n`);
    return report.healthy ? EXIT.OK : EXIT.FAILURE;
  } finally {
    await kek.close();
  }
}

/** Lists `file:line key` of each sealed value under exactly this key reference in the files. */
async function scanForRef(ref: KeyRef, files: string[], io: CliIO): Promise<string[]> {
  const found: string[] = [];
  for (const file of files) {
    const { scalars } = findSealedScalars((await readInputFile(file, io)).toString('utf8'));
    for (const s of scalars) {
      try {
        const { key } = parseEnvelope(s.value);
        if (
          key.provider === ref.provider &&
          key.keyId === ref.keyId &&
          key.version === ref.version &&
          key.keyTag === ref.keyTag
        )
          found.push(`${file}:${s.line}${s.key ? ` ${s.key}` : ''}`);
      } catch {
        /* not readable as an envelope: not this version's problem */
      }
    }
  }
  return found;
}
