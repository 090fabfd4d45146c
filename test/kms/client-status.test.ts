import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { openValue, parseEnvelope, rewrapValue, sealValue } from '../../src/crypto/index.js';
import { formatKmsStatusReport, KmsV2Provider, kmsKeyTag, kmsStatusReport } from '../../src/kms/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { FakeKmsPlugin } from './fake-kms-plugin.js';

const plugin = new FakeKmsPlugin(tempDir('kms-'));
const provider = new KmsV2Provider({ socket: plugin.socket, poll: false, now: () => Date.UTC(2026, 10, 30) });
after(() => {
  provider.close();
  plugin.stop();
});

const seal = (text: string) => sealValue(text, { scope: 'cluster', context: {}, provider });

test('after a rotation, keys rewrap moves a value to the current key_id, and status shows what is stale', async () => {
  await plugin.start();
  const before = await kmsStatusReport(provider);
  assert.equal(before.healthy, true);
  assert.equal(before.currentKeyId, 'key-1');
  const old = await seal('rotate me');
  plugin.rotate();
  await provider.poll();
  assert.equal((await openValue(old, { provider, expected: {} })).plaintext.toString(), 'rotate me');

  const report = await kmsStatusReport(provider);
  assert.deepEqual(report, {
    provider: 'kms',
    socket: plugin.socket,
    healthy: true,
    currentKeyId: 'key-2',
    staleUnwraps: 1,
    keyIdChanges: 1,
    keyIds: [
      {
        keyId: 'key-1',
        keyTag: kmsKeyTag('key-1'),
        state: 'older',
        firstSeen: '2026-11-30T00:00:00.000Z',
        staleUnwraps: 1,
      },
      {
        keyId: 'key-2',
        keyTag: kmsKeyTag('key-2'),
        state: 'current',
        firstSeen: '2026-11-30T00:00:00.000Z',
        staleUnwraps: 0,
      },
    ],
  });
  const text = formatKmsStatusReport(report);
  assert.match(text, /healthy/);
  assert.match(text, /current key_id: key-2/);
  assert.match(text, /run `shroud keys rewrap`/);

  const moved = await rewrapValue(old, { provider });
  assert.equal(moved.changed, true);
  assert.equal(moved.from.keyId, 'key-1');
  assert.equal(moved.to.keyId, 'key-2');
  assert.equal(provider.isCurrent(parseEnvelope(moved.value).key), true);
  assert.equal((await openValue(moved.value, { provider, expected: {} })).plaintext.toString(), 'rotate me');
  const again = await rewrapValue(moved.value, { provider });
  assert.equal(again.changed, false, 'a value under the current key_id is left as it is');
});

test('the report of a plugin that is down says so and keeps the last key_id', async () => {
  plugin.stop();
  await provider.poll();
  const report = await kmsStatusReport(provider);
  assert.equal(report.healthy, false);
  assert.equal(report.currentKeyId, 'key-2');
  assert.match(formatKmsStatusReport(report), /UNHEALTHY: .*UNAVAILABLE/);
});
