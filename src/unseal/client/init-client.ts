/**
 * `shroud unseal-init` as a function: read the mounted sealed ConfigMaps and the pod's token,
 * ask the unseal service to open the sealed values (retrying what may pass, until a deadline),
 * check the answer against the request, and write the files. All or nothing up to the writing:
 * every answer is in and checked before the first file is written.
 */
import { open } from 'node:fs/promises';
import { ShroudError } from '../../errors.js';
import { type Plaintext, readAnswer, readErrorAnswer } from './answer.js';
import { backoffMs } from './backoff.js';
import { itemName, oneLine } from './names.js';
import { type ItemName, readSealedDir, type SealedItem } from './sealed-dir.js';
import { type CallOptions, type CallOutcome, callUnseal, unsealEndpoint } from './unseal-call.js';
import { type FileMode, writePlaintexts } from './write-files.js';

/** The contract's limits on one request. */
export const MAX_ITEMS_PER_REQUEST = 256;
export const MAX_REQUEST_BYTES = 1024 * 1024;
/** One attempt waits at most this long (less when the deadline is nearer). */
export const REQUEST_TIMEOUT_MS = 10_000;
/** A token file larger than this holds no token. */
const MAX_TOKEN_BYTES = 64 * 1024;

export interface UnsealInitOptions {
  /** The unseal service's base URL (`/v1/unseal` is appended). */
  url: URL;
  /** The only CAs trusted for it (PEM). */
  caPem: string;
  tokenFile: string;
  sealedDir: string;
  outputDir: string;
  fileMode: FileMode;
  /** Give up retrying this long after the start. */
  deadlineMs: number;
}

/** The process around it: clock, waiting, randomness, the log line, and the call (tests). */
export interface UnsealInitDeps {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** One line for `kubectl logs`: counts and names, never a value or the token. */
  say: (line: string) => void;
  call?: (options: CallOptions) => Promise<CallOutcome>;
}

export interface UnsealInitReport {
  configMaps: string[];
  written: ItemName[];
  skipped: ItemName[];
  /** Paths written. */
  files: string[];
  attempts: number;
}

async function readToken(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(MAX_TOKEN_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      bytes = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ShroudError(
      'UNSEAL_INIT_INPUT',
      `cannot read the token file ${path} (${typeof code === 'string' ? code : 'unreadable'}); mount a projected serviceAccountToken with audience shroud there (SHROUD_TOKEN_FILE)`,
      { cause: err },
    );
  }
  const token = bytes.toString('latin1').trim();
  // The token itself is never repeated, not even in part.
  if (bytes.length > MAX_TOKEN_BYTES || token === '' || !/^[\x21-\x7e]+$/.test(token))
    throw new ShroudError(
      'UNSEAL_INIT_INPUT',
      `the token file ${path} does not hold a token (empty, over 64 KiB or not printable text); mount a projected serviceAccountToken with audience shroud there`,
    );
  return token;
}

