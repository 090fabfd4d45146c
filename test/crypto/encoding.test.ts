import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { isShroudError } from '../../src/errors.js';
import { decodeBase64url } from '../../src/crypto/encoding.js';

/** The definition decodeBase64url must implement: RFC 4648 §5 alphabet, canonical, unpadded. */
function canonical(text: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return false;
  return Buffer.from(text, 'base64url').toString('base64url') === text;
}

function accepts(text: string): boolean {
  try {
    decodeBase64url(text, 'CRYPTO_MALFORMED', 'test');
    return true;
  } catch (err) {
    assert.ok(isShroudError(err, 'CRYPTO_MALFORMED'));
    return false;
  }
}

test('decodeBase64url agrees with the definition for every UTF-16 code unit at the start, middle and end', () => {
  const base = Buffer.from('a 64-byte-ish sample of bytes for the strict decoder test!!').toString('base64url');
  for (let c = 0; c < 0x10000; c++) {
    for (const at of [0, 17, base.length - 2, base.length - 1]) {
      const text = base.slice(0, at) + String.fromCharCode(c) + base.slice(at + 1);
      if (accepts(text) !== canonical(text)) assert.fail(`disagrees on code unit ${c} at ${at}`);
    }
  }
});

test('property: decodeBase64url accepts exactly the canonical texts and returns their bytes', () => {
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.constantFrom(
          ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= \n\u00e9\u2603'.split(''),
        ),
        maxLength: 40,
      }),
      (text) => {
        assert.equal(accepts(text), canonical(text));
        if (canonical(text)) assert.equal(decodeBase64url(text, 'CRYPTO_MALFORMED', 't').toString('base64url'), text);
      },
    ),
    { numRuns: 2000 },
  );
});
