import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isPublicKeyUrl, publicKeyUrl } from '../../src/unseal/client/index.js';
import { throwsWithCode } from '../helpers/crypto.js';

const urls: { given: string; fetched: string }[] = [
  { given: 'https://shroud-unseal.shroud.svc:8443', fetched: 'https://shroud-unseal.shroud.svc:8443/v1/public-key' },
  { given: 'https://unseal.example/', fetched: 'https://unseal.example/v1/public-key' },
  { given: 'https://gw.example/shroud/', fetched: 'https://gw.example/shroud/v1/public-key' },
  { given: 'https://unseal.example/v1/public-key', fetched: 'https://unseal.example/v1/public-key' },
];

for (const u of urls) {
  test(`--public-key ${u.given} fetches ${u.fetched}`, () => {
    assert.ok(isPublicKeyUrl(u.given));
    assert.equal(publicKeyUrl(u.given).href, u.fetched);
  });
}

test('a file name is not a URL, and a URL that is not plain https is refused', () => {
  assert.equal(isPublicKeyUrl('shroud-public-key.json'), false);
  for (const bad of [
    'http://unseal.example',
    'https://user:pw@unseal.example',
    'https://unseal.example/?k=1',
    'https://unseal.example/#x',
    'https://',
  ]) {
    throwsWithCode(() => publicKeyUrl(bad), 'CONFIG_INVALID');
  }
});
