import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { configFileSecretDetector, configFileSecretLowDetector, settingValue } from '../../src/detect/config-file.js';
import { namedSettingTier } from '../../src/detect/secret-named-key.js';
import { join } from './fixtures.js';

const pw = join('Kq7', 'vR2x9Lm!');
const lines = (value: string): (number | undefined)[] =>
  configFileSecretDetector.scan('app.conf', value).map((f) => f.line);

test('config-file-secret reports the line of each secret setting', async (t) => {
  const cases = [
    { name: '.env', value: join('LOG_LEVEL=info\nDB_HOST=db\nDB_PASSWORD=', pw, '\n'), expected: [3] },
    { name: '.env with export and quotes', value: join('# env\nexport API_TOKEN="', pw, '"\n'), expected: [2] },
    { name: 'single line', value: join('password=', pw), expected: [1] },
    {
      name: 'properties',
      value: join(
        'server.port=8080\nspring.datasource.url=jdbc:postgresql://db/app\nspring.datasource.password=',
        pw,
        '\n',
      ),
      expected: [3],
    },
    { name: 'properties with colon', value: join('a=1\ndb.password:', pw), expected: [2] },
    { name: 'INI', value: join('[database]\nhost = db\npassword = ', pw, ' ; prod\n'), expected: [3] },
    {
      name: 'YAML nested',
      value: join('server:\n  port: 8080\ndatabase:\n  user: app\n  password: ', pw, '\n'),
      expected: [5],
    },
    { name: 'YAML list item', value: join('users:\n  - name: a\n  - password: "', pw, '"\n'), expected: [3] },
    { name: 'YAML with comment', value: join('clientSecret: ', pw, ' # rotate monthly\n'), expected: [1] },
    {
      name: 'pretty JSON',
      value: join('{\n  "user": "app",\n  "password": "', pw, '",\n  "port": 5432\n}\n'),
      expected: [3],
    },
    {
      name: 'minified JSON, two secrets',
      value: join('{"user":"app","password":"', pw, '","nested":{"api_key":"', pw, 'k"}}'),
      expected: [1, 1],
    },
    { name: 'JSON array of objects', value: join('[\n {"name": "a"},\n {"token": "', pw, '"}\n]'), expected: [3] },
    { name: 'command-line flags', value: join('--listen=:8080\n--db-password=', pw, '\n'), expected: [2] },
    { name: 'CRLF line ends', value: join('A=1\r\nSECRET_KEY=', pw, '\r\nB=2\r\n'), expected: [2] },
    {
      name: 'AWS credentials file',
      value: join('[default]\naws_access_key_id = AKIA\naws_secret_access_key = ', pw, 'Zx9\n'),
      expected: [3],
    },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(lines(c.value), c.expected));
});

test('config-file-secret findings have the agreed shape', () => {
  assert.deepEqual(configFileSecretDetector.scan('app.env', join('A=1\nTOKEN=', pw)), [
    {
      detector: 'config-file-secret',
      confidence: 'high',
      key: 'app.env',
      line: 2,
      description: configFileSecretDetector.description,
    },
  ]);
});

const nginxConf = `user nginx;
worker_processes auto;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  ssl_certificate /etc/nginx/tls/tls.crt;
  ssl_certificate_key /etc/nginx/tls/tls.key;
  ssl_password_file /etc/nginx/tls/pass.txt;
  server {
    listen 443 ssl;
    server_name app.example.com;
    location / { proxy_pass http://backend:8080; proxy_set_header X-Api-Key $http_x_api_key; }
  }
}
`;

const applicationProperties = `server.port=8080
spring.application.name=orders
spring.datasource.url=jdbc:postgresql://db:5432/orders
spring.datasource.username=orders
spring.datasource.password=\${DB_PASSWORD}
spring.jpa.hibernate.ddl-auto=validate
management.endpoints.web.exposure.include=health,info
security.oauth2.client.provider.keycloak.token-uri=https://sso.example.com/token
app.api-key-header=X-Api-Key
app.token.ttl=3600
logging.level.root=INFO
`;

test('config-file-secret does not flag configs without secrets', async (t) => {
  const cases = [
    { name: 'nginx.conf', value: nginxConf },
    { name: 'application.properties without secrets', value: applicationProperties },
    {
      name: 'YAML placeholders',
      value:
        'db:\n  password: ${DB_PASSWORD}\n  token: "{{ .Values.token }}"\n  apiKey: <api-key>\n  secret: changeme\n',
    },
    {
      name: 'commented-out secrets',
      value: join('# password=', pw, '\n; secret=', pw, '\n// token=', pw, '\n! password=', pw, '\n'),
    },
    {
      name: 'JSON without secrets',
      value: '{"replicas": 3, "image": "nginx:1.27", "labels": {"app": "web"}, "token_ttl": "1h"}',
    },
    { name: 'JSON with placeholder secret', value: '{"password": "${PW}", "api_key": ""}' },
    {
      name: 'names that describe secrets',
      value: join('PASSWORD_FILE=/run/secrets/pw\nTOKEN_URL=https://sso/token\nSECRET_NAME=db-creds\n'),
    },
    { name: 'booleans and numbers', value: 'use_token_auth=true\ntoken_refresh=300\npassword_min_length=12\n' },
    {
      name: 'Argo CD dex.config with a secret reference',
      value:
        'connectors:\n  - type: github\n    config:\n      clientID: aabbccddeeff00112233\n      clientSecret: $dex.github.clientSecret\n',
    },
    { name: 'YAML block scalar start', value: 'password: |\n  see vault\n' },
    { name: 'prose with a colon', value: 'Note: the password is stored in Vault and rotated weekly.' },
    { name: 'no secret words at all', value: 'a=1\nb: 2\n' },
    { name: 'sealed values', value: join('password=shroud:v1:', 'AAECAwQFBgcICQoLDA0ODw', '\n') },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(lines(c.value), []));
});

