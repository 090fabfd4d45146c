/**
 * `shroud encrypt`: seals values into a ConfigMap manifest that is safe to commit.
 *
 * Plaintext arrives through arguments and files only and leaves only as sealed values: no
 * message of this command repeats an argument, because arguments carry the secrets
 * (`--from-literal KEY=VALUE`). Even parse errors are reported by position, not content.
 */
import { basename, resolve } from 'node:path';
import { stringify } from 'yaml';
import { choiceSetting, listSetting, pathSetting, SETTINGS, valueSetting } from '../../config/index.js';
import {
  isConfigMapKey,
  isDnsLabel,
  isDnsSubdomain,
  loadKeyring,
  LocalKeyringProvider,
  parsePublicKey,
  sealValue,
  type ScopeContext,
  type ScopeKind,
} from '../../crypto/index.js';
import { ShroudError } from '../../errors.js';
import { defineCommandLine, readCommandLine, renderHelp } from '../command-line.js';
import { EXIT, type Command } from '../io.js';
import { readInputFile } from '../read-input.js';

function kubernetesName(accepts: string, isValid: (name: string) => boolean) {
  return { accepts, parse: (text: string) => (isValid(text) ? text : undefined), default: undefined };
}

export const ENCRYPT_COMMAND_LINE = defineCommandLine({
  command: 'encrypt',
  usage: `--namespace NS --service-account SA --name NAME [--scope strict|namespace|cluster]
(--from-literal KEY=VALUE | --from-file KEY=PATH | --from-file PATH | --from-env-file PATH)...
(--public-key FILE | --keyring FILE)`,
  description: `Prints a ConfigMap manifest whose values are sealed (label shroud.dev/sealed: "true"), safe to commit.
--public-key seals offline with an exported public key (CI, developers); --keyring uses the keyring.
Scopes: strict (default) binds namespace, service account, ConfigMap name and key;
namespace binds the namespace; cluster binds nothing.`,
  settings: {
    namespace: valueSetting<string | undefined>({
      flag: 'namespace',
      arg: 'NS',
      ...kubernetesName('a namespace name (lowercase RFC 1123 label)', isDnsLabel),
      help: 'the namespace of the ConfigMap (not for scope cluster)',
    }),
    serviceAccount: valueSetting<string | undefined>({
      flag: 'service-account',
      arg: 'SA',
      ...kubernetesName('a service account name', isDnsSubdomain),
      help: 'the service account that may open the values (scope strict)',
    }),
    name: valueSetting<string | undefined>({
      flag: 'name',
      arg: 'NAME',
      ...kubernetesName('a ConfigMap name (lowercase RFC 1123 subdomain)', isDnsSubdomain),
      help: 'the name of the ConfigMap',
    }),
    scope: choiceSetting<ScopeKind>({
      flag: 'scope',
      arg: 'SCOPE',
      choices: ['strict', 'namespace', 'cluster'],
      default: 'strict',
      help: 'strict, namespace or cluster: what the values are bound to',
    }),
    fromLiteral: listSetting({ flag: 'from-literal', arg: 'KEY=VALUE', help: 'a value to seal; repeat for more' }),
    fromFile: listSetting({
      flag: 'from-file',
      arg: '[KEY=]PATH',
      help: "a file's bytes to seal (KEY defaults to the file name); repeat for more",
    }),
    fromEnvFile: listSetting({ flag: 'from-env-file', arg: 'PATH', help: 'KEY=VALUE lines to seal; repeat for more' }),
    publicKey: pathSetting({ flag: 'public-key', arg: 'FILE', help: 'seal offline to an exported public key' }),
    keyringPath: SETTINGS.keyringPath,
  },
  positionals: false,
  secretArguments: true,
});

function usage(message: string): ShroudError {
  return new ShroudError('CLI_USAGE', `${message}\n\n${renderHelp(ENCRYPT_COMMAND_LINE)}`);
}

/** Reads KEY=VALUE lines (kubectl --from-env-file rules: `#` comments and blank lines skipped, no quote processing). */
function parseEnvFile(text: string, name: string): [string, Buffer][] {
  const items: [string, Buffer][] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw usage(`${name}:${i + 1}: not a KEY=VALUE line`);
    items.push([line.slice(0, eq), Buffer.from(line.slice(eq + 1), 'utf8')]);
  }
  return items;
}

/** Runs `shroud encrypt`. */
export const encrypt: Command = async (argv, io) => {
  const commandLine = readCommandLine(ENCRYPT_COMMAND_LINE, argv, io);
  if (commandLine === undefined) return EXIT.OK;
  const { values } = commandLine;
  const { scope, namespace, name, serviceAccount } = values;
  if (name === undefined) throw usage('--name must be a ConfigMap name (lowercase RFC 1123 subdomain)');
  if (scope !== 'cluster' && namespace === undefined) throw usage(`--namespace is required for scope ${scope}`);
  if (scope === 'strict' && serviceAccount === undefined) throw usage('--service-account is required for scope strict');
  if (values.publicKey !== undefined && commandLine.sources.keyringPath === 'flag') {
    throw usage('give --public-key or --keyring, not both');
  }

  const items: [string, Buffer][] = [];
  for (const [i, literal] of values.fromLiteral.entries()) {
    const eq = literal.indexOf('=');
    if (eq <= 0) throw usage(`--from-literal #${i + 1} must be KEY=VALUE`);
    items.push([literal.slice(0, eq), Buffer.from(literal.slice(eq + 1), 'utf8')]);
  }
  for (const spec of values.fromFile) {
    const eq = spec.indexOf('=');
    const [key, file] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [basename(spec), spec];
    items.push([key, await readInputFile(file, io)]);
  }
  for (const file of values.fromEnvFile)
    items.push(...parseEnvFile((await readInputFile(file, io)).toString('utf8'), file));
  if (items.length === 0) throw usage('nothing to seal: give --from-literal, --from-file or --from-env-file');
  const seen = new Set<string>();
  for (const [key] of items) {
    if (!isConfigMapKey(key)) throw usage(`"${key}" is not a valid ConfigMap key (letters, digits, -, _, .)`);
    if (seen.has(key)) throw usage(`key "${key}" is given twice`);
    seen.add(key);
  }

  const target =
    values.publicKey !== undefined
      ? { publicKey: parsePublicKey((await readInputFile(values.publicKey, io)).toString('utf8')) }
      : { provider: new LocalKeyringProvider(await loadKeyring(resolve(io.cwd, values.keyringPath))) };
  const data: Record<string, string> = {};
  for (const [key, plaintext] of [...items].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const context: ScopeContext = { namespace, serviceAccount, name, key };
    data[key] = await sealValue(plaintext, { scope, context, ...target });
    plaintext.fill(0);
  }
  const annotations: Record<string, string> = { 'shroud.dev/scope': scope };
  if (serviceAccount !== undefined) annotations['shroud.dev/service-account'] = serviceAccount;
  const manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      labels: { 'shroud.dev/sealed': 'true' },
      annotations,
    },
    data,
  };
  // lineWidth 0: never fold a sealed value over lines (keys rewrap needs one token per value).
  io.stdout.write(stringify(manifest, { lineWidth: 0 }));
  return EXIT.OK;
};
