import { resolve } from 'node:path';
import { integerSetting, listSetting, SETTINGS, switchSetting } from '../../config/index.js';
import { writeCertFiles } from '../../tls/index.js';
import { DEFAULT_CERT_NAMES, caBundleOf, generateCertBundle } from '../../tls/index.js';
import { defineCommandLine, readCommandLine } from '../command-line.js';
import { EXIT, type Command } from '../io.js';

export const CERTS_COMMAND_LINE = defineCommandLine({
  command: 'certs',
  usage: '[options]',
  description: `Makes a fresh CA and a serving certificate signed by it (RSA 2048, SHA-256) and writes
ca.crt, tls.crt and tls.key (mode 0600) into the cert folder. The CA's private key is discarded, so
nothing else can be issued under it; run again (with --force) to renew. Prints the caBundle for the
Validating/MutatingWebhookConfiguration on stdout.`,
  settings: {
    // --out is this command's older spelling of --cert-dir: where `serve` reads is where `certs` writes.
    certDir: { ...SETTINGS.certDir, alias: 'out', help: 'where to write' },
    dns: listSetting({
      flag: 'dns',
      arg: 'NAME',
      default: DEFAULT_CERT_NAMES,
      accepts: 'a DNS name or IP address',
      parse: (name) => (/^[A-Za-z0-9*.:-]+$/.test(name) ? name : undefined),
      help: 'a DNS name or IP address for the certificate; repeat for more',
    }),
    days: integerSetting({
      flag: 'days',
      arg: 'N',
      default: 365,
      min: 1,
      max: 3650,
      accepts: 'a whole number from 1 to 3650',
      help: 'validity in days',
    }),
    force: switchSetting({ flag: 'force', default: false, help: 'replace existing files' }),
  },
  positionals: false,
});

/** `shroud certs`: dev and bootstrap certificates for the webhook. */
export const certsCommand: Command = async (argv, io) => {
  const commandLine = readCommandLine(CERTS_COMMAND_LINE, argv, io);
  if (commandLine === undefined) return EXIT.OK;
  const { certDir, dns, days, force } = commandLine.values;
  const names = [...dns];
  const out = resolve(io.cwd, certDir);
  const bundle = generateCertBundle({ names, days });
  await writeCertFiles(out, bundle, { force });
  io.stderr.write(
    `wrote ${out}/ca.crt, tls.crt, tls.key (0600); valid until ${bundle.notAfter.toISOString()} for ${names.join(', ')}\n` +
      'caBundle for the webhook configuration (stdout):\n',
  );
  io.stdout.write(`${caBundleOf(bundle.caCert)}\n`);
  return EXIT.OK;
};
