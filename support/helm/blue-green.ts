// Blue-green with Helm, as the production spec does it (k8s/helm/): blue and
// green are two releases of one chart, each with its own Service, and the
// cut-over re-points the Ingress from one release's Service to the other's.
// This module runs the spec's phases on the kubernetes platform: the checks
// before anything is deployed, `helm upgrade --install --wait`, the cut-over,
// and a guard that rolls the Ingress back when a trigger fires.
import fs from 'node:fs';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { ChaosPod } from '../chaos/injection.ts';
import type { KubernetesPlatform } from '../platform/kubernetes/platform.ts';
import { apiMessage, apiStatus } from '../platform/kubernetes/cluster.ts';
import { summariseSamples, type TrafficSample, type WindowStats } from '../traffic/recording.ts';
import { HelmCli } from './cli.ts';

export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

type Values = Record<string, unknown>;

/** Values files merged as helm merges them: maps key by key, anything else replaced by the later file. */
export function mergeValues(...layers: Values[]): Values {
  const out: Values = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      const prev = out[k];
      out[k] = isMap(prev) && isMap(v) ? mergeValues(prev, v) : v;
    }
  }
  return out;
}
const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A CPU quantity in cores ("100m", "2") or a memory quantity in bytes ("256Mi", "1G"); NaN when it is neither. */
export function quantity(text: string): number {
  const m = /^([0-9.]+)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(String(text).trim());
  if (m === null) return NaN;
  const factor: Record<string, number> = { m: 1e-3, k: 1e3, Ki: 2 ** 10, M: 1e6, Mi: 2 ** 20, G: 1e9, Gi: 2 ** 30, T: 1e12, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] === undefined ? 1 : (factor[m[2]] as number));
}

export interface ChartValues {
  replicas: number;
  requests: { cpu: number; memory: number };
  secrets: { name: string; key: string }[];
  storageClass: string | undefined;
  port: number;
}

/** What the checks need from the chart's values (values.yaml, then each file given). */
export function chartValues(chart: string, valuesFiles: string[]): ChartValues {
  const read = (file: string): Values => {
    const text = fs.readFileSync(file, 'utf8');
    const v = parseYaml(text) as unknown;
    if (v !== null && v !== undefined && !isMap(v)) throw new Error(`${file}: expected a map of values at the top, found ${Array.isArray(v) ? 'a list' : typeof v}`);
    return (v ?? {}) as Values;
  };
  const v = mergeValues(read(path.join(chart, 'values.yaml')), ...valuesFiles.map(read)) as {
    replicaCount?: number;
    resources?: { requests?: { cpu?: string; memory?: string } };
    secrets?: Record<string, { name?: string; key?: string }>;
    persistence?: { storageClass?: string };
    service?: { port?: number };
  };
  return {
    replicas: v.replicaCount ?? 1,
    requests: { cpu: quantity(v.resources?.requests?.cpu ?? '0'), memory: quantity(v.resources?.requests?.memory ?? '0') },
    secrets: Object.values(v.secrets ?? {}).flatMap((s) => (s.name && s.key ? [{ name: s.name, key: s.key }] : [])),
    storageClass: v.persistence?.storageClass,
    port: v.service?.port ?? 80,
  };
}

export interface NodeRoom {
  name: string;
  ready: boolean;
  cpu: { allocatable: number; requested: number };
  memory: { allocatable: number; requested: number };
}

export interface AccessCheck {
  verb: string;
  resource: string;
  allowed: boolean;
  reason?: string;
}

export interface Deployed {
  release: string;
  image: string;
  args: string[];
  ms: number;
  revision: number;
}

export interface BlueGreenOptions {
  chart: string;
  valuesFiles: string[];
  /** The Ingress the cut-over re-points. */
  ingress: string;
  /** Bound of one helm upgrade --install --wait. */
  installTimeoutMs: number;
}

