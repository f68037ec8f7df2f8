// The kubernetes platform: the same manifests on a real cluster, run by the
// real Argo Rollouts controller. A namespace per platform instance (one per
// scenario), server-side apply, the `kubectl argo rollouts` verbs as the
// plugin sends them, and everything steps read (rollouts, ReplicaSets,
// AnalysisRuns, pods, events, logs) kept current by watches, never polled.
// Traffic reaches a Service through its NodePort on the node's address
// (127.0.0.1 on the CI cluster, where kube-proxy serves NodePorts on loopback).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { AnalysisRunSnapshot } from '../../analysis/run.ts';
import type { DatabaseBackup } from '../../backup/sqlite.ts';
import type { ChaosInjection, ChaosPod } from '../../chaos/injection.ts';
import type { ChaosExperiment } from '../../chaos/model.ts';
import { LogAggregator, type LogEntry, type LogQuery } from '../../logs/aggregate.ts';
import { scaledMs } from '../../manifests/duration.ts';
import { CUTOVER_KINDS } from '../../manifests/kinds.ts';
import { loadManifestFiles } from '../../manifests/load.ts';
import type { LoadedRuleFile } from '../../monitoring/rules.ts';
import type { RolloutEvent, RolloutStatus } from '../../rollout/controller.ts';
import { processAlive } from '../local/leftovers.ts';
import type { Platform, PlatformDiagnostics, RolloutHandle } from '../platform.ts';
import { apiStatus, ARGO, KubeCluster } from './cluster.ts';
import { analysisSnapshot, HASH_LABEL, ownedBy, rolloutStatus, type ArgoAnalysisRun, type ArgoReplicaSet, type ArgoRollout } from './status.ts';

export interface KubernetesPlatformOptions {
  timeScale: number;
  log?: (line: string) => void;
  kubeconfig?: string;
  /** Where the test reaches NodePorts (default CUTOVER_NODE_ADDRESS, else 127.0.0.1). */
  nodeAddress?: string;
  /**
   * Replaces every container's imagePullPolicy (default CUTOVER_IMAGE_PULL_POLICY): on a
   * cluster whose images were loaded onto its nodes and no registry is reachable (CI's,
   * or kind after kind load), `Always` (as Argo's examples say) can never start a pod.
   */
  imagePullPolicy?: 'IfNotPresent' | 'Never';
}

export const LABEL_RUN = 'io.cutover/run';
export const LABEL_OWNER = 'io.cutover/owner';
const FIELD_MANAGER = 'cutover';
const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const JSON_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
const now = () => new Date().toISOString();
/** Rollout events taken from the status rather than from the controller's Kubernetes events (see observe). */
const DERIVED_EVENTS = new Set(['PhaseChanged', 'RolloutCompleted', 'RolloutAborted', 'SwitchService', 'TrafficWeightUpdated', 'TrafficRestored']);

type Obj = k8s.KubernetesObject & Record<string, unknown>;

/** The CRDs Argo Rollouts installs (plural names). */
const ARGO_CRDS = ['rollouts', 'analysisruns', 'analysistemplates', 'clusteranalysistemplates', 'experiments'];

/** Applied in this order: what Rollouts refer to first. */
const KIND_ORDER = ['Namespace', 'ConfigMap', 'Secret', 'ServiceAccount', 'AnalysisTemplate', 'ClusterAnalysisTemplate', 'Service'];
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterAnalysisTemplate', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);

/**
 * Durations of a Rollout or AnalysisTemplate at the run's time scale, as the
 * local platform scales them: pauses, auto-promotion, scale-down delays,
 * analysis intervals. Whole seconds, at least 1, since Argo counts seconds.
 */
