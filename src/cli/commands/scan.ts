/**
 * `shroud scan [--kubeconfig FILE] [--policies DIR] [-o text|json|sarif|policyreport]`: lists what
 * a live cluster already holds and judges every object as a CREATE with the same engine,
 * exclusions and exceptions as the webhook; also answers who can read Secrets, and which pods
 * asked for injection and did not get it.
 */
import { choiceSetting, SETTINGS } from '../../config/index.js';
import { INIT_CONTAINER, INJECT_LABEL } from '../../inject/index.js';
import {
  createListClient,
  type ListProgress,
  type ListResult,
  type ListTarget,
  SCAN_TARGETS,
} from '../../kube/index.js';
import {
  applyEnforcementOverride,
  type EnforcementOverride,
  evaluateObject,
  ownersOf,
  type PolicySet,
} from '../../policy/index.js';
import { isRecord } from '../../util/is-record.js';
import { defineCommandLine, readCommandLine } from '../command-line.js';
import { reportedExceptions } from '../check-report.js';
import { loadPoliciesForCommand } from '../load-policies.js';
import { EXIT, type CliIO, type Command } from '../io.js';
import { secretReaders } from '../scan-rbac.js';
import {
  renderPolicyReports,
  renderScanJson,
  renderScanSarif,
  renderScanText,
  type ScanObject,
  type ScanReport,
  type UninjectedPod,
} from '../scan-report.js';
import { DEFAULT_CHECK_MAX_VIOLATIONS } from './check.js';

export const SCAN_OUTPUT_FORMATS = ['text', 'json', 'sarif', 'policyreport'] as const;

export const SCAN_COMMAND_LINE = defineCommandLine({
  command: 'scan',
  usage: '[options]',
  description: `Lists the Pods, pod controllers, mapped custom workload kinds, RBAC objects, ConfigMaps and
PersistentVolumes of a live cluster and judges each as a CREATE against the policies; also lists
who can read Secrets and the pods labelled for injection that were not injected.`,
  settings: {
    kubeconfig: {
      ...SETTINGS.kubeconfig,
      help: "the cluster to scan (the file's current context); default in-cluster",
    },
    policiesDir: SETTINGS.policiesDir,
    builtinPolicies: SETTINGS.builtinPolicies,
    output: choiceSetting({
      flag: 'output',
      short: 'o',
      arg: 'FORMAT',
      choices: SCAN_OUTPUT_FORMATS,
      default: 'text',
      help: 'text, json, sarif or policyreport (wgpolicyk8s.io/v1alpha2 PolicyReport objects as YAML)',
    }),
    enforcementOverride: SETTINGS.enforcementOverride,
  },
  positionals: false,
  footer: `Exit codes: 0 nothing would be denied, 1 something would be denied, 2 usage error,
3 the policies cannot be loaded or the Kubernetes API failed or refused a list.`,
});

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function metaOf(o: Record<string, unknown>): Record<string, unknown> {
  return isRecord(o.metadata) ? o.metadata : {};
}

/** The furthest owner the object shows, as `Kind name`. */
function ownerText(o: Record<string, unknown>): string | null {
  const owners = ownersOf(o);
  const last = owners[owners.length - 1];
  return last === undefined ? null : `${last.kind} ${last.name}`;
}

/** Judges one listed object as a CREATE. */
export function judge(
  set: PolicySet,
  object: Record<string, unknown>,
  now: Date,
  enforcementOverride: EnforcementOverride | undefined,
): ScanObject {
  const meta = metaOf(object);
  const kind = str(object.kind) ?? '';
  const namespace = str(meta.namespace);
  const name = str(meta.name) ?? '';
  const evaluated = evaluateObject(
    set,
    { object, operation: 'CREATE', kind, ...(namespace === null ? {} : { namespace }), name },
    { now, maxViolations: DEFAULT_CHECK_MAX_VIOLATIONS },
  );
  const ev = enforcementOverride === undefined ? evaluated : applyEnforcementOverride(evaluated, enforcementOverride);
  const excluded = ev.notices.some((n) => n.message === 'request excluded');
  const has = (e: string) =>
    ev.violations.some((v) => v.enforcement === e) || ev.omitted.some((o) => o.enforcement === e);
  const verdict = excluded
    ? 'excluded'
    : has('deny')
      ? 'denied'
      : has('warn')
        ? 'warned'
        : has('audit')
          ? 'audited'
          : 'passed';
  return {
    apiVersion: str(object.apiVersion) ?? '',
    kind,
    namespace,
    name,
    uid: str(meta.uid),
    owner: ownerText(object),
    verdict,
    violations: ev.violations.map((v) => ({
      policy: v.policy,
      rule: v.rule,
      enforcement: v.enforcement,
      path: v.path,
      message: v.message,
    })),
    violationsOmitted: ev.omitted.reduce((n, o) => n + o.count, 0),
    exceptions: reportedExceptions(ev.exceptions),
    passed: ev.results
      .filter((r) => r.status === 'pass')
      .map((r) => ({ policy: r.policy, rule: r.rule, enforcement: r.enforcement })),
  };
}

