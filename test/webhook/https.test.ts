import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { allowAllReviewer, noChangeMutator, type ReviewVerdict } from '../../src/admission/index.js';
import { writeCertFiles } from '../../src/tls/index.js';
import { DEFAULT_CERT_NAMES, generateCertBundle } from '../../src/tls/index.js';
import { startWebhookServer, type RunningWebhookServer } from '../../src/webhook/index.js';
import { httpsCall, peerCertificate } from '../helpers/https.js';
import { memoryLogger } from '../helpers/logs.js';
import { admissionReview, podWithCanary } from '../helpers/reviews.js';

async function waitFor(check: () => Promise<boolean>, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('the HTTPS listener', () => {
  let dir: string;
  let server: RunningWebhookServer;
  let ca: string;
  const logs = memoryLogger();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-https-'));
    await writeCertFiles(dir, generateCertBundle({ names: DEFAULT_CERT_NAMES, days: 30 }), { force: false });
    ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
    server = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      certDir: dir,
      reviewer: allowAllReviewer,
      mutator: noChangeMutator,
      logger: logs.logger,
      pollIntervalMs: 100,
    });
  });
  after(async () => {
    await server.shutdown(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  test('binds loopback on an ephemeral port', () => {
    assert.equal(server.host, '127.0.0.1');
    assert.ok(server.port > 0);
  });

  test('the private key is written 0600', () => {
    assert.equal(statSync(join(dir, 'tls.key')).mode & 0o777, 0o600);
  });

  for (const name of DEFAULT_CERT_NAMES) {
    test(`the served chain verifies against ca.crt for ${name}`, async () => {
      const r = await peerCertificate(server.port, ca, name);
      assert.equal(r.error, undefined);
      assert.ok(r.authorized);
    });
  }

  test('a name outside the certificate does not verify', async () => {
    const r = await peerCertificate(server.port, ca, 'evil.example.com');
    assert.equal(r.authorized, false);
  });

  test('TLS below 1.2 is refused', async () => {
    await assert.rejects(
      peerCertificate(server.port, ca, 'localhost', {
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT:@SECLEVEL=0',
      }),
    );
  });

  test('answers an AdmissionReview over TLS', async () => {
    const r = await httpsCall(server.port, ca, '/validate', { body: admissionReview(podWithCanary()) });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).response.allowed, true);
  });

  test('new certificates on disk are served without a restart and without dropping a kept-alive connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await httpsCall(server.port, ca, '/healthz', { agent });
      assert.equal(first.status, 200);
      const before = server.currentTls().fingerprint;
      // cert-manager rewrites the files in place; the new pair is signed by a new CA.
      const next = generateCertBundle({ names: DEFAULT_CERT_NAMES, days: 30 });
      await writeCertFiles(dir, next, { force: true });
      await waitFor(async () => server.currentTls().fingerprint !== before, 'the reload');
      const again = await httpsCall(server.port, ca, '/healthz', { agent });
      assert.equal(again.status, 200);
      assert.ok(again.reusedSocket, 'the old connection was kept');
      ca = next.caCert;
      const fresh = await peerCertificate(server.port, ca, 'localhost');
      assert.ok(fresh.authorized, 'new handshakes get the new certificate');
      assert.equal(fresh.cert.fingerprint256.replaceAll(':', '').toLowerCase(), server.currentTls().fingerprint);
    } finally {
      agent.destroy();
    }
  });

  test('a bad new pair is logged and the old one stays in use', async () => {
    const inUse = server.currentTls().fingerprint;
    const other = generateCertBundle({ names: ['localhost'], days: 30 });
    writeFileSync(join(dir, 'tls.key'), other.key, { mode: 0o600 }); // a key that does not match tls.crt
    assert.equal(await server.reloadTls(), false);
    assert.equal(server.currentTls().fingerprint, inUse);
    assert.ok(logs.lines().some((l) => l.msg === 'tls reload failed; keeping the previous certificate'));
    const r = await peerCertificate(server.port, ca, 'localhost');
    assert.ok(r.authorized);
    assert.ok(!logs.text().includes('PRIVATE KEY'), 'key material is never logged');
  });
});