export function scaleDurations(obj: Obj, scale: number): Obj {
  if (scale === 1) return obj;
  const copy = structuredClone(obj);
  const seconds = (v: string | number) => Math.max(1, Math.round(scaledMs(v, scale) / 1000));
  type Timed = Record<string, unknown> & { pause?: { duration?: string | number } };
  const spec = copy.spec as { strategy?: { canary?: Timed & { steps?: Timed[] }; blueGreen?: Timed }; metrics?: Timed[] } | undefined;
  if (copy.kind === 'Rollout' && spec?.strategy) {
    const { canary, blueGreen } = spec.strategy;
    for (const step of canary?.steps ?? []) if (step.pause?.duration !== undefined) step.pause.duration = `${seconds(step.pause.duration)}s`;
    for (const s of [canary, blueGreen]) {
      for (const key of ['scaleDownDelaySeconds', 'abortScaleDownDelaySeconds', 'autoPromotionSeconds']) if (s !== undefined && typeof s[key] === 'number') s[key] = seconds(s[key]);
    }
  }
  if ((copy.kind === 'AnalysisTemplate' || copy.kind === 'ClusterAnalysisTemplate') && Array.isArray(spec?.metrics)) {
    for (const m of spec.metrics) {
      for (const key of ['interval', 'initialDelay']) {
        const v = m[key];
        if (typeof v === 'string' || typeof v === 'number') m[key] = `${seconds(v)}s`;
      }
    }
  }
  return copy;
}

interface Watched<T> {
  path: string;
  items: Map<string, T>;
  informer?: k8s.Informer<k8s.KubernetesObject>;
}

export class KubernetesPlatform implements Platform {
  readonly kind = 'kubernetes' as const;
  readonly timeScale: number;
  readonly namespace: string;
  readonly cluster: KubeCluster;
  private readonly log: (line: string) => void;
  private readonly nodeAddress: string;
  private readonly imagePullPolicy: string | undefined;
  private started: Promise<void> | undefined;
  private closed = false;
  private namespaceCreated = false;
  private readonly rolloutsW: Watched<ArgoRollout>;
  private readonly replicaSetsW: Watched<ArgoReplicaSet>;
  private readonly runsW: Watched<ArgoAnalysisRun>;
  private readonly podsW: Watched<k8s.V1Pod>;
  private readonly eventsW: Watched<k8s.CoreV1Event>;
  /** As applied, then as the watch sees them (Argo adds the pod-template hash to the selectors it manages). */
  private readonly servicesW: Watched<k8s.V1Service>;
  private readonly clusterScoped: Obj[] = [];
  private readonly platformEvents: PlatformDiagnostics['events'] = [];
  private readonly rolloutEvents = new Map<string, RolloutEvent[]>();
  private readonly lastSeen = new Map<string, RolloutStatus>();
  private readonly restored = new Set<string>();
  private readonly seenEventCounts = new Map<string, number>();
  private readonly handles = new Map<string, KubeRollout>();
  private readonly logs$ = new LogAggregator();
  private readonly following = new Map<string, AbortController>();
  private waiters: (() => void)[] = [];

