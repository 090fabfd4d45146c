/**
 * Fuzzing the webhook's HTTP surface in process: the real express app with the built-in
 * policies, served on 127.0.0.1, fed structure-aware mutations of realistic reviews, random
 * JSON and odd framing (test/helpers/admission-fuzz.ts). The contract every answer must keep:
 * - there is an answer (no hang, no dropped connection) and the process survives;
 * - the status is 200 (allowed, or denied with 403 in the body), 400, 413 or 415, never 500,
 *   and the body is JSON;
 * - when the body decodes as an AdmissionReview, the answer echoes its uid and apiVersion;
 * - no planted secret value appears in the answer or in any log line;
 * - the same input gets the same answer, and nothing a request does changes later answers.
 *
 * `npm test` runs 2,000 cases (4,000 requests). FUZZ_RUNS=50000 runs more, with strings up to
 * 2 MiB and nesting a million deep; FUZZ_SEED replays a run; FUZZ_COLLECT=1 keeps going after
 * a failure and prints every failing input grouped by problem, to find all classes at once.
 *
 *   FUZZ_RUNS=50000 FUZZ_COLLECT=1 node --import tsx --test test/webhook/fuzz.property.test.ts
 */
import { strict as assert } from 'node:assert';
import { createServer, Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { noChangeMutator } from '../../src/admission/index.js';
import { createLogger } from '../../src/log/logger.js';
import { createPolicyReviewer, loadPolicyDir, valueOrThrow } from '../../src/policy/index.js';
import { createWebhookApp } from '../../src/webhook/index.js';
import {
  expectedEcho,
  type FuzzCase,
  fuzzCases,
  renderJson,
  SECRET_VALUES,
  SEED_NAMES,
  SEEDS,
} from '../helpers/admission-fuzz.js';

const LONG_RUNS = Number(process.env.FUZZ_RUNS ?? 0);
const RUNS = LONG_RUNS > 0 ? LONG_RUNS : 2000;
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const COLLECT = process.env.FUZZ_COLLECT === '1';
/** Longer than any honest review takes here; a request without an answer by then has hung. */
const ANSWER_TIMEOUT_MS = 20_000;

interface Answer {
  status: number;
  contentType: string;
  requestId: string;
  text: string;
}

let server: Server;
let port: number;
// A fresh connection per request: a reused keep-alive socket can race the server's idle close
// and reset, which would read as a dropped request.
const agent = new Agent({ keepAlive: false, maxSockets: 1 });
const logChunks: string[] = [];

function send(c: FuzzCase): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: c.endpoint,
        agent,
        headers: { ...c.headers, 'content-length': String(c.body.length) },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            requestId: String(res.headers['x-request-id'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)));
    // A server that answers 413 before reading the body may reset while we still write: the
    // answer counts, the write error does not.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(c.body);
  });
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Everything wrong with one answer; empty when it keeps the contract. */
function problemsOf(c: FuzzCase, answer: Answer, logs: string): string[] {
  const problems: string[] = [];
  if (!c.allowed.includes(answer.status)) problems.push(`status ${answer.status} (expected ${c.allowed.join(' or ')})`);
  const body = parse(answer.text);
  if (!/^application\/json/.test(answer.contentType) || body === undefined)
    problems.push('answer is not a JSON object');
  for (const secret of SECRET_VALUES) {
    if (answer.text.includes(secret)) problems.push(`planted secret ${secret.slice(0, 12)}… in the answer`);
    if (logs.includes(secret)) problems.push(`planted secret ${secret.slice(0, 12)}… in the log`);
  }
  if (body === undefined) return problems;
  const response = body.response as Record<string, unknown> | undefined;
  const status = response?.status as { code?: unknown } | undefined;
  if (answer.status === 200) {
    if (body.kind !== 'AdmissionReview' || typeof response?.allowed !== 'boolean')
      problems.push('200 without an AdmissionReview answer');
    else if (response.allowed === false && status?.code !== 403)
      problems.push(`denied with status.code ${String(status?.code)} in a 200`);
  } else {
    const error = body.error as { code?: unknown; message?: unknown } | undefined;
    if (typeof error?.code !== 'string' || typeof error.message !== 'string')
      problems.push('error without code and message');
  }
  const echo = answer.status === 200 || answer.status === 400 ? expectedEcho(c.text) : undefined;
  if (echo !== undefined) {
    if (response?.uid !== echo.uid) problems.push('uid not echoed');
    if (body.apiVersion !== echo.apiVersion) problems.push('apiVersion not echoed');
  }
  return problems;
}