/** Splits the items into requests within the contract's limits (items and body size). */
export function batches(items: readonly SealedItem[]): SealedItem[][] {
  const out: SealedItem[][] = [];
  let current: SealedItem[] = [];
  let size = 16; // `{"items":[]}` and slack
  for (const item of items) {
    const itemSize = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (16 + itemSize > MAX_REQUEST_BYTES)
      throw new ShroudError(
        'UNSEAL_INIT_INPUT',
        `the sealed value of ${itemName(item)} is too large to send (a request is at most 1 MiB)`,
      );
    if (current.length === MAX_ITEMS_PER_REQUEST || size + itemSize > MAX_REQUEST_BYTES) {
      out.push(current);
      current = [];
      size = 16;
    }
    current.push(item);
    size += itemSize;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function names(items: readonly ItemName[], max = 10): string {
  const shown = items.slice(0, max).map(itemName).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** The one line for a refusal (4xx), by status: what happened and what to do. */
function refusal(status: number, body: Buffer, batch: readonly SealedItem[]): ShroudError {
  const answer = readErrorAnswer(body);
  const asked = new Set(batch.map(itemName));
  const concerned = answer.items.filter((item) => asked.has(itemName(item)));
  const which =
    concerned.length > 0
      ? concerned
          .slice(0, 10)
          .map((item) => `${itemName(item)}${item.code === undefined ? '' : ` (${item.code})`}`)
          .join(', ') + (concerned.length > 10 ? ` and ${concerned.length - 10} more` : '')
      : `${batch.length} value(s) of ${[...new Set(batch.map((item) => item.configMap))].join(', ')}`;
  const said = `${answer.message ?? 'no reason given'} (${status}${answer.code === undefined ? '' : ` ${answer.code}`})`;
  let text: string;
  if (status === 401)
    text = `the unseal service did not accept the pod's token: ${said}; the token volume must be a projected serviceAccountToken with audience shroud`;
  else if (status === 403)
    text = `the unseal service refused ${which}: ${said}; seal the value again for this namespace, service account, ConfigMap and key (shroud encrypt)`;
  else text = `the unseal service rejected the request for ${which}: ${said}`;
  return new ShroudError('UNSEAL_INIT_REFUSED', `${text}; nothing was written`, {
    details: { status, code: answer.code },
  });
}

function deadlinePassed(endpoint: string, attempts: number, elapsedMs: number, last: string): ShroudError {
  return new ShroudError(
    'UNSEAL_INIT_DEADLINE',
    `the unseal service at ${endpoint} did not open the values within SHROUD_DEADLINE_SECONDS (${attempts} attempt(s) in ${Math.round(elapsedMs / 1000)} s; last: ${last}); nothing was written`,
  );
}

/** Asks for one batch until it is answered, refused, or the deadline passes. */
async function fetchBatch(
  options: UnsealInitOptions,
  deps: UnsealInitDeps,
  token: string,
  batch: readonly SealedItem[],
  deadlineAt: number,
  counter: { attempts: number },
): Promise<Plaintext[]> {
  const call = deps.call ?? callUnseal;
  const endpoint = unsealEndpoint(options.url).href;
  const body = JSON.stringify({ items: batch.map(({ configMap, key, value }) => ({ configMap, key, value })) });
  const started = deps.now();
  let attempt = 0;
  let last = 'no attempt was made';
  for (;;) {
    const remaining = deadlineAt - deps.now();
    if (remaining <= 0) throw deadlinePassed(endpoint, attempt, deps.now() - started, last);
    attempt++;
    counter.attempts++;
    const outcome = await call({
      url: options.url,
      ca: options.caPem,
      token,
      body,
      timeoutMs: Math.max(1, Math.min(REQUEST_TIMEOUT_MS, remaining)),
    });
    let retryAfter: number | undefined;
    if (outcome.kind === 'untrusted')
      throw new ShroudError(
        'UNSEAL_INIT_TLS',
        `the server at ${endpoint} is not the unseal service that SHROUD_UNSEAL_CA_PEM vouches for (${outcome.reason}); nothing was sent and nothing was written`,
      );
    if (outcome.kind === 'oversized')
      throw new ShroudError(
        'UNSEAL_INIT_ANSWER_INVALID',
        `the unseal service's answer (${outcome.status}) is larger than 4 MiB and was not read; nothing was written`,
      );
    if (outcome.kind === 'answer') {
      if (outcome.status === 200) return readAnswer(outcome.body, batch);
      if (outcome.status >= 400 && outcome.status < 500) throw refusal(outcome.status, outcome.body, batch);
      const answer = readErrorAnswer(outcome.body);
      const said = `${outcome.status}${answer.code === undefined ? '' : ` ${answer.code}`}${answer.message === undefined ? '' : `: ${answer.message}`}`;
      if (outcome.status !== 503)
        throw new ShroudError(
          'UNSEAL_INIT_SERVICE_FAILED',
          `the unseal service at ${endpoint} failed (${said}); nothing was written`,
        );
      last = said;
      retryAfter = outcome.retryAfterSeconds;
    } else {
      last = outcome.reason;
    }
    const wait = backoffMs(attempt, deps.random(), retryAfter);
    // An attempt that would start after the deadline is not waited for.
    if (deps.now() + wait >= deadlineAt) throw deadlinePassed(endpoint, attempt, deps.now() - started, last);
    deps.say(`attempt ${attempt} failed (${last}); retrying in ${(wait / 1000).toFixed(1)} s`);
    await deps.sleep(wait);
  }
}

/**
 * Runs unseal-init once.
 * @throws ShroudError UNSEAL_INIT_INPUT, UNSEAL_INIT_TLS, UNSEAL_INIT_REFUSED,
 *   UNSEAL_INIT_SERVICE_FAILED, UNSEAL_INIT_DEADLINE, UNSEAL_INIT_ANSWER_INVALID or
 *   UNSEAL_INIT_WRITE_FAILED, each with a message that is one line and names no value.
 */
export async function unsealInit(options: UnsealInitOptions, deps: UnsealInitDeps): Promise<UnsealInitReport> {
  const deadlineAt = deps.now() + options.deadlineMs;
  const contents = await readSealedDir(options.sealedDir);
  const report: UnsealInitReport = {
    configMaps: contents.configMaps,
    written: [],
    skipped: contents.skipped,
    files: [],
    attempts: 0,
  };
  if (contents.skipped.length > 0)
    deps.say(`skipping ${contents.skipped.length} value(s) that are not sealed: ${names(contents.skipped)}`);
  if (contents.items.length === 0) {
    deps.say(
      `no sealed values in ${contents.configMaps.length} ConfigMap(s) under ${options.sealedDir}; nothing to open, nothing written`,
    );
    return report;
  }
  const token = await readToken(options.tokenFile);
  deps.say(
    `opening ${contents.items.length} sealed value(s) of ${contents.configMaps.length} ConfigMap(s): ${names(contents.items, 20)}`,
  );
  const counter = { attempts: 0 };
  const plaintexts: Plaintext[] = [];
  try {
    for (const batch of batches(contents.items)) {
      plaintexts.push(...(await fetchBatch(options, deps, token, batch, deadlineAt, counter)));
    }
    report.attempts = counter.attempts;
    report.files = await writePlaintexts(options.outputDir, plaintexts, options.fileMode);
    report.written = plaintexts.map(({ configMap, key }) => ({ configMap, key }));
  } finally {
    for (const p of plaintexts) p.bytes.fill(0);
  }
  return report;
}

/** The message of a failure as printed: one line, whatever it came from. */
export function failureLine(err: ShroudError): string {
  return `${err.code}: ${oneLine(err.message, 1000)}`;
}
