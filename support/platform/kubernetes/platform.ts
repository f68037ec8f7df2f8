// The kubernetes platform: the same manifests on a real cluster, run by the
// real Argo Rollouts controller. A namespace per platform instance (one per
// scenario), server-side apply, the `kubectl argo rollouts` verbs as the
// plugin sends them, and everything steps read (rollouts, ReplicaSets,
// AnalysisRuns, pods, events, logs) kept current by watches, never polled.
// Traffic reaches a Service through cutover's router in front of it (see
// ingress.ts), which sends it on to NodePorts on the node's address (127.0.0.1
// on the CI cluster, where kube-proxy serves NodePorts on loopback).
//
// When the cluster runs on this machine (its API server on loopback, as
// `cutover cluster up` makes it), the platform also stands in for what such a
// cluster lacks: a Prometheus (on this machine, scraping the pods through the
// API server's proxy) that the analysis templates are pointed at, Service
// addresses in analysis arguments resolved to NodePorts (the controller runs
// beside the API server, without cluster DNS), and a data folder per rollout
// shared by all its pods (a hostPath volume at /data), as the local platform
// gives one.
import fs from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import type { AnalysisRunSnapshot } from '../../analysis/run.ts';
import { backupDataDir, describeBackup, type DatabaseBackup } from '../../backup/sqlite.ts';
import type { ChaosInjection, ChaosPod } from '../../chaos/injection.ts';
import type { ChaosExperiment } from '../../chaos/model.ts';
import { LogAggregator, type LogEntry, type LogQuery } from '../../logs/aggregate.ts';
import { scaledMs } from '../../manifests/duration.ts';
import { CUTOVER_KINDS } from '../../manifests/kinds.ts';
import { loadManifestFiles } from '../../manifests/load.ts';
import { type LoadedRuleFile, scaleRuleFile } from '../../monitoring/rules.ts';
import type { RolloutEvent, RolloutStatus } from '../../rollout/controller.ts';
import { serveMetrics } from '../../traffic/router.ts';
import { processAlive } from '../local/leftovers.ts';
import { LocalPrometheus, type LocalPrometheusOptions, type ScrapeTarget } from '../local/prometheus.ts';
import type { AutoscalerHandle, MonitorOptions, Platform, PlatformDiagnostics, RolloutHandle } from '../platform.ts';
import { apiStatus, ARGO, KubeCluster } from './cluster.ts';
import { KubernetesChaos } from '../../chaos/kubernetes.ts';
import { ingressBackend, ingressRoutes, ServiceIngress, tagOf } from './ingress.ts';
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
  /**
   * Whether the cluster runs on this machine (default CUTOVER_CLUSTER_ON_HOST=1|0,
   * else whether the API server is on loopback): then the platform runs
   * Prometheus for the analyses, resolves Services in analysis URLs to
   * NodePorts and gives each rollout a data folder here (see the top).
   */
  onHost?: boolean;
  /** Where the rollouts' data folders go when onHost (default CUTOVER_NODE_DATA_DIR, else the temp dir). */
  nodeDataDir?: string;
  /** The Prometheus binary (default CUTOVER_PROMETHEUS_BIN or /usr/bin/prometheus). */
  prometheusBinary?: string;
}

/** Where the pods of a rollout find its data folder, as DATA_DIR. */
const DATA_MOUNT = '/data';
const DATA_VOLUME = 'cutover-data';

export const LABEL_RUN = 'io.cutover/run';
export const LABEL_OWNER = 'io.cutover/owner';
const FIELD_MANAGER = 'cutover';
const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const JSON_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
const now = () => new Date().toISOString();
/** Rollout events taken from the status rather than from the controller's Kubernetes events (see observe). */
const DERIVED_EVENTS = new Set(['PhaseChanged', 'RolloutCompleted', 'RolloutAborted', 'SwitchService', 'TrafficWeightUpdated', 'TrafficRestored', 'RolloutPaused', 'ScalingReplicaSet']);

type Obj = k8s.KubernetesObject & Record<string, unknown>;

/** The CRDs Argo Rollouts installs (plural names). */
const ARGO_CRDS = ['rollouts', 'analysisruns', 'analysistemplates', 'clusteranalysistemplates', 'experiments'];

