import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { allowAllReviewer, noChangeMutator } from '../../src/admission/index.js';
import { generateCertBundle, writeCertFiles } from '../../src/tls/index.js';
import { type RunningWebhookServer, startWebhookServer } from '../../src/webhook/index.js';
import { httpsCall, peerCertificate } from '../helpers/https.js';
import { memoryLogger } from '../helpers/logs.js';
import { admissionReview, podWithCanary } from '../helpers/reviews.js';

/** Resolves when the socket is closed by the other side (or errors), with what ended it. */
function closed(socket: Socket): Promise<string> {
  socket.resume(); // read (and drop) whatever the server says last, such as a 408, so 'close' can come
  return new Promise((resolve) => {
    socket.once('error', (err) => resolve(`error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    socket.once('close', () => resolve('close'));
  });
}

function handshake(port: number, ca: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function startServer(dir: string, extra: Partial<Parameters<typeof startWebhookServer>[0]> = {}) {
  const logs = memoryLogger();
  const server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    certDir: dir,
    reviewer: allowAllReviewer,
    mutator: noChangeMutator,
    logger: logs.logger,
    pollIntervalMs: 60_000,
    ...extra,
  });
  return { server, logs };
}

describe('TLS 1.2 is limited to forward-secret AEAD suites', () => {
  let dir: string;
  let server: RunningWebhookServer;
  let ca: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-ciphers-'));
    const bundle = generateCertBundle({ names: ['localhost'], days: 1 });
    await writeCertFiles(dir, bundle, { force: false });
    ca = bundle.caCert;
    ({ server } = await startServer(dir));
  });
  after(async () => {
    await server.shutdown(100);
    rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    { name: 'ECDHE with AES-GCM', cipher: 'ECDHE-RSA-AES128-GCM-SHA256', accepted: true },
    { name: 'ECDHE with AES-256-GCM', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', accepted: true },
    { name: 'ECDHE with ChaCha20-Poly1305', cipher: 'ECDHE-RSA-CHACHA20-POLY1305', accepted: true },
    { name: 'static RSA key exchange (no forward secrecy)', cipher: 'AES128-GCM-SHA256', accepted: false },
    { name: 'CBC with SHA-1', cipher: 'ECDHE-RSA-AES128-SHA', accepted: false },
    { name: 'CBC with SHA-256', cipher: 'ECDHE-RSA-AES128-SHA256', accepted: false },
    { name: 'CCM-8', cipher: 'AES128-CCM8', accepted: false },
  ];
  for (const c of cases) {
    test(`${c.name}: ${c.accepted ? 'accepted' : 'refused'}`, async () => {
      const attempt = peerCertificate(server.port, ca, 'localhost', {
        maxVersion: 'TLSv1.2',
        ciphers: `${c.cipher}:@SECLEVEL=0`,
      });
      if (c.accepted) assert.equal((await attempt).protocol, 'TLSv1.2');
      else await assert.rejects(attempt);
    });
  }
  test('TLS 1.3 is served', async () => {
    assert.equal((await peerCertificate(server.port, ca, 'localhost')).protocol, 'TLSv1.3');
  });
});

describe('connection bounds', () => {
  let dir: string;
  let ca: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-limits-'));
    const bundle = generateCertBundle({ names: ['localhost'], days: 1 });
    await writeCertFiles(dir, bundle, { force: false });
    ca = bundle.caCert;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('connections past maxConnections are closed at once and the server keeps answering', async () => {
    const { server, logs } = await startServer(dir, { limits: { maxConnections: 4 } });
    const held: TLSSocket[] = [];
    try {
      for (let i = 0; i < 4; i++) held.push(await handshake(server.port, ca));
      const extra = tcpConnect(server.port, '127.0.0.1');
      assert.match(await closed(extra), /close|ECONNRESET/);
      assert.ok(logs.lines().some((l) => l.msg === 'connection limit reached; new connections closed'));
      held.pop()?.destroy();
      // Once a slot is free again, a real client gets through.
      let answer: Awaited<ReturnType<typeof httpsCall>> | undefined;
      for (let i = 0; i < 50 && answer === undefined; i++) {
        answer = await httpsCall(server.port, ca, '/healthz').catch(() => undefined);
        if (answer === undefined) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(answer?.status, 200);
    } finally {
      for (const s of held) s.destroy();
      await server.shutdown(100);
    }
  });

  test('a client that never finishes the TLS handshake is disconnected after handshakeTimeoutMs', async () => {
    const { server } = await startServer(dir, { limits: { handshakeTimeoutMs: 200 } });
    try {
      const silent = tcpConnect(server.port, '127.0.0.1');
      assert.match(await closed(silent), /close|ECONNRESET/);
    } finally {
      await server.shutdown(100);
    }
  });

  test('a client that handshakes and never sends a byte is disconnected after headersTimeoutMs', async () => {
    const { server } = await startServer(dir, { limits: { headersTimeoutMs: 300 } });
    try {
      const silent = await handshake(server.port, ca);
      assert.match(await closed(silent), /close|ECONNRESET/);
    } finally {
      await server.shutdown(100);
    }
  });

  test('a kept-alive connection outlives headersTimeoutMs between requests (keepAliveTimeoutMs governs it)', async () => {
    const { server } = await startServer(dir, { limits: { headersTimeoutMs: 300, keepAliveTimeoutMs: 5_000 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await httpsCall(server.port, ca, '/healthz', { agent })).status, 200);
      await new Promise((r) => setTimeout(r, 700));
      const again = await httpsCall(server.port, ca, '/healthz', { agent });
      assert.equal(again.status, 200);
      assert.ok(again.reusedSocket, 'the same connection served both');
    } finally {
      agent.destroy();
      await server.shutdown(100);
    }
  });

  test('a client that starts a request and never finishes its headers is disconnected after headersTimeoutMs', async () => {
    const { server } = await startServer(dir, { limits: { headersTimeoutMs: 300, requestTimeoutMs: 300 } });
    try {
      const idle = await handshake(server.port, ca);
      idle.write('POST /validate HTTP/1.1\r\nHost: x\r\n'); // headers never finish
      assert.match(await closed(idle), /close|ECONNRESET/);
    } finally {
      await server.shutdown(100);
    }
  });
});

describe('client certificates (only kube-apiserver may call)', () => {
  let dir: string;
  let server: RunningWebhookServer;
  let ca: string;
  const apiserver = generateCertBundle({ names: ['kube-apiserver'], days: 1, usage: 'client' });
  const stranger = generateCertBundle({ names: ['kube-apiserver'], days: 1, usage: 'client' });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-mtls-'));
    const bundle = generateCertBundle({ names: ['localhost'], days: 1 });
    await writeCertFiles(dir, bundle, { force: false });
    ca = bundle.caCert;
    writeFileSync(join(dir, 'client-ca.crt'), apiserver.caCert);
    ({ server } = await startServer(dir, { clientCaFile: join(dir, 'client-ca.crt') }));
  });
  after(async () => {
    await server.shutdown(100);
    rmSync(dir, { recursive: true, force: true });
  });

  const body = admissionReview(podWithCanary());
  test('a caller with a certificate from the client CA is answered', async () => {
    const r = await httpsCall(server.port, ca, '/validate', { body, cert: apiserver.cert, key: apiserver.key });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).response.allowed, true);
  });
  for (const [name, client] of [
    ['no certificate', {}],
    ['a certificate from another CA', { cert: stranger.cert, key: stranger.key }],
  ] as const) {
    for (const path of ['/validate', '/mutate']) {
      test(`${name} on ${path} is a 401 with a JSON reason`, async () => {
        const r = await httpsCall(server.port, ca, path, { body, ...client });
        assert.equal(r.status, 401);
        assert.equal(JSON.parse(r.body).error.code, 'ADMISSION_CLIENT_UNAUTHORIZED');
      });
    }
  }
  test('a new client CA on disk is applied without a restart', async () => {
    writeFileSync(join(dir, 'client-ca.crt'), stranger.caCert);
    assert.equal(await server.reloadTls(), true);
    // Fresh agents: a kept-alive connection or a resumed TLS session keeps its old verification.
    const fresh = () => new Agent({ keepAlive: false, maxCachedSessions: 0 });
    const now = await httpsCall(server.port, ca, '/validate', {
      body,
      cert: stranger.cert,
      key: stranger.key,
      agent: fresh(),
    });
    assert.equal(now.status, 200, 'the new CA is trusted');
    const old = await httpsCall(server.port, ca, '/validate', {
      body,
      cert: apiserver.cert,
      key: apiserver.key,
      agent: fresh(),
    });
    assert.equal(old.status, 401, 'the old CA is not');
    writeFileSync(join(dir, 'client-ca.crt'), apiserver.caCert);
    assert.equal(await server.reloadTls(), true);
  });
  test('health endpoints stay open for kubelet probes, which present no certificate', async () => {
    assert.equal((await httpsCall(server.port, ca, '/healthz')).status, 200);
    const ready = await httpsCall(server.port, ca, '/readyz');
    assert.equal(JSON.parse(ready.body).checks.tls.clientCertificates, 'required on admission endpoints');
  });
});
