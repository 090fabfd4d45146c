import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BUILTIN_FORMATS, MAX_FINDINGS_PER_DETECTOR, scanEntry } from '../../src/detect/index.js';
import { base62, crc32, verifyCrc32Base62 } from '../../src/detect/formats/checksum.js';
import { checkFormat, partLengths } from '../../src/detect/formats/parts.js';
import { FormatIndex } from '../../src/detect/formats/scan.js';
import { providerTokenDetector, providerTokenWeakDetector } from '../../src/detect/tokens.js';
import { CASES } from './corpus/formats.js';
import { formatTable } from './format-table.js';
import { base62 as randomBase62 } from './fixtures.js';
import { BASE62, BASE64, HEX, Synthetic } from './synthetic.js';

const BY_ID = new Map(BUILTIN_FORMATS.map((f) => [f.id, f]));
const PROVIDER_DETECTORS = new Set(['provider-token', 'provider-token-weak']);
const NAMES = [...PROVIDER_DETECTORS];

test('the format table: unique ids, a source for every entry, well over a hundred providers', () => {
  assert.equal(BY_ID.size, BUILTIN_FORMATS.length, 'ids are unique');
  const providers = new Set(BUILTIN_FORMATS.map((f) => f.provider));
  assert.ok(providers.size >= 150, `${providers.size} providers`);
  for (const f of BUILTIN_FORMATS) {
    assert.match(f.source, /^https:\/\/[a-z0-9.-]+\.[a-z]+\//, f.id);
    assert.equal(checkFormat(f), undefined, f.id);
    assert.ok(f.what.length > 2 && f.what === f.what.trim(), f.id);
  }
});

test('the tier rule holds on the data: high needs a checksum, a distinctive anchor with a fixed shape, or a key hint', () => {
  for (const f of BUILTIN_FORMATS) {
    if (f.tier !== 'high') continue;
    if (f.checksum !== undefined) continue;
    if (f.keyed === true) {
      assert.ok((f.hints ?? []).length > 0, f.id);
      continue;
    }
    const { min, max } = partLengths(f.body);
    const separators = f.body.filter((p) => typeof p === 'string').length;
    const shortest = Math.min(...f.prefixes.map((p) => p.length));
    // An anchor of 4+ characters, or a 2-3 character one with inner separators or a head.
    assert.ok(
      shortest >= 4 || separators > 0 || f.head !== undefined || max === min || min >= 100,
      `${f.id}: anchor too weak for high`,
    );
    assert.ok(max >= 16 || f.head !== undefined, `${f.id}: too short for high`);
  }
});

test('CRC-32 and GitHub checksums', async (t) => {
  await t.test('CRC-32 check value', () => assert.equal(crc32('123456789'), 0xcbf43926));
  await t.test('base62 pads to six', () => {
    assert.equal(base62(0, 6), '000000');
    assert.equal(base62(61, 6), '00000z');
    assert.equal(base62(0xffffffff, 6), '4gfFC3');
  });
  const body = 'Zq7WvK2nB5xR9mT4pL8cD3fH6jN1sY';
  const token = `${body}${base62(crc32(body), 6)}`;
  await t.test('a body with its checksum verifies', () => assert.ok(verifyCrc32Base62(token, 0, token.length)));
  await t.test('one changed character does not', () =>
    assert.ok(!verifyCrc32Base62(`${token.slice(0, 5)}A${token.slice(6)}`, 0, token.length)),
  );
  await t.test('a changed checksum does not', () =>
    assert.ok(!verifyCrc32Base62(`${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`, 0, token.length)),
  );
});

const goodCases = CASES.filter((c) => c.secret);
const lookAlikes = CASES.filter((c) => !c.secret);

test('the corpus has a credential for every format of the table', () => {
  const covered = new Set(goodCases.map((c) => c.name));
  assert.deepEqual(
    BUILTIN_FORMATS.map((f) => f.id).filter((id) => !covered.has(id)),
    [],
  );
});

test('every format finds its corpus credential, at its tier, under its key', async (t) => {
  for (const c of goodCases) {
    await t.test(c.name, () => {
      const f = BY_ID.get(c.name)!;
      const findings = scanEntry(c.key, c.value, NAMES);
      assert.equal(findings.length, 1, JSON.stringify(findings));
      const finding = findings[0]!;
      assert.equal(finding.confidence, f.tier);
      assert.match(finding.description, new RegExp(`^${f.provider.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
    });
  }
});

test('prefixed formats are found under a neutral key and inside a config file; keyed ones only under their key', async (t) => {
  for (const c of goodCases) {
    const f = BY_ID.get(c.name)!;
    if (c.value.includes('\n')) continue;
    await t.test(c.name, () => {
      const neutral = scanEntry('data', c.value, NAMES);
      assert.equal(neutral.length, f.keyed === true ? 0 : 1);
      const file = `# settings\nmode: prod\n${c.key}: "${c.value}"\nretries: 3\n`;
      const inFile = scanEntry('app.yaml', file, NAMES);
      assert.deepEqual(
        inFile.map((x) => x.line),
        [3],
      );
    });
  }
});

test('keyed formats are found under names whose last word is `pat` or `auth`, as under `…_KEY`', async (t) => {
  const ado = CASES.find((c) => c.name === 'azure-devops-pat-legacy');
  assert.ok(ado !== undefined && !ado.value.includes('\n'));
  for (const key of ['AZURE_DEVOPS_PAT', 'ado_pat', 'AZDO_AUTH', 'AZURE_DEVOPS_KEY']) {
    await t.test(key, () => {
      const alone = scanEntry(key, ado.value, NAMES);
      assert.deepEqual(
        alone.map((f) => f.detector),
        ['provider-token'],
      );
      const inFile = scanEntry('app.env', `MODE=prod\n${key}=${ado.value}\n`, NAMES);
      assert.deepEqual(
        inFile.map((f) => f.line),
        [2],
      );
    });
  }
});

test('look-alikes: no provider format reports them, and nothing denies them under a neutral key', async (t) => {
  for (const c of lookAlikes) {
    await t.test(c.name, () => {
      assert.deepEqual(scanEntry(c.key, c.value, NAMES), []);
      const denied = scanEntry('data', c.value).filter((x) => x.confidence === 'high');
      assert.deepEqual(denied, []);
    });
  }
});

test('scanning rules', async (t) => {
  const gh = CASES.find((c) => c.name === 'github-pat-classic')!.value;
  const sg = CASES.find((c) => c.name === 'sendgrid-api-key')!.value;
  const mc = CASES.find((c) => c.name === 'mailchimp-api-key')!.value;
  const cases: Array<{ name: string; value: string; found: number }> = [
    { name: 'a token glued to a word is not one', value: `x${gh}`, found: 0 },
    { name: 'a piece of a base64 blob between two + is not one', value: `Zm9v+${gh}+YmFy`, found: 0 },
    { name: 'a token continued by more of its alphabet is not one', value: `${gh}Q`, found: 0 },
    { name: 'a token followed by punctuation is', value: `token=${gh}.`, found: 1 },
    { name: 'a token in a URL', value: `https://x-access-token:${gh}@github.com/o/r.git`, found: 1 },
    { name: 'two tokens', value: `${gh} ${sg}`, found: 2 },
    { name: 'an infix anchor needs its whole head', value: mc.slice(1), found: 0 },
    { name: 'an infix anchor with a longer head is not one', value: `a${mc}`, found: 0 },
    {
      name: 'the same token many times is reported up to the bound',
      value: `${gh}\n`.repeat(40),
      found: MAX_FINDINGS_PER_DETECTOR,
    },
  ];
  for (const c of cases)
    await t.test(c.name, () => assert.equal(providerTokenDetector.scan('k', c.value).length, c.found));
  await t.test('multi-line values carry the line', () =>
    assert.deepEqual(
      providerTokenDetector.scan('k', `a\nb\nx ${sg}\n`).map((f) => f.line),
      [3],
    ),
  );
  await t.test('findings never contain the value', () => {
    const text = JSON.stringify([...providerTokenDetector.scan('k', gh), ...providerTokenWeakDetector.scan('k', gh)]);
    assert.ok(!text.includes(gh.slice(4, 14)), text);
  });
});

test('hostile values stay bounded (the walk budget), and still find a token at the start', () => {
  const gh = CASES.find((c) => c.name === 'github-pat-classic')!.value;
  const hostile = `${gh} ${'-ops_eyJ'.repeat(20_000)}`;
  const index = new FormatIndex(BUILTIN_FORMATS);
  const found = index.scan('k', hostile, 32);
  assert.equal(found[0]?.format.id, 'github-pat-classic');
});

test('README: the format table lists every format with its tier (generated from the data)', () => {
  const readme = readFileSync('README.md', 'utf8');
  const begin = '<!-- formats:begin (generated by test/detect/format-table.ts) -->\n';
  const end = '<!-- formats:end -->';
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  assert.ok(from !== -1 && to > from, 'README has the format table markers');
  assert.equal(
    readme.slice(from + begin.length, to),
    formatTable(),
    'regenerate with: npx tsx test/detect/format-table.ts',
  );
});

test('Honeycomb key IDs take any letter in hc[x]ik_ / hc[x]mk_, as documented', async (t) => {
  const id = randomBase62(26, 71);
  const secret = randomBase62(32, 72);
  const cases: Array<{ name: string; key: string; value: string; format: string | undefined }> = [
    { name: 'ingest key, letter q', key: 'data', value: `hcqik_${id}${secret}`, format: 'honeycomb-ingest-key' },
    { name: 'ingest key, letter x', key: 'data', value: `hcxik_${id}${secret}`, format: 'honeycomb-ingest-key' },
    { name: 'management key', key: 'data', value: `hcbmk_${id}:${secret}`, format: 'honeycomb-management-key' },
    { name: 'management key ID alone is no secret', key: 'data', value: `hcbmk_${id}`, format: undefined },
    { name: 'capital letter is not a key ID', key: 'data', value: `hcQik_${id}${secret}`, format: undefined },
  ];
  for (const c of cases)
    await t.test(c.name, () => {
      const found = scanEntry(c.key, c.value, ['provider-token', 'provider-token-weak']);
      const ids = found.map((f) => f.description);
      if (c.format === undefined) assert.deepEqual(ids, []);
      else assert.deepEqual(ids, [describeFormat(c.format)]);
    });
});

/** The finding description of a built-in format, by id (as tokens.ts words it). */
function describeFormat(id: string): string {
  const f = BY_ID.get(id)!;
  return `${f.provider} ${f.what}`;
}

/**
 * Entries re-checked against their providers' documentation (issue 16): each documented shape is
 * found, and a near miss of it (wrong length, wrong alphabet, signature moved, placeholder) is not.
 * Values are synthetic, drawn from the documented shape.
 */
test('re-checked shapes: the documented form matches, its near misses do not', async (t) => {
  const g = new Synthetic('formats-recheck');
  const B62 = BASE62;
  const LB32 = 'abcdefghijklmnopqrstuvwxyz234567';
  const B64URL = `${BASE62}-_`;
  const ENTRA = `${BASE62}_~.-`;
  const uuid = (): string =>
    [g.string(HEX, 8), g.string(HEX, 4), `4${g.string(HEX, 3)}`, `a${g.string(HEX, 3)}`, g.string(HEX, 12)].join('-');
  /** Base64 that surely holds `+` and `/` (Sentry's standard alphabet). */
  const b64 = (n: number): string => `+/${g.string(BASE64, n - 2)}`;
  const payload = Buffer.from(JSON.stringify({ iat: 1764460800.5, url: 'https://sentry.io', org: 'shop' })).toString(
    'base64',
  );
  const heroku = uuid();
  const ado = g.string(B62, 76);
  const tsId = `k${g.string(B62, 11)}CNTRL`;
  const tsSecret = g.string(B62, 32);
  const cases: Array<{ name: string; key: string; value: string; format: string | undefined }> = [
    // Heroku: HRKU- and the UUID the token was before; HRKU-AA and 58 URL-safe base64 characters.
    { name: 'Heroku HRKU- UUID', key: 'data', value: `HRKU-${heroku}`, format: 'heroku-platform-token' },
    { name: 'Heroku HRKU- UUID, upper case', key: 'data', value: `HRKU-${heroku.toUpperCase()}`, format: undefined },
    { name: 'Heroku HRKU- UUID, one short', key: 'data', value: `HRKU-${heroku.slice(0, -1)}`, format: undefined },
    {
      name: 'Heroku HRKU- zero UUID',
      key: 'data',
      value: `HRKU-${heroku.replace(/[0-9a-f]/g, '0')}`,
      format: undefined,
    },
    {
      name: 'Heroku HRKU-AA',
      key: 'data',
      value: `HRKU-AA${g.string(B64URL, 58)}`,
      format: 'heroku-platform-token-v2',
    },
    {
      // Newer tokens seen in public material hold a run of underscores mid-body; still random enough.
      name: 'Heroku HRKU-AA with a run of _',
      key: 'data',
      value: `HRKU-AA${g.string(B64URL, 42)}_____w${g.string(B64URL, 10)}`,
      format: 'heroku-platform-token-v2',
    },
    { name: 'Heroku HRKU-AA, 57', key: 'data', value: `HRKU-AA${g.string(B64URL, 57)}`, format: undefined },
    { name: 'Heroku HRKU-AA, 59', key: 'data', value: `HRKU-AA${g.string(B64URL, 59)}`, format: undefined },
    { name: 'Heroku HRKU-AA, all x', key: 'data', value: `HRKU-AA${'x'.repeat(58)}`, format: undefined },
    { name: 'Heroku bare UUID under its key', key: 'HEROKU_API_KEY', value: heroku, format: 'heroku-api-key' },
    { name: 'Heroku bare UUID under a neutral key', key: 'data', value: heroku, format: undefined },
    // Azure DevOps: 76 letters and digits, AZDO, 4 more; the 52-character base32 form under its key.
    { name: 'Azure DevOps PAT', key: 'data', value: `${ado}AZDO${g.string(B62, 4)}`, format: 'azure-devops-pat' },
    {
      name: 'Azure DevOps PAT, AZDO one early',
      key: 'data',
      value: `${ado.slice(1)}AZDO${g.string(B62, 5)}`,
      format: undefined,
    },
    { name: 'Azure DevOps PAT, 3 after AZDO', key: 'data', value: `${ado}AZDO${g.string(B62, 3)}`, format: undefined },
    {
      name: 'Azure DevOps PAT, _ in the head',
      key: 'data',
      value: `${ado.slice(0, 40)}_${ado.slice(41)}AZDO${g.string(B62, 4)}`,
      format: undefined,
    },
    {
      name: 'Azure DevOps legacy PAT',
      key: 'AZURE_DEVOPS_TOKEN',
      value: g.string(LB32, 52),
      format: 'azure-devops-pat-legacy',
    },
    { name: 'Azure DevOps legacy PAT, 51', key: 'AZURE_DEVOPS_TOKEN', value: g.string(LB32, 51), format: undefined },
    {
      name: 'Azure DevOps legacy PAT, an 8 (not base32)',
      key: 'AZURE_DEVOPS_TOKEN',
      value: `8${g.string(LB32, 51)}`,
      format: undefined,
    },
    { name: 'Azure DevOps legacy PAT, neutral key', key: 'data', value: g.string(LB32, 52), format: undefined },
    // Tailscale: the five documented kinds, then the key ID and the secret.
    ...['api', 'auth', 'client', 'scim', 'webhook'].map((kind) => ({
      name: `Tailscale tskey-${kind}`,
      key: 'data',
      value: `tskey-${kind}-${tsId}-${tsSecret}`,
      format: 'tailscale-key' as string | undefined,
    })),
    {
      name: 'Tailscale, kind not documented',
      key: 'data',
      value: `tskey-oauth-${tsId}-${tsSecret}`,
      format: undefined,
    },
    { name: 'Tailscale, no kind', key: 'data', value: `tskey-${tsId}-${tsSecret}`, format: undefined },
    {
      name: 'Tailscale, secret too short',
      key: 'data',
      value: `tskey-auth-${tsId}-${tsSecret.slice(0, 19)}`,
      format: undefined,
    },
    { name: 'Tailscale, x secret', key: 'data', value: `tskey-auth-${tsId}-${'x'.repeat(32)}`, format: undefined },
    // Sentry: sntrys_ + base64 JSON + _ + 43 standard base64; sntryu_ + 64 lower-case hex.
    {
      name: 'Sentry org token, + and / in the secret',
      key: 'data',
      value: `sntrys_${payload}_${b64(43)}`,
      format: 'sentry-org-token',
    },
    { name: 'Sentry org token, secret 42', key: 'data', value: `sntrys_${payload}_${b64(42)}`, format: undefined },
    { name: 'Sentry org token, secret 44', key: 'data', value: `sntrys_${payload}_${b64(44)}`, format: undefined },
    {
      name: 'Sentry org token, URL-safe secret',
      key: 'data',
      value: `sntrys_${payload}_-_${g.string(BASE62, 41)}`,
      format: undefined,
    },
    {
      name: 'Sentry org token, x secret',
      key: 'data',
      value: `sntrys_${payload}_${'x'.repeat(43)}`,
      format: undefined,
    },
    { name: 'Sentry user token', key: 'data', value: `sntryu_${g.string(HEX, 64)}`, format: 'sentry-user-token' },
    { name: 'Sentry user token, 63', key: 'data', value: `sntryu_${g.string(HEX, 63)}`, format: undefined },
    {
      name: 'Sentry user token, upper case',
      key: 'data',
      value: `sntryu_${g.string('0123456789ABCDEF', 64)}`,
      format: undefined,
    },
    { name: 'Sentry user token, all x', key: 'data', value: `sntryu_${'x'.repeat(64)}`, format: undefined },
    // Microsoft's published shapes (security-utilities): Entra secrets, ACR keys, NuGet keys.
    {
      name: 'Entra secret, version 8',
      key: 'data',
      value: `${g.string(B62, 3)}8Q~${g.string(ENTRA, 34)}`,
      format: 'azure-ad-client-secret',
    },
    {
      name: 'Entra secret, version 7',
      key: 'data',
      value: `${g.string(B62, 3)}7Q~${g.string(ENTRA, 31)}`,
      format: 'azure-ad-client-secret',
    },
    {
      name: 'Entra secret, version 5',
      key: 'data',
      value: `${g.string(B62, 3)}5Q~${g.string(ENTRA, 34)}`,
      format: undefined,
    },
    {
      name: 'Entra secret, 30 after Q~',
      key: 'data',
      value: `${g.string(B62, 3)}8Q~${g.string(ENTRA, 30)}`,
      format: undefined,
    },
    {
      name: 'ACR key, + and / at the end',
      key: 'data',
      value: `${g.string(BASE64, 42)}+ACRB+/${g.string(B62, 3)}`,
      format: 'azure-container-registry-password',
    },
    {
      name: 'ACR key, 5 after +ACR',
      key: 'data',
      value: `${g.string(BASE64, 42)}+ACR${g.string(B62, 5)}`,
      format: undefined,
    },
    { name: 'NuGet key', key: 'data', value: `oy2${g.string(LB32, 43)}`, format: 'nuget-api-key' },
    { name: 'NuGet key, a 0 (not base32)', key: 'data', value: `oy2${g.string(LB32, 42)}0`, format: undefined },
    { name: 'NuGet key, 42', key: 'data', value: `oy2${g.string(LB32, 42)}`, format: undefined },
    // GitLab: classic 20 characters, routable up to 310, the versioned form ends its run at a dot.
    { name: 'GitLab PAT, classic', key: 'data', value: `glpat-${g.string(B64URL, 20)}`, format: 'gitlab-pat' },
    { name: 'GitLab PAT, routable', key: 'data', value: `glpat-${g.string(B64URL, 120)}`, format: 'gitlab-pat' },
    {
      name: 'GitLab PAT, versioned routable',
      key: 'data',
      value: `glpat-${g.string(B64URL, 40)}.01.${g.string('0123456789abcdefghijklmnopqrstuvwxyz', 9)}`,
      format: 'gitlab-pat',
    },
    { name: 'GitLab PAT, 19', key: 'data', value: `glpat-${g.string(B64URL, 19)}`, format: undefined },
    { name: 'GitLab PAT, 311', key: 'data', value: `glpat-${g.string(B64URL, 311)}`, format: undefined },
    { name: 'GitLab PAT, all x', key: 'data', value: `glpat-${'x'.repeat(100)}`, format: undefined },
  ];
  for (const c of cases)
    await t.test(c.name, () => {
      // Keyed formats add how they were found: `Heroku API key (its shape, under a key …)`.
      const found = scanEntry(c.key, c.value, NAMES).map((f) => f.description.replace(/ \(its shape, .*\)$/, ''));
      assert.deepEqual(found, c.format === undefined ? [] : [describeFormat(c.format)]);
    });
});
