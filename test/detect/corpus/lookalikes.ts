/**
 * Look-alikes: values that resemble secrets and are not. Placeholders and made-up values under
 * secret-named keys, module checksums and integrity hashes, image digests, git commit ids, base64
 * of ordinary text, URLs with tracking ids, identifiers, public keys and certificates, ordinary
 * settings under secret-sounding names. None may ever be denied, and few should warn.
 *
 * Written here from the formats' documentation or made up; hashes and ids are computed from
 * seeded data (test/detect/synthetic.ts), so they have the real shape without copying any file.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { BASE62, DIGITS, HEX, LOWER, Synthetic } from '../synthetic.js';
import type { CorpusCase } from './types.js';

const g = new Synthetic('corpus/lookalikes');
const cases: CorpusCase[] = [];
const add = (name: string, key: string, value: string, source = 'synthetic'): void => {
  cases.push({ name, key, value, secret: false, source });
};
const hash = (algorithm: string, text: string): Buffer => createHash(algorithm).update(text).digest();

// --- Placeholders and made-up values under telling keys -------------------------------------
const TELLING = ['DB_PASSWORD', 'API_KEY', 'client_secret', 'AUTH_TOKEN', 'jwt.secret', 'SMTP_PASSWORD', 'apiKey'];
const tk = (i: number): string => TELLING[i % TELLING.length] as string;
const PLACEHOLDERS = [
  'xxxxxxxxxxxxxxxxxxxxxxxx',
  'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
  'ZZZZZZZZZZZZZZZZ',
  'xxxx-xxxx-xxxx-xxxx',
  '********',
  '••••••••',
  '0000000000000000',
  'a-fake-api-key',
  'fake_client_secret_value',
  'not-a-real-token',
  'this-is-not-a-secret',
  'changeme',
  'change_me_please',
  'ChangeMe123!',
  'please-change-this',
  'CHANGE_THIS_TO_A_RANDOM_STRING',
  'replace-with-your-api-key',
  '<your-api-key>',
  '<YOUR_CLIENT_SECRET>',
  '<insert token here>',
  '[YOUR_TOKEN]',
  '${API_KEY}',
  '${DB_PASSWORD:-postgres}',
  '${{ secrets.API_TOKEN }}',
  '{{ .Values.db.password }}',
  '{{ required "password" .Values.password }}',
  '$(cat /run/secrets/token)',
  '%DB_PASSWORD%',
  'your_api_key_here',
  'YOUR-SECRET-HERE',
  'put-your-token-here',
  'enter_password',
  'my-secret-key',
  'mysecretpassword',
  'supersecret',
  'supersecretpassword123',
  'super_secret_jwt_key',
  'secret123',
  'password123',
  'Password1',
  'P@ssw0rd',
  'admin123',
  'letmein',
  'qwerty123',
  'test-token',
  'test_api_key_1',
  'testtesttest',
  'dev-secret',
  'local-dev-password',
  'development_secret_key',
  'dummy-token-for-ci',
  'dummy_password',
  'sample-client-secret',
  'example-signing-key',
  'EXAMPLE_API_KEY_123',
  'placeholder-token',
  'TODO_SET_ME',
  'REDACTED',
  '[redacted]',
  '<hidden>',
  'none',
  'abcdef',
  'abcdefghijklmnop',
  'abcdefghijklmnopqrstuvwxyz',
  '1234567890',
  '12345678901234567890',
  '0123456789abcdef',
  'abc123abc123abc123',
  'aaaabbbbccccdddd',
  'abababababababab',
  'qwertyuiopasdfgh',
  'secretsecretsecret',
  'sk_test_123',
  'sk_test_xxxxxxxxxxxxxxxxxxxxxxxx',
  'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'AKIAZZZZZZZZZZZZZZZZ',
  'AKIAXXXXXXXXXXXXXXXX',
  'xoxb-your-slack-token',
  'foo',
  'foobarbaz',
  'hello-world',
  'mock-token-value',
  'stub-secret',
  'pass',
  'guest',
  'postgres',
  'root',
  'admin',
  'default',
  'undefined',
  'null',
];
PLACEHOLDERS.forEach((v, i) => {
  add(`placeholder ${v}`, tk(i), v);
});
// Documentation example keys (AWS's published example pair, written in two parts).
add('aws example key id', 'AWS_ACCESS_KEY_ID', ['AKIAIOSFODNN7', 'EXAMPLE'].join(''), 'AWS docs: example credentials');
add(
  'aws example secret',
  'AWS_SECRET_ACCESS_KEY',
  ['wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY'].join(''),
  'AWS docs: example credentials',
);
// Placeholders inside connection strings and URLs.
add('url placeholder password', 'DATABASE_URL', 'postgres://user:password@localhost:5432/db');
add('url template password', 'DATABASE_URL', 'postgres://app:${DB_PASSWORD}@db:5432/app');
add('url angle password', 'MONGO_URI', 'mongodb://<username>:<password>@cluster0.example.net/test');
add('url default guest', 'BROKER_URL', 'amqp://guest:guest@rabbitmq:5672/');
add('url masked', 'REDIS_URL', 'redis://:****@redis:6379/0');
add('jdbc placeholder', 'spring.datasource.url', 'jdbc:postgresql://db:5432/app?user=app&password=${DB_PASSWORD}');
add('odbc placeholder', 'ODBC', 'Driver={PostgreSQL};Server=db;Database=app;Uid=app;Pwd=<password>;');
add(
  'jaas placeholder',
  'sasl.jaas.config',
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";',
);
add(
  'ado placeholder',
  'ConnectionStrings__Default',
  'Server=db;Database=shop;User Id=sa;Password=YourStrong(!)Password;',
);
add('azure dev storage', 'AzureWebJobsStorage', 'UseDevelopmentStorage=true');

// --- Hashes and digests -----------------------------------------------------------------------
for (let i = 0; i < 12; i++) {
  const module = g.pick(['golang.org/x/net', 'github.com/spf13/cobra', 'google.golang.org/grpc', 'k8s.io/client-go']);
  const version = `v0.${g.string(DIGITS, 2)}.${i}`;
  const h1 = hash('sha256', `${module}${version}`).toString('base64');
  add(
    `go.sum line ${i}`,
    i % 2 === 0 ? 'go.sum' : 'value1',
    `${module} ${version} h1:${h1}`,
    'Go modules reference: go.sum',
  );
  if (i < 4) add(`go.sum bare hash ${i}`, 'checksum', `h1:${h1}`, 'Go modules reference: go.sum');
}
for (let i = 0; i < 10; i++) {
  const algorithm = i % 3 === 0 ? 'sha1' : 'sha512';
  const digest = hash(algorithm, `package-${i}`).toString('base64');
  add(
    `integrity ${algorithm} ${i}`,
    'integrity',
    `${algorithm}-${digest}`,
    'W3C Subresource Integrity; npm package-lock',
  );
  if (i < 4)
    add(
      `package-lock entry ${i}`,
      'package-lock.json',
      JSON.stringify(
        {
          name: 'app',
          lockfileVersion: 3,
          packages: {
            [`node_modules/pkg-${i}`]: {
              version: `1.${i}.0`,
              resolved: `https://registry.example.org/pkg-${i}/-/pkg-${i}-1.${i}.0.tgz`,
              integrity: `sha512-${digest}`,
            },
          },
        },
        null,
        2,
      ),
      'npm docs: package-lock.json',
    );
}
for (let i = 0; i < 8; i++) {
  const digest = hash('sha256', `image-${i}`).toString('hex');
  add(`image digest ${i}`, 'IMAGE', `registry.example.com/shop/api@sha256:${digest}`, 'OCI image spec: digests');
  add(`bare digest ${i}`, 'digest', `sha256:${digest}`, 'OCI image spec: digests');
}
for (let i = 0; i < 8; i++) {
  const sha = hash('sha1', `commit-${i}`).toString('hex');
  add(`git sha ${i}`, 'GIT_COMMIT', sha, 'git docs: object names');
  if (i < 3) add(`git short sha ${i}`, 'revision', sha.slice(0, 7));
}
add('md5 hex', 'etag', hash('md5', 'etag').toString('hex'));
add('sha256 hex', 'checksum', hash('sha256', 'file').toString('hex'));
add('sha512 hex', 'SHA512SUM', hash('sha512', 'file').toString('hex'));
add(
  'pip hash',
  'requirements.txt',
  `requests==2.32.3 \\\n    --hash=sha256:${hash('sha256', 'requests').toString('hex')}\n`,
  'pip docs: hash-checking mode',
);
add(
  'terraform lock',
  '.terraform.lock.hcl',
  `provider "registry.terraform.io/hashicorp/aws" {\n  version = "5.40.0"\n  hashes = [\n    "h1:${hash('sha256', 'tf1').toString('base64')}",\n    "zh:${hash('sha256', 'tf2').toString('hex')}",\n  ]\n}\n`,
  'Terraform docs: dependency lock file',
);
add('nix hash', 'hash', `sha256-${hash('sha256', 'nix').toString('base64')}`, 'Nix manual: SRI hashes');
add(
  'helm chart digest',
  'Chart.lock',
  `dependencies:\n- name: redis\n  version: 18.1.0\ndigest: sha256:${hash('sha256', 'chart').toString('hex')}\n`,
  'Helm docs: Chart.lock',
);
add(
  'cargo checksum',
  'Cargo.lock',
  `[[package]]\nname = "serde"\nversion = "1.0.200"\nchecksum = "${hash('sha256', 'serde').toString('hex')}"\n`,
  'Cargo docs: Cargo.lock',
);
add(
  'yarn integrity',
  'yarn.lock',
  `lodash@^4.17.21:\n  version "4.17.21"\n  integrity sha512-${hash('sha512', 'lodash').toString('base64')}\n`,
  'Yarn docs: yarn.lock',
);
add('csp hash', 'CSP', `script-src 'self' 'sha256-${hash('sha256', 'inline').toString('base64')}'`, 'CSP level 3');
add(
  'ssh host fingerprint',
  'fingerprint',
  `SHA256:${hash('sha256', 'host').toString('base64').replace(/=+$/, '')}`,
  'OpenSSH ssh-keygen -l',
);
add(
  'docker content digest list',
  'images.txt',
  [0, 1, 2].map((i) => `nginx@sha256:${hash('sha256', `n${i}`).toString('hex')}`).join('\n'),
);

// --- Base64 of ordinary text -----------------------------------------------------------------
const PROSE = [
  'Welcome to the orders service. Please contact the platform team for access.',
  'This ConfigMap holds the banner shown on the login page during maintenance windows.',
  'Hello, world! The quick brown fox jumps over the lazy dog.',
  '# Default settings\nlog_level = info\nretries = 3\n',
  'Thank you for shopping with us. Your order will arrive within five working days.',
  'Der Dienst ist wegen Wartungsarbeiten vorübergehend nicht erreichbar.',
  '{"theme":"dark","language":"en-GB","itemsPerPage":25}',
  'server {\n  listen 80;\n  server_name shop.example.com;\n}\n',
];
PROSE.forEach((text, i) => {
  const encoded = Buffer.from(text).toString('base64');
  add(
    `base64 prose ${i}`,
    ['banner', 'motd', 'welcome_message', 'template', 'footer', 'notice', 'ui_settings', 'nginx.conf.b64'][i] as string,
    encoded,
  );
});
add(
  'base64 prose url-safe',
  'state',
  Buffer.from('return to the cart page after login, keep the basket').toString('base64url'),
);

// --- URLs with tracking and content ids --------------------------------------------------------
for (let i = 0; i < 6; i++) {
  add(
    `tracking url ${i}`,
    'PROMO_URL',
    `https://shop.example.com/sale?utm_source=newsletter&utm_medium=email&utm_campaign=${g.string(BASE62, 10)}&gclid=${g.string(`${BASE62}-_`, 40)}`,
  );
}
add('fbclid url', 'landing', `https://example.com/?fbclid=IwAR${g.string(`${BASE62}_-`, 56)}`);
add('msclkid url', 'landing2', `https://example.com/offer?msclkid=${g.string(HEX, 32)}`);
add(
  'mailchimp tracking',
  'newsletter_link',
  `https://example.com/news?mc_cid=${g.string(HEX, 10)}&mc_eid=${g.string(HEX, 10)}`,
);
add('google doc url', 'RUNBOOK', `https://docs.google.com/document/d/${g.string(`${BASE62}-_`, 44)}/edit`);
add(
  'youtube url',
  'intro_video',
  `https://www.youtube.com/watch?v=${g.string(`${BASE62}-_`, 11)}&list=PL${g.string(`${BASE62}-_`, 32)}`,
);
add('drive url', 'DRIVE_FOLDER', `https://drive.google.com/drive/folders/${g.string(`${BASE62}-_`, 33)}`);
add(
  's3 object url',
  'ASSET_URL',
  `https://assets.s3.eu-west-1.amazonaws.com/builds/${g.string(LOWER + DIGITS, 24)}/app.${g.string(HEX, 8)}.js`,
);
add('cdn asset', 'script', `/static/js/main.${g.string(HEX, 8)}.chunk.js`);
add('figma url', 'design', `https://www.figma.com/file/${g.string(BASE62, 22)}/Checkout-Flow?node-id=12%3A345`);
add(
  'sentry dsn',
  'SENTRY_DSN',
  `https://${g.string(HEX, 32)}@o${g.string(DIGITS, 6)}.ingest.sentry.io/${g.string(DIGITS, 7)}`,
  'Sentry docs: DSN (public key only)',
);
add('otel endpoint', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'http://otel-collector.observability:4317');

// --- Identifiers ----------------------------------------------------------------------------
for (let i = 0; i < 4; i++) {
  add(`uuid ${i}`, ['request_id', 'TENANT_ID', 'client_id', 'trace'][i] as string, hashUuid(`u${i}`));
  add(`ulid ${i}`, 'event_id', `01${g.string('0123456789ABCDEFGHJKMNPQRSTVWXYZ', 24)}`, 'ULID spec');
  add(`object id ${i}`, 'mongo_id', g.string(HEX, 24));
  add(`snowflake ${i}`, 'discord_channel', `1${g.string(DIGITS, 18)}`);
}
add('k8s pod name', 'POD', `orders-api-7d9f8c6b5-${g.string(LOWER + DIGITS, 5)}`);
add('container id', 'CONTAINER_ID', hash('sha256', 'container').toString('hex'));
add(
  'stripe publishable',
  'STRIPE_PUBLISHABLE_KEY',
  `pk_live_${g.string(BASE62, 24)}`,
  'Stripe docs: publishable keys are public',
);
add('ga measurement id', 'GA_ID', 'G-4XK2M9QZ7P');
add(
  'recaptcha site key',
  'RECAPTCHA_SITE_KEY',
  `6L${g.string(`${BASE62}-_`, 38)}`,
  'reCAPTCHA docs: the site key is public',
);
add('java class', 'mainClass', 'com.example.orders.OrderServiceApplicationConfiguration');
add('identifier camel', 'bean', 'SpringBootApp2024Release');
add('semver', 'VERSION', '2.14.3-rc.1+build.20261129');
add('cron', 'schedule', '*/15 2-5 * * MON-FRI');
add('jvm opts', 'JAVA_OPTS', '-Xms512m -Xmx2g -XX:+UseG1GC -XX:MaxGCPauseMillis=200');
add('regex', 'pattern', '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$');
add(
  'base64 image tiny',
  'pixel',
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'PNG spec (1x1 image)',
);
add('nanoid', 'share_id', g.string(`${BASE62}-_`, 21));
add('ksuid', 'job_id', `2${g.string(BASE62, 26)}`);
add('short hex color list', 'palette', '#1f77b4,#ff7f0e,#2ca02c,#d62728');
add('kafka topic', 'topic', 'orders.v1.order-created.dlq');
add('upper enum', 'MODE', 'READ_WRITE_WITH_AUDIT_LOGGING_ENABLED');
add('aws arn', 'ROLE_ARN', `arn:aws:iam::${g.string(DIGITS, 12)}:role/orders-service`);
add('aws key id public part', 'AWS_ACCESS_KEY_ID_FILE', '/var/run/secrets/aws/key-id');

