// Argo CD in the cluster: installed from its own install manifest with
// `kubectl apply` (as its getting-started guide does), adapted to what this
// cluster has (see adaptInstall), waited for component by component, its
// server exposed on a NodePort, and driven through the REST API its web UI
// uses (session login, applications, sync, rollback, repositories).
//
// The manifest and images come from ci/cluster/build.sh and up.sh: Argo CD
// built from its Go module, the install.yaml of the same module version beside
// kubectl, the images `cutover/argocd:<version>` and
// `cutover/argocd-redis:<version>` in the node's containerd.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import axios, { type AxiosInstance } from 'axios';
import { parseAllDocuments } from 'yaml';
import { apiStatus, type KubeCluster } from '../platform/kubernetes/cluster.ts';
import { connects } from '../platform/kubernetes/platform.ts';

export const ARGOCD_NAMESPACE = 'argocd';
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const UPSTREAM_IMAGE = /^quay\.io\/argoproj\/argocd:(v[0-9][^@\s]*)$/;
/** The components the install manifest runs, as their workloads are named. */
export const ARGOCD_COMPONENTS = [
  'argocd-application-controller',
  'argocd-applicationset-controller',
  'argocd-notifications-controller',
  'argocd-redis',
  'argocd-repo-server',
  'argocd-server',
] as const;

export type Obj = k8s.KubernetesObject & { spec?: Record<string, unknown>; data?: Record<string, string>; [key: string]: unknown };
type PodSpec = { containers?: Container[]; initContainers?: Container[]; hostAliases?: { ip: string; hostnames: string[] }[] };
type Container = { name: string; image?: string; imagePullPolicy?: string };

/** Where the install manifest is: CUTOVER_ARGOCD_MANIFEST, else argocd-install.yaml beside the kubectl on PATH (ci/cluster/build.sh puts it there). */
export function installManifestPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CUTOVER_ARGOCD_MANIFEST) return env.CUTOVER_ARGOCD_MANIFEST;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && fs.existsSync(path.join(dir, 'kubectl')) && fs.existsSync(path.join(dir, 'argocd-install.yaml'))) return path.join(dir, 'argocd-install.yaml');
  }
  throw new Error(
    "Argo CD's install manifest was not found: bash ci/cluster/build.sh builds Argo CD and puts argocd-install.yaml beside its kubectl " +
      '(PATH=$(bash ci/cluster/up.sh --bin):$PATH), or set CUTOVER_ARGOCD_MANIFEST to an install.yaml whose images the cluster has',
  );
}

export interface AdaptedInstall {
  version: string;
  objects: Obj[];
  /** What was changed from the upstream manifest, and why, for the evidence. */
  changes: string[];
}

const podSpecOf = (o: Obj): PodSpec | undefined => (WORKLOADS.has(o.kind ?? '') ? ((o.spec?.template as { spec?: PodSpec } | undefined)?.spec ?? undefined) : undefined);

/**
 * The upstream install manifest, as this cluster can run it: the images are
 * the ones built here (`cutover/argocd:<version>`, and Debian's redis-server
 * as `cutover/argocd-redis:<version>`), not pulled (IfNotPresent); Dex, the
 * SSO server, is left out (no SSO is configured and its image cannot be had).
 */