/** What voluntary evictions met: the pods evicted before the disruption budget refused one, and how long the release took to be whole again. */
export interface Evictions {
  before: number;
  evicted: string[];
  /** The pod the API server would not evict (429), with its message. */
  refused?: { pod: string; message: string };
  refusedAfterMs: number;
  after?: number;
  backAfterMs: number;
}

export class HelmBlueGreen {
  readonly values: ChartValues;
  readonly deployed = new Map<string, Deployed>();
  private claimed = false;

  constructor(
    readonly platform: KubernetesPlatform,
    readonly helm: HelmCli,
    readonly options: BlueGreenOptions,
  ) {
    this.values = chartValues(options.chart, options.valuesFiles);
  }

  /** Each node: Ready, and its allocatable CPU and memory against what its pods request (the spec's `kubectl top nodes`). */
  async nodes(): Promise<NodeRoom[]> {
    const status = await this.platform.cluster.call('list nodes and their pods', () => k8s.topNodes(this.platform.cluster.core));
    return status.map((s) => ({
      name: s.Node.metadata?.name ?? '',
      ready: (s.Node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      cpu: { allocatable: quantity(s.Node.status?.allocatable?.cpu ?? '0'), requested: Number(s.CPU.RequestTotal) },
      memory: { allocatable: quantity(s.Node.status?.allocatable?.memory ?? '0'), requested: Number(s.Memory.RequestTotal) },
    }));
  }

  /** What blue and green together request: two releases of the chart's replicas. */
  needed(): { pods: number; cpu: number; memory: number } {
    const pods = 2 * this.values.replicas;
    return { pods, cpu: pods * this.values.requests.cpu, memory: pods * this.values.requests.memory };
  }

  /** Each secret the values name, and whether it has the key, not empty. */
  async secrets(): Promise<{ name: string; key: string; present: boolean; hasKey: boolean }[]> {
    const out = [];
    for (const { name, key } of this.values.secrets) {
      const secret = await this.platform.cluster.core.readNamespacedSecret({ name, namespace: this.platform.namespace }).catch(() => undefined);
      const data = secret?.data?.[key];
      out.push({ name, key, present: secret !== undefined, hasKey: data !== undefined && data !== '' });
    }
    return out;
  }

  /** The value of the n-th secret the values name (for a client that must present it, as the API token). */
  async secretValue(n: number): Promise<string> {
    const ref = this.values.secrets[n];
    if (ref === undefined) throw new Error(`the chart's values name ${this.values.secrets.length} secret(s), not a ${n + 1}th`);
    const secret = await this.platform.cluster.call(`read secret ${ref.name}`, () => this.platform.cluster.core.readNamespacedSecret({ name: ref.name, namespace: this.platform.namespace }));
    const data = secret.data?.[ref.key];
    if (data === undefined) throw new Error(`secret ${ref.name} has no key ${ref.key}`);
    return Buffer.from(data, 'base64').toString('utf8');
  }

  /** The pod specs of a release's running pods, as the API server has them (defaults filled in). */
  async podSpecs(release: string): Promise<{ pod: string; spec: k8s.V1PodSpec }[]> {
    const pods = await this.platform.cluster.call(`list pods of ${release}`, () =>
      this.platform.cluster.core.listNamespacedPod({ namespace: this.platform.namespace, labelSelector: `${INSTANCE_LABEL}=${release},app.kubernetes.io/name` }),
    );
    return pods.items.filter((p) => p.spec !== undefined && p.metadata?.labels?.['app.kubernetes.io/component'] !== 'migration').map((p) => ({ pod: p.metadata?.name ?? '', spec: p.spec as k8s.V1PodSpec }));
  }

  /** The storage class the values name, if the cluster has it. */
  async storageClass(): Promise<{ name: string | undefined; provisioner?: string; exists: boolean }> {
    const name = this.values.storageClass;
    if (name === undefined) return { name, exists: false };
    const storage = this.platform.cluster.config.makeApiClient(k8s.StorageV1Api);
    const sc = await storage.readStorageClass({ name }).catch(() => undefined);
    return { name, exists: sc !== undefined, ...(sc?.provisioner ? { provisioner: sc.provisioner } : {}) };
  }

  /** What this identity may do in the namespace, as the API server decides it (`kubectl auth can-i`). */
  async mayDo(checks: { verb: string; resource: string; group?: string }[]): Promise<AccessCheck[]> {
    const authz = this.platform.cluster.config.makeApiClient(k8s.AuthorizationV1Api);
    const out: AccessCheck[] = [];
    for (const c of checks) {
      const review = await this.platform.cluster.call(`can-i ${c.verb} ${c.resource}`, () =>
        authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace: this.platform.namespace, verb: c.verb, resource: c.resource, group: c.group ?? groupOf(c.resource) } } } }),
      );
      out.push({ verb: c.verb, resource: c.resource, allowed: review.status?.allowed === true, ...(review.status?.reason ? { reason: review.status.reason } : {}) });
    }
    return out;
  }

  /** What a release's service account may do (`kubectl auth can-i --as=system:serviceaccount:…`). */
  async accountMayDo(release: string, checks: { verb: string; resource: string }[]): Promise<AccessCheck[]> {
    const authz = this.platform.cluster.config.makeApiClient(k8s.AuthorizationV1Api);
    const user = `system:serviceaccount:${this.platform.namespace}:${release}`;
    const out: AccessCheck[] = [];
    for (const c of checks) {
      const review = await this.platform.cluster.call(`can-i ${c.verb} ${c.resource} as ${user}`, () =>
        authz.createSubjectAccessReview({
          body: { spec: { user, groups: ['system:serviceaccounts', `system:serviceaccounts:${this.platform.namespace}`, 'system:authenticated'], resourceAttributes: { namespace: this.platform.namespace, verb: c.verb, resource: c.resource, group: groupOf(c.resource) } } },
        }),
      );
      out.push({ verb: c.verb, resource: c.resource, allowed: review.status?.allowed === true, ...(review.status?.reason ? { reason: review.status.reason } : {}) });
    }
    return out;
  }

  /**
   * `helm upgrade --install` of a release at an image, with the values files,
   * the release's own names and (on a cluster on this machine) the shared data
   * folder; waits for its hooks and resources, then puts cutover's router in
   * front of its Service.
   */
  async deploy(release: string, image: string): Promise<Deployed> {
    const colon = image.lastIndexOf(':');
    if (colon <= 0) throw new Error(`image "${image}": expected repository:tag`);
    const set: Record<string, string> = {
      nameOverride: release,
      fullnameOverride: release,
      'image.repository': image.slice(0, colon),
      'image.tag': image.slice(colon + 1),
    };
    const claim = await this.sharedClaim();
    if (claim !== undefined) set['persistence.existingClaim'] = claim;
    const pullPolicy = process.env.CUTOVER_IMAGE_PULL_POLICY;
    if (pullPolicy) set['image.pullPolicy'] = pullPolicy;
    const done = await this.helm.upgradeInstall({ release, chart: this.options.chart, namespace: this.platform.namespace, valuesFiles: this.options.valuesFiles, set, timeoutMs: this.options.installTimeoutMs });
    const history = await this.helm.history(release, this.platform.namespace);
    await this.platform.expose(release);
    const deployed = { release, image, args: done.args, ms: done.ms, revision: history.at(-1)?.revision ?? 0 };
    this.deployed.set(release, deployed);
    return deployed;
  }

  /**
   * Blue and green share one database. On a cluster on this machine, the
   * platform's folder for the chart becomes a PersistentVolume of the values'
   * storage class, claimed once in the namespace (a claim, unlike a hostPath
   * volume in the pod, passes the restricted pod security standard); elsewhere
   * the values must name persistence.existingClaim.
   */
  private async sharedClaim(): Promise<string | undefined> {
    const chart = path.basename(this.options.chart);
    const folder = this.platform.dataFolder(chart);
    if (folder === undefined) return undefined;
    const claim = `${chart}-data`;
    if (this.claimed) return claim;
    const volume = `${this.platform.namespace}-${chart}`.slice(0, 63);
    const storageClassName = this.values.storageClass ?? '';
    await this.platform.applyObjects([
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: volume },
        spec: { storageClassName, capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: folder, type: 'Directory' }, claimRef: { namespace: this.platform.namespace, name: claim } },
      },
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: claim },
        spec: { storageClassName, volumeName: volume, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    ]);
    this.claimed = true;
    return claim;
  }

  pods(release: string): ChaosPod[] {
    return this.platform.pods().filter((p) => p.labels[INSTANCE_LABEL] === release && p.rollout === release);
  }

  /**
   * Voluntary evictions of the release's ready pods, one after another
   * without waiting for replacements (as `kubectl drain` tries them), until
   * the API server refuses one for the release's PodDisruptionBudget; then
   * waits, bounded, until the release has as many ready pods as before.
   */
  async evictUntilRefused(release: string, timeoutMs: number): Promise<Evictions> {
    const before = this.pods(release).filter((p) => p.ready);
    const out: Evictions = { before: before.length, evicted: [], refusedAfterMs: 0, backAfterMs: 0 };
    const started = Date.now();
    for (const pod of before) {
      try {
        await this.platform.cluster.core.createNamespacedPodEviction({ name: pod.name, namespace: this.platform.namespace, body: { metadata: { name: pod.name, namespace: this.platform.namespace } } });
        out.evicted.push(pod.name);
      } catch (err) {
        if (apiStatus(err) !== 429) throw new Error(`evicting pod ${pod.name}: ${apiMessage(err)}`, { cause: err });
        out.refused = { pod: pod.name, message: apiMessage(err) };
        break;
      }
    }
    out.refusedAfterMs = Date.now() - started;
    // An evicted pod may still read ready while it terminates: only the others count.
    const ready = () => this.pods(release).filter((p) => p.ready && !out.evicted.includes(p.name)).length;
    while (ready() < before.length && Date.now() - started < timeoutMs) await this.platform.nextChange(1000);
    out.backAfterMs = Date.now() - started;
    out.after = ready();
    return out;
  }

  /** The release's migration job (the pre-install hook): whether it succeeded, and what it printed. */
  async migration(release: string): Promise<{ job: string; succeeded: boolean; failed: number; log: string }> {
    const job = `${release}-migrate`;
    const batch = this.platform.cluster.config.makeApiClient(k8s.BatchV1Api);
    const j = await this.platform.cluster.call(`read job ${job}`, () => batch.readNamespacedJob({ name: job, namespace: this.platform.namespace }));
    const pods = await this.platform.cluster.core.listNamespacedPod({ namespace: this.platform.namespace, labelSelector: `job-name=${job}` });
    const pod = pods.items.find((p) => p.status?.phase === 'Succeeded') ?? pods.items[0];
    const log = pod === undefined ? '' : await this.platform.cluster.core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: this.platform.namespace }).catch((err: Error) => `(log unavailable: ${err.message})`);
    return { job, succeeded: (j.status?.succeeded ?? 0) > 0, failed: j.status?.failed ?? 0, log: String(log) };
  }

  /** Points the Ingress at a release's Service; returns when the patch was made and when the router followed. */
  cutOver(release: string): Promise<{ patchedAt: number; routedAt: number }> {
    return this.platform.pointIngressAt(this.options.ingress, release, this.values.port);
  }

  /** The release the Ingress leads to now. */
  live(): string | undefined {
    return this.platform.ingressTarget(this.options.ingress);
  }
}

