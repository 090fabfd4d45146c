/**
 * Config files as teams paste them into ConfigMaps, grown to a size, for the detector bench.
 * Lines carry a counter where real files would differ from line to line (names, ports, paths),
 * so no cache of earlier lines could make a scan look cheaper than it is. None holds a secret.
 */

/** Repeats `lines(i)` for i = 0, 1, ... until the text reaches `bytes`. */
function grow(bytes: number, lines: (i: number) => readonly string[]): string {
  let out = '';
  for (let i = 0; out.length < bytes; i++) out += `${lines(i).join('\n')}\n`;
  return out;
}

/** A Spring `application.properties` of the same eleven lines (the bench's long-standing case). */
export function propertiesFile(bytes: number): string {
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
  return grow(bytes, (i) => [lines[i % lines.length] as string]);
}

/** An application's YAML settings, one block per service. */
export function yamlFile(bytes: number): string {
  return grow(bytes, (i) => [
    `service-${i}:`,
    `  url: http://service-${i}.shop.svc.cluster.local:${8000 + (i % 1000)}/api`,
    `  timeout: ${i % 60}s`,
    '  datasource:',
    `    username: svc_${i}`,
    `    password: \${SERVICE_${i}_DB_PASSWORD}`,
    `    password-file: /run/secrets/service-${i}/db`,
    '  auth:',
    `    token-ttl: ${300 + i}`,
    `    issuer: https://auth.example.com/realms/shop-${i}`,
  ]);
}

/** An nginx configuration, one server block per host. */
export function nginxFile(bytes: number): string {
  return grow(bytes, (i) => [
    'server {',
    '    listen 443 ssl;',
    `    server_name shop-${i}.example.com;`,
    `    ssl_certificate /etc/tls/shop-${i}/tls.crt;`,
    `    ssl_certificate_key /etc/tls/shop-${i}/tls.key;`,
    '    location /api/ {',
    `        proxy_pass http://orders-${i}:8080/;`,
    '        proxy_set_header Authorization $http_authorization;',
    '        proxy_set_header X-Real-IP $remote_addr;',
    '    }',
    '}',
  ]);
}

/** Pretty-printed JSON settings, one object per feature. */
export function prettyJsonFile(bytes: number): string {
  const body = grow(bytes - 40, (i) => [
    `  "feature${i}": {`,
    `    "enabled": ${i % 2 === 0},`,
    `    "tokenTtlSeconds": ${3600 + i},`,
    `    "passwordFile": "/run/secrets/feature-${i}/password",`,
    `    "upstream": "https://api.example.com/v2/features/${i}"`,
    '  },',
  ]);
  return `{\n${body}  "end": true\n}\n`;
}

/** The same settings as minified JSON: one line. */
export function minifiedJsonFile(bytes: number): string {
  const settings: Record<string, string | number> = {};
  for (let i = 0; JSON.stringify(settings).length < bytes; i++) {
    settings[`feature${i}.tokenTtl`] = 3600 + i;
    settings[`feature${i}.passwordFile`] = `/run/secrets/feature-${i}/password`;
    settings[`feature${i}.upstream`] = `https://api.example.com/v2/features/${i}`;
  }
  return JSON.stringify(settings);
}

/** Prose (a runbook in Markdown) that talks about tokens, passwords and keys. */
export function proseFile(bytes: number): string {
  return grow(bytes, (i) => [
    `## Step ${i}`,
    'The service reads its configuration at start and again when the file changes on disk.',
    `Tokens for tenant ${i} are rotated weekly; see the password policy and the key management page.`,
    `Run \`kubectl rollout restart deploy/orders-${i}\` after a rotation.`,
    '',
  ]);
}

/** A bundle of PEM certificates (public material, base64 lines of 64 characters). */
export function certificateBundle(bytes: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let state = 7;
  const line = (): string => {
    let out = '';
    for (let c = 0; c < 64; c++) {
      state = (state * 1103515245 + 12345) >>> 0;
      out += alphabet[state >>> 26];
    }
    return out;
  };
  return grow(bytes, () => [
    '-----BEGIN CERTIFICATE-----',
    line(),
    line(),
    line(),
    line(),
    'AwEAAQ==',
    '-----END CERTIFICATE-----',
  ]);
}
