import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ShroudError } from '../../errors.js';
import { writeCertFiles } from '../../tls/index.js';
import { DEFAULT_CERT_NAMES, caBundleOf, generateCertBundle } from '../../tls/index.js';
import { EXIT, type Command } from '../io.js';

const HELP = `Usage: shroud certs [--out DIR] [--dns NAME]... [--days N] [--force]

Makes a fresh CA and a serving certificate signed by it (RSA 2048, SHA-256) and writes
ca.crt, tls.crt and tls.key (mode 0600) into DIR. The CA's private key is discarded, so nothing
else can be issued under it; run again (with --force) to renew. Prints the caBundle for the
Validating/MutatingWebhookConfiguration on stdout.

Options:
  --out DIR     where to write (default ./certs)
  --dns NAME    a DNS name or IP address for the certificate; repeat for more
                (default: ${DEFAULT_CERT_NAMES.join(', ')})
  --days N      validity in days (default 365)
  --force       replace existing files
`;

/** `shroud certs`: dev and bootstrap certificates for the webhook. */
export const certsCommand: Command = async (argv, io) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: 'certs' },
      dns: { type: 'string', multiple: true },
      days: { type: 'string', default: '365' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.OK;
  }
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new ShroudError('CLI_USAGE', `--days must be a whole number from 1 to 3650, got "${values.days}"`);
  }
  const names = values.dns && values.dns.length > 0 ? values.dns : [...DEFAULT_CERT_NAMES];
  for (const name of names) {
    if (!/^[A-Za-z0-9*.:-]+$/.test(name))
      throw new ShroudError('CLI_USAGE', `--dns "${name}" is not a DNS name or IP address`);
  }
  const out = resolve(io.cwd, values.out);
  const bundle = generateCertBundle({ names, days });
  await writeCertFiles(out, bundle, { force: values.force });
  io.stderr.write(
    `wrote ${out}/ca.crt, tls.crt, tls.key (0600); valid until ${bundle.notAfter.toISOString()} for ${names.join(', ')}\n` +
      'caBundle for the webhook configuration (stdout):\n',
  );
  io.stdout.write(`${caBundleOf(bundle.caCert)}\n`);
  return EXIT.OK;
};