  constructor(options: KubernetesPlatformOptions) {
    this.timeScale = options.timeScale;
    this.log = options.log ?? (() => undefined);
    this.nodeAddress = options.nodeAddress ?? process.env.CUTOVER_NODE_ADDRESS ?? '127.0.0.1';
    this.imagePullPolicy = options.imagePullPolicy ?? pullPolicyFromEnv();
    this.cluster = new KubeCluster(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {});
    this.namespace = `cutover-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const ns = this.namespace;
    this.rolloutsW = { path: `/apis/${ARGO.group}/${ARGO.version}/namespaces/${ns}/rollouts`, items: new Map() };
    this.replicaSetsW = { path: `/apis/apps/v1/namespaces/${ns}/replicasets`, items: new Map() };
    this.runsW = { path: `/apis/${ARGO.group}/${ARGO.version}/namespaces/${ns}/analysisruns`, items: new Map() };
    this.podsW = { path: `/api/v1/namespaces/${ns}/pods`, items: new Map() };
    this.eventsW = { path: `/api/v1/namespaces/${ns}/events`, items: new Map() };
    this.servicesW = { path: `/api/v1/namespaces/${ns}/services`, items: new Map() };
  }

  /** Checks the cluster, removes namespaces of runs whose process is gone, creates this run's namespace and starts the watches. */
  private start(): Promise<void> {
    this.started ??= (async () => {
      const { version } = await this.cluster.check();
      await this.removeLeftovers();
      await this.cluster.call(`create namespace ${this.namespace}`, () =>
        this.cluster.core.createNamespace({ body: { metadata: { name: this.namespace, labels: { [LABEL_RUN]: this.namespace, [LABEL_OWNER]: ownerLabel() } } } }),
      );
      this.namespaceCreated = true;
      this.record(`namespace/${this.namespace}`, 'NamespaceCreated', `on Kubernetes ${version} at ${this.cluster.server}`);
      this.log(`kubernetes: namespace ${this.namespace} on ${this.cluster.server} (Kubernetes ${version})`);
      await Promise.all([
        this.watch(this.rolloutsW, () => this.cluster.custom.listNamespacedCustomObject({ ...ARGO, namespace: this.namespace, plural: 'rollouts' })),
        this.watch(this.replicaSetsW, () => this.cluster.apps.listNamespacedReplicaSet({ namespace: this.namespace })),
        this.watch(this.runsW, () => this.cluster.custom.listNamespacedCustomObject({ ...ARGO, namespace: this.namespace, plural: 'analysisruns' })),
        this.watch(this.podsW, () => this.cluster.core.listNamespacedPod({ namespace: this.namespace })),
        this.watch(this.eventsW, () => this.cluster.core.listNamespacedEvent({ namespace: this.namespace })),
        this.watch(this.servicesW, () => this.cluster.core.listNamespacedService({ namespace: this.namespace })),
      ]);
    })();
    return this.started;
  }

  /** Keeps a map of one kind of object current; a dropped watch is started again while the platform is open. */
  private async watch<T>(w: Watched<T>, list: () => Promise<unknown>): Promise<void> {
    const informer = k8s.makeInformer(this.cluster.config, w.path, list as () => Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>);
    w.informer = informer;
    const put = (o: k8s.KubernetesObject) => {
      w.items.set(o.metadata?.name ?? '', o as unknown as T);
      this.changed(w, o);
    };
    informer.on('add', put);
    informer.on('update', put);
    informer.on('delete', (o) => {
      w.items.delete(o.metadata?.name ?? '');
      this.changed(w, o);
    });
    informer.on('error', () => {
      if (this.closed) return;
      setTimeout(() => void informer.start().catch(() => undefined), 1000).unref();
    });
    await this.cluster.call(`watch ${w.path}`, () => informer.start());
  }

  private changed(w: Watched<unknown>, o: k8s.KubernetesObject): void {
    if (w === this.eventsW) this.onEvent(o as k8s.CoreV1Event);
    if (w === this.podsW) this.followLogs(o as k8s.V1Pod);
    for (const name of this.rolloutsW.items.keys()) this.observe(name);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at the next change of anything watched, or after ms. */
  nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Events derived from the status as it changes: the ones the controller does
   * not emit without a traffic router (weights, traffic restored), and the ones
   * durations are measured between (completed, aborted, switched), which its
   * Kubernetes events cannot be trusted for: client-go's recorder drops an
   * object's events past a burst of 25 (its spam filter), so a long rollout's
   * RolloutCompleted may never be recorded.
   */
  private observe(name: string): void {
    const status = this.statusOf(name);
    if (status === undefined) return;
    const before = this.lastSeen.get(name);
    this.lastSeen.set(name, status);
    const add = (reason: string, message: string, data?: Record<string, unknown>) => this.rolloutEvent(name, reason, message, data);
    if (before?.phase !== status.phase) add('PhaseChanged', `${before?.phase ?? 'none'} → ${status.phase}${status.message ? `: ${status.message}` : ''}`, { from: before?.phase, to: status.phase });
    if (before !== undefined && status.stableRS !== '' && status.stableRS !== before.stableRS && status.stableRS === status.currentPodHash) {
      add('RolloutCompleted', `revision ${status.revision} (${status.stableImage}) is stable`, { revision: status.revision });
    }
    if (status.abort && !before?.abort) add('RolloutAborted', `update to ${status.currentImage} aborted${status.message ? `: ${status.message}` : ''}`);
    if (before !== undefined && status.activeSelector !== undefined && status.activeSelector !== before.activeSelector) {
      add('SwitchService', `active Service switched to ${status.activeSelector}`, { selector: status.activeSelector });
    }
    if (status.canaryWeight !== undefined && before?.canaryWeight !== status.canaryWeight && before !== undefined) {
      add('TrafficWeightUpdated', `canary weight ${before.canaryWeight} → ${status.canaryWeight}`, { weight: status.canaryWeight, from: before.canaryWeight });
    }
    const restored = status.abort && this.onlyStableServes(name, status);
    const wasRestored = this.restored.has(name);
    if (restored) this.restored.add(name);
    else this.restored.delete(name);
    if (restored && !wasRestored) add('TrafficRestored', `all traffic on stable ${status.stableRS} (${status.stableImage})`);
  }

  /**
   * After an abort, when traffic is back on stable: blue-green, when the
   * active Service selects the stable hash; a canary without traffic router,
   * when no pod of another hash is left (a terminating pod may still hold
   * connections, so this is later than the endpoints' update, never earlier).
   */
  private onlyStableServes(name: string, status: RolloutStatus): boolean {
    if (status.strategy === 'blueGreen') return status.activeSelector === status.stableRS;
    return !this.pods().some((p) => p.rollout === name && p.labels[HASH_LABEL] !== status.stableRS);
  }

  private rolloutEvent(rollout: string, reason: string, message: string, data?: Record<string, unknown>): void {
    this.eventsOf(rollout).push({ at: now(), reason, message, ...(data ? { data } : {}) });
    this.record(`rollout/${rollout}`, reason, message);
  }

  private record(source: string, reason: string, message: string): void {
    this.platformEvents.push({ at: now(), source, reason, message });
  }

  /** A Kubernetes event, once per occurrence (the recorder counts repeats on one object); the Rollout's become its events. */
  private onEvent(e: k8s.CoreV1Event): void {
    const id = e.metadata?.name ?? '';
    const count = e.count ?? 1;
    if ((this.seenEventCounts.get(id) ?? 0) >= count) return;
    this.seenEventCounts.set(id, count);
    const obj = e.involvedObject;
    this.record(`${(obj.kind ?? '').toLowerCase()}/${obj.name}`, e.reason ?? '', e.message ?? '');
    if (obj.kind === 'Rollout' && obj.name && !DERIVED_EVENTS.has(e.reason ?? '')) {
      this.eventsOf(obj.name).push({ at: now(), reason: e.reason ?? '', message: e.message ?? '', data: { type: e.type, count } });
    }
  }

  /** Follows each container's log once it runs, into the aggregated logs. */
  private followLogs(pod: k8s.V1Pod): void {
    const name = pod.metadata?.name ?? '';
    if (this.closed || this.following.has(name) || pod.status?.phase !== 'Running') return;
    const container = pod.spec?.containers[0];
    if (container === undefined) return;
    const abort = new AbortController();
    this.following.set(name, abort);
    const stream = new PassThrough();
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      // Looked up per chunk: the pod's ReplicaSet may reach the watch after the pod does.
      const rollout = rolloutOfPod(pod, this.replicaSetsW.items);
      for (const line of lines) if (line) this.logs$.add({ at: now(), pod: name, rollout, image: container.image ?? '', stream: 'stdout', line });
    });
    new k8s.Log(this.cluster.config)
      .log(this.namespace, name, container.name, stream, { follow: true })
      .then((req) => abort.signal.addEventListener('abort', () => req.abort()))
      .catch((err: Error) => {
        this.following.delete(name);
        this.record(`pod/${name}`, 'LogsUnavailable', err.message);
      });
  }

  private statusOf(name: string): RolloutStatus | undefined {
    const rollout = this.rolloutsW.items.get(name);
    if (rollout === undefined) return undefined;
    return rolloutStatus(rollout, [...this.replicaSetsW.items.values()], [...this.runsW.items.values()], this.timeScale);
  }

  async applyFiles(files: string[]): Promise<void> {
    if (this.closed) throw new Error('the kubernetes platform has been shut down');
    // The kinds cutover knows are checked first, with file, line and field; the API server checks the rest.
    loadManifestFiles(files, CUTOVER_KINDS);
    const objects: Obj[] = [];
    for (const file of files) {
      for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
        const value = doc.toJS() as Obj | null;
        if (value !== null && typeof value === 'object') objects.push(value);
      }
    }
    await this.start();
    const rank = (o: Obj) => (o.kind === 'Rollout' ? KIND_ORDER.length + 1 : KIND_ORDER.includes(o.kind ?? '') ? KIND_ORDER.indexOf(o.kind ?? '') : KIND_ORDER.length);
    for (const obj of objects.sort((a, b) => rank(a) - rank(b))) await this.applyObject(obj);
  }

  private async applyObject(original: Obj): Promise<void> {
    const obj = scaleDurations(original, this.timeScale);
    const kind = obj.kind ?? '';
    const name = obj.metadata?.name ?? '';
    if (CLUSTER_SCOPED.has(kind)) this.clusterScoped.push(obj);
    else obj.metadata = { ...obj.metadata, namespace: this.namespace };
    // The test reaches Services through a NodePort (the local platform gives each a loopback address instead).
    if (kind === 'Service' && (obj.spec as k8s.V1ServiceSpec | undefined)?.type !== 'LoadBalancer') (obj.spec as k8s.V1ServiceSpec).type = 'NodePort';
    if (this.imagePullPolicy !== undefined) setPullPolicy(obj, this.imagePullPolicy);
    const applied = await this.cluster.call(`apply ${kind} ${name}`, () => this.cluster.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply));
    if (kind === 'Service') this.servicesW.items.set(name, applied as k8s.V1Service);
    this.record(`${kind.toLowerCase()}/${name}`, 'Applied', 'server-side apply');
    this.log(`applied ${kind} ${name}`);
  }

  /** What the cluster is: its API server and version, and each Argo Rollouts CRD with its Established condition. */
  async clusterInfo(): Promise<{ server: string; version: string; namespace: string; crds: { name: string; established: boolean; versions: string[] }[] }> {
    await this.start();
    const { version } = await this.cluster.check();
    const ext = this.cluster.config.makeApiClient(k8s.ApiextensionsV1Api);
    const crds = [];
    for (const plural of ARGO_CRDS) {
      const name = `${plural}.${ARGO.group}`;
      const crd = await ext.readCustomResourceDefinition({ name }).catch(() => undefined);
      crds.push({
        name,
        established: (crd?.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True'),
        versions: (crd?.spec.versions ?? []).filter((v) => v.served).map((v) => v.name),
      });
    }
    return { server: this.cluster.server, version, namespace: this.namespace, crds };
  }

  /** The namespace's labels as the API has them (undefined once it is gone). */
  async namespaceLabels(): Promise<Record<string, string> | undefined> {
    const ns = await this.cluster.core.readNamespace({ name: this.namespace }).catch(() => undefined);
    return ns?.metadata?.labels;
  }

  rollout(name: string): RolloutHandle {
    let handle = this.handles.get(name);
    if (handle === undefined) {
      handle = new KubeRollout(this, name);
      this.handles.set(name, handle);
    }
    return handle;
  }

  rolloutNames(): string[] {
    return [...this.rolloutsW.items.keys()];
  }

  /** @internal for KubeRollout */
  rolloutObject(name: string): ArgoRollout | undefined {
    return this.rolloutsW.items.get(name);
  }

  /** @internal for KubeRollout */
  rolloutStatus(name: string): RolloutStatus {
    const status = this.statusOf(name);
    if (status === undefined) throw new Error(`rollout ${name} is not in namespace ${this.namespace}: apply its manifest first (applied: ${this.rolloutNames().join(', ') || 'none'})`);
    return status;
  }

  /** @internal for KubeRollout */
  eventsOf(name: string): RolloutEvent[] {
    let list = this.rolloutEvents.get(name);
    if (list === undefined) {
      list = [];
      this.rolloutEvents.set(name, list);
    }
    return list;
  }

  /** @internal for KubeRollout */
  replicaSetsOf(name: string): ArgoReplicaSet[] {
    return [...this.replicaSetsW.items.values()].filter((rs) => ownedBy(rs, 'Rollout', name));
  }

  /**
   * Waits until every Service that selects a ready pod of the rollout accepts
   * connections on its NodePort (kube-proxy has its rules), at most timeoutMs.
   */
  async servicesAnswer(rollout: string, timeoutMs: number): Promise<void> {
    const ready = this.pods().filter((p) => p.rollout === rollout && p.ready);
    const matches = (selector: Record<string, string> | undefined) =>
      selector !== undefined && ready.some((p) => Object.entries(selector).every(([k, v]) => p.labels[k] === v));
    const deadline = Date.now() + Math.min(timeoutMs, 30_000);
    for (const [name, service] of this.servicesW.items) {
      if (!matches(service.spec?.selector)) continue;
      const port = service.spec?.ports?.[0]?.nodePort;
      if (port === undefined) continue;
      while (!(await connects(this.nodeAddress, port))) {
        if (Date.now() > deadline) throw new Error(`service ${name}: nothing answers on its NodePort ${this.nodeAddress}:${port} though pods of ${rollout} are ready (is kube-proxy running?)`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  serviceUrl(name: string): string {
    const service = this.servicesW.items.get(name);
    const port = service?.spec?.ports?.[0]?.nodePort;
    if (port === undefined) throw new Error(`service ${name} is not applied in namespace ${this.namespace} (applied: ${[...this.servicesW.items.keys()].join(', ') || 'none'})`);
    return `http://${this.nodeAddress}:${port}`;
  }

