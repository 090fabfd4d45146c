/**
 * Credentials that are not provider tokens: generic secrets under telling keys, passwords in
 * connection strings (URL, JDBC, ODBC/ADO.NET, libpq, JAAS, Go DSN), HTTP auth headers, private
 * keys, signed JWTs and random one-case keys. Every value is synthetic: drawn from a seeded
 * generator (test/detect/synthetic.ts) in the shape the named documentation gives, and assembled
 * at run time so that no complete credential literal sits in the source.
 */
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { BASE62, BASE64, DIGITS, HEX, LOWER, Synthetic, UPPER } from '../synthetic.js';
import type { CorpusCase } from './types.js';

const g = new Synthetic('corpus/credentials');
const cases: CorpusCase[] = [];
const add = (name: string, key: string, value: string, source: string): void => {
  cases.push({ name, key, value, secret: true, source });
};

// Generated passwords (password managers, `openssl rand`, pwgen -s) under telling keys.
const PASSWORD_KEYS = [
  'DB_PASSWORD',
  'spring.datasource.password',
  'REDIS_PASSWORD',
  'admin_password',
  'SMTP_PASS',
  'rabbitmq.password',
  'MYSQL_ROOT_PASSWORD',
  'keystore.password',
  'LDAP_BIND_PASSWORD',
  'POSTGRES_PASSWORD',
  'mongo_pwd',
  'ELASTIC_PASSWORD',
  'grafana.admin.passwd',
  'KAFKA_SASL_PASSWORD',
];
PASSWORD_KEYS.forEach((key, i) => {
  add(`generated password ${i}`, key, g.password(12 + (i % 4) * 4), 'synthetic');
});
// pwgen-style alphanumerics.
PASSWORD_KEYS.slice(0, 6).forEach((key, i) => {
  add(`alphanumeric password ${i}`, key, g.string(BASE62, 10 + i * 2), 'synthetic (pwgen -s)');
});
// People's passwords: words, digits and symbols mixed (not placeholders, just weaker).
const WORDS = ['falcon', 'river', 'copper', 'maple', 'orbit', 'lantern', 'tundra', 'velvet', 'quartz', 'harbor'];
for (let i = 0; i < 8; i++) {
  const a = g.pick(WORDS);
  const b = g.pick(WORDS);
  const word = `${a[0]?.toUpperCase()}${a.slice(1)}${g.pick(['!', '#', '-', '.', '%'])}${b}${g.string(DIGITS, 2)}`;
  add(`chosen password ${i}`, PASSWORD_KEYS[(i + 3) % PASSWORD_KEYS.length] as string, word, 'synthetic');
}

// API keys, client secrets and signing secrets of unnamed services.
const API_KEYS = [
  'API_KEY',
  'apiKey',
  'x-api-key',
  'client_secret',
  'WEBHOOK_SECRET',
  'SESSION_SECRET',
  'JWT_SECRET',
  'signing_key',
  'oauth.clientSecret',
  'AUTH_TOKEN',
  'accessToken',
  'SERVICE_ACCOUNT_TOKEN',
];
API_KEYS.forEach((key, i) => {
  add(`base62 api key ${i}`, key, g.string(BASE62, 24 + (i % 5) * 8), 'synthetic');
});
const HEX_KEYS = ['SECRET_KEY_BASE', 'APP_SECRET', 'ENCRYPTION_KEY', 'HMAC_KEY', 'COOKIE_SECRET', 'NEXTAUTH_SECRET'];
HEX_KEYS.forEach((key, i) => {
  add(`hex secret ${i}`, key, g.string(HEX, [32, 40, 64, 128][i % 4] as number), 'synthetic (openssl rand -hex)');
});
const B64_KEYS = ['MASTER_KEY', 'AES_KEY', 'encryption.key', 'DATA_ENCRYPTION_KEY', 'token_signing_secret'];
B64_KEYS.forEach((key, i) => {
  add(
    `base64 key ${i}`,
    key,
    g.bytes([16, 24, 32, 48, 64][i] as number).toString('base64'),
    'synthetic (openssl rand -base64)',
  );
});
add(
  'laravel app key',
  'APP_KEY',
  `base64:${g.bytes(32).toString('base64')}`,
  'Laravel docs: APP_KEY is base64: and 32 random bytes',
);
add(
  'django secret key',
  'DJANGO_SECRET_KEY',
  g.string(`${LOWER}${DIGITS}!@#$%^&*(-_=+)`, 50),
  'Django docs: get_random_secret_key, 50 characters',
);
add('rails master key', 'RAILS_MASTER_KEY', g.string(HEX, 32), 'Rails docs: config/master.key, 32 hex');