/** Applied in this order: what Rollouts refer to first. */
const KIND_ORDER = ['Namespace', 'ConfigMap', 'Secret', 'ServiceAccount', 'AnalysisTemplate', 'ClusterAnalysisTemplate', 'Service'];
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterAnalysisTemplate', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass']);

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
  /** What kube-proxy programs: which pods each Service reaches, as the endpoints controller has it. */
  private readonly endpointsW: Watched<k8s.V1EndpointSlice>;
  private readonly ingressesW: Watched<k8s.V1Ingress>;
  private readonly clusterScoped: Obj[] = [];
  private readonly platformEvents: PlatformDiagnostics['events'] = [];
  private readonly rolloutEvents = new Map<string, RolloutEvent[]>();
  private readonly lastSeen = new Map<string, RolloutStatus>();
  private readonly restored = new Set<string>();
  /** Each ReplicaSet's desired replicas as last seen, for the ScalingReplicaSet events. */
  private readonly scales = new Map<string, number>();
  private readonly seenEventCounts = new Map<string, number>();
  private readonly handles = new Map<string, KubeRollout>();
  private readonly logs$ = new LogAggregator();
  private readonly following = new Map<string, AbortController>();
  private waiters: (() => void)[] = [];
  private readonly registry = new Registry();
  private readonly ingress: ServiceIngress;
  private readonly chaos: KubernetesChaos;
  private readonly podReady = new Map<string, boolean>();
  /** Stopping or deleted pods by ReplicaSet, until a ready pod of it replaces them. */
  private readonly awaitingReplacement = new Map<string, string>();
  private readonly replacedPods = new Set<string>();
  private readonly endpointsSince = new Map<string, { key: string; since: number }>();
  readonly onHost: boolean;
  private readonly dataDir: string | undefined;
  private readonly prometheusBinary: string | undefined;
  private prometheus: LocalPrometheus | undefined;
  private prometheusStarting: Promise<LocalPrometheus> | undefined;
  private metricsServer: http.Server | undefined;
  private credentialsDir: string | undefined;
  /** When the watch last saw an EndpointSlice change (ms). */
  private lastEndpointChange = 0;
  /** The scrape targets as last written, so the file is rewritten only when they change. */
  private writtenTargets = '';

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
    this.endpointsW = { path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, items: new Map() };
    this.ingressesW = { path: `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, items: new Map() };
    this.chaos = new KubernetesChaos({
      cluster: this.cluster,
      namespace: this.namespace,
      timeScale: this.timeScale,
      pods: () => this.pods(),
      record: (source, reason, message) => this.record(source, reason, message),
      log: (line) => this.log(line),
    });
    this.ingress = new ServiceIngress(this.registry, (service, err) => this.record(`service/${service}`, 'RouteFailed', err.message));
    const onHostEnv = process.env.CUTOVER_CLUSTER_ON_HOST;
    this.onHost = options.onHost ?? (onHostEnv !== undefined && onHostEnv !== '' ? onHostEnv === '1' : isLoopbackUrl(this.cluster.server));
    this.dataDir = this.onHost ? path.join(options.nodeDataDir ?? process.env.CUTOVER_NODE_DATA_DIR ?? path.join(os.tmpdir(), 'cutover-kube-data'), ns) : undefined;
    this.prometheusBinary = options.prometheusBinary;
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
        this.watch(this.endpointsW, () => this.cluster.config.makeApiClient(k8s.DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: this.namespace })),
        this.watch(this.ingressesW, () => this.cluster.config.makeApiClient(k8s.NetworkingV1Api).listNamespacedIngress({ namespace: this.namespace })),
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
    if (w === this.podsW) {
      this.followLogs(o as k8s.V1Pod);
      this.podReadiness(o as k8s.V1Pod, !this.podsW.items.has(o.metadata?.name ?? ''));
    }
    if (w === this.endpointsW) this.lastEndpointChange = Date.now();
    for (const name of this.rolloutsW.items.keys()) this.observe(name);
    if (w !== this.eventsW) {
      this.route();
      this.updateTargets();
    }
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
   * durations are measured between (completed, aborted, switched, paused, a
   * ReplicaSet scaled, with the reason and counts the steps read), which its
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
    for (const p of status.pauseConditions) {
      if (!(before?.pauseConditions ?? []).some((b) => b.reason === p.reason)) add('RolloutPaused', `paused: ${p.reason}`, { reason: p.reason });
    }
    for (const rs of this.replicaSetsOf(name)) {
      const to = rs.spec?.replicas ?? 0;
      const from = this.scales.get(rs.metadata.name) ?? 0;
      if (to === from) continue;
      this.scales.set(rs.metadata.name, to);
      const revision = Number(rs.metadata.annotations?.['rollout.argoproj.io/revision'] ?? 0);
      const image = rs.spec?.template?.spec?.containers?.[0]?.image ?? '';
      add('ScalingReplicaSet', `scaled revision ${revision} (${image}) from ${from} to ${to}`, { revision, from, to });
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

  /**
   * A pod's readiness as events, as the local platform records its replicas'
   * (Ready, Unready), and for a deleted pod, Replaced once a pod of the same
   * ReplicaSet is ready in its place: on a cluster a killed pod does not come
   * back, its controller makes a new one.
   */
  private podReadiness(pod: k8s.V1Pod, deleted: boolean): void {
    const name = pod.metadata?.name ?? '';
    const rs = pod.metadata?.ownerReferences?.find((r) => r.kind === 'ReplicaSet')?.name;
    const stopping = deleted || pod.metadata?.deletionTimestamp !== undefined;
    // From the moment it stops: its ReplicaSet makes the new pod then, which may be ready before the old one is gone.
    if (stopping && rs !== undefined && !this.replacedPods.has(name)) this.awaitingReplacement.set(name, rs);
    const was = this.podReady.get(name) ?? false;
    const ready = !stopping && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    if (deleted) this.podReady.delete(name);
    else this.podReady.set(name, ready);
    if (ready !== was) this.record(name, ready ? 'Ready' : 'Unready', deleted ? 'deleted' : stopping ? 'stopping' : `phase ${pod.status?.phase ?? 'unknown'}`);
    if (!ready || ready === was || rs === undefined) return;
    for (const [gone, goneRs] of this.awaitingReplacement) {
      if (goneRs !== rs || gone === name) continue;
      this.awaitingReplacement.delete(gone);
      this.replacedPods.add(gone);
      this.record(gone, 'Replaced', `by ${name}, ready`);
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

  /** The scenario's namespace, made (and watched) now: for what deploys into it without the platform (an Argo CD Application). */
  async ensureNamespace(): Promise<string> {
    if (this.closed) throw new Error('the kubernetes platform has been shut down');
    await this.start();
    return this.namespace;
  }

  /** Applies objects made in code (server-side, as applyFiles does); cluster-scoped ones are deleted at close. */
  async applyObjects(objects: Obj[]): Promise<void> {
    if (this.closed) throw new Error('the kubernetes platform has been shut down');
    await this.start();
    for (const obj of objects) await this.applyObject(obj);
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
    if (this.onHost) await this.adaptToHost(obj);
    const applied = await this.cluster.call(`apply ${kind} ${name}`, () => this.cluster.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply));
    if (kind === 'Service') this.servicesW.items.set(name, applied as k8s.V1Service);
    // An Ingress gets a router of its own, under its name, as an ingress controller would serve it.
    if (kind === 'Ingress') this.ingressesW.items.set(name, applied as k8s.V1Ingress);
    if (kind === 'Service' || kind === 'Ingress') await this.expose(name);
    this.record(`${kind.toLowerCase()}/${name}`, 'Applied', 'server-side apply');
    this.log(`applied ${kind} ${name}`);
  }

  /**
   * What a cluster on this machine lacks, supplied (see the top): the
   * templates' `prometheus` argument names the platform's Prometheus; a
   * Rollout's analysis arguments that are URLs of a Service name its NodePort;
   * its pods share the rollout's data folder.
   */
  private async adaptToHost(obj: Obj): Promise<void> {
    const name = obj.metadata?.name ?? '';
    if (obj.kind === 'AnalysisTemplate' || obj.kind === 'ClusterAnalysisTemplate') {
      const spec = obj.spec as { args?: { name: string; value?: string }[]; metrics?: { provider?: Record<string, unknown> }[] } | undefined;
      const usesPrometheus = (spec?.metrics ?? []).some((m) => m.provider?.prometheus !== undefined);
      const arg = spec?.args?.find((a) => a.name === 'prometheus');
      if (usesPrometheus && arg !== undefined) {
        const prometheus = await this.ensurePrometheus();
        this.record(`analysistemplate/${name}`, 'PrometheusAddress', `${arg.value ?? '(none)'} → ${prometheus.url} (the platform's Prometheus; the controller runs on this machine)`);
        arg.value = prometheus.url;
      }
    }
    if (obj.kind !== 'Rollout') return;
    const strategy = (obj.spec as { strategy?: Record<string, Record<string, unknown> | undefined> }).strategy ?? {};
    for (const s of [strategy.canary, strategy.blueGreen]) {
      for (const key of ['analysis', 'prePromotionAnalysis', 'postPromotionAnalysis']) {
        for (const arg of ((s?.[key] as { args?: { name: string; value?: string }[] } | undefined)?.args ?? [])) {
          const resolved = arg.value === undefined ? undefined : this.nodePortOfServiceUrl(arg.value);
          if (resolved === undefined) continue;
          this.record(`rollout/${name}`, 'ServiceAddress', `analysis argument ${arg.name}: ${arg.value} → ${resolved}`);
          arg.value = resolved;
        }
      }
    }
    const dir = this.dataFolder(name);
    if (dir !== undefined) addDataVolume(obj, dir);
  }

  /**
   * A folder of the node for a workload's data, made on first use (on a
   * cluster on this machine; undefined elsewhere): pods mount it with a
   * hostPath volume, and it goes with the namespace.
   */
  dataFolder(name: string): string | undefined {
    if (this.dataDir === undefined) return undefined;
    const dir = path.join(this.dataDir, name);
    fs.mkdirSync(dir, { recursive: true });
    // Writable by whatever user the image runs as (the docker platform chowns to it; here the image is on the node).
    fs.chmodSync(dir, 0o777);
    return dir;
  }

  /**
   * Starts the router in front of a Service or Ingress of the namespace (one
   * applied by cutover has it already; one a Helm release made needs this).
   */
  async expose(name: string): Promise<string> {
    await this.start();
    if (!this.servicesW.items.has(name) && !this.ingressesW.items.has(name)) throw new Error(`no Service or Ingress ${name} in namespace ${this.namespace} (Services: ${[...this.servicesW.items.keys()].join(', ') || 'none'})`);
    const url = await this.ingress.open(name);
    this.route();
    return url;
  }

  /** Sets labels on the scenario's namespace (as `kubectl label namespace` does). */
  async labelNamespace(labels: Record<string, string>): Promise<void> {
    await this.start();
    await this.cluster.call(`label namespace ${this.namespace}`, () => this.cluster.core.patchNamespace({ name: this.namespace, body: { metadata: { labels } } }, MERGE));
    this.record(`namespace/${this.namespace}`, 'Labelled', Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', '));
  }

  /**
   * Points every path of an Ingress at a Service (the spec's `kubectl patch
   * ingress`), then waits (bounded) until its router sends requests there.
   * Returns when the patch was accepted and when the router followed.
   */
  async pointIngressAt(name: string, service: string, port: number, timeoutMs = 10_000): Promise<{ patchedAt: number; routedAt: number }> {
    await this.start();
    const current = this.ingressesW.items.get(name);
    if (current === undefined) throw new Error(`ingress ${name} is not applied in namespace ${this.namespace} (applied: ${[...this.ingressesW.items.keys()].join(', ') || 'none'})`);
    if (!this.servicesW.items.has(service)) throw new Error(`ingress ${name}: no Service ${service} to point it at (Services: ${[...this.servicesW.items.keys()].join(', ')})`);
    const rules = (current.spec?.rules ?? []).map((rule) => ({
      ...rule,
      http: { paths: (rule.http?.paths ?? []).map((p) => ({ ...p, backend: { service: { name: service, port: { number: port } } } })) },
    }));
    await this.cluster.call(`patch ingress ${name}`, () => this.cluster.config.makeApiClient(k8s.NetworkingV1Api).patchNamespacedIngress({ name, namespace: this.namespace, body: { spec: { rules } } }, MERGE));
    const patchedAt = Date.now();
    this.record(`ingress/${name}`, 'BackendChanged', `→ service ${service}:${port}`);
    const deadline = patchedAt + timeoutMs;
    while (this.ingress.stats().find((r) => r.service === name)?.groups.some((g) => g.backends.some((b) => b.startsWith(`${service}@`))) !== true) {
      if (Date.now() > deadline) throw new Error(`ingress ${name}: its router did not follow the patch to ${service} within ${timeoutMs} ms`);
      await this.nextChange(100);
    }
    return { patchedAt, routedAt: Date.now() };
  }

  /** The Service each path of an Ingress leads to now, as its router has it. */
  ingressTarget(name: string): string | undefined {
    const ingress = this.ingressesW.items.get(name);
    return ingress === undefined ? undefined : ingressBackend(ingress);
  }

  /** http://<service>[:port]/path of a Service in this namespace as its NodePort URL; undefined for anything else. */
  private nodePortOfServiceUrl(value: string): string | undefined {
    const m = /^http:\/\/([a-z0-9-]+)(?:\.[a-z0-9.-]*)?(?::\d+)?(\/.*)?$/.exec(value);
    if (m === null) return undefined;
    const url = this.nodePortUrl(m[1] as string);
    return url === undefined ? undefined : `${url}${m[2] ?? ''}`;
  }

  private nodePortUrl(service: string): string | undefined {
    const port = this.servicesW.items.get(service)?.spec?.ports?.[0]?.nodePort;
    return port === undefined ? undefined : `http://${this.nodeAddress}:${port}`;
  }

  /** The pods a Service's ready endpoints are (by the EndpointSlices the endpoints controller keeps). */
  private endpointPods(service: string): string[] {
    const pods: string[] = [];
    for (const slice of this.endpointsW.items.values()) {
      if (slice.metadata?.labels?.['kubernetes.io/service-name'] !== service) continue;
      for (const e of slice.endpoints ?? []) if (e.conditions?.ready === true && e.targetRef?.name) pods.push(e.targetRef.name);
    }
    return pods;
  }

  /** Sets every router from the Services, the rollouts' status and the pods each Service's endpoints are. */
  private route(): void {
    const services = [...this.servicesW.items.values()];
    const rollouts = [...this.rolloutsW.items.values()].map((rollout) => ({ rollout, status: this.rolloutStatus(rollout.metadata.name) }));
    // Each Service's endpoints by pod-template hash, and when that last changed: the ingress prefers the Service settled longest.
    const hashes = new Map<string, string[]>();
    for (const service of services) {
      const name = service.metadata?.name ?? '';
      hashes.set(name, this.endpointPods(name).map((pod) => this.podsW.items.get(pod)?.metadata?.labels?.[HASH_LABEL] ?? ''));
      const key = [...new Set(hashes.get(name))].sort().join(',');
      if (this.endpointsSince.get(name)?.key !== key) this.endpointsSince.set(name, { key, since: Date.now() });
    }
    const routes = ingressRoutes(services, rollouts, (name) => hashes.get(name) ?? [], (name) => this.endpointsSince.get(name)?.since ?? 0);
    // An Ingress's router sends everything to the Service its rule names (what a cut-over re-points).
    for (const ingress of this.ingressesW.items.values()) {
      const target = ingressBackend(ingress);
      const images = new Set(this.endpointPods(target ?? '').map((pod) => this.podsW.items.get(pod)?.spec?.containers[0]?.image ?? ''));
      if (target !== undefined) routes.set(ingress.metadata?.name ?? '', [{ name: 'ingress', weight: 100, target, version: images.size === 1 ? tagOf([...images][0] as string) : images.size === 0 ? 'unknown' : 'mixed' }]);
    }
    this.ingress.update(routes, (name) => this.nodePortUrl(name));
  }

  /**
   * The platform's Prometheus, started once: it scrapes the routers and every
   * ready pod, through the API server's pod proxy with the kubeconfig's
   * credentials (so no pod address is reached from here but through the API).
   */
  private ensurePrometheus(): Promise<LocalPrometheus> {
    this.prometheusStarting ??= (async () => {
      const { server, address } = await serveMetrics(this.registry);
      this.metricsServer = server;
      this.log('starting Prometheus');
      const p = await LocalPrometheus.start({
        ...(this.prometheusBinary !== undefined ? { binary: this.prometheusBinary } : {}),
        routerTargets: [address],
        scrapeIntervalMs: 1000,
        podScrape: this.apiCredentials(),
      });
      this.prometheus = p;
      this.record('prometheus', 'Started', `listening on ${p.url}, scraping the routers at ${address} and every ready pod through ${this.cluster.server}`);
      this.updateTargets();
      return p;
    })();
    return this.prometheusStarting;
  }

  /** The kubeconfig's credentials as files Prometheus can read (data embedded in the kubeconfig is written out, private). */
  private apiCredentials(): NonNullable<LocalPrometheusOptions['podScrape']> {
    const cluster = this.cluster.config.getCurrentCluster();
    const user = this.cluster.config.getCurrentUser();
    const file = (given: string | undefined, data: string | undefined, name: string) => {
      if (given) return given;
      if (!data) return undefined;
      this.credentialsDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-kube-credentials-'));
      const target = path.join(this.credentialsDir, name);
      fs.writeFileSync(target, Buffer.from(data, 'base64'), { mode: 0o600 });
      return target;
    };
    const ca = file(cluster?.caFile, cluster?.caData, 'ca.crt');
    const cert = file(user?.certFile, user?.certData, 'client.crt');
    const key = file(user?.keyFile, user?.keyData, 'client.key');
    return {
      scheme: 'https',
      ...(ca ? { caFile: ca } : {}),
      ...(cert ? { certFile: cert } : {}),
      ...(key ? { keyFile: key } : {}),
      ...(user?.token ? { bearerToken: user.token } : {}),
      ...(cluster?.skipTLSVerify ? { insecureSkipVerify: true } : {}),
    };
  }

  /** Every ready pod of a rollout as a scrape target: the API server, with the pod's proxy path; labelled like the pod. */
  private updateTargets(): void {
    if (this.prometheus === undefined) return;
    const api = new URL(this.cluster.server).host;
    const targets: ScrapeTarget[] = [];
    for (const pod of this.podsW.items.values()) {
      const name = pod.metadata?.name ?? '';
      const rollout = rolloutOfPod(pod, this.replicaSetsW.items);
      const ready = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      const port = pod.spec?.containers[0]?.ports?.[0]?.containerPort;
      if (!ready || rollout === '' || port === undefined || pod.metadata?.deletionTimestamp) continue;
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(pod.metadata?.labels ?? {})) labels[k.replace(/[^A-Za-z0-9_]/g, '_')] = v;
      const hash = labels.rollouts_pod_template_hash ?? '';
      // A Helm release's pod (no Rollout of that name) serves as its release.
      const role = this.rolloutsW.items.has(rollout) ? (this.lastSeen.get(rollout)?.replicaSets.find((rs) => rs.hash === hash)?.role ?? 'old') : 'release';
      targets.push({
        address: api,
        labels: { ...labels, rollout, pod: name, role, __metrics_path__: `/api/v1/namespaces/${this.namespace}/pods/${name}:${port}/proxy/metrics` },
      });
    }
    const key = JSON.stringify(targets);
    if (key === this.writtenTargets) return;
    this.writtenTargets = key;
    this.prometheus.setTargets(targets);
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

  /** A cluster's HPAs are applied and run by its own controller, which needs metrics-server: cutover does not watch them (yet). */
  autoscaler(name: string): AutoscalerHandle {
    throw new Error(`HorizontalPodAutoscaler ${name}: the kubernetes platform applies HPAs to the cluster, where kube-controller-manager scales them with metrics from metrics-server, but does not watch them; their scenarios run on the local and docker platforms (see \`kubectl get hpa -n ${this.namespace}\`)`);
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
   * Waits until every Service that selects a ready pod of the rollout has
   * exactly the ready pods its selector picks as endpoints (the endpoints
   * controller has followed Argo's selectors) and accepts connections on its
   * NodePort (kube-proxy has its rules), at most timeoutMs.
   */
  async servicesAnswer(rollout: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + Math.min(timeoutMs, 30_000);
    for (const name of this.servicesW.items.keys()) {
      for (;;) {
        const service = this.servicesW.items.get(name);
        const selector = service?.spec?.selector;
        // A stopping pod may still say Ready; the endpoints controller has already dropped it.
        const stopping = (name: string) => this.podsW.items.get(name)?.metadata?.deletionTimestamp !== undefined;
        const ready = this.pods().filter((p) => p.ready && !stopping(p.name) && selector !== undefined && Object.entries(selector).every(([k, v]) => p.labels[k] === v));
        if (!ready.some((p) => p.rollout === rollout)) break;
        const wanted = ready.map((p) => p.name).sort().join(',');
        const have = this.endpointPods(name).sort().join(',');
        const port = service?.spec?.ports?.[0]?.nodePort;
        if (wanted === have && (port === undefined || (await connects(this.nodeAddress, port)))) break;
        if (Date.now() > deadline) {
          throw new Error(
            wanted === have
              ? `service ${name}: nothing answers on its NodePort ${this.nodeAddress}:${port} though pods of ${rollout} are ready (is kube-proxy running?)`
              : `service ${name}: its endpoints are ${have || 'none'} but its selector picks the ready pods ${wanted} (is the controller-manager running?)`,
          );
        }
        await this.nextChange(200);
      }
    }
    await this.kubeProxySynced(deadline);
  }

  /**
   * On a cluster on this machine, waits (until the deadline, at most 5 s) for
   * kube-proxy to have synced its rules since the last endpoint change the
   * watch saw, by its own metrics (CUTOVER_KUBE_PROXY_METRICS, default
   * 127.0.0.1:10249): on a busy node it follows seconds late, and a request
   * sent before would still reach the pods of before. Skipped where kube-proxy
   * is not reachable so.
   */
  private async kubeProxySynced(deadline: number): Promise<void> {
    const url = process.env.CUTOVER_KUBE_PROXY_METRICS ?? (this.onHost ? 'http://127.0.0.1:10249/metrics' : undefined);
    if (url === undefined || url === '') return;
    const since = this.lastEndpointChange;
    const until = Math.min(deadline, Date.now() + 5000);
    while (Date.now() < until) {
      const text = await fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.text(), () => undefined);
      if (text === undefined) return;
      const last = Number(/^kubeproxy_sync_proxy_rules_last_timestamp_seconds\{ip_family="IPv4"\} (\S+)$/m.exec(text)?.[1] ?? NaN) * 1000;
      const pending = Number(/^kubeproxy_sync_proxy_rules_endpoint_changes_pending (\S+)$/m.exec(text)?.[1] ?? NaN);
      if (Number.isNaN(last) || (last > since && pending === 0)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The router in front of the Service (on loopback). */
  serviceUrl(name: string): string {
    const url = this.ingress.url(name);
    if (url === undefined) throw new Error(`service ${name} is not applied in namespace ${this.namespace} (applied: ${[...this.servicesW.items.keys()].join(', ') || 'none'})`);
    return url;
  }

  analysisRuns(): AnalysisRunSnapshot[] {
    return [...this.runsW.items.values()].map(analysisSnapshot).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  diagnostics(): PlatformDiagnostics {
    const logs: Record<string, string[]> = {};
    for (const e of this.logs$.query()) (logs[e.pod] ??= []).push(e.line);
    for (const [pod, lines] of Object.entries(logs)) logs[pod] = lines.slice(-50);
    return { events: [...this.platformEvents], routers: this.ingress.stats(), logs };
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

  /** Through Chaos Mesh when the cluster has it, else pod-kill and pod-failure through the API (see chaos/kubernetes.ts). */
  async injectChaos(experiment: ChaosExperiment, pick?: (n: number) => number): Promise<ChaosInjection> {
    if (this.closed) throw new Error('the kubernetes platform has been shut down');
    await this.start();
    return this.chaos.inject(experiment, pick);
  }

  addExternal(name: string): void {
    throw new Error(`external hosts on the kubernetes platform are not built yet (${name}): give pods a Service of type ExternalName in the manifests`);
  }

  /** Online backups of the rollout's databases, from its data folder on the node (a cluster on this machine). */
  async backupData(rollout: string, destDir: string): Promise<DatabaseBackup[]> {
    if (!this.rolloutsW.items.has(rollout)) throw new Error(`no rollout "${rollout}" in namespace ${this.namespace} (rollouts: ${[...this.rolloutsW.items.keys()].join(', ') || 'none'})`);
    if (this.dataDir === undefined) throw new Error(`backups on the kubernetes platform read the rollout's data folder on the node, which only a cluster on this machine gives (rollout ${rollout}); elsewhere back up the volume with the cluster's own tools`);
    const backups = await backupDataDir(path.join(this.dataDir, rollout), destDir);
    for (const b of backups) this.record(`rollout/${rollout}`, 'BackedUp', describeBackup(b));
    return backups;
  }

  logs(query?: LogQuery): LogEntry[] {
    return this.logs$.query(query);
  }

  /** The platform's Prometheus (see ensurePrometheus) with these rules loaded, on a cluster on this machine. */
  async monitor(ruleFiles: LoadedRuleFile[], options: MonitorOptions = {}): Promise<string> {
    if (!this.onHost) throw new Error('Prometheus on the kubernetes platform runs only beside a cluster on this machine (CUTOVER_CLUSTER_ON_HOST=1); on another cluster, point the analysis templates at its own Prometheus');
    await this.start();
    const p = await this.ensurePrometheus();
    p.setAlertmanagers(options.alertmanagers ?? []);
    await p.setRules(ruleFiles.map((f) => ({ name: f.file, text: scaleRuleFile(f, this.timeScale) })));
    const groups = ruleFiles.reduce((n, f) => n + f.rules.groups.length, 0);
    this.record('prometheus', 'RulesLoaded', `${groups} rule group(s) from ${ruleFiles.map((f) => f.file).join(', ') || 'no files'}`);
    return p.url;
  }

  /** Stops the watches and log streams, then deletes the namespace (and cluster-scoped objects applied) and waits, bounded, until it is gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [this.rolloutsW, this.replicaSetsW, this.runsW, this.podsW, this.eventsW, this.servicesW, this.endpointsW, this.ingressesW]) await w.informer?.stop();
    for (const a of this.following.values()) a.abort();
    await this.chaos.close().catch((err: Error) => this.log(`chaos revert at close: ${err.message}`));
    await this.ingress.close();
    await this.prometheus?.stop();
    await new Promise<void>((r) => (this.metricsServer ? this.metricsServer.close(() => r()) : r()));
    if (this.credentialsDir !== undefined) fs.rmSync(this.credentialsDir, { recursive: true, force: true });
    if (this.started === undefined) return;
    await this.started.catch(() => undefined);
    if (!this.namespaceCreated) return;
    for (const obj of this.clusterScoped) {
      await this.cluster.objects.delete(obj).catch((err: unknown) => {
        if (apiStatus(err) !== 404) this.log(`could not delete ${obj.kind} ${obj.metadata?.name}: ${(err as Error).message}`);
      });
    }
    await deleteNamespace(this.cluster, this.namespace, 120_000, this.log);
    // The pods are gone with the namespace: their data folders go too.
    if (this.dataDir !== undefined) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async removeLeftovers(): Promise<void> {
    const list = await this.cluster.call('list namespaces', () => this.cluster.core.listNamespace({ labelSelector: LABEL_OWNER }));
    for (const ns of list.items) {
      const owner = ns.metadata?.labels?.[LABEL_OWNER] ?? '';
      const [host, pid] = owner.split('.pid-');
      if (host !== hostLabel() || pid === undefined || processAlive(Number(pid)) || ns.status?.phase === 'Terminating') continue;
      this.log(`removing namespace ${ns.metadata?.name}, left by a run that is gone (pid ${pid})`);
      await this.cluster.core.deleteNamespace({ name: ns.metadata?.name ?? '' }).catch(() => undefined);
      // Its data folders with it (this run's live beside them, under a name of their own).
      const name = ns.metadata?.name;
      if (this.dataDir !== undefined && name) fs.rmSync(path.join(path.dirname(this.dataDir), name), { recursive: true, force: true });
    }
  }
}

/** Whether a TCP connection to host:port is accepted within a second. */
export function connects(host: string, port: number): Promise<boolean> {
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

const isLoopbackUrl = (url: string) => {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
};

/**
 * Gives a Rollout's pods the rollout's data folder on the node (a hostPath
 * volume at /data, DATA_DIR pointing there), as every version shares one
 * volume; a template that mounts something at /data itself is left alone.
 */
export function addDataVolume(obj: Obj, dir: string): void {
  type Container = { env?: { name: string; value?: string }[]; volumeMounts?: { name: string; mountPath: string }[] };
  const spec = (obj.spec as { template?: { spec?: { volumes?: Record<string, unknown>[]; containers?: Container[] } } } | undefined)?.template?.spec;
  if (spec === undefined) return;
  const containers = spec.containers ?? [];
  if (containers.some((c) => (c.volumeMounts ?? []).some((m) => m.mountPath === DATA_MOUNT))) return;
  spec.volumes = [...(spec.volumes ?? []), { name: DATA_VOLUME, hostPath: { path: dir, type: 'DirectoryOrCreate' } }];
  for (const c of containers) {
    c.volumeMounts = [...(c.volumeMounts ?? []), { name: DATA_VOLUME, mountPath: DATA_MOUNT }];
    if (!(c.env ?? []).some((e) => e.name === 'DATA_DIR')) c.env = [...(c.env ?? []), { name: 'DATA_DIR', value: DATA_MOUNT }];
  }
}

/** The rollout a pod belongs to, through its ReplicaSet. */
/** The platform as a Kubernetes one, for steps that look at the cluster itself; a clear error on another profile. */
export function asKubernetes(platform: Platform): KubernetesPlatform {
  if (!(platform instanceof KubernetesPlatform)) throw new Error(`this step looks at a Kubernetes cluster: run it with --profile kubernetes (this run's platform is ${platform.kind})`);
  return platform;
}

/**
 * The workload a pod serves: its Rollout (through its ReplicaSet), or for a
 * Deployment's pod its Helm release (app.kubernetes.io/instance, else the
 * Deployment's name); '' for anything else (a Job's pod, say).
 */
function rolloutOfPod(pod: k8s.V1Pod, replicaSets: Map<string, ArgoReplicaSet>): string {
  const rsName = pod.metadata?.ownerReferences?.find((r) => r.kind === 'ReplicaSet')?.name;
  const rs = rsName === undefined ? undefined : replicaSets.get(rsName);
  const owner = rs?.metadata.ownerReferences?.find((r) => r.kind === 'Rollout' || r.kind === 'Deployment');
  if (owner?.kind === 'Deployment') return pod.metadata?.labels?.['app.kubernetes.io/instance'] ?? owner.name;
  return owner?.name ?? '';
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
        return this.runsSettled(s);
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

  /**
   * A rollout that is done (Healthy or Degraded) with analysis runs still
   * running: Argo terminates a background run in the reconcile after the one
   * that finished the rollout, so the status is read again once they are
   * terminal (at most 15 s), as the local controller reports them at once.
   */
  private async runsSettled(s: RolloutStatus): Promise<RolloutStatus> {
    const running = (x: RolloutStatus) => x.analysisRuns.some((r) => r.phase === 'Running' || r.phase === 'Pending');
    if ((s.phase !== 'Healthy' && s.phase !== 'Degraded') || !running(s)) return s;
    const deadline = Date.now() + 15_000;
    let now = s;
    while (running(now) && Date.now() < deadline) {
      await this.platform.nextChange(deadline - Date.now());
      now = this.status();
    }
    return now;
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