const groupOf = (resource: string) => ({ deployments: 'apps', replicasets: 'apps', ingresses: 'networking.k8s.io', networkpolicies: 'networking.k8s.io', poddisruptionbudgets: 'policy', horizontalpodautoscalers: 'autoscaling', jobs: 'batch', roles: 'rbac.authorization.k8s.io', rolebindings: 'rbac.authorization.k8s.io' })[resource] ?? '';

export interface RollbackTriggers {
  /** Error rate over the window above which traffic goes back (the spec: 5%). */
  maxErrorRate: number;
  /** p95 latency over the window above which traffic goes back. */
  maxP95Ms: number;
  /** How long the live release's health check may fail before traffic goes back (the spec: 2 minutes). */
  healthFailingMs: number;
  /** The sliding window the rates are measured over. */
  windowMs: number;
  /** Fewest requests in the window for a rate to count. */
  minRequests: number;
}

export interface RollbackDecision {
  reason: string;
  triggeredAt: number;
  /** The window's numbers when it fired. */
  measured: WindowStats | { failingSinceMs: number; lastStatus: number | string };
  /** When the Ingress was patched back and the router followed. */
  patchedAt: number;
  routedAt: number;
}

/**
 * Watches the traffic through the Ingress and the live release's health check
 * after a cut-over, and points the Ingress back at the previous release the
 * first time a trigger fires: error rate or p95 over a sliding window, or the
 * health check failing for longer than allowed. Polls every 250 ms; stops at
 * the first rollback, or when stopped.
 */