// --- Public material ------------------------------------------------------------------------
const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
add('pem public key', 'jwt.public.pem', publicKey.export({ type: 'spki', format: 'pem' }) as string);
add('ssh public key', 'authorized_keys', `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${g.string(BASE62, 43)} ops@bastion`);
add('ssh rsa public', 'id_rsa.pub', `ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ${g.string(BASE62, 200)} deploy@ci`);
add('jwks', 'jwks.json', JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' }] }));
add(
  'age recipient',
  'SOPS_AGE_RECIPIENTS',
  `age1${g.string('qpzry9x8gf2tvdw0s3jn54khce6mua7l', 58)}`,
  'age spec: recipients are public',
);
add(
  'pem placeholder key',
  'tls.key',
  '-----BEGIN PRIVATE KEY-----\n<paste your key here>\n-----END PRIVATE KEY-----\n',
);
add('pem dots key', 'key.pem', '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----');

// --- Ordinary settings under secret-sounding names -------------------------------------------
add('token endpoint', 'token_endpoint', 'https://auth.example.com/oauth2/token');
add('secret name', 'secretName', 'orders-db-credentials');
add('password policy', 'password_policy', 'min_length=12,require_upper=true');
add('token ttl', 'TOKEN_TTL', '3600s');
add('auth type', 'auth', 'bearer');
add('key path', 'tls.keyFile', '/etc/tls/tls.key');
add('api key header name', 'API_KEY_HEADER', 'X-Api-Key');
add('key id', 'KEY_ID', 'orders-signing-2026-11');
add('cache key', 'cache_key', 'user-profile-v2');
add('secret mount', 'SECRETS_DIR', '/run/secrets/shroud');
add('token audience', 'token.audience', 'api://orders');
add('password rule text', 'PASSWORD_HELP', 'Use at least twelve characters with a number and a symbol.');
add('sealed value', 'DB_PASSWORD', `shroud:v1:${g.string(`${BASE62}-_`, 80)}`);
add('vault ref', 'API_KEY', 'vault:secret/data/orders#api_key');
add('jasypt', 'db.password', `ENC(${g.bytes(32).toString('base64')})`, 'Jasypt docs');
add('k8s secret ref', 'password', 'secretKeyRef:orders-db:password');
add('env ref file', 'app.env', 'DB_HOST=db\nDB_PASSWORD=${DB_PASSWORD}\nAPI_TOKEN=changeme\nLOG_LEVEL=debug\n');
add(
  'properties placeholder file',
  'application.properties',
  'spring.datasource.password=${SPRING_DATASOURCE_PASSWORD}\napp.jwt.secret=<set-in-vault>\nserver.port=8080\n',
);

// XML and space-separated settings with stand-ins, and prose that mentions secrets.
add(
  'maven settings placeholder',
  'settings.xml',
  '<server>\n  <id>internal</id>\n  <password>${env.MAVEN_PASSWORD}</password>\n</server>\n',
);
add(
  'appsettings empty',
  'Web.config',
  '<appSettings>\n  <add key="ApiKey" value="" />\n  <add key="Theme" value="dark" />\n</appSettings>\n',
);
add(
  'tomcat users example',
  'tomcat-users.xml',
  '<user username="tomcat" password="<must-be-changed>" roles="tomcat"/>\n',
);
add('netrc placeholder', '.netrc', 'machine api.example.com login bot password YOUR_TOKEN_HERE\n');
add(
  'prose about passwords',
  'HELP_TEXT',
  'Your password must be at least twelve characters long.\nForgot your password? Reset it here.\n',
);
add('prose pairs', 'notes.txt', 'token rotation happens weekly\nsecret storage is in vault\n');
add(
  'xml with token endpoint',
  'oauth.xml',
  '<oauth>\n  <tokenEndpoint>https://auth.example.com/token</tokenEndpoint>\n  <clientId>orders-web</clientId>\n</oauth>\n',
);

// Documentation-style JWTs (claims that are all stand-ins) and a public key, base64-encoded.
const docJwt = (payload: object): string =>
  [
    Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url'),
    Buffer.from(JSON.stringify(payload)).toString('base64url'),
    g.bytes(32).toString('base64url'),
  ].join('.');
add(
  'documentation jwt',
  'AUTH_TOKEN',
  docJwt({ sub: '1234567890', name: 'John Doe', iat: 1516239022 }),
  'RFC 7519 style example',
);
add('example issuer jwt', 'id_token', docJwt({ iss: 'https://example.com', sub: 'test-user' }));
add(
  'base64 public key',
  'jwt.pub.b64',
  Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }) as string).toString('base64'),
);

