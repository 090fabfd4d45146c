/**
 * Secret detectors: scanEntry over a 200-key ConfigMap of ordinary values, a 64 KB config
 * file, and a value holding a PEM private key, each next to JSON.parse of the same ConfigMap
 * body in the same run (the cost the webhook pays anyway to read the review).
 */
import { generateKeyPairSync } from 'node:crypto';
import { listDetectors, scanEntry } from '../src/detect/index.js';
import { measure, printTable } from './harness.js';

const ORDINARY_VALUES: readonly string[] = [
  'info',
  'true',
  'false',
  '8080',
  '30s',
  '3',
  'postgres.shop.svc.cluster.local',
  'https://api.example.com/v2/',
  'redis://redis:6379/0',
  '/run/secrets/shroud/db-password',
  '${DB_PASSWORD}',
  'registry.example.com/shop/orders@sha256:9b2a6f0c1d4e8b7a5c3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b',
  '6f1c2e4a-3b5d-4c7e-9f0a-1b2c3d4e5f60',
  'eu-west-1',
  '-Xmx512m -XX:+UseG1GC',
  'https://shop.example.com,https://admin.example.com',
];
const KEY_STEMS: readonly string[] = [
  'LOG_LEVEL',
  'FEATURE',
  'PORT',
  'TIMEOUT',
  'HOST',
  'URL',
  'PASSWORD_FILE',
  'IMAGE',
  'REGION',
  'OPTS',
];

function configMap(data: Record<string, string>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'shop' }, data });
}

function ordinaryConfigMap(keys: number): Record<string, string> {
  const data: Record<string, string> = {};
  for (let i = 0; i < keys; i++)
    data[`${KEY_STEMS[i % KEY_STEMS.length]}_${i}`] = ORDINARY_VALUES[i % ORDINARY_VALUES.length] as string;
  return data;
}

function configFile(bytes: number): string {
  const lines = [
    'server.port=8080',
    'spring.application.name=orders',
    'spring.datasource.url=jdbc:postgresql://db:5432/orders',
    'spring.datasource.username=orders',
    'spring.datasource.password=${DB_PASSWORD}',
    'logging.level.root=INFO',
    'management.endpoints.web.exposure.include=health,info,prometheus',
    'app.token.ttl=3600',
    'app.cors.allowed-origins=https://shop.example.com',
    '# cache settings',
    'app.cache.size=10000',
  ];
  let out = '';
  for (let i = 0; out.length < bytes; i++) out += `${lines[i % lines.length]}\n`;
  return out;
}

function scanAll(data: Record<string, string>): number {
  let findings = 0;
  for (const key in data) findings += scanEntry(key, data[key] as string).length;
  return findings;
}

export async function run(): Promise<void> {
  const ordinary = configMap(ordinaryConfigMap(200));
  const ordinaryData = (JSON.parse(ordinary) as { data: Record<string, string> }).data;
  console.log(`200-key ConfigMap body: ${ordinary.length} bytes, findings: ${scanAll(ordinaryData)}`);
  printTable(
    '200-key ConfigMap of ordinary values',
    [measure('JSON.parse body', () => JSON.parse(ordinary)), measure('scanEntry x 200', () => scanAll(ordinaryData))],
    'JSON.parse body',
  );

  const file = configMap({ 'application.properties': configFile(64 * 1024) });
  const fileData = (JSON.parse(file) as { data: Record<string, string> }).data;
  const fileValue = fileData['application.properties'] as string;
  console.log(`\n64 KB config file: ${fileValue.length} characters, findings: ${scanAll(fileData)}`);
  printTable(
    '64 KB config file value',
    [
      measure('JSON.parse body', () => JSON.parse(file)),
      measure('scanEntry', () => scanAll(fileData)),
      ...listDetectors().map((d) => measure(`  ${d.name}`, () => d.scan('application.properties', fileValue))),
    ],
    'JSON.parse body',
  );

  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  const withKey = configMap({ 'tls.key': pem, 'tls.crt.path': '/etc/tls/tls.crt', LOG_LEVEL: 'info' });
  const keyData = (JSON.parse(withKey) as { data: Record<string, string> }).data;
  console.log(`\nConfigMap with a PEM key: ${withKey.length} bytes, findings: ${scanAll(keyData)}`);
  printTable(
    'value with a PEM private key (3 keys)',
    [measure('JSON.parse body', () => JSON.parse(withKey)), measure('scanEntry x 3', () => scanAll(keyData))],
    'JSON.parse body',
  );
}