export function adaptInstall(text: string, file: string): AdaptedInstall {
  const objects: Obj[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) throw new Error(`${file}: document ${i + 1} is not YAML: ${doc.errors[0]?.message.split('\n')[0]}`);
    const o = doc.toJS() as Obj | null;
    if (o !== null && typeof o === 'object') objects.push(o);
  }
  const versions = new Set<string>();
  for (const o of objects) {
    for (const c of [...(podSpecOf(o)?.containers ?? []), ...(podSpecOf(o)?.initContainers ?? [])]) {
      const m = UPSTREAM_IMAGE.exec(c.image ?? '');
      if (m) versions.add(m[1] as string);
    }
  }
  if (versions.size !== 1) throw new Error(`${file}: expected Argo CD's install manifest, its containers all of one quay.io/argoproj/argocd:<version> image; found ${versions.size === 0 ? 'none' : [...versions].join(', ')}`);
  const version = [...versions][0] as string;
  const changes: string[] = [];
  const kept = objects.filter((o) => {
    const dex = o.metadata?.name === 'argocd-dex-server' && WORKLOADS.has(o.kind ?? '');
    if (dex) changes.push(`${o.kind} argocd-dex-server left out: Dex serves SSO logins, none is configured, and its image (ghcr.io/dexidp/dex) cannot be pulled here`);
    return !dex;
  });
  for (const o of kept) {
    const spec = podSpecOf(o);
    if (spec === undefined) continue;
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      const before = c.image ?? '';
      if (UPSTREAM_IMAGE.test(before)) c.image = `cutover/argocd:${version}`;
      else if (/(^|\/)redis:/.test(before)) c.image = `cutover/argocd-redis:${version}`;
      else continue;
      c.imagePullPolicy = 'IfNotPresent';
      changes.push(`${o.kind} ${o.metadata?.name} container ${c.name}: ${before} → ${c.image} (built here, not pulled)`);
    }
  }
  return { version, objects: kept, changes };
}

/**
 * The cluster has no DNS: each pod template gets the namespace's Services in
 * its /etc/hosts (hostAliases), under the names the components dial
 * (argocd-repo-server:8081, argocd-redis:6379) and their qualified forms.
 */
export function withServiceHosts(objects: Obj[], services: { name: string; ip: string }[], namespace: string): Obj[] {
  const hostAliases = services
    .filter((s) => s.ip !== '' && s.ip !== 'None')
    .map((s) => ({ ip: s.ip, hostnames: [s.name, `${s.name}.${namespace}`, `${s.name}.${namespace}.svc`, `${s.name}.${namespace}.svc.cluster.local`] }));
  for (const o of objects) {
    const spec = podSpecOf(o);
    if (spec !== undefined) spec.hostAliases = hostAliases;
  }
  return objects;
}

/**
 * Objects for kubectl, each document as JSON: kubectl reads YAML 1.1, where
 * a plain `no` is false, so YAML 1.2 output would turn redis's `"no"`
 * argument into a boolean.
 */