test('config-file-secret reads XML and space-separated settings', async (t) => {
  const strong = join('Kq7vR2x9', 'Lm!Wp4Zs');
  const cases = [
    {
      name: 'maven server password',
      value: join('<server>\n  <id>a</id>\n  <password>', strong, '</password>\n</server>'),
      lines: [3],
    },
    {
      name: '.NET appSettings',
      value: join('<appSettings>\n  <add key="ApiKey" value="', strong, '" />\n</appSettings>'),
      lines: [2],
    },
    { name: 'password attribute', value: join('<user username="m" password="', strong, '" roles="r"/>'), lines: [1] },
    {
      name: 'XML as an escaped setting value',
      value: join('a=1\nfile="<x><token>', strong, '</token></x>"'),
      lines: [2],
    },
    { name: '.netrc on one line', value: join('machine h login u password ', strong), lines: [1] },
    { name: '.netrc over lines', value: join('machine h\n  login u\n  password ', strong, '\n'), lines: [3] },
    { name: 'fluent-bit', value: join('[OUTPUT]\n    HTTP_User  u\n    HTTP_Passwd  ', strong, '\n'), lines: [3] },
    { name: 'placeholder element', value: '<password>${env.MAVEN_PASSWORD}</password>', lines: [] },
    { name: 'sentence of word pairs', value: 'token rotation happens weekly\nsecret storage is vault', lines: [] },
    { name: 'odd number of words', value: join('the password ', strong), lines: [] },
  ];
  for (const c of cases)
    await t.test(c.name, () =>
      assert.deepEqual(
        configFileSecretDetector.scan('f', c.value).map((f) => f.line),
        c.lines,
      ),
    );
});

test('config-file-secret reads PHP settings', async (t) => {
  const strong = join('Kq7vR2x9', 'Lm!Wp4Zs');
  const cases = [
    { name: 'define()', value: join("<?php\ndefine( 'DB_PASSWORD', '", strong, "' );\n"), lines: [2] },
    { name: 'array member', value: join("return [\n    'password' => '", strong, "',\n];\n"), lines: [2] },
    { name: 'placeholder in define()', value: "define('DB_PASSWORD', 'password_here');", lines: [] },
    { name: 'other define()', value: "define('WP_DEBUG', 'Kq7vR2x9Lm!Wp4Zs');", lines: [] },
  ];
  for (const c of cases)
    await t.test(c.name, () =>
      assert.deepEqual(
        configFileSecretDetector.scan('f', c.value).map((f) => f.line),
        c.lines,
      ),
    );
});

/**
 * settingValue reads indexes and slices once; this is how it read a value before, with trim,
 * a regex search and slices: the reference it must agree with.
 */
function referenceSettingValue(value: string, start: number, end: number): string {
  const text = value.slice(start, Math.min(end, start + 2048)).trim();
  const q = text.charCodeAt(0);
  if (q === 34 || q === 39) {
    const close = text.indexOf(text[0] as string, 1);
    return close === -1 ? text.slice(1) : text.slice(1, close);
  }
  const comment = text.search(/\s[#;]/);
  const bare = comment === -1 ? text : text.slice(0, comment);
  return bare.endsWith(',') ? bare.slice(0, -1) : bare;
}

/** Setting value text: quotes, comment marks, commas, ASCII and Unicode blanks, letters. */
const settingText = fc
  .array(
    fc.constantFrom('"', "'", '#', ';', ',', ' ', '\t', '\u00a0', '\u2028', '\ufeff', 'a', 'Z', '7', '$', '{', '}'),
    {
      maxLength: 24,
    },
  )
  .map((parts) => parts.join(''));

test('settingValue agrees with the trim-and-search reading of a setting value', () => {
  fc.assert(
    fc.property(settingText, fc.nat(30), fc.nat(30), (text, a, b) => {
      const start = Math.min(a, text.length);
      const end = Math.min(text.length, start + b);
      assert.equal(settingValue(text, start, end), referenceSettingValue(text, start, end));
    }),
    { numRuns: 2000 },
  );
});

test('a name=value line gets the tier of its name and value (the short and ${VAR} shortcuts change nothing)', () => {
  const strong = join('Kq7vR2x9', 'Lm!Wp4Zs');
  const names = ['password', 'db.password', 'API_KEY', 'app.token.ttl', 'clientSecret', 'mailer_key', 'token'];
  const values = fc.oneof(
    settingText,
    fc.constantFrom(
      '${DB_PASSWORD}',
      '${A}',
      '${A}}',
      '${{A}',
      '"${A}"',
      ' ${A} ',
      '${A} #c',
      '${A},',
      '3600',
      'abc12',
    ),
    fc.constantFrom(strong, `"${strong}"`, `${strong} # note`, `${strong},`, 'sunshine42', ` ${strong}`),
  );
  fc.assert(
    fc.property(fc.constantFrom(...names), fc.constantFrom('=', ': ', ' = ', ':'), values, (name, sep, text) => {
      fc.pre(!/^\s*["']?[<>]/.test(text)); // an XML value and `=>` are read otherwise
      const line = `${name}${sep}${text}`;
      const expected = namedSettingTier(name, referenceSettingValue(line, line.length - text.length, line.length));
      const high = configFileSecretDetector.scan('f', line).length;
      const low = configFileSecretLowDetector.scan('f', line).length;
      assert.deepEqual([high, low], [expected === 'high' ? 1 : 0, expected === 'low' ? 1 : 0], line);
    }),
    { numRuns: 2000 },
  );
});