// Password hashes and encrypted values: hashes and ciphertext are not secrets.
add(
  'bcrypt hash',
  'ADMIN_PASSWORD',
  `$2b$12$${g.string(`${BASE62}./`, 53)}`,
  'OpenBSD bcrypt(3): modular crypt format',
);
add(
  'htpasswd',
  'htpasswd',
  `admin:$apr1$${g.string(BASE62, 8)}$${g.string(`${BASE62}./`, 22)}\n`,
  'Apache htpasswd docs',
);
add(
  'sha512-crypt',
  'shadow',
  `root:$6$${g.string(BASE62, 16)}$${g.string(`${BASE62}./`, 86)}:19000:0:99999:7:::`,
  'crypt(5)',
);
add(
  'ldap ssha',
  'users.ldif',
  `dn: uid=ops,ou=people,dc=shop\nuserPassword: {SSHA}${g.bytes(24).toString('base64')}\n`,
  'RFC 2307 / OpenLDAP docs',
);
add(
  'sops value',
  'secrets.yaml',
  `password: ENC[AES256_GCM,data:${g.bytes(12).toString('base64')},iv:${g.bytes(32).toString('base64')},tag:${g.bytes(16).toString('base64')},type:str]\n`,
  'SOPS docs: encrypted file format',
);
add(
  'ansible vault',
  'vars.yml',
  `db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  ${g.string(HEX, 80)}\n  ${g.string(HEX, 80)}\n`,
  'Ansible docs: encrypting content with Ansible Vault',
);

function hashUuid(seed: string): string {
  const h = hash('sha256', seed).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const CASES: readonly CorpusCase[] = cases;
