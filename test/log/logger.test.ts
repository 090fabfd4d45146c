import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ShroudError } from '../../src/errors.js';
import { memoryLogger } from '../helpers/logs.js';
import { CANARY } from '../helpers/reviews.js';

test('redaction blanks object contents, data, tokens and passwords that reach a log call by mistake', () => {
  const logs = memoryLogger();
  logs.logger.info(
    { object: { spec: CANARY }, data: { k: CANARY }, binaryData: { k: CANARY }, token: CANARY, password: CANARY },
    'oops',
  );
  logs.logger.info({ request: { object: { v: CANARY }, uid: 'u1' } }, 'oops again');
  logs.logger.info({ headers: { authorization: `Bearer ${CANARY}` } }, 'headers');
  assert.ok(!logs.text().includes(CANARY));
  const [first, second] = logs.lines();
  assert.equal(first?.data, '[redacted]');
  assert.equal((second!.request as { uid: string }).uid, 'u1', 'the rest of the line is kept');
});

test('errors are logged by code and message; Shroud errors carry no stack', () => {
  const logs = memoryLogger();
  logs.logger.error({ err: new ShroudError('CONFIG_INVALID', 'bad --listen') }, 'failed');
  logs.logger.error({ err: new TypeError('bug') }, 'failed');
  const [ours, bug] = logs.lines();
  assert.deepEqual(ours?.err, { type: 'ShroudError', code: 'CONFIG_INVALID', message: 'bad --listen' });
  assert.equal((bug!.err as { message: string }).message, 'bug');
  assert.equal(typeof (bug!.err as { stack: string }).stack, 'string');
});