export class RollbackGuard {
  decision: RollbackDecision | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private failingSince: number | undefined;
  private lastHealth: number | string = 'none';
  private lastProbe = 0;

  constructor(
    private readonly bg: HelmBlueGreen,
    private readonly samples: () => TrafficSample[],
    private readonly triggers: RollbackTriggers,
    private readonly previous: string,
    private readonly healthUrl: string,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), 250);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The trigger that fires on these numbers, if any. */
  static verdict(stats: WindowStats, t: RollbackTriggers): string | undefined {
    if (stats.requests < t.minRequests) return undefined;
    if (stats.failedRate > t.maxErrorRate) return `error rate ${(stats.failedRate * 100).toFixed(1)}% over ${t.windowMs} ms > ${t.maxErrorRate * 100}%`;
    if (stats.latency.p95Ms > t.maxP95Ms) return `p95 ${stats.latency.p95Ms.toFixed(0)} ms over ${t.windowMs} ms > ${t.maxP95Ms} ms`;
    return undefined;
  }

  private async check(): Promise<void> {
    if (this.checking || this.decision !== undefined) return;
    this.checking = true;
    try {
      const now = Date.now();
      const window = { name: 'rollback guard', from: now - this.triggers.windowMs, to: now };
      const recent = this.samples().filter((s) => s.at + s.latencyMs >= window.from && s.at + s.latencyMs < window.to);
      const stats = summariseSamples(recent, window);
      let reason = RollbackGuard.verdict(stats, this.triggers);
      let measured: RollbackDecision['measured'] = stats;
      if (reason === undefined && now - this.lastProbe >= 1000) {
        this.lastProbe = now;
        const status = await fetch(this.healthUrl, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, (err: Error) => err.message);
        this.lastHealth = status;
        this.failingSince = status === 200 ? undefined : (this.failingSince ?? now);
        if (this.failingSince !== undefined && now - this.failingSince > this.triggers.healthFailingMs) {
          reason = `health check failing for ${now - this.failingSince} ms > ${this.triggers.healthFailingMs} ms`;
          measured = { failingSinceMs: now - this.failingSince, lastStatus: status };
        }
      }
      if (reason === undefined) return;
      this.stop();
      this.log(`rollback: ${reason}: ingress back to ${this.previous}`);
      const { patchedAt, routedAt } = await this.bg.cutOver(this.previous);
      this.decision = { reason, triggeredAt: now, measured, patchedAt, routedAt };
    } catch (err) {
      this.log(`rollback guard: ${(err as Error).message}`);
    } finally {
      this.checking = false;
    }
  }
}