  analysisRuns(): AnalysisRunSnapshot[] {
    return [...this.runsW.items.values()].map(analysisSnapshot).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  diagnostics(): PlatformDiagnostics {
    const logs: Record<string, string[]> = {};
    for (const e of this.logs$.query()) (logs[e.pod] ??= []).push(e.line);
    for (const [pod, lines] of Object.entries(logs)) logs[pod] = lines.slice(-50);
    return { events: [...this.platformEvents], routers: [], logs };
  }

  pods(): ChaosPod[] {
    return [...this.podsW.items.values()].map((p) => ({
      name: p.metadata?.name ?? '',
      rollout: rolloutOfPod(p, this.replicaSetsW.items),
      namespace: this.namespace,
      labels: p.metadata?.labels ?? {},
      image: p.spec?.containers[0]?.image ?? '',
      ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      restarts: (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0),
    }));
  }

  injectChaos(experiment: ChaosExperiment): Promise<ChaosInjection> {
    return Promise.reject(new Error(`chaos on the kubernetes platform is not built yet (${experiment.kind} ${experiment.metadata.name}): run chaos.feature on the local or docker profile`));
  }

  addExternal(name: string): void {
    throw new Error(`external hosts on the kubernetes platform are not built yet (${name}): give pods a Service of type ExternalName in the manifests`);
  }

  backupData(rollout: string): Promise<DatabaseBackup[]> {
    return Promise.reject(new Error(`backups on the kubernetes platform are not built yet (rollout ${rollout}): run backup.feature on the local profile`));
  }

  logs(query?: LogQuery): LogEntry[] {
    return this.logs$.query(query);
  }

  monitor(ruleFiles: LoadedRuleFile[]): Promise<string> {
    return Promise.reject(new Error(`Prometheus on the kubernetes platform is not built yet (${ruleFiles.length} rule files): run monitoring.feature on the local profile`));
  }

  /** Stops the watches and log streams, then deletes the namespace (and cluster-scoped objects applied) and waits, bounded, until it is gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [this.rolloutsW, this.replicaSetsW, this.runsW, this.podsW, this.eventsW, this.servicesW]) await w.informer?.stop();
    for (const a of this.following.values()) a.abort();
    if (this.started === undefined) return;
    await this.started.catch(() => undefined);
    if (!this.namespaceCreated) return;
    for (const obj of this.clusterScoped) {
      await this.cluster.objects.delete(obj).catch((err: unknown) => {
        if (apiStatus(err) !== 404) this.log(`could not delete ${obj.kind} ${obj.metadata?.name}: ${(err as Error).message}`);
      });
    }
    await deleteNamespace(this.cluster, this.namespace, 120_000, this.log);
  }

  private async removeLeftovers(): Promise<void> {
    const list = await this.cluster.call('list namespaces', () => this.cluster.core.listNamespace({ labelSelector: LABEL_OWNER }));
    for (const ns of list.items) {
      const owner = ns.metadata?.labels?.[LABEL_OWNER] ?? '';
      const [host, pid] = owner.split('.pid-');
      if (host !== hostLabel() || pid === undefined || processAlive(Number(pid)) || ns.status?.phase === 'Terminating') continue;
      this.log(`removing namespace ${ns.metadata?.name}, left by a run that is gone (pid ${pid})`);
      await this.cluster.core.deleteNamespace({ name: ns.metadata?.name ?? '' }).catch(() => undefined);
    }
  }
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.on('connect', () => done(true));
    socket.on('timeout', () => done(false));
    socket.on('error', () => done(false));
  });
}

function pullPolicyFromEnv(): 'IfNotPresent' | 'Never' | undefined {
  const value = process.env.CUTOVER_IMAGE_PULL_POLICY;
  if (value === undefined || value === '') return undefined;
  if (value !== 'IfNotPresent' && value !== 'Never') throw new Error(`CUTOVER_IMAGE_PULL_POLICY=${value}: expected IfNotPresent or Never`);
  return value;
}

/** Sets imagePullPolicy on every container of a pod template (Rollout, Deployment, Job...). */
export function setPullPolicy(obj: Obj, policy: string): void {
  const template = (obj.spec as { template?: { spec?: { containers?: Record<string, unknown>[]; initContainers?: Record<string, unknown>[] } } } | undefined)?.template?.spec;
  for (const c of [...(template?.containers ?? []), ...(template?.initContainers ?? [])]) c.imagePullPolicy = policy;
}

/** The rollout a pod belongs to, through its ReplicaSet. */
function rolloutOfPod(pod: k8s.V1Pod, replicaSets: Map<string, ArgoReplicaSet>): string {
  const rsName = pod.metadata?.ownerReferences?.find((r) => r.kind === 'ReplicaSet')?.name;
  const rs = rsName === undefined ? undefined : replicaSets.get(rsName);
  return rs?.metadata.ownerReferences?.find((r) => r.kind === 'Rollout')?.name ?? '';
}

const hostLabel = () => os.hostname().replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 40);
const ownerLabel = () => `${hostLabel()}.pid-${process.pid}`;

/** Deletes a namespace and waits until the API no longer has it (its pods gone), at most timeoutMs. */
export async function deleteNamespace(cluster: KubeCluster, name: string, timeoutMs: number, log: (line: string) => void): Promise<void> {
  try {
    await cluster.call(`delete namespace ${name}`, () => cluster.core.deleteNamespace({ name, gracePeriodSeconds: 5 }));
  } catch (err) {
    if (apiStatus(err) === 404) return;
    throw err;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await cluster.core.readNamespace({ name });
    } catch (err) {
      if (apiStatus(err) === 404) return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`namespace ${name} still terminating after ${timeoutMs} ms; the next run removes it`);
}

/** A rollout on the cluster, driven as `kubectl argo rollouts` drives it. */
export class KubeRollout implements RolloutHandle {
  constructor(
    private readonly platform: KubernetesPlatform,
    readonly name: string,
  ) {}