// Random one-case keys: lower-case or upper-case alphanumerics, as many services issue them.
const ONE_CASE_KEYS = ['MAILER_KEY', 'analytics_key', 'LICENSE_KEY', 'SEARCH_ADMIN_KEY', 'ingest_key', 'PUSH_KEY'];
ONE_CASE_KEYS.forEach((key, i) => {
  const alphabet = i % 2 === 0 ? `${LOWER}${DIGITS}` : `${UPPER}${DIGITS}`;
  add(`one-case key ${i}`, key, g.string(alphabet, [32, 40, 36, 48, 26, 30][i] as number), 'synthetic');
});

// Connection strings with passwords.
const pw = (): string => g.string(`${BASE62}-_.~`, 20);
add(
  'postgres url',
  'DATABASE_URL',
  `postgres://orders:${pw()}@db.shop.svc:5432/orders?sslmode=require`,
  'PostgreSQL docs: connection URIs',
);
add(
  'mongodb srv url',
  'MONGO_URI',
  `mongodb+srv://app:${pw()}@cluster0.ab1cd.mongodb.net/prod?retryWrites=true&w=majority`,
  'MongoDB docs: connection string',
);
add('redis url empty user', 'REDIS_URL', `redis://:${pw()}@redis-master:6379/0`, 'Redis URI scheme (IANA)');
add('mysql url', 'db.url', `mysql://root:${pw()}@mysql.shop.svc:3306/shop`, 'synthetic');
add('amqp url', 'BROKER_URL', `amqps://orders:${pw()}@rabbit.example.net:5671/prod`, 'RabbitMQ URI spec');
add('git remote with token', 'repo', `https://deploy:${g.string(BASE62, 40)}@git.example.com/team/app.git`, 'git docs');
add('smtp url', 'MAIL_URL', `smtp://mailer:${pw()}@smtp.example.com:587`, 'synthetic');
add(
  'jdbc postgres params',
  'spring.datasource.url',
  `jdbc:postgresql://db:5432/app?user=app&password=${pw()}&ssl=true`,
  'PostgreSQL JDBC docs: connection parameters',
);
add(
  'jdbc sqlserver',
  'datasource.url',
  `jdbc:sqlserver://sql.example.com:1433;databaseName=Sales;user=svc_sales;password=${pw()};encrypt=true`,
  'Microsoft JDBC driver docs: connection URL',
);
add(
  'jdbc mysql params',
  'JDBC_URL',
  `jdbc:mysql://db:3306/shop?user=shop&password=${pw()}&useSSL=true`,
  'MySQL Connector/J docs',
);
add(
  'jdbc oracle thin',
  'oracle.url',
  `jdbc:oracle:thin:app/${g.string(BASE62, 16)}@//oracle.example.com:1521/ORCLPDB1`,
  'Oracle JDBC docs: thin driver URL',
);
add(
  'odbc sql server',
  'ODBC_CONNECTION',
  `Driver={ODBC Driver 18 for SQL Server};Server=tcp:sql.example.com,1433;Database=sales;Uid=svc;Pwd=${pw()};Encrypt=yes;`,
  'Microsoft ODBC driver docs: connection string keywords',
);
add(
  'ado.net sql',
  'ConnectionStrings__Default',
  `Server=tcp:shop.database.windows.net,1433;Initial Catalog=shop;User ID=app;Password=${pw()};Encrypt=True;`,
  'ADO.NET SqlConnection.ConnectionString docs',
);
add(
  'npgsql',
  'ConnectionStrings__Orders',
  `Host=db;Port=5432;Database=orders;Username=orders;Password=${pw()}`,
  'Npgsql docs: connection string parameters',
);
add(
  'azure storage',
  'AzureWebJobsStorage',
  `DefaultEndpointsProtocol=https;AccountName=shopstore;AccountKey=${g.bytes(64).toString('base64')};EndpointSuffix=core.windows.net`,
  'Azure Storage docs: configure a connection string',
);
add(
  'azure service bus',
  'SERVICEBUS_CONNECTION',
  `Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${g.bytes(32).toString('base64')}`,
  'Azure Service Bus docs: SAS connection string',
);
add(
  'jaas plain',
  'sasl.jaas.config',
  `org.apache.kafka.common.security.plain.PlainLoginModule required username="svc-orders" password="${pw()}";`,
  'Apache Kafka docs: SASL/PLAIN JAAS configuration',
);
add(
  'jaas scram',
  'KAFKA_SASL_JAAS_CONFIG',
  `org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" password="${pw()}";`,
  'Apache Kafka docs: SASL/SCRAM',
);
add(
  'libpq keywords',
  'PG_DSN',
  `host=db.shop.svc port=5432 dbname=orders user=orders password=${pw()} sslmode=require`,
  'PostgreSQL docs: keyword/value connection strings',
);
add('go mysql dsn', 'MYSQL_DSN', `app:${pw()}@tcp(mysql:3306)/orders?parseTime=true`, 'go-sql-driver/mysql docs: DSN');
add('basic auth header', 'AUTH_HEADER', `Basic ${Buffer.from(`ci-bot:${pw()}`).toString('base64')}`, 'RFC 7617');
add('bearer header', 'Authorization', `Bearer ${g.string(BASE62, 40)}`, 'RFC 6750');
add(
  'docker config auth',
  'config.json',
  JSON.stringify({ auths: { 'registry.example.com': { auth: Buffer.from(`deploy:${pw()}`).toString('base64') } } }),
  'Docker docs: config.json auths',
);

