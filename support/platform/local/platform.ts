// The local platform: Argo Rollouts manifests run on this machine. Each
// Service is a listener of the cutover router; each pod is a process from
// the image catalog, started by the supervisor; each Rollout has a rollout
// controller that moves traffic the way Argo does; analysis runs against the
// real Services (and a real Prometheus when a template asks for one).
//
// Like Kubernetes endpoints, a Service only sends traffic to replicas that
// pass their readiness probe: a replica that turns unready or crashes leaves
// its group until it is ready again.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import type { AnalysisTemplate } from '../../analysis/model.ts';
import { jobProvider } from '../../analysis/providers/job.ts';
import { prometheusProvider } from '../../analysis/providers/prometheus.ts';
import { webProvider } from '../../analysis/providers/web.ts';
import { AnalysisRun, type AnalysisRunSnapshot } from '../../analysis/run.ts';
import { Autoscaler, type ScaleTarget } from '../../autoscaling/autoscaler.ts';
import { registerAutoscalerMetrics } from '../../autoscaling/metrics.ts';
import type { HorizontalPodAutoscaler } from '../../autoscaling/model.ts';
import { CertificateManager, type Certificate, type Issuer, type Secret } from '../../ingress/certificates.ts';
import { canaryShareOf, ingressHostOf, ingressServiceOf, NGINX_HSTS, sslRedirectOf, unservedOf, type Ingress } from '../../ingress/model.ts';
import { TlsFront } from '../../ingress/tls-front.ts';
import { CUTOVER_KINDS } from '../../manifests/kinds.ts';
import { loadManifestFiles, type Ignored, type LoadedDocument } from '../../manifests/load.ts';
import { outlierDetectionOf, type Service } from '../../manifests/service.ts';
import { RolloutController, type AnalysisLauncher, type AnalysisRequest, type RolloutEvent, type RolloutStatus, type RolloutWorkloads } from '../../rollout/controller.ts';
import type { Rollout } from '../../rollout/model.ts';
import type { Revision } from '../../rollout/revision.ts';
import { serviceRoutes, type TrafficPlan } from '../../rollout/routing.ts';
import { serveMetrics, ServiceRouter, type RouterStats } from '../../traffic/router.ts';
import type { MonitorOptions, Platform, PlatformDiagnostics, PlatformKind } from '../platform.ts';
import { ServiceAddresses } from './addresses.ts';
import { ImageCatalog, parseImageRef, type Runnable } from './catalog.ts';
import { sweepLeftovers } from './leftovers.ts';
import { LocalPrometheus, type ScrapeTarget } from './prometheus.ts';
import { backupDataDir, describeBackup, type DatabaseBackup } from '../../backup/sqlite.ts';
import type { ChaosInjection, ChaosPod } from '../../chaos/injection.ts';
import { LocalChaos } from '../../chaos/local.ts';
import type { ChaosExperiment } from '../../chaos/model.ts';
import { LogAggregator, type LogEntry, type LogQuery } from '../../logs/aggregate.ts';
import type { LogArchive } from '../../logs/archive.ts';
import { registerPodMetrics, type ProcessUsage } from './pod-metrics.ts';
import { RolloutMetrics } from './rollout-metrics.ts';
import { type LoadedRuleFile, scaleRuleFile } from '../../monitoring/rules.ts';
import { manifestSha256, type RolloutStateStore } from '../../rollout/state-store.ts';
import { Supervisor, type ProbeHealth, type Replica, type ReplicaRuntime, type ReplicaSpec, type ReplicaState } from './supervisor.ts';

export interface LocalPlatformOptions {
  catalog?: ImageCatalog;
  /** CUTOVER_TIME_SCALE: pauses, analysis intervals, delays and deadlines are multiplied by it. */
  timeScale?: number;
  /** The namespace of manifests that name none. */
  namespace?: string;
  /**
   * Where each Rollout's replicas keep their data: <dataDir>/<rollout>, shared
   * by every version like a persistent volume. Default: a temporary directory
   * removed at close.
   */
  dataDir?: string;
  /** Progress lines for people (starting replicas, switching traffic...). */
  log?: (line: string) => void;
  /** How long a removed backend may finish its requests (and WebSockets). */
  drainTimeoutMs?: number;
  prometheusBinary?: string;
  /**
   * Where replicas run instead of child processes (the docker platform):
   * everything else (router, controller, analysis, chaos) stays as it is.
   */
  runtime?: PlatformRuntime;
  /**
   * Where rollout state, pod states and events are kept (cutover up): a
   * Rollout applied again after a restart resumes from its saved state. The
   * caller opens and closes it.
   */
  stateStore?: RolloutStateStore;
  /** Told of every rollout event with the rollout's status (webhook notifications). */
  notifier?: { rolloutEvent(rollout: string, event: RolloutEvent, status: RolloutStatus): void };
}

/** A runtime that a whole platform runs on: it says what an image is, and is closed with the platform. */
export interface PlatformRuntime extends ReplicaRuntime {
  readonly kind: Exclude<PlatformKind, 'local'>;
  /** Before the first manifest is applied: fails at once, saying what to do, when the runtime is not usable. */
  prepare(): Promise<void>;
  runnable(image: string): Runnable;
  close(): Promise<void>;
  /** Told once when the runtime stops answering for good (the Docker daemon gone mid-run). */
  onLost?(listener: (err: Error) => void): void;
}

/** One pod as the health view shows it: where it belongs, its state and what its readiness probe has seen. */
export interface PodHealth {
  name: string;
  rollout: string;
  namespace: string;
  revision: number;
  image: string;
  role: string;
  state: ReplicaState;
  ready: boolean;
  restarts: number;
  health: ProbeHealth;
}

export interface PlatformEvent {
  at: string;
  source: string;
  reason: string;
  message: string;
}

interface RevisionSet {
  revision: Revision;
  desired: number;
  replicas: Replica[];
  /** Replicas being removed: out of routing, still finishing their requests. */
  leaving: Set<Replica>;
  queue: Promise<void>;
}