/** Pods labelled for injection whose spec has no shroud-unseal init container. */
export function uninjectedPods(pods: readonly Record<string, unknown>[]): UninjectedPod[] {
  const out: UninjectedPod[] = [];
  for (const pod of pods) {
    const meta = metaOf(pod);
    const labels = isRecord(meta.labels) ? meta.labels : {};
    if (labels[INJECT_LABEL] !== 'true') continue;
    const spec = isRecord(pod.spec) ? pod.spec : {};
    const inits = Array.isArray(spec.initContainers) ? spec.initContainers : [];
    if (inits.some((c) => isRecord(c) && c.name === INIT_CONTAINER)) continue;
    out.push({ namespace: str(meta.namespace) ?? '', name: str(meta.name) ?? '', owner: ownerText(pod) });
  }
  return out.sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
}

/**
 * Progress on stderr, counts only. On a terminal, one line rewritten after every page; otherwise
 * (CI logs, files) one line per finished list, so a log is not flooded with carriage returns.
 */
function progressWriter(io: CliIO): { update: (p: ListProgress) => void; end: () => void } {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const state = new Map<string, ListProgress>();
  let shown = false;
  return {
    update(p) {
      state.set(p.resource, p);
      if (!tty) {
        if (p.done) io.stderr.write(`listed ${p.items} ${p.resource} in ${p.pages} page${p.pages === 1 ? '' : 's'}\n`);
        return;
      }
      const running = [...state.values()].filter((s) => !s.done);
      const done = state.size - running.length;
      const items = [...state.values()].reduce((n, s) => n + s.items, 0);
      const now = running.map((s) => `${s.resource} ${s.items}`).join(', ');
      io.stderr.write(`\r\x1b[2Klisting: ${done} lists done, ${items} objects${now === '' ? '' : `; ${now}`}`);
      shown = true;
    },
    end() {
      if (shown) io.stderr.write('\r\x1b[2K');
    },
  };
}

/** Runs `shroud scan`. */
export const scan: Command = async (argv: string[], io: CliIO): Promise<number> => {
  const commandLine = readCommandLine(SCAN_COMMAND_LINE, argv, io);
  if (commandLine === undefined) return EXIT.OK;
  const { values } = commandLine;
  const set = await loadPoliciesForCommand(values, io, 'scanned');
  if (set === undefined) return EXIT.FAILURE;
  const client = createListClient({ kubeconfigPath: values.kubeconfig });
  const progress = progressWriter(io);
  const now = new Date();
  const rbac = 'rbac.authorization.k8s.io';
  // Each page is judged as it arrives and dropped; only RBAC objects are kept (for who can read Secrets).
  const gathered = new Map<
    ListTarget,
    { objects: ScanObject[]; uninjected: UninjectedPod[]; kept: Record<string, unknown>[] }
  >();
  const slot = (t: ListTarget) => {
    let g = gathered.get(t);
    if (g === undefined) {
      g = { objects: [], uninjected: [], kept: [] };
      gathered.set(t, g);
    }
    return g;
  };
  let lists: ListResult[];
  const targets: ListTarget[] = [...SCAN_TARGETS];
  const skipped: { kind: string; reason: string }[] = [];
  try {
    for (const w of set.workloadKinds) {
      const found = await client.discover(w.group, w.kind);
      if ('found' in found) targets.push(found.found);
      else skipped.push({ kind: `${w.group}/${w.kind}`, reason: found.missing });
    }
    lists = await client.listAll(targets, {
      onPage(t, items) {
        const g = slot(t);
        for (const o of items) g.objects.push(judge(set, o, now, values.enforcementOverride));
        if (t.kind === 'Pod' && t.group === '') g.uninjected.push(...uninjectedPods(items));
        if (t.group === rbac) g.kept.push(...items);
      },
      onRestart(t) {
        gathered.delete(t);
      },
      onProgress: progress.update,
    });
  } finally {
    progress.end();
    client.close();
  }
  const all = targets.map(slot);
  const of = (kind: string) => targets.flatMap((t, i) => (t.group === rbac && t.kind === kind ? all[i]!.kept : []));
  const report: ScanReport = {
    server: client.server,
    listed: lists.map((l) => ({
      resource: l.target.resource,
      group: l.target.group,
      version: l.target.version,
      kind: l.target.kind,
      items: l.items,
      pages: l.pages,
      restarts: l.restarts,
    })),
    skipped,
    objects: all.flatMap((g) => g.objects),
    secretReaders: secretReaders(of('Role'), of('ClusterRole'), of('RoleBinding'), of('ClusterRoleBinding')),
    uninjectedPods: all
      .flatMap((g) => g.uninjected)
      .sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1)),
  };
  if (values.output === 'json') io.stdout.write(renderScanJson(report));
  else if (values.output === 'sarif') io.stdout.write(renderScanSarif(report, set));
  else if (values.output === 'policyreport') io.stdout.write(renderPolicyReports(report, now));
  else io.stdout.write(renderScanText(report));
  return report.objects.some((o) => o.verdict === 'denied') ? EXIT.VIOLATIONS : EXIT.OK;
};

export default scan;