// Private keys.
const keyOf = (type: 'rsa' | 'ec' | 'ed25519'): KeyObject =>
  type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
    : type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      : generateKeyPairSync('ed25519').privateKey;
const pem = (type: 'rsa' | 'ec' | 'ed25519', format: 'pkcs1' | 'pkcs8' | 'sec1', cipher = false): string =>
  keyOf(type).export(
    cipher
      ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'corpus' }
      : { type: format, format: 'pem' },
  ) as string;
add('rsa pkcs1 key', 'tls.key', pem('rsa', 'pkcs1'), 'RFC 8017 / RFC 7468');
add('ec sec1 key', 'server.key', pem('ec', 'sec1'), 'RFC 5915');
add('ed25519 pkcs8 key', 'signing.pem', pem('ed25519', 'pkcs8'), 'RFC 8410');
add('encrypted pkcs8 key', 'key.pem', pem('ec', 'pkcs8', true), 'RFC 5958');
const armored = (label: string, lines: number): string => {
  const body: string[] = [];
  for (let i = 0; i < lines; i++) body.push(g.bytes(48).toString('base64'));
  return `-----BEGIN ${label}-----\n${body.join('\n')}\n-----END ${label}-----\n`;
};
add('openssh key', 'id_ed25519', armored('OPENSSH PRIVATE KEY', 6), 'OpenSSH PROTOCOL.key');
add('pgp private block', 'signing-key.asc', armored('PGP PRIVATE KEY BLOCK', 8).replace('\n', '\n\n'), 'RFC 4880');
add(
  'kubeconfig client-key-data',
  'client-key-data',
  Buffer.from(pem('ec', 'sec1')).toString('base64'),
  'kubeconfig docs',
);

// Signed JWTs.
const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
for (let i = 0; i < 4; i++) {
  const header = b64url({ alg: ['HS256', 'RS256', 'ES256', 'HS512'][i], typ: 'JWT' });
  const payload = b64url({ sub: `svc-${g.string(LOWER, 6)}`, iat: 1764000000 + i, scope: 'orders:write' });
  const sig = createHmac('sha256', g.bytes(32)).update(`${header}.${payload}`).digest('base64url');
  add(
    `signed jwt ${i}`,
    ['SERVICE_TOKEN', 'id_token', 'bootstrap-token', 'value'][i] as string,
    `${header}.${payload}.${sig}`,
    'RFC 7519',
  );
}

// A secret under a name without a secret word, in a multi-line config file.
add(
  'ini with secret line',
  'credentials',
  `[default]\nregion = eu-west-1\naws_secret_access_key = ${g.string(BASE64, 40)}\n`,
  'AWS CLI docs: credentials file',
);
add(
  'env file with secret',
  'app.env',
  `NODE_ENV=production\nSTRIPE_WEBHOOK_SECRET=${g.string(BASE62, 32)}\nPORT=8080\n`,
  'synthetic',
);
add(
  'netrc',
  '.netrc',
  `machine api.example.com\n  login deploy-bot\n  password ${g.string(BASE62, 24)}\n`,
  'GNU inetutils docs: the .netrc file',
);
add(
  'netrc one line',
  'netrc',
  `machine git.example.com login ci password ${pw()}`,
  'GNU inetutils docs: the .netrc file',
);
add(
  'maven settings',
  'settings.xml',
  `<settings>\n  <servers>\n    <server>\n      <id>internal</id>\n      <username>deployer</username>\n      <password>${pw()}</password>\n    </server>\n  </servers>\n</settings>\n`,
  'Maven docs: settings reference, servers',
);
add(
  'dotnet appsettings xml',
  'Web.config',
  `<configuration>\n  <appSettings>\n    <add key="StorageApiKey" value="${g.string(BASE62, 32)}" />\n  </appSettings>\n</configuration>\n`,
  'Microsoft docs: appSettings element',
);
add(
  'tomcat users',
  'tomcat-users.xml',
  `<tomcat-users>\n  <user username="manager" password="${pw()}" roles="manager-gui"/>\n</tomcat-users>\n`,
  'Apache Tomcat docs: tomcat-users.xml',
);
add(
  'fluent-bit spaced',
  'fluent-bit.conf',
  `[OUTPUT]\n    Name  http\n    HTTP_User  shipper\n    HTTP_Passwd  ${pw()}\n`,
  'Fluent Bit docs: http output',
);
add('upper base32 seed', 'totp_secret', g.string(`${UPPER}234567`, 32), 'RFC 6238 (base32 shared secret)');

export const CASES: readonly CorpusCase[] = cases;
