import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ShroudError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { CERT_FILES } from '../tls/index.js';
import { type DirWatcher, watchDir } from '../watch/index.js';

const CERTIFICATE = /-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+?-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM file, each parsed, re-joined with LF line ends and without anything
 * else (comments, blank lines): this text goes into every injected pod as SHROUD_UNSEAL_CA_PEM.
 * @throws ShroudError INJECT_UNSEAL_CA_INVALID when the file cannot be read, holds no
 *   certificate, a certificate that does not parse, or a private key.
 */
export async function readUnsealCa(file: string): Promise<string> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).replace(/\r\n?/g, '\n');
  } catch (err) {
    throw new ShroudError('INJECT_UNSEAL_CA_INVALID', `cannot read the unseal CA ${file}; check --unseal-ca`, {
      cause: err,
      details: { file },
    });
  }
  if (/PRIVATE KEY-----/.test(text)) {
    throw new ShroudError(
      'INJECT_UNSEAL_CA_INVALID',
      `${file} holds a private key; --unseal-ca must hold only the CA certificate, which every injected pod receives`,
      { details: { file } },
    );
  }
  const blocks = text.match(CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new ShroudError('INJECT_UNSEAL_CA_INVALID', `${file} holds no PEM certificate; check --unseal-ca`, {
      details: { file },
    });
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new ShroudError(
        'INJECT_UNSEAL_CA_INVALID',
        `${file} holds a certificate that does not parse: ${(err as Error).message}`,
        { cause: err, details: { file } },
      );
    }
  }
  return `${blocks.join('\n')}\n`;
}

/** The unseal CA in force, kept current as its file changes. */
export interface UnsealCaSource {
  /** The file read, resolved; undefined when injection is not configured. */
  readonly file: string | undefined;
  /** The certificates in force (the last good read); undefined when not configured. */
  current(): string | undefined;
  close(): void;
}

/**
 * Opens the unseal CA: `--unseal-ca` when given; else, when dev certificates are on and the
 * cert folder is the default one, the dev CA there (it signs the dev serving certificate, which
 * the unseal role serves in dev); else none, and labelled pods are denied with a message that
 * says so. The file's folder is watched: a good new file is used at once, a bad one is logged
 * and the last good certificates stay.
 * @throws ShroudError INJECT_UNSEAL_CA_INVALID when the file given cannot be used at start-up.
 */
export async function openUnsealCa(
  options: { file: string | undefined; certDir: string; devDefault: boolean; pollMs: number },
  logger: Logger,
): Promise<UnsealCaSource> {
  const file =
    options.file !== undefined
      ? resolve(options.file)
      : options.devDefault
        ? join(resolve(options.certDir), CERT_FILES.ca)
        : undefined;
  if (file === undefined) {
    logger.warn(
      {},
      'secret injection is not configured (no --unseal-ca): pods labelled shroud.dev/inject=true will be denied',
    );
    return { file, current: () => undefined, close: () => undefined };
  }
  let pem = await readUnsealCa(file);
  logger.info({ unsealCa: file }, 'unseal CA loaded');
  let watcher: DirWatcher | undefined = await watchDir({
    dir: dirname(file),
    pollMs: options.pollMs,
    onChange: async () => {
      try {
        const next = await readUnsealCa(file);
        if (next !== pem) logger.info({ unsealCa: file }, 'unseal CA reloaded');
        pem = next;
      } catch (err) {
        logger.warn({ err, unsealCa: file }, 'unseal CA reload rejected; the previous certificates stay in use');
      }
    },
  });
  return {
    file,
    current: () => pem,
    close: () => {
      watcher?.close();
      watcher = undefined;
    },
  };
}
