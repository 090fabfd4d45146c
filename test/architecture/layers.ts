/**
 * The layering rules of docs/architecture.md as data. Edit both together: the table in the doc
 * is for people, this one is what the test enforces.
 */
import type { LayerRules } from './import-graph.js';

const BOTTOM = ['errors', 'issues', 'util'] as const;
const DOMAIN = ['admission', 'detect', 'crypto', 'policy', 'inject'] as const;
const PLUMBING = ['fs', 'log', 'health', 'watch', 'tls', 'https', 'config', 'metrics'] as const;
const ADAPTERS = ['kube'] as const;
const SERVICES = ['webhook', 'unseal', 'kms'] as const;

export const LAYERS: LayerRules = {
  allowed: {
    // the bottom: the error registry, located issues, tiny shared helpers
    errors: [],
    issues: ['errors'],
    util: [],
    // domain: plain functions over data
    admission: [...BOTTOM],
    detect: [...BOTTOM],
    crypto: [...BOTTOM, 'fs'],
    policy: [...BOTTOM, 'admission', 'detect'],
    inject: [...BOTTOM, 'admission'],
    // compiles policy files and injection to in-tree admission objects (ValidatingAdmissionPolicy, MutatingAdmissionPolicy)
    export: [...BOTTOM, 'admission', 'policy', 'inject'],
    // plumbing shared by every server
    fs: ['errors'],
    log: ['errors'],
    health: [],
    watch: [...BOTTOM, 'health', 'log'],
    tls: [...BOTTOM, 'fs', 'health', 'log', 'watch'],
    https: [...BOTTOM, 'log', 'tls'],
    config: [...BOTTOM, 'log', 'policy'],
    // Prometheus: the registry, the metric definitions, the plain-HTTP /metrics listener
    metrics: [...BOTTOM],
    // adapters: the Kubernetes API, for services and roles
    kube: [...BOTTOM],
    // services: one folder per server a role runs
    webhook: [...BOTTOM, 'admission', 'health', 'https', 'log', 'tls', 'watch'],
    // the unseal service, and its init-container client (`unseal/client/`, run by `shroud unseal-init`)
    unseal: [...BOTTOM, 'crypto', 'fs', 'health', 'https', 'kube', 'log', 'tls'],
    // Kubernetes KMS v2 over gRPC on a Unix socket: the plugin server (`shroud kms-plugin`) and the `kms` KEK provider (its client)
    kms: [...BOTTOM, 'crypto', 'fs', 'health', 'log'],
    // composition roots: config in, running objects out
    roles: [...BOTTOM, ...DOMAIN, ...PLUMBING, ...ADAPTERS, ...SERVICES],
    // the command line: parses, calls domain code or a role, prints
    cli: [...BOTTOM, ...DOMAIN, 'fs', 'log', 'tls', 'config', 'kube', 'roles', 'unseal', 'export'],
    // the library API
    index: [...BOTTOM, ...DOMAIN],
  },
  packageHomes: {
    express: ['webhook', 'unseal'],
    pino: ['log'],
    'prom-client': ['metrics'],
    'node-forge': ['tls'],
    '@kubernetes/client-node': ['kube'],
    '@grpc/grpc-js': ['kms'],
    '@grpc/proto-loader': ['kms'],
    'node:http': ['https', 'metrics'],
    'node:https': ['https', 'webhook', 'kube', 'unseal'],
    'node:net': ['https', 'tls', 'metrics'],
    'node:tls': ['tls', 'webhook', 'unseal'],
    'node:cluster': ['roles', 'cli'],
    'node:child_process': [],
  },
  pure: [...BOTTOM, ...DOMAIN, 'export'],
  // Pure and without I/O: no file, network or process module at all (policy and crypto each
  // have one module that reads files where their callers ask; these have none).
  noIo: [...BOTTOM, 'admission', 'detect', 'inject', 'export'],
};