export function asYamlStream(objects: Obj[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n---\n');
}

/** kubectl, bounded, its own words in the error. */
export function kubectl(args: string[], timeoutMs: number, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`kubectl ${args.join(' ')}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'kubectl is not on PATH (in CI it is the one ci/cluster/build.sh built: bash ci/cluster/up.sh --bin)' : e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim());
      else reject(new Error(`kubectl ${args.join(' ')} ${signal ? `did not end within ${timeoutMs} ms` : `exited with ${code}`}: ${err.trim() || out.trim()}`));
    });
    child.stdin.end(input ?? '');
  });
}

export interface ComponentState {
  name: string;
  kind: string;
  ready: number;
  wanted: number;
  /** A pod of it crashing again and again (CrashLoopBackOff after 3 restarts or more): waiting longer will not help. */
  crashing?: { pod: string; container: string };
  /** Why a pod of it is not ready, as kubectl describe would say (waiting reason, last termination). */
  why: string[];
}

export interface InstallResult {
  version: string;
  changes: string[];
  appliedObjects: number;
  /** ms from the first kubectl apply until every component was ready. */
  readyAfterMs: number;
  components: ComponentState[];
  /** Whether this run created the namespace (and so removes Argo CD at the end). */
  createdNamespace: boolean;
}

export interface ArgoCdOptions {
  cluster: KubeCluster;
  namespace?: string;
  log?: (line: string) => void;
}

/** Argo CD in a namespace of the cluster: install, readiness, exposure, configuration, removal. */
export class ArgoCdInstallation {
  readonly namespace: string;
  private readonly cluster: KubeCluster;
  private readonly log: (line: string) => void;

  constructor(options: ArgoCdOptions) {
    this.cluster = options.cluster;
    this.namespace = options.namespace ?? ARGOCD_NAMESPACE;
    this.log = options.log ?? (() => {});
  }

  /**
   * Applies the install manifest with `kubectl apply --server-side` (its CRDs
   * are too large for the client-side annotation): first everything but the
   * workloads, so the Services have their addresses, then the workloads with
   * those in their hosts files; then waits until every component is ready.
   */
  async install(manifestFile: string, timeoutMs: number): Promise<InstallResult> {
    const started = Date.now();
    const adapted = adaptInstall(fs.readFileSync(manifestFile, 'utf8'), manifestFile);
    const createdNamespace = await this.ensureNamespace();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-argocd-'));
    try {
      const apply = async (objects: Obj[], what: string) => {
        const file = path.join(dir, `${what}.yaml`);
        fs.writeFileSync(file, asYamlStream(objects));
        this.log(`kubectl apply --server-side -n ${this.namespace} -f ${what}.yaml (${objects.length} objects)`);
        await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=cutover', '-n', this.namespace, '-f', file], 180_000);
      };
      await apply(adapted.objects.filter((o) => !WORKLOADS.has(o.kind ?? '')), 'argocd-config');
      const services = (await this.cluster.call(`list Services in ${this.namespace}`, () => this.cluster.core.listNamespacedService({ namespace: this.namespace }))).items.map((s) => ({
        name: s.metadata?.name ?? '',
        ip: s.spec?.clusterIP ?? '',
      }));
      await apply(withServiceHosts(adapted.objects.filter((o) => WORKLOADS.has(o.kind ?? '')), services, this.namespace), 'argocd-workloads');
      adapted.changes.push(`every pod: the ${services.length} Services of ${this.namespace} in its hosts file (hostAliases), under the names the components dial: the cluster has no DNS`);
      const components = await this.waitReady(Math.max(1000, timeoutMs - (Date.now() - started)));
      return { version: adapted.version, changes: adapted.changes, appliedObjects: adapted.objects.length, readyAfterMs: Date.now() - started, components, createdNamespace };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Whether every component is there and ready (a second scenario of the run finds Argo CD installed). */
  async isReady(): Promise<boolean> {
    try {
      return (await this.components()).every((c) => c.wanted > 0 && c.ready >= c.wanted);
    } catch {
      return false;
    }
  }

  private async ensureNamespace(): Promise<boolean> {
    try {
      await this.cluster.call(`read namespace ${this.namespace}`, () => this.cluster.core.readNamespace({ name: this.namespace }));
      return false;
    } catch (err) {
      if (apiStatus(err) !== 404) throw err;
    }
    await this.cluster.call(`create namespace ${this.namespace}`, () => this.cluster.core.createNamespace({ body: { metadata: { name: this.namespace, labels: { 'app.kubernetes.io/part-of': 'argocd' } } } }));
    return true;
  }

  /** Each component's workload, how many of its pods are ready, and why the others are not. */
  async components(): Promise<ComponentState[]> {
    const ns = this.namespace;
    const [deployments, statefulSets, pods] = await Promise.all([
      this.cluster.call(`list Deployments in ${ns}`, () => this.cluster.apps.listNamespacedDeployment({ namespace: ns })),
      this.cluster.call(`list StatefulSets in ${ns}`, () => this.cluster.apps.listNamespacedStatefulSet({ namespace: ns })),
      this.cluster.call(`list Pods in ${ns}`, () => this.cluster.core.listNamespacedPod({ namespace: ns })),
    ]);
    const byName = new Map<string, { kind: string; ready: number; wanted: number }>();
    for (const d of deployments.items) byName.set(d.metadata?.name ?? '', { kind: 'Deployment', ready: d.status?.readyReplicas ?? 0, wanted: d.spec?.replicas ?? 1 });
    for (const s of statefulSets.items) byName.set(s.metadata?.name ?? '', { kind: 'StatefulSet', ready: s.status?.readyReplicas ?? 0, wanted: s.spec?.replicas ?? 1 });
    return ARGOCD_COMPONENTS.map((name) => {
      const w = byName.get(name);
      const why = pods.items
        .filter((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === name)
        .flatMap((p) => [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].filter((c) => !c.ready).map((c) => {
          const waiting = c.state?.waiting;
          const last = c.lastState?.terminated;
          return `${p.metadata?.name}/${c.name}: ${waiting ? `${waiting.reason ?? 'waiting'}${waiting.message ? ` (${waiting.message.slice(0, 200)})` : ''}` : c.state?.running ? 'running, not ready' : 'terminated'}${last ? `; last exit ${last.exitCode} ${last.reason ?? ''}` : ''}`;
        }));
      const crash = pods.items
        .filter((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === name)
        .flatMap((p) => [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].map((c) => ({ pod: p.metadata?.name ?? '', c })))
        .find(({ c }) => c.state?.waiting?.reason === 'CrashLoopBackOff' && c.restartCount >= 3);
      return { name, kind: w?.kind ?? 'missing', ready: w?.ready ?? 0, wanted: w?.wanted ?? 1, why, ...(crash ? { crashing: { pod: crash.pod, container: crash.c.name } } : {}) };
    });
  }

  /** Polls every 2 s until every component is ready; says each change; on timeout, which are not and why. */
  async waitReady(timeoutMs: number): Promise<ComponentState[]> {
    const deadline = Date.now() + timeoutMs;
    let said = '';
    for (;;) {
      const states = await this.components();
      const line = states.map((c) => `${c.name} ${c.ready}/${c.wanted}`).join(', ');
      if (line !== said) this.log(`Argo CD components: ${(said = line)}`);
      if (states.every((c) => c.kind !== 'missing' && c.ready >= c.wanted)) return states;
      const crashing = states.find((c) => c.crashing !== undefined && c.ready < c.wanted);
      if (crashing?.crashing !== undefined) {
        const { pod, container } = crashing.crashing;
        const log = await this.cluster.core.readNamespacedPodLog({ name: pod, namespace: this.namespace, container, previous: true, tailLines: 5 }).catch((err: Error) => `(its log cannot be read: ${err.message})`);
        throw new Error(`Argo CD's ${crashing.name} keeps crashing (${crashing.why.join('; ')}); the last lines its container ${container} wrote:\n${String(log).trim()}`);
      }
      if (Date.now() > deadline) {
        const waiting = states.filter((c) => c.kind === 'missing' || c.ready < c.wanted);
        throw new Error(
          `Argo CD was not ready within ${timeoutMs} ms: ${waiting.map((c) => `${c.name} ${c.kind === 'missing' ? 'has no workload' : `${c.ready}/${c.wanted} ready`}${c.why.length ? ` (${c.why.join('; ')})` : ''}`).join('; ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  /** The argocd-server Service on a NodePort (as the getting-started guide's "Service Type" option); its https URL on the node. */
  async exposeServer(nodeAddress: string): Promise<string> {
    const svc = await this.cluster.call('read Service argocd-server', () => this.cluster.core.readNamespacedService({ name: 'argocd-server', namespace: this.namespace }));
    if (svc.spec?.type !== 'NodePort') await kubectl(['patch', 'service', 'argocd-server', '-n', this.namespace, '-p', '{"spec": {"type": "NodePort"}}'], 30_000);
    const patched = await this.cluster.call('read Service argocd-server', () => this.cluster.core.readNamespacedService({ name: 'argocd-server', namespace: this.namespace }));
    const port = patched.spec?.ports?.find((p) => p.name === 'https' || p.port === 443)?.nodePort;
    if (port === undefined) throw new Error(`Service argocd-server has no NodePort for https: ${JSON.stringify(patched.spec?.ports)}`);
    // A NodePort just made answers once kube-proxy has written its rules: refused until then.
    const deadline = Date.now() + 30_000;
    while (!(await connects(nodeAddress, port))) {
      if (Date.now() > deadline) throw new Error(`the NodePort ${nodeAddress}:${port} of Service argocd-server refused connections for 30 s (is kube-proxy running?)`);
      await new Promise((r) => setTimeout(r, 500));
    }
    return `https://${nodeAddress}:${port}`;
  }

  async secretValue(name: string, key: string): Promise<string> {
    const secret = await this.cluster.call(`read Secret ${name}`, () => this.cluster.core.readNamespacedSecret({ name, namespace: this.namespace }));
    const value = secret.data?.[key];
    if (value === undefined) throw new Error(`Secret ${this.namespace}/${name} has no ${key} (keys: ${Object.keys(secret.data ?? {}).join(', ') || 'none'})`);
    return Buffer.from(value, 'base64').toString('utf8');
  }

  /** Applies objects of the namespace (ConfigMaps, Secrets) with server-side apply, as `kubectl apply --server-side` would. */
  async apply(objects: Obj[]): Promise<void> {
    await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=cutover', '-n', this.namespace, '-f', '-'], 60_000, asYamlStream(objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: this.namespace } }))));
  }

  /** Removes Argo CD: its namespace and the cluster-wide objects of the manifest (CRDs, cluster roles and bindings). */
  async uninstall(manifestFile: string, timeoutMs: number): Promise<void> {
    const { objects } = adaptInstall(fs.readFileSync(manifestFile, 'utf8'), manifestFile);
    const clusterWide = objects.filter((o) => ['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind ?? ''));
    await kubectl(['delete', 'namespace', this.namespace, '--ignore-not-found', '--wait=true', `--timeout=${Math.round(timeoutMs / 1000)}s`], timeoutMs + 10_000);
    for (const o of clusterWide) await kubectl(['delete', (o.kind as string).toLowerCase(), o.metadata?.name as string, '--ignore-not-found', '--wait=false'], 30_000);
  }
}

export interface ArgoApplicationStatus {
  name: string;
  sync: string;
  health: string;
  /** The commit the live state was compared with. */
  revision: string;
  operationPhase?: string;
  operationMessage?: string;
  /** Deployments done, oldest first: history id, commit, when. */
  history: { id: number; revision: string; deployedAt: string }[];
  /** When Argo CD last compared Git with the cluster. */
  reconciledAt?: string;
  conditions: string[];
  resources: { kind: string; name: string; status?: string; health?: string }[];
}

type ApplicationJson = {
  metadata?: { name?: string };
  spec?: { syncPolicy?: unknown };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string };
    operationState?: { phase?: string; message?: string };
    history?: { id?: number; revision?: string; deployedAt?: string }[];
    reconciledAt?: string;
    conditions?: { type?: string; message?: string }[];
    resources?: { kind?: string; name?: string; status?: string; health?: { status?: string } }[];
  };
};

export function readApplicationStatus(app: ApplicationJson): ArgoApplicationStatus {
  const s = app.status ?? {};
  return {
    name: app.metadata?.name ?? '',
    sync: s.sync?.status ?? 'Unknown',
    health: s.health?.status ?? 'Unknown',
    revision: s.sync?.revision ?? '',
    ...(s.operationState?.phase !== undefined ? { operationPhase: s.operationState.phase } : {}),
    ...(s.operationState?.message !== undefined ? { operationMessage: s.operationState.message } : {}),
    history: (s.history ?? []).map((h) => ({ id: h.id ?? 0, revision: h.revision ?? '', deployedAt: h.deployedAt ?? '' })),
    ...(s.reconciledAt !== undefined ? { reconciledAt: s.reconciledAt } : {}),
    conditions: (s.conditions ?? []).map((c) => `${c.type}: ${c.message}`),
    resources: (s.resources ?? []).map((r) => ({ kind: r.kind ?? '', name: r.name ?? '', ...(r.status !== undefined ? { status: r.status } : {}), ...(r.health?.status !== undefined ? { health: r.health.status } : {}) })),
  };
}

/**
 * The Argo CD API server's REST API (what its web UI and CLI call), over
 * HTTPS, trusting exactly the server's own certificate, logged in as admin.
 */
export class ArgoCdApi {
  private constructor(
    readonly url: string,
    private readonly http: AxiosInstance,
  ) {}

  /** Logs in (POST /api/v1/session) with the admin password; `certificate` is the server's (argocd-secret tls.crt). */
  static async login(url: string, certificate: string, password: string, timeoutMs = 15_000): Promise<ArgoCdApi> {
    // The self-signed certificate names argocd-server and localhost, not the node's address: it is
    // trusted as its own CA, and its identity is that it is exactly this certificate.
    const agent = new https.Agent({ ca: certificate, checkServerIdentity: () => undefined, keepAlive: true });
    const http = axios.create({ baseURL: url, httpsAgent: agent, timeout: timeoutMs, validateStatus: () => true });
    const res = await http.post('/api/v1/session', { username: 'admin', password });
    if (res.status !== 200 || typeof res.data?.token !== 'string') throw new Error(`Argo CD at ${url} refused the admin login: HTTP ${res.status} ${JSON.stringify(res.data).slice(0, 300)}`);
    http.defaults.headers.common.Authorization = `Bearer ${res.data.token as string}`;
    return new ArgoCdApi(url, http);
  }

  private async call<T>(method: 'get' | 'post' | 'put' | 'delete', route: string, body?: unknown): Promise<T> {
    let res;
    try {
      res = await this.http.request({ method, url: route, data: body });
    } catch (err) {
      throw new Error(`${method.toUpperCase()} ${this.url}${route}: ${(err as Error).message}`, { cause: err });
    }
    if (res.status < 200 || res.status >= 300) throw new Error(`${method.toUpperCase()} ${this.url}${route}: HTTP ${res.status} ${(res.data as { message?: string })?.message ?? JSON.stringify(res.data).slice(0, 300)}`);
    return res.data as T;
  }

  async version(): Promise<string> {
    return (await this.call<{ Version?: string }>('get', '/api/version')).Version ?? 'unknown';
  }

  /** The applications the UI's list shows, with their sync and health. */
  async applications(): Promise<ArgoApplicationStatus[]> {
    return ((await this.call<{ items?: ApplicationJson[] | null }>('get', '/api/v1/applications')).items ?? []).map(readApplicationStatus);
  }

  async application(name: string): Promise<ArgoApplicationStatus> {
    return readApplicationStatus(await this.call<ApplicationJson>('get', `/api/v1/applications/${encodeURIComponent(name)}`));
  }

  /** The UI's Sync button: syncs to the target revision (or `revision`). */
  async sync(name: string, options: { prune?: boolean; revision?: string } = {}): Promise<void> {
    await this.call('post', `/api/v1/applications/${encodeURIComponent(name)}/sync`, { name, prune: options.prune ?? false, ...(options.revision ? { revision: options.revision } : {}) });
  }

  /** The UI's History and Rollback: deploys what history entry `id` deployed (refused while automated sync is on). */
  async rollback(name: string, id: number): Promise<void> {
    await this.call('post', `/api/v1/applications/${encodeURIComponent(name)}/rollback`, { name, id, prune: false });
  }

  /** The UI's repository list: each repository and whether Argo CD reaches it. */
  async repositories(): Promise<{ repo: string; status: string; message: string }[]> {
    const items = (await this.call<{ items?: { repo?: string; connectionState?: { status?: string; message?: string } }[] | null }>('get', '/api/v1/repositories')).items ?? [];
    return items.map((r) => ({ repo: r.repo ?? '', status: r.connectionState?.status ?? 'Unknown', message: r.connectionState?.message ?? '' }));
  }
}