interface RolloutEntry {
  controller: RolloutController;
  /** Of the manifest last applied (a restart with the same one resumes; a changed one is applied as an update). */
  manifestSha256: string;
  sets: Map<string, RevisionSet>;
  plan?: TrafficPlan;
}

const randomSuffix = () => Math.random().toString(36).slice(2, 7);

export class LocalPlatform implements Platform {
  readonly kind: PlatformKind;
  readonly supervisor: Supervisor;
  readonly events: PlatformEvent[] = [];
  readonly addresses: ServiceAddresses;
  readonly timeScale: number;
  private readonly catalog: ImageCatalog;
  private readonly registry = new Registry();
  private readonly rolloutMetrics: RolloutMetrics;
  private readonly aggregatedLogs = new LogAggregator();
  private logArchive: LogArchive | undefined;
  /** The rollout and image of every pod started, for its log lines (kept after it stops). */
  private readonly podInfo = new Map<string, { rollout: string; image: string }>();
  private readonly chaos: LocalChaos;
  private readonly services = new Map<string, { spec: Service; router: ServiceRouter }>();
  private readonly rollouts = new Map<string, RolloutEntry>();
  private readonly templates = new Map<string, AnalysisTemplate>();
  private readonly clusterTemplates = new Map<string, AnalysisTemplate>();
  private readonly autoscalers = new Map<string, Autoscaler>();
  /** Every Ingress applied; a main one (not an ingress-nginx canary) has a router of its own, as an ingress controller's address. */
  private readonly ingresses = new Map<string, { spec: Ingress; router?: ServiceRouter; tls?: TlsFront }>();
  /** cert-manager's part: Issuers, Certificates and the TLS Secrets the Ingresses serve. */
  readonly certificates: CertificateManager;
  readonly runs: AnalysisRun[] = [];
  private prometheus: LocalPrometheus | undefined;
  private prometheusStarting: Promise<LocalPrometheus> | undefined;
  private metricsServer: http.Server | undefined;
  private readonly dataDir: string;
  private readonly ownsDataDir: boolean;
  private closed = false;
  /** Why the runtime can no longer run pods: nothing more is applied. */
  private lost: Error | undefined;
  readonly ignored: Ignored[] = [];

  /** What runs the pods: undefined for processes on this machine, else the runtime (Docker's). */
  get runtime(): PlatformRuntime | undefined {
    return this.options.runtime;
  }

  constructor(private readonly options: LocalPlatformOptions = {}) {
    this.kind = options.runtime?.kind ?? 'local';
    this.supervisor = new Supervisor(options.runtime);
    this.catalog = options.catalog ?? new ImageCatalog();
    this.timeScale = options.timeScale ?? 1;
    this.addresses = new ServiceAddresses(options.namespace ?? 'default');
    this.ownsDataDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-platform-'));
    this.supervisor.onEvent = (e) => {
      this.record(e.replica, e.type, e.message);
      this.store((store) => store.podEvent(e.replica, this.podInfo.get(e.replica)?.rollout, e.type, e.message, e.at, this.supervisor.replicas.get(e.replica)?.health));
    };
    this.chaos = new LocalChaos({
      timeScale: this.timeScale,
      pods: () => this.pods(),
      replica: (name) => this.supervisor.replicas.get(name),
      reroute: async (pod) => {
        const entry = this.rollouts.get(this.podInfo.get(pod)?.rollout ?? '');
        if (entry) await this.routeRollout(entry);
      },
      record: (source, reason, message) => this.record(source, reason, message),
      log: (line) => this.log(line),
      // Containers do not share this machine's loopback: they reach externals through mounted Unix sockets.
      externalsVia: this.kind === 'local' ? 'loopback' : 'unix-socket',
    });
    this.supervisor.onLog = (l) => {
      const pod = this.podInfo.get(l.replica);
      const stored = this.aggregatedLogs.add({ at: l.at, pod: l.replica, rollout: pod?.rollout ?? '', image: pod?.image ?? '', stream: l.stream, line: l.line });
      this.logArchive?.append(stored);
    };
    this.rolloutMetrics = new RolloutMetrics(this.registry, {
      rollouts: () =>
        [...this.rollouts].map(([name, entry]) => ({
          namespace: this.namespaceOf(name),
          desiredReplicas: entry.controller.rollout.spec.replicas ?? 1,
          availableReplicas: [...entry.sets.values()].reduce((n, set) => n + set.replicas.filter((r) => r.state === 'ready').length, 0),
          status: entry.controller.status(),
        })),
      analysisRuns: () => this.runs.map((r) => ({ name: r.name, namespace: this.options.namespace ?? 'default', phase: r.phase })),
    });
    registerPodMetrics(this.registry, {
      pods: () => this.replicaRows().map((p) => ({ namespace: p.namespace, pod: p.name, container: p.container, usage: p.usage, restarts: p.restarts, ready: p.ready, probes: p.replica.health })),
    });
    this.certificates = new CertificateManager({
      timeScale: this.timeScale,
      onEvent: (e) => {
        this.record(`certificate/${e.certificate}`, e.reason, e.message);
        this.log(`certificate ${e.certificate}: ${e.message}`);
      },
      onSecret: () => this.serveIngressCertificates(),
    });
    registerAutoscalerMetrics(this.registry, () => [...this.autoscalers.values()].map((a) => ({ namespace: this.namespaceOf(a.status().target), status: a.status() })));
    options.runtime?.onLost?.((err) => {
      this.lost = err;
      this.record(`runtime/${this.kind}`, 'RuntimeLost', err.message);
      this.log(`${this.kind}: ${err.message}`);
    });
    const swept = sweepLeftovers();
    if (swept.length > 0) this.log(`stopped ${swept.length} process(es) left running by an earlier run that was killed: ${swept.join(', ')}`);
  }

  private record(source: string, reason: string, message: string): void {
    const e = { at: new Date().toISOString(), source, reason, message };
    this.events.push(e);
    this.store((store) => store.event(e));
  }

  private storeFailed = false;