  get events(): RolloutEvent[] {
    return this.platform.eventsOf(this.name);
  }

  status(): RolloutStatus {
    return this.platform.rolloutStatus(this.name);
  }

  async waitFor(predicate: (s: RolloutStatus) => boolean, timeoutMs: number, expected: string): Promise<RolloutStatus> {
    const started = Date.now();
    for (;;) {
      const s = this.platform.rolloutObject(this.name) === undefined ? undefined : this.status();
      if (s !== undefined && predicate(s)) {
        // What the status says is reachable: kube-proxy programs a NodePort a moment after the endpoints change.
        await this.platform.servicesAnswer(this.name, Math.max(1000, timeoutMs - (Date.now() - started)));
        return s;
      }
      const left = timeoutMs - (Date.now() - started);
      if (left <= 0) {
        throw new Error(
          `rollout ${this.name}: expected ${expected} within ${timeoutMs} ms; ` +
            (s === undefined
              ? `the rollout is not in namespace ${this.platform.namespace}`
              : `last seen after ${Date.now() - started} ms: phase ${s.phase}${s.message ? ` (${s.message})` : ''}, revision ${s.revision}` +
                `${s.currentStepIndex !== undefined ? `, step ${s.currentStepIndex}/${s.stepCount}, canary weight ${s.canaryWeight}` : ''}`),
        );
      }
      await this.platform.nextChange(Math.min(left, 5000));
    }
  }

