/**
 * `shroud decrypt --keyring FILE MANIFEST...` (or `--kek-provider pkcs11 ...` / `--kek-provider kms --kms-socket PATH`):
 * for administrators holding the keyring, the token or access to the KMS plugin. Opens
 * every sealed value in ConfigMap manifests and prints them as plaintext ConfigMaps, with a
 * warning on stderr. Each value is opened in the scope of the manifest that holds it
 * (namespace, name, key, and the shroud.dev/service-account annotation or --service-account),
 * so a value copied into the wrong ConfigMap fails here as it would in the cluster.
 */
import { isMap, isScalar, LineCounter, parseAllDocuments, stringify, type Document } from 'yaml';
import { DekCache, isSealedValue, type KekProvider, openValue } from '../../crypto/index.js';
import { SETTINGS, valueSetting } from '../../config/index.js';
import { isShroudError, ShroudError } from '../../errors.js';
import { formatIssue, type Issue } from '../../issues.js';
import { defineCommandLine, readCommandLine, renderHelp } from '../command-line.js';
import { EXIT, type CliIO, type Command } from '../io.js';
import { KEK_SETTINGS, kekChoiceFrom, openKekProvider } from '../../roles/index.js';
import { readInputText } from '../read-input.js';

export const DECRYPT_COMMAND_LINE = defineCommandLine({
  command: 'decrypt',
  usage: '[options] MANIFEST...',
  description: `Prints the plaintext of every sealed value in the ConfigMap manifests ('-' reads stdin).
For administrators holding the keyring (or reaching the token or KMS plugin: --kek-provider); the output holds secrets. Exit 3 if any value fails to open.`,
  settings: {
    keyringPath: SETTINGS.keyringPath,
    ...KEK_SETTINGS,
    serviceAccount: valueSetting<string | undefined>({
      flag: 'service-account',
      arg: 'SA',
      default: undefined,
      accepts: 'a service account name',
      parse: (text) => (text === '' ? undefined : text),
      help: 'open as this service account (default: the shroud.dev/service-account annotation)',
    }),
  },
  positionals: true,
});

function stringAt(doc: Document, path: string[]): string | undefined {
  const v = doc.getIn(path);
  return typeof v === 'string' ? v : undefined;
}

/** Runs `shroud decrypt`. */
export const decrypt: Command = async (argv, io) => {
  const commandLine = readCommandLine(DECRYPT_COMMAND_LINE, argv, io);
  if (commandLine === undefined) return EXIT.OK;
  const { values, positionals } = commandLine;
  if (positionals.length === 0)
    throw new ShroudError('CLI_USAGE', `give at least one manifest\n\n${renderHelp(DECRYPT_COMMAND_LINE)}`);
  const kek = await openKekProvider(kekChoiceFrom(values, io.cwd, io.env), io);
  try {
    return await decryptFiles(positionals, values.serviceAccount, kek.provider, io);
  } finally {
    await kek.close();
  }
};

async function decryptFiles(
  positionals: string[],
  serviceAccountFlag: string | undefined,
  provider: KekProvider,
  io: CliIO,
): Promise<number> {
  const cache = new DekCache();
  io.stderr.write('WARNING: printing decrypted secrets. Do not commit, paste or log this output.\n');
  let failed = 0;
  let opened = 0;
  const report = (issue: Issue): void => {
    io.stderr.write(`${issue.code}: ${formatIssue(issue)}\n`);
  };
  for (const file of positionals) {
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(await readInputText(file, io), { lineCounter });
    for (const doc of Array.isArray(docs) ? docs : []) {
      if (doc.errors.length > 0) {
        failed++;
        const { code, linePos } = doc.errors[0]!;
        report({ code: 'CLI_USAGE', file, line: linePos?.[0]?.line, message: `not valid YAML (${code})` });
        continue;
      }
      const data = doc.get('data');
      if (!isMap(data)) continue;
      const namespace = stringAt(doc, ['metadata', 'namespace']);
      const name = stringAt(doc, ['metadata', 'name']);
      const serviceAccount =
        serviceAccountFlag ?? stringAt(doc, ['metadata', 'annotations', 'shroud.dev/service-account']);
      const plain: Record<string, string> = {};
      const binary: Record<string, string> = {};
      for (const pair of data.items) {
        if (
          !isScalar(pair.key) ||
          !isScalar(pair.value) ||
          typeof pair.value.value !== 'string' ||
          !isSealedValue(pair.value.value)
        )
          continue;
        const key = String(pair.key.value);
        const line = lineCounter.linePos(pair.value.range?.[0] ?? 0).line;
        try {
          const { plaintext } = await openValue(pair.value.value, {
            provider,
            cache,
            expected: { namespace, serviceAccount, name, key },
          });
          const text = plaintext.toString('utf8');
          if (Buffer.from(text, 'utf8').equals(plaintext)) plain[key] = text;
          else binary[key] = plaintext.toString('base64');
          plaintext.fill(0);
          opened++;
        } catch (err) {
          if (!isShroudError(err)) throw err;
          failed++;
          const where = `${key} of ConfigMap ${namespace ?? '-'}/${name ?? '-'}`;
          report({ code: err.code, file, line, message: `${where}: ${err.message}` });
        }
      }
      if (Object.keys(plain).length + Object.keys(binary).length === 0) continue;
      const out = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
        ...(Object.keys(plain).length > 0 ? { data: plain } : {}),
        ...(Object.keys(binary).length > 0 ? { binaryData: binary } : {}),
      };
      io.stdout.write(`---\n${stringify(out, { lineWidth: 0 })}`);
    }
  }
  io.stderr.write(`${opened} value(s) opened, ${failed} failed\n`);
  return failed > 0 ? EXIT.FAILURE : EXIT.OK;
}
