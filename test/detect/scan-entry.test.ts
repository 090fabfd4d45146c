import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  buildFormatIndex,
  getDetector,
  listDetectors,
  MAX_FINDINGS_PER_DETECTOR,
  scanEntry,
} from '../../src/detect/index.js';
import { isShroudError } from '../../src/errors.js';
import { base62, fake, generatedPrivateKeys, join } from './fixtures.js';

const NAMES = [
  'private-key',
  'provider-token',
  'jwt',
  'url-credentials',
  'connection-string',
  'secret-named-key',
  'config-file-secret',
  'secret-named-key-low',
  'config-file-secret-low',
  'high-entropy',
  'provider-token-weak',
];

test('listDetectors returns every detector once, with its confidence', () => {
  const detectors = listDetectors();
  assert.deepEqual(
    detectors.map((d) => d.name),
    NAMES,
  );
  assert.deepEqual(
    detectors.filter((d) => d.confidence === 'low').map((d) => d.name),
    ['secret-named-key-low', 'config-file-secret-low', 'high-entropy', 'provider-token-weak'],
  );
  assert.ok(Object.isFrozen(detectors));
  for (const d of detectors) assert.ok(Object.isFrozen(d), d.name);
  for (const d of detectors) assert.ok(d.description.length > 10, d.name);
});

test('getDetector finds by exact name only', () => {
  assert.equal(getDetector('jwt')?.name, 'jwt');
  assert.equal(getDetector('JWT'), undefined);
  assert.equal(getDetector('constructor'), undefined);
});

test('scanEntry runs only the named detectors', () => {
  const value = join('DB_PASSWORD=', 'Kq7vR2x9Lm!', '\nGH=', fake.githubToken());
  assert.deepEqual(
    scanEntry('app.env', value).map((f) => f.detector),
    ['provider-token', 'config-file-secret'],
  );
  assert.deepEqual(
    scanEntry('app.env', value, ['config-file-secret']).map((f) => f.detector),
    ['config-file-secret'],
  );
  assert.deepEqual(scanEntry('app.env', value, ['jwt']), []);
  assert.deepEqual(scanEntry('app.env', value, []), []);
  assert.deepEqual(scanEntry('app.env', value, ['provider-token', 'provider-token']).length, 1);
});

test('scanEntry rejects unknown detector names with DETECT_UNKNOWN_DETECTOR', () => {
  assert.throws(
    () => scanEntry('k', 'v', ['private-key', 'privat-key']),
    (err: unknown) => isShroudError(err, 'DETECT_UNKNOWN_DETECTOR') && /"privat-key"/.test(err.message),
  );
});

test('scanEntry drops high-entropy where a high-confidence detector explains the same line', async (t) => {
  const cases = [
    {
      name: 'a GitHub token is not also random-looking',
      key: 'k',
      value: fake.githubToken(),
      expected: ['provider-token'],
    },
    {
      name: 'a secret-named key with a random value',
      key: 'API_KEY',
      value: base62(40, 3),
      expected: ['secret-named-key'],
    },
    {
      name: 'other lines keep their high-entropy finding',
      key: 'app.env',
      value: join('TOKEN=', base62(40, 4), '\nSEED=', base62(40, 5), '\n'),
      expected: ['config-file-secret:1', 'high-entropy:2'],
    },
    { name: 'alone, high-entropy stays', key: 'k', value: base62(40, 6), expected: ['high-entropy'] },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const got = scanEntry(c.key, c.value).map((f) => (f.line === undefined ? f.detector : `${f.detector}:${f.line}`));
      assert.deepEqual(got, c.expected);
    });
  }
});

const nginxConf = `worker_processes auto;
events { worker_connections 1024; }
http {
  log_format main '$remote_addr - $remote_user [$time_local] "$request" $status';
  server {
    listen 80;
    server_name shop.example.com;
    location /api/ { proxy_pass http://orders.shop.svc.cluster.local:8080/; }
  }
}
`;