  private object(): ArgoRollout {
    const r = this.platform.rolloutObject(this.name);
    if (r === undefined) throw new Error(`rollout ${this.name} is not in namespace ${this.platform.namespace}: apply its manifest first`);
    return r;
  }

  /**
   * Patches the Rollout, then waits (bounded) until the controller has seen the
   * change: for the spec, until status.observedGeneration is the new
   * generation, so a status read next is never the one from before the patch.
   */
  private async patch(body: unknown, subresource: 'spec' | 'status', type: 'merge' | 'json' = 'merge'): Promise<void> {
    const { cluster, namespace } = this.platform;
    const params = { ...ARGO, namespace, plural: 'rollouts', name: this.name, body, fieldManager: FIELD_MANAGER };
    const options = type === 'merge' ? MERGE : JSON_PATCH;
    const patched = (await cluster.call(`patch rollout ${this.name}${subresource === 'status' ? ' status' : ''}`, () =>
      subresource === 'status' ? cluster.custom.patchNamespacedCustomObjectStatus(params, options) : cluster.custom.patchNamespacedCustomObject(params, options),
    )) as { metadata?: { generation?: number; resourceVersion?: string } };
    const generation = String(patched.metadata?.generation ?? '');
    const version = Number(patched.metadata?.resourceVersion ?? 0);
    const seen = () => {
      const r = this.platform.rolloutObject(this.name) as (ArgoRollout & { metadata: { resourceVersion?: string } }) | undefined;
      if (r === undefined) return false;
      if (subresource === 'spec') return r.status?.observedGeneration === generation;
      return Number(r.metadata.resourceVersion ?? 0) >= version;
    };
    const deadline = Date.now() + 30_000;
    while (!seen()) {
      if (Date.now() > deadline) throw new Error(`rollout ${this.name}: the controller did not take up the change within 30 s (is the Argo Rollouts controller running?)`);
      await this.platform.nextChange(1000);
    }
  }

