import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeReview, parseJsonBody } from '../../src/admission/index.js';
import { isShroudError } from '../../src/errors.js';

const CANARY = 'CANARY-zz91-secret';

test('any JSON value either decodes or fails with a typed error that never echoes a value', () => {
  const withCanary = fc.oneof(fc.jsonValue(), fc.constant(CANARY));
  const reviewish = fc.record(
    {
      apiVersion: fc.oneof(fc.constant('admission.k8s.io/v1'), fc.constant('admission.k8s.io/v1beta1'), withCanary),
      kind: fc.oneof(fc.constant('AdmissionReview'), withCanary),
      request: fc.oneof(
        withCanary,
        fc.record(
          {
            uid: fc.oneof(fc.string(), withCanary),
            kind: fc.oneof(fc.constant({ group: '', version: 'v1', kind: 'Pod' }), withCanary),
            resource: fc.oneof(fc.constant({ group: '', version: 'v1', resource: 'pods' }), withCanary),
            operation: fc.oneof(fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT'), withCanary),
            object: withCanary,
            oldObject: withCanary,
            name: withCanary,
            namespace: withCanary,
            userInfo: withCanary,
            dryRun: withCanary,
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), reviewish), (body) => {
      try {
        const decoded = decodeReview(body);
        assert.equal(typeof decoded.request.uid, 'string');
      } catch (err) {
        assert.ok(isShroudError(err, 'ADMISSION_REVIEW_INVALID'), String(err));
        assert.ok(!err.message.includes(CANARY), err.message);
      }
    }),
    { numRuns: 3000 },
  );
});

test('any text either parses or fails with ADMISSION_BODY_INVALID_JSON without quoting it', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (a, b) => {
      const text = `${a}${CANARY}${b}`;
      try {
        parseJsonBody(text);
      } catch (err) {
        assert.ok(isShroudError(err, 'ADMISSION_BODY_INVALID_JSON'));
        assert.ok(!err.message.includes(CANARY));
      }
    }),
    { numRuns: 2000 },
  );
});