/** What a typical application ConfigMap holds: none of it is secret. */
export const ORDINARY_CONFIGMAP: Record<string, string> = {
  LOG_LEVEL: 'info',
  FEATURE_NEW_CHECKOUT: 'true',
  PORT: '8080',
  REPLICAS: '3',
  TIMEOUT: '30s',
  DATABASE_HOST: 'postgres.shop.svc.cluster.local',
  DATABASE_URL: 'postgres://postgres.shop.svc.cluster.local:5432/orders?sslmode=require',
  REDIS_URL: 'redis://redis:6379/0',
  API_BASE_URL: 'https://api.example.com/v2/',
  OIDC_TOKEN_URL: 'https://sso.example.com/realms/shop/protocol/openid-connect/token',
  DB_PASSWORD_FILE: '/run/secrets/shroud/db-password',
  DB_PASSWORD: '${DB_PASSWORD}',
  API_KEY: '{{ .Values.apiKey }}',
  ADMIN_PASSWORD: '<password>',
  JWT_SECRET: 'changeme',
  SMTP_PASSWORD: '',
  SESSION_SECRET: 'REPLACE_ME',
  SECRET_TOKEN: 'xxx',
  REDACTED_PASSWORD: '***',
  IMAGE: 'registry.example.com/shop/orders@sha256:9b2a6f0c1d4e8b7a5c3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b',
  IMAGE_DIGEST: '9b2a6f0c1d4e8b7a5c3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b',
  REQUEST_ID_NAMESPACE: '6f1c2e4a-3b5d-4c7e-9f0a-1b2c3d4e5f60',
  SEALED_DB_PASSWORD: 'shroud:v1:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8',
  'nginx.conf': nginxConf,
  'settings.json': '{"theme": "dark", "pageSize": 50, "features": {"search": true}, "token_ttl_seconds": 3600}',
  'logback.xml': '<configuration><root level="INFO"><appender-ref ref="STDOUT"/></root></configuration>',
  'ca.crt': fake.pem('CERTIFICATE', 90, 10),
  known_hosts: join(
    'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI',
    'OMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
    '\n',
  ),
  'application.properties': [
    'server.port=8080',
    'spring.datasource.url=jdbc:postgresql://db:5432/orders',
    'spring.datasource.username=orders',
    'spring.datasource.password=${DB_PASSWORD}',
    'spring.security.oauth2.client.provider.sso.token-uri=https://sso.example.com/token',
    'app.jwt.secret-file=/run/secrets/shroud/jwt',
    'logging.level.root=INFO',
    '',
  ].join('\n'),
  'values.yaml':
    'replicaCount: 2\nimage:\n  tag: "1.4.2"\ndb:\n  password: ""\n  existingSecret: db\nfeatureFlags:\n  newCheckout: true\n',
  'prometheus.yml': [
    'scrape_configs:',
    '  - job_name: kubernetes-apiservers',
    '    tls_config:',
    '      ca_file: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    '    bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token',
    '    basic_auth:',
    '      username: prom',
    '      password_file: /etc/prom/pw',
    '',
  ].join('\n'),
  'kafka.properties': [
    'bootstrap.servers=kafka:9092',
    'sasl.mechanism=SCRAM-SHA-512',
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="app" password="${KAFKA_PASSWORD}";',
    'ssl.truststore.password=changeit',
    '',
  ].join('\n'),
  'otel-collector.yaml':
    'exporters:\n  otlphttp:\n    endpoint: https://otlp.example.com\n    headers:\n      api-key: ${env:OTLP_API_KEY}\n',
  'fluent-bit.conf':
    '[OUTPUT]\n    Name  es\n    Host  elasticsearch.logging.svc\n    HTTP_User elastic\n    HTTP_Passwd ${ES_PASSWORD}\n',
  SENTRY_DSN: 'https://examplePublicKey1234567890abcd@o0.ingest.sentry.io/0',
  GIT_SHA: '3f9c2a1b7e8d4c6f5a0b9e8d7c6b5a4f3e2d1c0b',
  JAVA_OPTS: '-Xmx512m -XX:+UseG1GC -Dspring.profiles.active=prod',
  CRON: '*/5 * * * *',
  ALLOWED_ORIGINS: 'https://shop.example.com,https://admin.example.com',
};

test('scanEntry does not flag an ordinary ConfigMap', async (t) => {
  for (const [key, value] of Object.entries(ORDINARY_CONFIGMAP)) {
    await t.test(key, () => assert.deepEqual(scanEntry(key, value), []));
  }
});

test('findings never contain the planted secret (canaries)', async (t) => {
  const canary = join('Zq7', 'Canary', 'Wv4');
  const key = generatedPrivateKeys()[0]!.pem;
  const cases = [
    { name: 'secret-named key', key: 'password', value: canary },
    { name: 'env file', key: 'app.env', value: join('A=1\nTOKEN=', canary, '\n') },
    { name: 'JSON', key: 'c.json', value: join('{"client_secret": "', canary, '"}') },
    { name: 'URL', key: 'DB', value: join('postgres://app:', canary, '@db/app') },
    { name: 'GitHub token', key: 'k', value: fake.githubTokenOf(join(canary, base62(30 - canary.length, 1))) },
    { name: 'high entropy', key: 'k', value: join(canary, base62(30, 2)) },
    { name: 'private key', key: 'tls.key', value: key.replace('\n', join('\n', canary, '\n')) },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const findings = scanEntry(c.key, c.value);
      assert.ok(findings.length > 0, 'the case must produce findings');
      const text = JSON.stringify(findings);
      assert.ok(!text.includes(canary), text);
      assert.ok(!text.includes(canary.slice(0, 6)), text);
      for (const f of findings)
        assert.deepEqual(
          Object.keys(f).filter((k) => !['detector', 'confidence', 'key', 'line', 'description'].includes(k)),
          [],
        );
    });
  }
});