describe('shutdown', () => {
  async function startWith(review: () => Promise<ReviewVerdict>) {
    const dir = mkdtempSync(join(tmpdir(), 'shroud-drain-'));
    await writeCertFiles(dir, generateCertBundle({ names: ['localhost'], days: 1 }), { force: false });
    const server = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      certDir: dir,
      reviewer: { review },
      mutator: noChangeMutator,
      logger: memoryLogger().logger,
    });
    return { server, dir, ca: readFileSync(join(dir, 'ca.crt'), 'utf8') };
  }

  test('finishes an in-flight review, refuses new connections, then closes', async () => {
    let release: (v: ReviewVerdict) => void = () => undefined;
    let started: () => void = () => undefined;
    const reviewStarted = new Promise<void>((r) => (started = r));
    const { server, dir, ca } = await startWith(
      () =>
        new Promise<ReviewVerdict>((r) => {
          release = r;
          started();
        }),
    );
    try {
      const inFlight = httpsCall(server.port, ca, '/validate', { body: admissionReview(podWithCanary()) });
      await reviewStarted;
      const closed = server.shutdown(5000);
      await assert.rejects(httpsCall(server.port, ca, '/healthz'), 'no new connections while draining');
      release({ allowed: true });
      const r = await inFlight;
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).response.allowed, true);
      await closed;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('after SIGTERM it keeps accepting for the delay, closes kept-alive connections gracefully, and drops nothing', async () => {
    const { server, dir, ca } = await startWith(async () => ({ allowed: true }));
    const body = admissionReview(podWithCanary());
    const results = { ok: 0, closedByServer: 0, dropped: [] as string[] };
    let stopping = false;
    // Ten kept-alive clients, as kube-apiserver keeps them, sending reviews back to back. Once
    // endpoints have moved (here: once the server said Connection: close during shutdown), a
    // client sends its next review to another pod. Bounded: at most 400 requests each.
    const client = async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; i < 400; i++) {
          try {
            const r = await httpsCall(server.port, ca, '/validate', { body, agent });
            assert.equal(r.status, 200);
            results.ok++;
            if (stopping && r.connection === 'close') {
              results.closedByServer++;
              return;
            }
          } catch (err) {
            results.dropped.push((err as NodeJS.ErrnoException).code ?? String(err));
            return;
          }
          await sleep(5);
        }
      } finally {
        agent.destroy();
      }
    };
    try {
      const clients = Array.from({ length: 10 }, client);
      await sleep(200);
      stopping = true;
      const closed = server.shutdown(3000, 500);
      await sleep(100);
      const ready = await httpsCall(server.port, ca, '/readyz');
      assert.equal(ready.status, 503, 'endpoints are told to move at once');
      assert.equal(JSON.parse(ready.body).checks.shutdown.state, 'shutting down');
      const late = await httpsCall(server.port, ca, '/validate', { body });
      assert.equal(late.status, 200, 'a new connection during the delay is still answered');
      await Promise.all(clients);
      await closed;
      assert.deepEqual(results.dropped, [], 'no request was reset or hung up');
      assert.equal(results.closedByServer, 10, 'every kept-alive connection was closed by an answer');
      await assert.rejects(httpsCall(server.port, ca, '/healthz'), 'after the delay the listener is closed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('gives up on a stuck review after the drain timeout', async () => {
    const { server, dir, ca } = await startWith(() => new Promise<ReviewVerdict>(() => undefined));
    try {
      const inFlight = httpsCall(server.port, ca, '/validate', { body: admissionReview(podWithCanary()) });
      await sleep(100);
      await server.shutdown(200);
      await assert.rejects(inFlight);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