  /** Writes to the state store; a failing write (disk full) is said once and does not stop the platform. */
  private store(write: (store: RolloutStateStore) => void): void {
    const store = this.options.stateStore;
    if (store === undefined) return;
    try {
      write(store);
    } catch (err) {
      if (!this.storeFailed) this.log(`cannot save state to ${store.file}: ${(err as Error).message} (a restart would not resume from here)`);
      this.storeFailed = true;
    }
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  // ---- applying manifests ------------------------------------------------

  /** Loads and applies manifest files; a malformed one fails before anything changes. */
  async applyFiles(files: string[]): Promise<void> {
    const loaded = loadManifestFiles(files, CUTOVER_KINDS);
    for (const i of loaded.ignored) {
      const key = `${i.where.file}:${i.path}:${i.reason}`;
      if (this.ignored.some((x) => `${x.where.file}:${x.path}:${x.reason}` === key)) continue;
      this.ignored.push(i);
      this.log(`ignored: ${i.where.file}${i.where.line ? `:${i.where.line}` : ''} ${i.path}: ${i.reason}`);
    }
    await this.apply(loaded.documents as LoadedDocument<unknown>[]);
  }

  /** Templates first, then Services, then Rollouts (which need both), then the autoscalers that scale them. */
  async apply(documents: LoadedDocument<unknown>[]): Promise<void> {
    if (this.closed) throw new Error(`the ${this.kind} platform has been shut down`);
    if (this.lost) throw new Error(`the ${this.kind} platform cannot apply anything more: ${this.lost.message}`);
    await this.options.runtime?.prepare();
    const of = <T>(kind: string) => documents.filter((d) => d.kind === kind).map((d) => d.spec as T);
    for (const t of of<AnalysisTemplate>('AnalysisTemplate')) this.templates.set(t.metadata.name, t);
    for (const t of of<AnalysisTemplate>('ClusterAnalysisTemplate')) this.clusterTemplates.set(t.metadata.name, t);
    const needsPrometheus = [...this.templates.values(), ...this.clusterTemplates.values()].some((t) => t.spec.metrics.some((m) => m.provider.prometheus));
    for (const s of of<Service>('Service')) await this.applyService(s);
    const certificates = { secrets: of<Secret>('Secret'), issuers: [...of<Issuer>('Issuer'), ...of<Issuer>('ClusterIssuer')], certificates: of<Certificate>('Certificate') };
    if (certificates.secrets.length + certificates.issuers.length + certificates.certificates.length > 0) this.certificates.apply(certificates);
    const ingresses = of<Ingress>('Ingress');
    if (ingresses.length > 0) await this.applyIngresses(ingresses);
    if (needsPrometheus) await this.ensurePrometheus();
    for (const r of of<Rollout>('Rollout')) await this.applyRollout(r);
    for (const h of of<HorizontalPodAutoscaler>('HorizontalPodAutoscaler')) this.applyAutoscaler(h);
  }

  private applyAutoscaler(spec: HorizontalPodAutoscaler): void {
    const name = spec.metadata.name;
    const existing = this.autoscalers.get(name);
    if (existing) {
      existing.update(spec);
      return;
    }
    const autoscaler = new Autoscaler(spec, (rollout) => this.scaleTarget(rollout), {
      timeScale: this.timeScale,
      onEvent: (e) => {
        this.record(`horizontalpodautoscaler/${name}`, e.reason, e.message);
        this.log(`autoscaler ${name}: ${e.message}`);
      },
    });
    this.autoscalers.set(name, autoscaler);
    this.record(`horizontalpodautoscaler/${name}`, 'Created', `scales rollout ${spec.spec.scaleTargetRef.name} between ${spec.spec.minReplicas} and ${spec.spec.maxReplicas} replicas`);
    autoscaler.start();
  }

  /** A Rollout as its autoscaler sees it: spec.replicas, its pods with their usage and requests, and its scale subresource. */
  private scaleTarget(rollout: string): ScaleTarget | undefined {
    const entry = this.rollouts.get(rollout);
    if (entry === undefined) return undefined;
    const requests = (set: RevisionSet) => {
      // A pod's request is the sum of its containers'; one without it leaves the pod without one.
      const containers = set.revision.template.spec.containers;
      const total = (k: 'cpu' | 'memory') => (containers.every((c) => c.resources.requests?.[k] !== undefined) ? containers.reduce((n, c) => n + (c.resources.requests?.[k] ?? 0), 0) : undefined);
      const cpu = total('cpu');
      const memory = total('memory');
      return { ...(cpu !== undefined ? { cpu } : {}), ...(memory !== undefined ? { memory } : {}) };
    };
    return {
      replicas: () => entry.controller.rollout.spec.replicas,
      pods: () => [...entry.sets.values()].flatMap((set) => set.replicas.filter((r) => !set.leaving.has(r)).map((r) => ({ name: r.spec.name, ready: r.state === 'ready', usage: () => r.usage(), requests: requests(set) }))),
      scale: (replicas, reason) => entry.controller.scale(replicas, `HorizontalPodAutoscaler: ${reason}`),
    };
  }

  /** A HorizontalPodAutoscaler applied here: its status, every sync and its events. */
  autoscaler(name: string): Autoscaler {
    const autoscaler = this.autoscalers.get(name);
    if (autoscaler === undefined) throw new Error(`no HorizontalPodAutoscaler "${name}" on the ${this.kind} platform (autoscalers: ${[...this.autoscalers.keys()].join(', ') || 'none'})`);
    return autoscaler;
  }

  private async applyService(spec: Service): Promise<void> {
    const name = spec.metadata.name;
    const existing = this.services.get(name);
    // A NodePort (or LoadBalancer) Service with a nodePort is served on that port of 127.0.0.1, as a node would; others on a free port.
    const nodePort = spec.spec.type === 'ClusterIP' ? undefined : spec.spec.ports[0]?.nodePort;
    if (existing) {
      const had = existing.spec.spec.type === 'ClusterIP' ? undefined : existing.spec.spec.ports[0]?.nodePort;
      if (nodePort !== undefined && nodePort !== had) throw new Error(`Service ${name}: its nodePort cannot change from ${had ?? 'none'} to ${nodePort} while it runs (the local platform keeps a Service on one port): delete it first`);
      existing.spec = spec;
      existing.router.setOutlierDetection(outlierDetectionOf(spec));
    } else {
      if (nodePort !== undefined) {
        const holder = [...this.services].find(([, s]) => s.spec.spec.type !== 'ClusterIP' && s.spec.spec.ports[0]?.nodePort === nodePort);
        if (holder) throw new Error(`Service ${name}: nodePort ${nodePort} is already allocated to Service ${holder[0]}`);
      }
      const outlierDetection = outlierDetectionOf(spec);
      const router = new ServiceRouter({ service: name, registry: this.registry, drainTimeoutMs: this.options.drainTimeoutMs ?? 10_000, ...(nodePort !== undefined ? { port: nodePort } : {}), ...(outlierDetection ? { outlierDetection } : {}) });
      const url = await router.listen().catch((err: NodeJS.ErrnoException) => {
        throw new Error(err.code === 'EADDRINUSE' ? `Service ${name}: nodePort ${nodePort} on 127.0.0.1 is taken by another program` : `Service ${name}: cannot listen${nodePort !== undefined ? ` on nodePort ${nodePort}` : ''}: ${err.message}`, { cause: err });
      });
      this.services.set(name, { spec, router });
      this.addresses.set(name, spec.spec.ports.map((p) => p.port), url, spec.metadata.namespace);
      this.record(`service/${name}`, 'ServiceCreated', `listening on ${url}`);
      this.log(`service ${name}: ${url}`);
    }
    for (const entry of this.rollouts.values()) await this.routeRollout(entry);
    if (this.ingresses.size > 0) await this.routeIngresses();
  }

  /**
   * Ingresses as ingress-nginx serves them: each main Ingress is a router on
   * its own address (what the test reaches, under the Ingress's name), sending
   * to its backend Service's router; a canary Ingress for the same host takes
   * its canary-weight share of those requests to its own backend.
   */
  private async applyIngresses(specs: Ingress[]): Promise<void> {
    const next = new Map([...this.ingresses].map(([name, i]) => [name, i.spec]));
    for (const spec of specs) next.set(spec.metadata.name, spec);
    // ingress-nginx takes one canary Ingress per host: refused before anything changes.
    const canaries = new Map<string, string>();
    for (const [name, spec] of next) {
      if (canaryShareOf(spec) === undefined) continue;
      const host = ingressHostOf(spec) ?? '*';
      const other = canaries.get(host);
      if (other !== undefined) throw new Error(`Ingress ${name}: ingress-nginx takes one canary Ingress per host, and ${other} is already the canary of ${host === '*' ? 'every host' : host}`);
      canaries.set(host, name);
      if (![...next.values()].some((m) => canaryShareOf(m) === undefined && (ingressHostOf(m) ?? '*') === host)) throw new Error(`Ingress ${name}: a canary Ingress needs a main Ingress for the same host (${host === '*' ? 'no host' : host}), and none is applied`);
    }
    for (const spec of specs) {
      const name = spec.metadata.name;
      for (const what of unservedOf(spec)) this.log(`ignored: Ingress ${name} ${what}`);
      const existing = this.ingresses.get(name);
      if (existing?.router && canaryShareOf(spec) !== undefined) throw new Error(`Ingress ${name}: a main Ingress cannot become a canary while it runs: delete it first`);
      const entry = existing ?? { spec };
      entry.spec = spec;
      this.ingresses.set(name, entry);
      if (canaryShareOf(spec) === undefined && entry.router === undefined) {
        const router = new ServiceRouter({
          service: `ingress/${name}`,
          registry: this.registry,
          drainTimeoutMs: this.options.drainTimeoutMs ?? 10_000,
          httpsRedirectPort: () => (sslRedirectOf(entry.spec) ? entry.tls?.port : undefined),
          hsts: NGINX_HSTS,
        });
        entry.router = router;
        const url = await router.listen();
        this.record(`ingress/${name}`, 'IngressCreated', `listening on ${url} for ${ingressHostOf(spec) ?? 'every host'}`);
        this.log(`ingress ${name}: ${url}`);
      }
      if (entry.router && spec.spec.tls.length > 0 && entry.tls === undefined) {
        const router = entry.router;
        entry.tls = new TlsFront((socket) => router.acceptConnection(socket));
        const url = await entry.tls.listen();
        this.record(`ingress/${name}`, 'IngressTls', `HTTPS on ${url} for ${spec.spec.tls.flatMap((t) => t.hosts).join(', ') || 'every host'}`);
        this.log(`ingress ${name}: ${url}`);
      }
    }
    this.serveIngressCertificates();
    await this.routeIngresses();
  }

  /** Each HTTPS Ingress serves the certificates of the Secrets its tls entries name, as they are now (a renewal included). */
  private serveIngressCertificates(): void {
    for (const [name, { spec, tls }] of this.ingresses) {
      if (tls === undefined) continue;
      const served = spec.spec.tls.flatMap((t) => {
        const secret = this.certificates.secret(t.secretName);
        return secret ? [{ hosts: t.hosts, cert: secret.crt, key: secret.key }] : [];
      });
      const missing = spec.spec.tls.filter((t) => this.certificates.secret(t.secretName) === undefined).map((t) => t.secretName);
      if (missing.length > 0) this.record(`ingress/${name}`, 'MissingSecret', `TLS Secret(s) ${missing.join(', ')} not applied${served.length === 0 ? ': HTTPS handshakes fail until one is' : ''}`);
      tls.setCertificates(served);
    }
  }

  /** An Ingress's HTTP and HTTPS addresses and the host it serves (local and docker platforms). */
  ingressAddresses(name: string): { http: string; https?: string; host?: string; spec: Ingress } {
    const entry = this.ingresses.get(name);
    if (entry?.router === undefined) throw new Error(`no main Ingress "${name}" on the ${this.kind} platform (ingresses: ${[...this.ingresses].filter(([, i]) => i.router).map(([n]) => n).join(', ') || 'none'})`);
    const host = ingressHostOf(entry.spec);
    return { http: entry.router.url, ...(entry.tls ? { https: entry.tls.url } : {}), ...(host !== undefined ? { host } : {}), spec: entry.spec };
  }

  /** Each main Ingress's router: its backend Service's router, and its canary Ingress's by the canary's share. */
  private async routeIngresses(): Promise<void> {
    const serviceBackend = (service: string) => {
      const router = this.services.get(service)?.router;
      return router === undefined ? [] : [{ id: `service/${service}`, url: router.url, version: service }];
    };
    for (const [name, { spec, router }] of this.ingresses) {
      if (router === undefined) continue;
      const host = ingressHostOf(spec) ?? '*';
      const canary = [...this.ingresses.values()].find((c) => canaryShareOf(c.spec) !== undefined && (ingressHostOf(c.spec) ?? '*') === host);
      // Weights in parts of 10 000: a canary-weight of 1 in a total of 1000 is kept exactly.
      const share = canary ? Math.round((canaryShareOf(canary.spec) ?? 0) * 10_000) : 0;
      const routes = [{ ingress: spec, weight: 10_000 - share }, ...(canary ? [{ ingress: canary.spec, weight: share }] : [])].map((r) => ({ ...r, service: ingressServiceOf(r.ingress) }));
      await router.setGroups(routes.map((r) => ({ name: r.ingress.metadata.name, weight: r.weight, backends: serviceBackend(r.service) })));
      this.record(`ingress/${name}`, 'IngressRouted', routes.map((r) => `${r.weight / 100}% to Service ${r.service}${this.services.has(r.service) ? '' : ' (not applied: answered 503)'}`).join(', '));
    }
  }

  private async applyRollout(spec: Rollout): Promise<void> {
    const name = spec.metadata.name;
    const sha = manifestSha256(spec);
    const existing = this.rollouts.get(name);
    if (existing) {
      // An unchanged document applied again changes nothing (kubectl apply's "unchanged"): a set-image since stays.
      if (existing.manifestSha256 === sha) return;
      existing.manifestSha256 = sha;
      await existing.controller.update(spec);
      return;
    }
    const entry: RolloutEntry = { sets: new Map(), manifestSha256: sha, controller: undefined as unknown as RolloutController };
    const analysis: AnalysisLauncher = { start: (request) => this.startAnalysis(request) };
    entry.controller = new RolloutController(spec, { workloads: this.workloadsFor(entry), analysis, timeScale: this.timeScale });
    entry.controller.on('event', (e: RolloutEvent) => {
      this.record(`rollout/${name}`, e.reason, e.message);
      this.options.notifier?.rolloutEvent(name, e, entry.controller.status());
      this.rolloutMetrics.event(name, this.namespaceOf(name), e.reason);
      if (e.reason !== 'PhaseChanged') this.log(`rollout ${name}: ${e.message}`);
    });
    this.rollouts.set(name, entry);
    const unrouted = spec.spec.strategy.blueGreen
      ? [spec.spec.strategy.blueGreen.activeService, spec.spec.strategy.blueGreen.previewService]
      : [spec.spec.strategy.canary?.canaryService, spec.spec.strategy.canary?.stableService];
    for (const s of unrouted) {
      if (s !== undefined && !this.services.has(s)) throw new Error(`rollout ${name} names Service "${s}", which is not among the applied manifests (known: ${[...this.services.keys()].join(', ') || 'none'})`);
    }
    const saved = this.options.stateStore?.load(name);
    entry.controller.on('change', () => this.store((store) => store.save(entry.manifestSha256, entry.controller.snapshot())));
    if (saved === undefined) {
      await entry.controller.start();
      return;
    }
    // Until the changed manifest is applied, the saved state is of the old one.
    entry.manifestSha256 = saved.manifestSha256;
    await entry.controller.resume(saved.snapshot);
    entry.manifestSha256 = sha;
    if (saved.manifestSha256 !== sha) {
      // Changed while cutover was stopped: applied like any changed manifest.
      this.log(`rollout ${name}: the manifest changed since the saved state; applying it as an update`);
      await entry.controller.update(spec);
    }
  }

  // ---- what the controller asks of the platform ------------------------------

  private workloadsFor(entry: RolloutEntry): RolloutWorkloads {
    return {
      scale: (rollout, revision, replicas) => this.scale(entry, rollout, revision, replicas),
      route: async (_rollout, plan) => {
        entry.plan = plan;
        await this.routeRollout(entry);
      },
    };
  }

  private setFor(entry: RolloutEntry, revision: Revision): RevisionSet {
    let set = entry.sets.get(revision.hash);
    if (set === undefined) {
      set = { revision, desired: 0, replicas: [], leaving: new Set(), queue: Promise.resolve() };
      entry.sets.set(revision.hash, set);
    }
    return set;
  }

  /** Converges a revision's replicas to the desired count; calls queue up so they never race. */
  private scale(entry: RolloutEntry, rollout: Rollout, revision: Revision, replicas: number): Promise<void> {
    const set = this.setFor(entry, revision);
    set.desired = replicas;
    const run = set.queue.then(() => this.reconcile(entry, rollout, set));
    set.queue = run.catch(() => {});
    return run;
  }

  private replicaSpec(rollout: Rollout, revision: Revision): ReplicaSpec {
    const container = revision.template.spec.containers[0] as Rollout['spec']['template']['spec']['containers'][number];
    const runnable = this.options.runtime?.runnable(container.image) ?? this.catalog.resolve(container.image);
    const env: Record<string, string> = { DATA_DIR: path.join(this.dataDir, rollout.metadata.name) };
    for (const e of container.env) env[e.name] = e.value;
    const probe = container.readinessProbe;
    const scaled = (s: number) => Math.max(100, s * 1000 * this.timeScale);
    const name = `${rollout.metadata.name}-${revision.hash}-${randomSuffix()}`;
    this.podInfo.set(name, { rollout: rollout.metadata.name, image: container.image });
    return {
      name,
      runnable,
      env,
      readiness: probe
        ? {
            path: probe.httpGet?.path ?? '/ready',
            initialDelayMs: probe.initialDelaySeconds * 1000 * this.timeScale,
            periodMs: scaled(probe.periodSeconds),
            timeoutMs: probe.timeoutSeconds * 1000,
            successThreshold: probe.successThreshold,
            failureThreshold: probe.failureThreshold,
          }
        : undefined,
      terminationGraceMs: revision.template.spec.terminationGracePeriodSeconds * 1000,
      ...(container.resources.limits?.memory !== undefined ? { memoryLimitBytes: container.resources.limits.memory } : {}),
      startTimeoutMs: rollout.spec.progressDeadlineSeconds * 1000,
    };
  }

  private async reconcile(entry: RolloutEntry, rollout: Rollout, set: RevisionSet): Promise<void> {
    const name = rollout.metadata.name;
    const missing = set.desired - set.replicas.length;
    if (missing > 0) {
      this.log(`rollout ${name}: starting ${missing} replica(s) of revision ${set.revision.number} (${set.revision.image})`);
      const started = await Promise.allSettled(
        Array.from({ length: missing }, async () => {
          const spec = this.replicaSpec(rollout, set.revision);
          // Dependencies named in the environment are reached through this pod's own fault proxies.
          const externals = await this.chaos.podEnv(spec.name, spec.env ?? {});
          spec.env = externals.env;
          if (externals.mounts.length > 0) spec.mounts = [...(spec.mounts ?? []), ...externals.mounts];
          const replica = await this.supervisor.start(spec).catch(async (err: unknown) => {
            await this.chaos.release(spec.name);
            throw err;
          });
          set.replicas.push(replica);
          replica.on('state', () => void this.routeRollout(entry));
          return replica;
        }),
      );
      await this.routeRollout(entry);
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    } else if (missing < 0) {
      // Newest first, like a ReplicaSet scaling down; out of routing, drained, then stopped.
      const going = set.replicas.splice(set.replicas.length + missing, -missing);
      for (const r of going) set.leaving.add(r);
      const { drained } = await this.routeRollout(entry);
      await this.watchDrain(name, set.revision, going, drained);
      await Promise.all(going.map(async (r) => (await this.supervisor.stop(r.spec.name), await this.chaos.release(r.spec.name))));
      for (const r of going) set.leaving.delete(r);
      this.log(`rollout ${name}: revision ${set.revision.number} scaled down to ${set.replicas.length}`);
    }
    if (set.desired === 0 && set.replicas.length === 0 && entry.controller.status().currentPodHash !== set.revision.hash) entry.sets.delete(set.revision.hash);
  }

  /**
   * Reports a drain as it goes: what was in flight on the replicas leaving,
   * what is left every 2 s, and how it ended (Drained, or DrainTimeout when
   * the routers cut what was left). A drain with nothing in flight is silent.
   */
  private async watchDrain(rollout: string, revision: Revision, going: Replica[], drained: Promise<{ drained: boolean }[]>): Promise<void> {
    const ids = new Set(going.map((r) => r.spec.name));
    const left = () =>
      this.routerStats()
        .flatMap((s) => s.backends)
        .filter((b) => ids.has(b.id) && b.state === 'draining')
        .reduce((n, b) => n + b.inFlight + (b.openUpgrades ?? 0), 0);
    const started = Date.now();
    const pending = left();
    const what = `${going.length} replica(s) of revision ${revision.number} (${revision.image})`;
    if (pending > 0) {
      this.record(`rollout/${rollout}`, 'Draining', `${what}: ${pending} request(s) or WebSocket(s) in flight`);
      this.log(`rollout ${rollout}: draining ${what}: ${pending} request(s) or WebSocket(s) in flight`);
    }
    const progress = setInterval(() => this.log(`rollout ${rollout}: draining ${what}: ${left()} still in flight after ${Math.round((Date.now() - started) / 1000)} s`), 2000);
    try {
      const results = await drained;
      const cut = results.some((r) => !r.drained);
      const end = cut ? `what was still in flight after ${Date.now() - started} ms was cut at the drain timeout` : `drained in ${Date.now() - started} ms`;
      if (cut || pending > 0) {
        this.record(`rollout/${rollout}`, cut ? 'DrainTimeout' : 'Drained', `${what}: ${end}`);
        this.log(`rollout ${rollout}: ${what} ${end}`);
      }
    } finally {
      clearInterval(progress);
    }
  }

  /**
   * Sets every router of the Rollout's Services from the plan and the ready
   * replicas, and Prometheus' targets with them. `drained` resolves when
   * removed backends have finished.
   */
  private async routeRollout(entry: RolloutEntry): Promise<{ drained: Promise<{ drained: boolean }[]> }> {
    const plan = entry.plan;
    if (plan === undefined) return { drained: Promise.resolve([]) };
    const rollout = entry.controller.rollout;
    const routes = serviceRoutes(rollout, plan, [...this.services.values()].map((s) => s.spec));
    const drains: Promise<{ drained: boolean }>[] = [];
    for (const [service, groups] of routes) {
      const router = this.services.get(service)?.router;
      if (router === undefined) continue;
      const table = groups.map((g) => {
        const set = entry.sets.get(g.revision.hash);
        const ready = (set?.replicas ?? []).filter((r) => r.state === 'ready' && !set?.leaving.has(r));
        return {
          name: g.name,
          weight: g.weight,
          backends: ready.map((r) => ({ id: r.spec.name, url: r.url, version: parseImageRef(g.revision.image).tag })),
        };
      });
      drains.push(router.setGroups(table));
    }
    // Prometheus scrapes the same replicas the Services reach.
    this.updateTargets();
    return { drained: Promise.all(drains) };
  }

  private startAnalysis(request: AnalysisRequest): AnalysisRun {
    const templates: AnalysisTemplate[] = [];
    const missing: string[] = [];
    for (const ref of request.templates) {
      const t = (ref.clusterScope ? this.clusterTemplates : this.templates).get(ref.templateName);
      if (t) templates.push(t);
      else missing.push(`${ref.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate'} ${ref.templateName}`);
    }
    const run = new AnalysisRun({
      name: request.name,
      templates,
      missing,
      args: request.args,
      timeScale: this.timeScale,
      providers: {
        web: webProvider({ resolveUrl: (u) => this.addresses.resolveUrl(u) }),
        prometheus: prometheusProvider({ resolveUrl: (u) => this.prometheusUrlFor(u) }),
        job: jobProvider({ resolveImage: (image) => this.catalog.resolve(image), rewriteText: (t) => this.addresses.rewriteText(t), timeScale: this.timeScale }),
      },
    });
    this.runs.push(run);
    return run;
  }

  /** A template's Prometheus address is this platform's Prometheus, unless it is a loopback address of the user's own. */
  private prometheusUrlFor(address: string): string {
    try {
      const host = new URL(address).hostname;
      if (host === '127.0.0.1' || host === 'localhost' || host === '[::1]') return address;
    } catch {
      // not a URL: the provider reports it
    }
    if (this.prometheus === undefined) throw new Error(`the local Prometheus is not running (it starts when a template with a prometheus metric is applied)`);
    return this.prometheus.url;
  }

  private namespaceOf(rollout: string): string {
    return this.rollouts.get(rollout)?.controller.rollout.metadata.namespace ?? this.options.namespace ?? 'default';
  }

  /**
   * Starts Prometheus (if analysis has not already) with these recording and
   * alerting rules loaded, their `for:` durations scaled like every other
   * wait of this platform. Returns Prometheus' address.
   */
  async monitor(ruleFiles: LoadedRuleFile[], options: MonitorOptions = {}): Promise<string> {
    const p = await this.ensurePrometheus();
    p.setAlertmanagers(options.alertmanagers ?? []);
    await p.setRules(ruleFiles.map((f) => ({ name: f.file, text: scaleRuleFile(f, this.timeScale) })));
    const groups = ruleFiles.reduce((n, f) => n + f.rules.groups.length, 0);
    this.record('prometheus', 'RulesLoaded', `${groups} rule group(s) from ${ruleFiles.map((f) => f.file).join(', ')}${this.timeScale === 1 ? '' : ` (for: durations scaled by ${this.timeScale})`}`);
    return p.url;
  }

  /** Every pod (replica) of every rollout, with its template labels, whether it is ready and how often it restarted. */
  pods(): ChaosPod[] {
    return this.replicaRows().map(({ usage: _usage, container: _container, revision: _revision, role: _role, replica: _replica, ...pod }) => pod);
  }

  /** Every replica of every rollout as a pod, with what only this platform knows (its process). */
  /** Every pod with its state and readiness-probe health, by rollout and revision (the control API's /api/pods, `cutover pods`). */
  podHealth(): PodHealth[] {
    return this.replicaRows().map((p) => ({
      name: p.name,
      rollout: p.rollout,
      namespace: p.namespace,
      revision: p.revision,
      image: p.image,
      role: p.role,
      state: p.replica.state,
      ready: p.ready,
      restarts: p.restarts,
      health: structuredClone(p.replica.health),
    }));
  }

  private replicaRows(): (ChaosPod & { container: string; usage: () => ProcessUsage | undefined; revision: number; role: string; replica: Replica })[] {
    return [...this.rollouts].flatMap(([name, entry]) => {
      const { strategy } = entry.controller.rollout.spec;
      const roles = entry.controller.status().replicaSets;
      // As Argo labels pods: the template's labels, the pod template hash, and the role's ephemeral labels.
      const ephemeral: Record<string, Record<string, string> | undefined> = {
        canary: strategy.canary?.canaryMetadata?.labels,
        stable: strategy.canary?.stableMetadata?.labels,
        preview: strategy.blueGreen?.previewMetadata?.labels,
        active: strategy.blueGreen?.activeMetadata?.labels,
      };
      return [...entry.sets.values()].flatMap((set) =>
        set.replicas.map((r) => ({
          name: r.spec.name,
          rollout: name,
          namespace: this.namespaceOf(name),
          labels: { ...set.revision.template.metadata.labels, 'rollouts-pod-template-hash': set.revision.hash, ...ephemeral[roles.find((x) => x.hash === set.revision.hash)?.role ?? ''] },
          container: set.revision.template.spec.containers[0]?.name ?? name,
          image: set.revision.image,
          ready: r.state === 'ready',
          restarts: r.restarts,
          usage: () => r.usage(),
          revision: set.revision.number,
          role: roles.find((x) => x.hash === set.revision.hash)?.role ?? 'old',
          replica: r,
        })),
      );
    });
  }

  /** Injects a Chaos Mesh experiment into the pods it selects (see support/chaos/local.ts for how each action is carried out here). */
  async injectChaos(experiment: ChaosExperiment, pick?: (n: number) => number): Promise<ChaosInjection> {
    if (this.closed) throw new Error(`the ${this.kind} platform has been shut down`);
    return this.chaos.inject(experiment, pick);
  }

  /**
   * A dependency outside the platform (a database, a cache) that pods reach
   * under a host name, like an ExternalName Service: a URL in a pod's
   * environment naming that host is pointed at the address, through the
   * pod's own fault proxy (so NetworkChaos can name it in externalTargets).
   * On docker the proxy is a Unix socket mounted into the container, so no
   * container needs a route to this machine's loopback.
   */
  addExternal(name: string, address: string): void {
    this.chaos.addExternal(name, address);
    this.record(`external/${name}`, 'ExternalAdded', `pods reach ${name} at ${address}`);
  }

  /** Online backups of the rollout's databases (its data folder, shared by every version like a volume) into destDir. */
  async backupData(rollout: string, destDir: string): Promise<DatabaseBackup[]> {
    if (!this.rollouts.has(rollout)) throw new Error(`no rollout "${rollout}" on the ${this.kind} platform (rollouts: ${[...this.rollouts.keys()].join(', ') || 'none'})`);
    const backups = await backupDataDir(path.join(this.dataDir, rollout), destDir);
    for (const b of backups) this.record(`rollout/${rollout}`, 'BackedUp', describeBackup(b));
    return backups;
  }

  /** From now on every line is also kept on disk, under the archive's retention policy (the caller prunes and closes it). */
  archiveLogs(archive: LogArchive): void {
    this.logArchive = archive;
  }

  /** Every line every pod of this platform wrote (stopped pods too), as a log store would answer the query. */
  logs(query?: LogQuery): LogEntry[] {
    return this.aggregatedLogs.query(query);
  }

  /** The running Prometheus, for steps that read its API. */
  get prometheusServer(): LocalPrometheus {
    if (this.prometheus === undefined) throw new Error('the local Prometheus is not running: it starts when a template with a prometheus metric is applied, or when monitoring rules are loaded');
    return this.prometheus;
  }

  private async ensurePrometheus(): Promise<LocalPrometheus> {
    if (this.prometheus) return this.prometheus;
    this.prometheusStarting ??= (async () => {
      const metrics = await this.startMetricsEndpoint();
      this.log('starting Prometheus');
      const p = await LocalPrometheus.start({ binary: this.options.prometheusBinary, routerTargets: [metrics], scrapeIntervalMs: 1000 });
      this.prometheus = p;
      this.record('prometheus', 'Started', `listening on ${p.url}, scraping the routers at ${metrics} and every replica`);
      this.updateTargets();
      return p;
    })();
    return this.prometheusStarting;
  }

  /** One endpoint with every router's metrics (they share a registry); returns its host:port. Started once, with Prometheus. */
  private async startMetricsEndpoint(): Promise<string> {
    const { server, address } = await serveMetrics(this.registry);
    this.metricsServer = server;
    return address;
  }

  /** Every ready replica as a Prometheus target, labelled like its pod. */
  private updateTargets(): void {
    if (this.prometheus === undefined) return;
    const targets: ScrapeTarget[] = [];
    for (const [name, entry] of this.rollouts) {
      const status = entry.controller.status();
      for (const set of entry.sets.values()) {
        const role = status.replicaSets.find((r) => r.hash === set.revision.hash)?.role ?? 'old';
        for (const r of set.replicas) {
          if (r.state !== 'ready') continue;
          targets.push({
            address: `127.0.0.1:${r.port}`,
            labels: { ...set.revision.template.metadata.labels, rollout: name, pod: r.spec.name, rollouts_pod_template_hash: set.revision.hash, role },
          });
        }
      }
    }
    this.prometheus.setTargets(targets);
  }

  // ---- what users and steps use ----------------------------------------------

  rollout(name: string): RolloutController {
    const entry = this.rollouts.get(name);
    if (entry === undefined) throw new Error(`no rollout "${name}" on the ${this.kind} platform (rollouts: ${[...this.rollouts.keys()].join(', ') || 'none'})`);
    return entry.controller;
  }

  rolloutNames(): string[] {
    return [...this.rollouts.keys()];
  }

  serviceNames(): string[] {
    return [...this.services.keys()];
  }

  /** Where a Service answers; for a main Ingress's name, where the ingress controller serves it (as on the kubernetes platform). */
  serviceUrl(name: string): string {
    const s = this.services.get(name);
    const ingress = this.ingresses.get(name)?.router;
    if (s === undefined && ingress !== undefined) return ingress.url;
    if (s === undefined) throw new Error(`no Service "${name}" on the ${this.kind} platform (services: ${[...this.services.keys()].join(', ') || 'none'}${this.ingresses.size > 0 ? `; ingresses: ${[...this.ingresses].filter(([, i]) => i.router).map(([n]) => n).join(', ')}` : ''})`);
    return s.router.url;
  }

  router(name: string): ServiceRouter {
    const s = this.services.get(name);
    if (s === undefined) throw new Error(`no Service "${name}" on the ${this.kind} platform (services: ${[...this.services.keys()].join(', ') || 'none'})`);
    return s.router;
  }

  routerStats(): RouterStats[] {
    return [...this.services.values()].map((s) => s.router.stats());
  }

  /** The replicas of a rollout, for logs and chaos. */
  replicas(rollout: string): { revision: number; image: string; replica: Replica }[] {
    const entry = this.rollouts.get(rollout);
    if (entry === undefined) throw new Error(`no rollout "${rollout}" on the ${this.kind} platform`);
    return [...entry.sets.values()].flatMap((set) => set.replicas.map((replica) => ({ revision: set.revision.number, image: set.revision.image, replica })));
  }

  analysisRuns(): AnalysisRunSnapshot[] {
    return this.runs.map((r) => r.snapshot());
  }

  diagnostics(): PlatformDiagnostics {
    const logs: Record<string, string[]> = {};
    for (const [name, replica] of this.supervisor.replicas) logs[name] = replica.logs.slice(-50);
    return { events: [...this.events], routers: this.routerStats(), logs };
  }

  get prometheusUrl(): string | undefined {
    return this.prometheus?.url;
  }

  /** Stops everything in reverse order of creation: controllers, replicas, routers, Prometheus, data. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Chaos first: a stopped (SIGSTOP) pod would otherwise sit out its whole grace period.
    await this.chaos.close();
    for (const autoscaler of this.autoscalers.values()) await autoscaler.close();
    for (const entry of this.rollouts.values()) await entry.controller.close();
    for (const run of this.runs) run.terminate();
    await this.supervisor.stopAll();
    await this.options.runtime?.close();
    this.certificates.close();
    for (const i of this.ingresses.values()) {
      await i.tls?.close();
      await i.router?.close();
    }
    for (const s of this.services.values()) await s.router.close();
    await this.prometheus?.stop();
    await new Promise<void>((r) => (this.metricsServer ? this.metricsServer.close(() => r()) : r()));
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
