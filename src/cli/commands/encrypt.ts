/**
 * `shroud encrypt`: seals values into a ConfigMap manifest that is safe to commit.
 *
 * Plaintext arrives through arguments and files only and leaves only as sealed values: no
 * message of this command repeats an argument, because arguments carry the secrets
 * (`--from-literal KEY=VALUE`). Even parse errors are reported by position, not content.
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  isScopeKind,
  loadKeyring,
  LocalKeyringProvider,
  parsePublicKey,
  sealValue,
  type ScopeContext,
  type ScopeKind,
} from '../../crypto/index.js';
import { ShroudError } from '../../errors.js';
import { EXIT, type Command } from '../io.js';
import { isConfigMapKey, isDnsLabel, isDnsSubdomain } from '../k8s-names.js';
import { keyringPath } from '../keyring-path.js';
import { readInputFile } from '../read-input.js';

const USAGE = `Usage: shroud encrypt --namespace NS --service-account SA --name NAME [--scope strict|namespace|cluster]
         (--from-literal KEY=VALUE | --from-file KEY=PATH | --from-file PATH | --from-env-file PATH)...
         (--public-key FILE | --keyring FILE)

Prints a ConfigMap manifest whose values are sealed (label shroud.dev/sealed: "true"), safe to commit.
--public-key seals offline with an exported public key (CI, developers); --keyring uses the keyring
(without either: $SHROUD_KEYRING, else .shroud/keyring.json).
Scopes: strict (default) binds namespace, service account, ConfigMap name and key;
namespace binds the namespace; cluster binds nothing.
`;

const OPTIONS = {
  namespace: { type: 'string' },
  'service-account': { type: 'string' },
  name: { type: 'string' },
  scope: { type: 'string' },
  'from-literal': { type: 'string', multiple: true },
  'from-file': { type: 'string', multiple: true },
  'from-env-file': { type: 'string', multiple: true },
  'public-key': { type: 'string' },
  keyring: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usage(message: string): ShroudError {
  return new ShroudError('CLI_USAGE', `${message}\n\n${USAGE}`);
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util's messages quote the offending argument, which may be a secret.
    const code = (err as { code?: string }).code ?? 'ERR_PARSE_ARGS';
    throw usage(
      `the command line could not be parsed (${code}); arguments are not repeated because they may hold secrets`,
    );
  }
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
  const { values, positionals } = parse(argv);
  if (values.help === true) {
    io.stdout.write(USAGE);
    return EXIT.OK;
  }
  if (positionals.length > 0)
    throw usage(`unexpected argument #${argv.indexOf(positionals[0]!) + 1} (not repeated: it may be a secret)`);
  const scope: ScopeKind = (values.scope ?? 'strict') as ScopeKind;
  if (!isScopeKind(scope)) throw usage('--scope must be strict, namespace or cluster');
  const { namespace, name } = values;
  const serviceAccount = values['service-account'];
  if (name === undefined || !isDnsSubdomain(name))
    throw usage('--name must be a ConfigMap name (lowercase RFC 1123 subdomain)');
  if (scope !== 'cluster' && namespace === undefined) throw usage(`--namespace is required for scope ${scope}`);
  if (namespace !== undefined && !isDnsLabel(namespace))
    throw usage('--namespace must be a namespace name (lowercase RFC 1123 label)');
  if (scope === 'strict' && serviceAccount === undefined) throw usage('--service-account is required for scope strict');
  if (serviceAccount !== undefined && !isDnsSubdomain(serviceAccount))
    throw usage('--service-account must be a service account name');
  if (values['public-key'] !== undefined && values.keyring !== undefined) {
    throw usage('give --public-key or --keyring, not both');
  }

  const items: [string, Buffer][] = [];
  for (const [i, literal] of (values['from-literal'] ?? []).entries()) {
    const eq = literal.indexOf('=');
    if (eq <= 0) throw usage(`--from-literal #${i + 1} must be KEY=VALUE`);
    items.push([literal.slice(0, eq), Buffer.from(literal.slice(eq + 1), 'utf8')]);
  }
  for (const spec of values['from-file'] ?? []) {
    const eq = spec.indexOf('=');
    const [key, file] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [basename(spec), spec];
    items.push([key, await readInputFile(file, io)]);
  }
  for (const file of values['from-env-file'] ?? [])
    items.push(...parseEnvFile((await readInputFile(file, io)).toString('utf8'), file));
  if (items.length === 0) throw usage('nothing to seal: give --from-literal, --from-file or --from-env-file');
  const seen = new Set<string>();
  for (const [key] of items) {
    if (!isConfigMapKey(key)) throw usage(`"${key}" is not a valid ConfigMap key (letters, digits, -, _, .)`);
    if (seen.has(key)) throw usage(`key "${key}" is given twice`);
    seen.add(key);
  }

  const target =
    values['public-key'] !== undefined
      ? { publicKey: parsePublicKey((await readInputFile(values['public-key'], io)).toString('utf8')) }
      : { provider: new LocalKeyringProvider(await loadKeyring(keyringPath(values.keyring, io))) };
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
