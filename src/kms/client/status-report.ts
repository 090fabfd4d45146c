/**
 * What `shroud keys status --kek-provider kms` shows: the plugin's health and current key_id, every
 * key_id this process has seen, and how many opens reached the plugin for values under a key_id
 * that is no longer current (run `shroud keys rewrap` to move them). As data (for `--output json`)
 * and as text lines in the style of the keyring's table.
 */
import type { KmsV2Provider } from './provider.js';
import { kmsKeyTag, printable } from './responses.js';

/** One key_id in the report. */
export interface KmsKeyIdRow {
  keyId: string;
  /** The key tag written into values sealed under this key_id. */
  keyTag: string;
  state: 'current' | 'older';
  firstSeen: string;
  staleUnwraps: number;
}

/** The report; nothing in it is secret. */
export interface KmsStatusReport {
  provider: string;
  socket: string;
  healthy: boolean;
  message?: string;
  currentKeyId?: string;
  staleUnwraps: number;
  keyIdChanges: number;
  keyIds: KmsKeyIdRow[];
}

/** Polls the plugin if it never was, and gathers the report. */
export async function kmsStatusReport(provider: KmsV2Provider, signal?: AbortSignal): Promise<KmsStatusReport> {
  const status = await provider.status(signal ? { signal } : {});
  const staleness = provider.staleness();
  const report: KmsStatusReport = {
    provider: provider.id,
    socket: provider.target.slice('unix:'.length),
    healthy: status.healthy,
    staleUnwraps: staleness.staleUnwraps,
    keyIdChanges: staleness.keyIdChanges,
    keyIds: staleness.keyIds.map((k) => ({
      keyId: k.keyId,
      keyTag: kmsKeyTag(k.keyId),
      state: k.keyId === staleness.currentKeyId ? 'current' : 'older',
      firstSeen: k.firstSeen,
      staleUnwraps: k.staleUnwraps,
    })),
  };
  if (status.message !== undefined) report.message = status.message;
  if (staleness.currentKeyId !== undefined) report.currentKeyId = staleness.currentKeyId;
  return report;
}

/** The report as text lines (no trailing newline). key_ids are shown up to 64 characters. */
export function formatKmsStatusReport(report: KmsStatusReport): string {
  const lines = [
    `KMS v2 plugin at ${report.socket} (provider ${report.provider}): ${report.healthy ? 'healthy' : `UNHEALTHY: ${report.message ?? 'no answer'}`}`,
    `current key_id: ${report.currentKeyId === undefined ? '(not known yet)' : printable(report.currentKeyId, 64)}`,
    `${'state'.padEnd(7)}  ${'first seen'.padEnd(24)}  ${'key tag'.padEnd(32)}  ${'stale'.padStart(6)}  key_id`,
  ];
  for (const k of report.keyIds) {
    lines.push(
      `${k.state.padEnd(7)}  ${k.firstSeen.padEnd(24)}  ${k.keyTag}  ${String(k.staleUnwraps).padStart(6)}  ${printable(k.keyId, 64)}`,
    );
  }
  if (report.staleUnwraps > 0) {
    lines.push(
      `${report.staleUnwraps} open(s) since start were of values under an older key_id: run \`shroud keys rewrap\` to move them to the current one`,
    );
  }
  return lines.join('\n');
}
