/**
 * `shroud encrypt`: seals values into a ConfigMap manifest that is safe to commit.
 *
 * Plaintext arrives through arguments and files only and leaves only as sealed values: no
 * message of this command repeats an argument, because arguments carry the secrets
 * (`--from-literal KEY=VALUE`). Even parse errors are reported by position, not content.
 */
import { basename } from 'node:path';
import { stringify } from 'yaml';
import { choiceSetting, listSetting, pathSetting, SETTINGS, valueSetting } from '../../config/index.js';
import {
  checkPublicKeyExpiry,
  decideTrust,
  describeKeyRef,
  firstUseNotice,
  isConfigMapKey,
  isDnsLabel,
  isDnsSubdomain,
  parsePublicKey,
  type PublicSealingKey,
  sealValue,
  type ScopeContext,
  type ScopeKind,
} from '../../crypto/index.js';
import { ShroudError } from '../../errors.js';
import { defineCommandLine, readCommandLine, renderHelp } from '../command-line.js';
import { EXIT, type CliIO, type Command } from '../io.js';
import { knownKeysPath, trustOnFirstUse } from '../known-keys-file.js';
import { readInputFile } from '../read-input.js';
import { fetchPublicKey, isPublicKeyUrl, publicKeyUrl } from '../../unseal/client/index.js';
import { KEK_SETTINGS, kekChoiceFrom, openKekProvider } from '../../roles/index.js';

function kubernetesName(accepts: string, isValid: (name: string) => boolean) {
  return { accepts, parse: (text: string) => (isValid(text) ? text : undefined), default: undefined };
}

