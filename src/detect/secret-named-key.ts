/**
 * `secret-named-key`: a ConfigMap key whose name says it holds a secret (`DB_PASSWORD`,
 * `apiKey`, `client_secret`; see secret-names.ts) with a single-line value that looks real (see
 * placeholders.ts). Multi-line values are files: the private-key and config-file-secret
 * detectors look inside them instead.
 */
import { isRealLookingSecret } from './placeholders.js';
import { isSecretName } from './secret-names.js';
import type { Detector, Finding } from './types.js';

function scanSecretNamedKey(key: string, value: string): Finding[] {
  if (!isSecretName(key) || !isRealLookingSecret(value)) return [];
  const { name, confidence, description } = secretNamedKeyDetector;
  return [{ detector: name, confidence, key, description }];
}

/** The `secret-named-key` detector. */
export const secretNamedKeyDetector: Detector = {
  name: 'secret-named-key',
  confidence: 'high',
  description: 'the key name says it holds a secret and the value looks like a real one',
  scan: scanSecretNamedKey,
};