/** The answer without what legitimately differs per request (the request id). */
function normalised(answer: Answer): string {
  const text = answer.requestId === '' ? answer.text : answer.text.split(answer.requestId).join('<request id>');
  return `${answer.status} ${text}`;
}

/** A seed review as it is: every seed is a well-formed review, so only 200 is right. */
function seedCase(name: string): FuzzCase {
  const text = renderJson(SEEDS[name]!());
  return {
    family: 'seed',
    label: name,
    endpoint: '/validate',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(text),
    text,
    allowed: [200],
    [fc.toStringMethod]: () => name,
  };
}

const prototypeNames = (): string => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

describe('fuzzing /validate and /mutate with the built-in policies', () => {
  const pristinePrototype = prototypeNames();
  const seedAnswers: Map<string, string> = new Map();

  before(async () => {
    const set = valueOrThrow(await loadPolicyDir(fileURLToPath(new URL('../../policies', import.meta.url))));
    const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void logChunks.push(s) } });
    const app = createWebhookApp({
      reviewer: createPolicyReviewer(() => set),
      mutator: noChangeMutator,
      logger,
      readiness: () => ({ ready: true, checks: {} }),
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    agent.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('the seeds themselves keep the contract, and are decided both ways', async () => {
    const verdicts = new Set<string>();
    for (const name of SEED_NAMES) {
      const c = seedCase(name);
      logChunks.length = 0;
      const answer = await send(c);
      assert.deepEqual(problemsOf(c, answer, logChunks.join('')), [], name);
      seedAnswers.set(name, normalised(answer));
      verdicts.add(String((parse(answer.text)?.response as { allowed?: boolean } | undefined)?.allowed));
    }
    // A fuzz target that allows everything would keep the contract trivially.
    assert.deepEqual([...verdicts].sort(), ['false', 'true']);
  });

  test(`${RUNS} fuzzed requests each get a correct, deterministic answer`, async () => {
    const failures = new Map<string, string[]>();
    const options = LONG_RUNS > 0 ? { maxHuge: 2 * 1024 * 1024, maxDepth: 1_000_000 } : {};
    await fc.assert(
      fc.asyncProperty(fuzzCases(options), async (c) => {
        const problems: string[] = [];
        const answers: Answer[] = [];
        for (let i = 0; i < 2; i++) {
          logChunks.length = 0;
          try {
            const answer = await send(c);
            answers.push(answer);
            problems.push(...problemsOf(c, answer, logChunks.join('')));
          } catch (err) {
            problems.push(`no answer: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
          }
        }
        if (answers.length === 2 && normalised(answers[0]!) !== normalised(answers[1]!))
          problems.push('a second identical request got another answer');
        if (prototypeNames() !== pristinePrototype || 'polluted' in {}) problems.push('Object.prototype changed');
        const unique = [...new Set(problems)];
        if (COLLECT) {
          for (const p of unique) failures.set(p, [...(failures.get(p) ?? []), c.label]);
          return true;
        }
        assert.deepEqual(unique, [], c.label);
        return true;
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: false },
    );
    if (COLLECT && failures.size > 0) {
      const report = [...failures]
        .map(
          ([p, labels]) =>
            `${p}: ${labels.length} case(s)\n${labels
              .slice(0, 8)
              .map((l) => `    ${l}`)
              .join('\n')}`,
        )
        .join('\n');
      assert.fail(`fuzzing found problems:\n${report}`);
    }
  });

  test('after the fuzzing, the seeds get the answers they got before', async () => {
    for (const name of SEED_NAMES) {
      const answer = await send(seedCase(name));
      assert.equal(normalised(answer), seedAnswers.get(name), name);
    }
  });
});