test('pathological inputs of 100 KB finish with bounded findings', async (t) => {
  const size = 100 * 1024;
  const fill = (unit: string): string => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const cases = [
    { name: 'repeated token prefixes', value: fill('ghp_AKIAglpat-xoxb-1sk_live_AIza') },
    { name: 'BEGIN lines without END', value: fill('-----BEGIN RSA PRIVATE KEY-----\n') },
    { name: 'BEGIN without a closing dash run', value: fill('-----BEGIN ') },
    { name: 'encoded BEGIN prefixes', value: fill('LS0tLS1CRUdJTi ') },
    { name: 'encoded private-key armor lines', value: fill('LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ== ') },
    { name: 'eyJ runs', value: fill('eyJ') },
    { name: 'JWT-like dots', value: fill('eyJhbGciOiJIUzI1NiJ9.eyJ.') },
    { name: 'scheme separators', value: fill('a://') },
    { name: 'userinfo without end', value: fill('a://b:c@') },
    { name: 'one huge base64 token', value: fill('Ab3+') },
    { name: 'one huge path', value: fill('/Ab3dEf9Gh2') },
    { name: 'newlines only', value: fill('\n') },
    { name: 'secret settings on every line', value: fill('password=Xy7Qp2Lm\n') },
    { name: 'JSON quotes', value: `{${fill('"')}` },
    { name: 'JSON escapes', value: `{"${fill('\\"')}` },
    { name: 'JSON members', value: `{${fill('"token":"Xy7Qp2Lm9",')}` },
    { name: 'colons', value: fill('password:') },
    { name: 'random text', value: base62(size, 99) },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const findings = scanEntry('data', c.value);
      const perDetector = new Map<string, number>();
      for (const f of findings) perDetector.set(f.detector, (perDetector.get(f.detector) ?? 0) + 1);
      for (const count of perDetector.values()) assert.ok(count <= MAX_FINDINGS_PER_DETECTOR);
    });
  }
});

test('a detector finds nothing in values shorter than its minLength (so scanEntry may skip it)', async (t) => {
  const { shapes } = await import('./adversarial-work.js');
  const texts = [...shapes().map((s) => s.text), 'pwd=Kq7vR2x9;user=u', 'a://u:Kq7@h', 'Kq7vR2x9Lm!Wp4', 'pw=Kq7vR2x9'];
  for (const d of listDetectors()) {
    if (d.minLength === undefined) continue;
    await t.test(d.name, () => {
      for (const text of texts)
        for (let n = 1; n < (d.minLength as number) && n <= text.length; n++)
          for (const key of ['data', 'DB_PASSWORD'])
            assert.deepEqual(d.scan(key, text.slice(0, n)), [], `${d.name} on ${n} characters`);
    });
  }
});

test('scanEntry still runs a team format on a value shorter than every built-in detector reads', () => {
  const format = { id: 'team-pin', provider: 'Team', tier: 'high' as const, description: 'Team PIN' };
  const index = buildFormatIndex(
    [],
    [
      {
        format,
        find: (text: string, from: number) => {
          const at = text.indexOf('XQ', from);
          return at === -1 ? undefined : { start: at, end: at + 5 };
        },
      },
    ],
  );
  assert.deepEqual(scanEntry('PIN', 'XQ7', undefined, undefined), []);
  assert.deepEqual(
    scanEntry('PIN', 'XQ7', undefined, index).map((f) => f.description),
    ['Team PIN'],
  );
});

test('scanEntry drops findings, high or low, that point at a placeholder token', async (t) => {
  const exampleJwt = join(
    Buffer.from('{"alg":"HS256"}').toString('base64url'),
    '.',
    Buffer.from('{"sub":"1234567890","name":"John Doe"}').toString('base64url'),
    '.',
    base62(43, 41),
  );
  const cases = [
    { name: 'documentation JWT under a secret name', key: 'token', value: exampleJwt },
    { name: 'documentation JWT under a neutral name', key: 'value1', value: exampleJwt },
    { name: 'documentation JWT on a line of a file', key: 'app.env', value: join('A=1\nTOKEN=', exampleJwt, '\n') },
    { name: 'AWS documentation key id', key: 'value1', value: join('AKIAIOSFODNN7', 'EXAMPLE') },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(scanEntry(c.key, c.value), []));
});