  async setImage(image: string, container?: string): Promise<void> {
    const containers = this.object().spec.template.spec.containers;
    const index = container === undefined ? 0 : containers.findIndex((c) => c.name === container);
    if (index < 0) throw new Error(`rollout ${this.name} has no container ${container} (it has ${containers.map((c) => c.name).join(', ')})`);
    await this.patch([{ op: 'replace', path: `/spec/template/spec/containers/${index}/image`, value: image }], 'spec', 'json');
  }

  /** The plugin's promote: clears the pause (or moves past the current step); --full sets status.promoteFull. */
  async promote(full = false): Promise<void> {
    const r = this.object();
    const status = r.status ?? {};
    if (full) {
      if (status.currentPodHash !== status.stableRS) await this.patch({ status: { promoteFull: true } }, 'status');
      return;
    }
    if (r.spec.paused) await this.patch({ spec: { paused: false } }, 'spec');
    if ((status.pauseConditions ?? []).length > 0) {
      await this.patch({ status: { pauseConditions: null } }, 'status');
    } else if (r.spec.strategy.canary !== undefined) {
      const steps = r.spec.strategy.canary.steps ?? [];
      const next = Math.min((status.currentStepIndex ?? 0) + 1, steps.length);
      await this.patch({ status: { pauseConditions: null, currentStepIndex: next } }, 'status');
    }
  }