export const ENCRYPT_COMMAND_LINE = defineCommandLine({
  command: 'encrypt',
  usage: `--namespace NS --service-account SA --name NAME [--scope strict|namespace|cluster]
(--from-literal KEY=VALUE | --from-file KEY=PATH | --from-file PATH | --from-env-file PATH)...
(--public-key FILE | --keyring FILE | --kek-provider pkcs11 ... | --kek-provider kms --kms-socket PATH)`,
  description: `Prints a ConfigMap manifest whose values are sealed (label shroud.dev/sealed: "true"), safe to commit.
--public-key seals offline with an exported public key (CI, developers); --keyring uses the keyring;
--kek-provider pkcs11 wraps each value's key in a PKCS#11 token (the --pkcs11-* settings);
--kek-provider kms through a Kubernetes KMS v2 plugin on --kms-socket PATH.
A public key is trusted by its pinned fingerprint (--fingerprint), else on first use: the known-keys
file remembers each key version's fingerprint and refuses a different key under it later.
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
    publicKey: pathSetting({
      flag: 'public-key',
      arg: 'FILE|URL',
      help: 'seal offline to an exported public key file, or to the one the unseal service serves at an https:// URL',
    }),
    publicKeyCa: pathSetting({
      flag: 'public-key-ca',
      arg: 'FILE',
      help: "PEM CA bundle that must sign the unseal service's certificate when --public-key is a URL (default: the system's CAs)",
    }),
    publicKeyFingerprint: SETTINGS.publicKeyFingerprint,
    knownKeys: SETTINGS.knownKeys,
    keyringPath: SETTINGS.keyringPath,
    ...KEK_SETTINGS,
  },
  positionals: false,
  secretArguments: true,
});

function usage(message: string): ShroudError {
  return new ShroudError('CLI_USAGE', `${message}\n\n${renderHelp(ENCRYPT_COMMAND_LINE)}`);
}

/** A value to seal, its key, and where both came from (a position, never content). */
interface Item {
  key: string;
  value: Buffer;
  where: string;
}

const KEY_RULE = "not a valid ConfigMap key (letters, digits, '-', '_', '.')";

/**
 * Reads KEY=VALUE lines (kubectl --from-env-file rules: `#` comments and blank lines skipped, no
 * quote processing). A bad line is reported as `file:line` and a reason: the line itself may be
 * a secret (a connection string with its password), so no part of it is ever repeated.
 */
function parseEnvFile(text: string, name: string): Item[] {
  const items: Item[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${name}:${i + 1}`;
    const eq = line.indexOf('=');
    if (eq <= 0) throw usage(`${where}: not a KEY=VALUE line (a key, '=', then the value)`);
    items.push({ key: line.slice(0, eq), value: Buffer.from(line.slice(eq + 1), 'utf8'), where });
  }
  return items;
}

/**
 * Parses the public key document and decides whether to seal to it: refused when expired (warned near
 * expiry or without an expiry); then trusted by the pin when one is given, else on first use
 * through the known-keys file (a first use is recorded before anything is sealed, and said on stderr).
 */
/**
 * The public key document and where it came from: a file (or `-`), or the unseal service's
 * `GET /v1/public-key` over TLS verified against `--public-key-ca` (else the system's CAs).
 */
async function readPublicKeySource(
  source: string,
  caFile: string | undefined,
  io: CliIO,
): Promise<{ file: string; text: string }> {
  if (!isPublicKeyUrl(source)) return { file: source, text: (await readInputFile(source, io)).toString('utf8') };
  const url = publicKeyUrl(source);
  const ca = caFile === undefined ? undefined : (await readInputFile(caFile, io)).toString('utf8');
  return { file: url.href, text: await fetchPublicKey(url, ca === undefined ? {} : { ca }) };
}

async function trustedPublicKey(
  source: { file: string; text: string },
  values: { publicKeyFingerprint: string | undefined; knownKeys: string | undefined },
  pinFrom: string | undefined,
  io: CliIO,
): Promise<PublicSealingKey> {
  const { file } = source;
  let key: PublicSealingKey;
  try {
    key = parsePublicKey(source.text);
  } catch (err) {
    if (err instanceof ShroudError && err.code === 'CRYPTO_PUBLIC_KEY_INVALID')
      throw new ShroudError(err.code, `${file}: ${err.message}`, { details: { file } });
    throw err;
  }
  const now = new Date();
  const expiry = checkPublicKeyExpiry(key, now, file);
  const notes: string[] = [];
  if (expiry.state === 'expiring') {
    notes.push(
      `shroud: warning: ${file} expires at ${expiry.expires} (${expiry.daysLeft === 0 ? 'in less than a day' : `in ${expiry.daysLeft} day(s)`}); after that encrypt refuses it. Get a fresh one: shroud keys export-public --out FILE\n`,
    );
  } else if (expiry.state === 'no-expiry') {
    notes.push(
      `shroud: warning: ${file} has no expiry date (exported by an older shroud), so nothing stops it sealing to a version that is later retired. Export it again: shroud keys export-public --out FILE\n`,
    );
  }
  const pin = values.publicKeyFingerprint;
  if (pin !== undefined) {
    decideTrust(key, file, { pin, pinSource: pinFrom === 'flag' ? '--fingerprint' : 'SHROUD_PUBLIC_KEY_FINGERPRINT' });
  } else {
    const path = knownKeysPath(values.knownKeys, io.env, io.cwd);
    if (path === undefined) {
      throw new ShroudError(
        'CRYPTO_PUBLIC_KEY_UNTRUSTED',
        `cannot decide whether to trust ${describeKeyRef(key.ref)} in ${file}: there is no pin and no known-keys file (neither XDG_CONFIG_HOME nor HOME is set); nothing was sealed. ` +
          "Pin it with --fingerprint (or SHROUD_PUBLIC_KEY_FINGERPRINT) after checking 'shroud keys status' on the keyring's host, or give --known-keys FILE.",
        { details: { file } },
      );
    }
    const { decision, line } = await trustOnFirstUse(key, file, path, now);
    if (decision.kind === 'first-use') notes.push(firstUseNotice(decision, path, line));
  }
  for (const note of notes) io.stderr.write(note);
  return key;
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
  if (values.publicKey !== undefined && commandLine.sources.kekProvider === 'flag') {
    throw usage('give --public-key or --kek-provider, not both');
  }
  if (values.publicKey === undefined && commandLine.sources.publicKeyFingerprint === 'flag') {
    throw usage('--fingerprint pins the key of --public-key; it does not apply to --keyring');
  }
  if (values.publicKeyCa !== undefined && (values.publicKey === undefined || !isPublicKeyUrl(values.publicKey))) {
    throw usage('--public-key-ca is the CA of the unseal service: it goes with --public-key https://...');
  }

  const items: Item[] = [];
  for (const [i, literal] of values.fromLiteral.entries()) {
    const eq = literal.indexOf('=');
    if (eq <= 0) throw usage(`--from-literal #${i + 1} must be KEY=VALUE`);
    items.push({
      key: literal.slice(0, eq),
      value: Buffer.from(literal.slice(eq + 1), 'utf8'),
      where: `--from-literal #${i + 1}`,
    });
  }
  for (const [i, spec] of values.fromFile.entries()) {
    const eq = spec.indexOf('=');
    const [key, file] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [basename(spec), spec];
    items.push({ key, value: await readInputFile(file, io), where: `--from-file #${i + 1}` });
  }
  for (const file of values.fromEnvFile)
    items.push(...parseEnvFile((await readInputFile(file, io)).toString('utf8'), file));
  if (items.length === 0) throw usage('nothing to seal: give --from-literal, --from-file or --from-env-file');
  // Keys come from arguments and env-file lines, which may be secrets: errors name positions only.
  const seen = new Map<string, string>();
  for (const { key, where } of items) {
    if (!isConfigMapKey(key)) {
      const part = where.startsWith('--from-file') ? 'the key (or file name)' : "the key before '='";
      throw usage(`${where}: ${part} is ${KEY_RULE}`);
    }
    const first = seen.get(key);
    if (first !== undefined) throw usage(`${where}: the same key as ${first}; each key may be given once`);
    seen.set(key, where);
  }

  const target =
    values.publicKey !== undefined
      ? {
          publicKey: await trustedPublicKey(
            await readPublicKeySource(values.publicKey, values.publicKeyCa, io),
            values,
            commandLine.sources.publicKeyFingerprint,
            io,
          ),
        }
      : undefined;
  const kek = target === undefined ? await openKekProvider(kekChoiceFrom(values, io.cwd, io.env), io) : undefined;
  const data: Record<string, string> = {};
  try {
    for (const { key, value: plaintext } of [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      const context: ScopeContext = { namespace, serviceAccount, name, key };
      data[key] = await sealValue(plaintext, { scope, context, ...(target ?? { provider: kek!.provider }) });
      plaintext.fill(0);
    }
  } finally {
    for (const item of items) item.value.fill(0);
    await kek?.close();
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