  async pause(): Promise<void> {
    await this.patch({ spec: { paused: true } }, 'spec');
  }

  async abort(): Promise<void> {
    await this.patch({ status: { abort: true } }, 'status');
  }

  async retry(): Promise<void> {
    await this.patch({ status: { abort: false } }, 'status');
  }

  /** The plugin's undo: the pod template of a revision's ReplicaSet (the previous one by default) becomes the Rollout's template. */
  async undo(toRevision?: number): Promise<void> {
    const revisionOf = (rs: ArgoReplicaSet) => Number(rs.metadata.annotations?.['rollout.argoproj.io/revision'] ?? 0);
    const sets = this.platform.replicaSetsOf(this.name).sort((a, b) => revisionOf(b) - revisionOf(a));
    const target = toRevision === undefined ? sets[1] : sets.find((rs) => revisionOf(rs) === toRevision);
    if (target === undefined) {
      throw new Error(`rollout ${this.name}: no ReplicaSet of revision ${toRevision ?? '(previous)'} to go back to (revisions ${sets.map(revisionOf).join(', ') || 'none'})`);
    }
    const template = structuredClone((target as unknown as { spec: { template: { metadata?: { labels?: Record<string, string> } } } }).spec.template);
    delete template.metadata?.labels?.['rollouts-pod-template-hash'];
    await this.patch([{ op: 'replace', path: '/spec/template', value: template }], 'spec', 'json');
  }
}
