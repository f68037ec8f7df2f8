// One verification scenario, without Cucumber: the platform it runs on, the
// traffic it sends, the update under test and the evidence it leaves. Steps
// call one method each; teardown stops everything in reverse order of
// creation, collecting diagnostics first when the scenario failed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChaosInjection } from '../chaos/injection.ts';
import { CHAOS_KINDS, type ChaosExperiment } from '../chaos/model.ts';
import { SteadyStateProbe, type FaultSpan, type SteadyStateCheck } from '../chaos/steady-state.ts';
import { LogArchive, type LogRetention } from '../logs/archive.ts';
import { loadManifestFiles, manifestFilesIn } from '../manifests/load.ts';
import { autoscalerChart, deploymentsChart, latencyChart, timelineChart, versionsChart, type TimelineMark } from '../evidence/charts.ts';
import type { EvidenceRecorder } from '../evidence/recorder.ts';
import { withRolloutEnv } from '../manifests/env-override.ts';
import { LocalPlatform } from '../platform/local/platform.ts';
import { createPlatform, type AutoscalerHandle, type Platform, type PlatformKind, type RolloutHandle } from '../platform/platform.ts';
import type { RolloutPhase, RolloutStatus } from '../rollout/controller.ts';
import { canaryWeights, rolloutDurations } from '../rollout/observations.ts';
import { deployRepeatedly, type DeploymentSeries } from '../rollout/success-rate.ts';
import { describeVerdict, evaluateThreshold, type Threshold, type ThresholdVerdict } from '../slo/threshold.ts';
import { resolveWindow, type WindowPhrase } from '../slo/windows.ts';
import { TrafficRun, type TrafficSpec } from '../traffic/background.ts';
import { K6_THRESHOLDS_CROSSED, k6Binary, runK6 } from '../traffic/k6.ts';
import type { LoadRequest } from '../traffic/load.ts';
import type { TimeWindow } from '../traffic/recording.ts';

export interface SessionOptions {
  platform: PlatformKind;
  timeScale: number;
  evidence: EvidenceRecorder;
  /** Progress lines for people. */
  log?: (line: string) => void;
  /** Where relative manifest paths are resolved (the project root). */
  root?: string;
}

export interface UpdateUnderTest {
  rollout: string;
  fromImage: string;
  toImage: string;
  startedAt: number;
}

/** Waits written in the PRD's clock are scaled like the manifests, but never below this. */
export const MIN_WAIT_MS = 30_000;

/** Traffic durations longer than this are scaled down to no less than it. */
const MIN_SCALED_TRAFFIC_MS = 10_000;

export class VerificationSession {
  readonly startedAt = Date.now();
  readonly evidence: EvidenceRecorder;
  readonly traffic = new Map<string, TrafficRun>();
  /** Every traffic run of the scenario, stopped ones too, in order. */
  readonly trafficHistory: TrafficRun[] = [];
  update: UpdateUnderTest | undefined;
  /** Chaos experiments injected, in order. */
  readonly chaos: ChaosInjection[] = [];
  /** Steady-state hypotheses being checked, per traffic run. */
  readonly steadyStates: SteadyStateProbe[] = [];
  private platformInstance: Platform | undefined;
  private readonly cleanups: { name: string; run: () => Promise<void> }[] = [];
  /** Moments marked by the scenario itself (an Ingress cut over, rolled back), for the windows named after them. */
  readonly marks: { at: string; reason: string }[] = [];
  private readonly log: (line: string) => void;
  /** The pods' logs on disk, once a scenario asked for them (archivePodLogs). */
  logArchive: LogArchive | undefined;

  constructor(readonly options: SessionOptions) {
    this.evidence = options.evidence;
    this.log = options.log ?? (() => undefined);
  }

  get timeScale(): number {
    return this.options.timeScale;
  }

  /** The platform, created on first use (a scenario without one starts nothing). */
  get platform(): Platform {
    if (this.platformInstance === undefined) {
      const platform = createPlatform(this.options.platform, { timeScale: this.options.timeScale, log: (line) => this.log(line) });
      this.platformInstance = platform;
      this.onCleanup(`${platform.kind} platform`, () => platform.close());
    }
    return this.platformInstance;
  }

  /** Registers something to stop at teardown; teardown runs newest first. */
  onCleanup(name: string, run: () => Promise<void>): void {
    this.cleanups.push({ name, run });
  }

  /**
   * A traffic duration written in the PRD's clock, at this run's time scale:
   * at least 2 s, to measure anything, and never compressed below 10 s, so a
   * latency SLO over "30 seconds" still measures the service mostly warm, as
   * the PRD's 30 s do, and not its first second of JIT and cold caches.
   */
  scaledTraffic(ms: number): number {
    return Math.max(2000, Math.min(ms, MIN_SCALED_TRAFFIC_MS), Math.round(ms * this.timeScale));
  }

  /** A wait written in the PRD's clock ("within 3 minutes"), at this run's time scale. */
  scaledWait(ms: number): number {
    return Math.max(MIN_WAIT_MS, Math.round(ms * this.timeScale));
  }

  resolve(file: string): string {
    return path.resolve(this.options.root ?? process.cwd(), file);
  }

  /** Files named by path or glob-free directory (every .yaml in it). */
  expandManifests(files: string[]): string[] {
    return files.flatMap((f) => {
      const full = this.resolve(f);
      if (!fs.existsSync(full)) throw new Error(`manifest ${f} does not exist (looked at ${full})`);
      return manifestFilesIn([full]);
    });
  }

  async applyManifests(files: string[]): Promise<void> {
    await this.platform.applyFiles(this.expandManifests(files));
  }

  /** Applies one manifest file with these environment variables set on a Rollout's containers (a copy in a temporary folder, removed at teardown; the file itself is left as it is). */
  async applyManifestWithEnv(file: string, rollout: string, env: Record<string, string>): Promise<void> {
    const full = this.resolve(file);
    if (!fs.existsSync(full) || !fs.statSync(full).isFile()) throw new Error(`manifest ${file} is not a file (looked at ${full})`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-manifest-'));
    this.onCleanup(`manifest copy ${dir}`, async () => fs.rmSync(dir, { recursive: true, force: true }));
    const copy = path.join(dir, path.basename(full));
    fs.writeFileSync(copy, withRolloutEnv(fs.readFileSync(full, 'utf8'), file, rollout, env));
    this.log(`applying ${file} with ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(', ')} on rollout ${rollout}`);
    await this.platform.applyFiles([copy]);
  }

  /**
   * From now on the pods' lines are also kept on disk (a folder of this
   * scenario's, removed at teardown) under the retention policy, pruned as
   * the policy says; the local and docker platforms only (on a cluster the
   * kubelet rotates container logs).
   */
  archivePodLogs(retention: LogRetention): LogArchive {
    const platform = this.platform;
    if (!(platform instanceof LocalPlatform)) throw new Error(`the ${platform.kind} platform does not archive pod logs here: the local and docker platforms do (on a cluster the kubelet rotates container logs)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-pod-logs-'));
    const archive = new LogArchive(dir, retention);
    platform.archiveLogs(archive);
    archive.startPruning();
    this.onCleanup(`log archive ${dir}`, async () => {
      archive.close();
      const t = archive.prunedTotal;
      this.log(`log archive: ${t.rounds} prune round(s) deleted ${t.removedByAge} segment(s) for age and ${t.removedBySize} for size, ${t.removedBytes} bytes`);
      fs.rmSync(dir, { recursive: true, force: true });
    });
    this.logArchive = archive;
    return archive;
  }

  rollout(name: string): RolloutHandle {
    return this.platform.rollout(name);
  }

  private readonly watchedAutoscalers = new Set<string>();

  /** A HorizontalPodAutoscaler of the platform; when the scenario ends its status, events, every sync and a chart of them go into the report. */
  autoscaler(name: string): AutoscalerHandle {
    const handle = this.platform.autoscaler(name);
    if (!this.watchedAutoscalers.has(name)) {
      this.watchedAutoscalers.add(name);
      this.onCleanup(`evidence of autoscaler ${name}`, async () => {
        const status = handle.status();
        await this.evidence.json(`autoscaler ${name}`, { status, events: handle.events, syncs: handle.syncs });
        if (handle.syncs.length === 0) return;
        const targets = Object.fromEntries(status.currentMetrics.filter((m) => m.kind === 'utilization').map((m) => [m.resource, m.target]));
        const marks = handle.events.filter((e) => e.reason === 'SuccessfulRescale').map((e) => ({ at: Date.parse(e.at), label: e.message.replace(/;.*/, ''), kind: 'rollout' as const }));
        const most = Math.max(...handle.syncs.map((x) => x.desired));
        await this.evidence.svg(`autoscaler ${name}`, await autoscalerChart(`autoscaler ${name}: ${status.minReplicas} to ${status.maxReplicas} replicas, at most ${most} used`, handle.syncs, targets, marks));
      });
    }
    return handle;
  }

  async waitForPhase(name: string, phase: RolloutPhase, waitMs: number): Promise<RolloutStatus> {
    const status = await this.rollout(name).waitFor((s) => s.phase === phase, waitMs, `phase ${phase}`);
    this.log(`rollout ${name}: ${phase} after ${Math.round((Date.now() - this.startedAt) / 100) / 10} s`);
    return status;
  }

  /** The series of repeated deployments run per rollout in this scenario. */
  readonly deploymentSeries = new Map<string, DeploymentSeries>();

  /**
   * Updates a rollout `count` times in a row, alternating images, each given
   * `boundMs` to become Healthy; progress every tenth update, the series and
   * a chart of it as evidence.
   */
  async deployRepeatedly(name: string, images: string[], count: number, boundMs: number): Promise<DeploymentSeries> {
    const series = await deployRepeatedly(this.rollout(name), {
      images,
      count,
      boundMs,
      onAttempt: (a, done) => {
        if (a.outcome !== 'Healthy' || done % 10 === 0 || done === count) this.log(`rollout ${name}: update ${done} of ${count} (${a.from} → ${a.to}) ${a.outcome} in ${(a.ms / 1000).toFixed(1)} s${a.message ? `: ${a.message}` : ''}`);
      },
    });
    this.deploymentSeries.set(name, series);
    await this.evidence.json(`deployments of ${name}`, series);
    await this.evidence.svg(`deployments of ${name}`, await deploymentsChart(`${name}: ${series.succeeded} of ${count} deployments Healthy`, series.attempts));
    return series;
  }

  /** Starts an update of the rollout's image and marks the moment (windows and durations count from it). */
  async setImage(name: string, image: string): Promise<void> {
    const rollout = this.rollout(name);
    const before = rollout.status();
    this.update = { rollout: name, fromImage: before.stableImage, toImage: image, startedAt: Date.now() };
    await rollout.setImage(image);
  }

  updateOf(name: string): UpdateUnderTest {
    if (this.update?.rollout !== name) throw new Error(`no update of rollout "${name}" was started in this scenario: set its image first`);
    return this.update;
  }

  weightsSinceUpdate(name: string): number[] {
    return canaryWeights(this.rollout(name).events, this.updateOf(name).startedAt);
  }

  // ---- traffic --------------------------------------------------------------

  startTraffic(service: string, spec: Omit<TrafficSpec, 'name' | 'target'>): TrafficRun {
    return this.startTrafficAs(service, service, spec);
  }

  /** Names of traffic runs that are not "the traffic" of the scenario (writers, probes). */
  private readonly auxiliary = new Set<string>();

  /**
   * Traffic to a Service under its own name (several runs can target one Service: reads and writes);
   * auxiliary (not "the traffic" of the scenario) unless named after the Service or sent straight to a pod.
   */
  startTrafficAs(name: string, service: string, spec: Omit<TrafficSpec, 'name' | 'target'>, pod?: { url: string }): TrafficRun {
    if (this.traffic.get(name)?.running) throw new Error(`traffic "${name}" is already running in this scenario: stop it first`);
    let lastReport = 0;
    const run = new TrafficRun({ ...spec, name, target: pod?.url ?? this.platform.serviceUrl(service) }, (r) => {
      const p = r.progress;
      if (p.elapsedMs - lastReport < 10_000) return;
      lastReport = p.elapsedMs;
      this.log(`traffic ${name}: ${p.sent} sent, ${p.completed} answered, ${p.failed} failed, ${p.inFlight} in flight`);
    });
    this.traffic.set(name, run);
    this.trafficHistory.push(run);
    if (name !== service && pod === undefined) this.auxiliary.add(name);
    this.onCleanup(`traffic ${name}`, async () => {
      await run.stop().catch(() => undefined);
    });
    return run;
  }

  trafficTo(service: string): TrafficRun {
    const run = this.traffic.get(service);
    if (run === undefined) throw new Error(`no traffic has been sent to "${service}" in this scenario (traffic: ${[...this.traffic.keys()].join(', ') || 'none'})`);
    return run;
  }

  /** The scenario's only user traffic (traffic started under its own name, like the link writer, does not count). */
  soleTraffic(): TrafficRun {
    const runs = [...this.traffic.values()].filter((r) => !this.auxiliary.has(r.spec.name));
    if (runs.length !== 1) throw new Error(`this step needs exactly one traffic run to know which one is meant; the scenario has ${runs.length} (${runs.map((r) => r.spec.name).join(', ') || 'none'}): name the service`);
    return runs[0] as TrafficRun;
  }

  /** Foreground traffic: runs it to its end, then checks the generator kept the rate. */
  async runTraffic(service: string, spec: Omit<TrafficSpec, 'name' | 'target'>): Promise<TrafficRun> {
    const run = this.startTraffic(service, spec);
    await run.finished;
    return this.stopTraffic(service);
  }

  /** Foreground traffic to a Service under a name of its own (beside the scenario's traffic); checks the generator kept the rate. */
  async runTrafficAs(name: string, service: string, spec: Omit<TrafficSpec, 'name' | 'target'>, what = ''): Promise<TrafficRun> {
    this.log(`traffic ${name}: ${spec.ratePerSecond} req/s${what ? ` of ${what}` : ''} to Service ${service} for ${spec.maxDurationMs / 1000} s`);
    const run = this.startTrafficAs(name, service, spec);
    await run.finished;
    return this.stopTraffic(name);
  }

  /**
   * A ready pod of a rollout, reached past its Service's router (local and
   * docker platforms): what one replica of the service sustains, measured
   * without the router's hop sharing the generator's event loop.
   */
  podUrl(rollout: string): { pod: string; url: string } {
    const platform = this.localPlatform('a pod past its Service');
    const ready = platform.replicas(rollout).filter((r) => r.replica.state === 'ready');
    const first = ready[0];
    if (first === undefined) throw new Error(`rollout ${rollout} has no ready pod (pods: ${platform.replicas(rollout).map((r) => `${r.replica.spec.name} ${r.replica.state}`).join(', ') || 'none'})`);
    return { pod: first.replica.spec.name, url: first.replica.url };
  }

  /** The local or docker platform, for what only it has (pods past their Service, Ingresses, certificates); others are refused saying so. */
  localPlatform(what: string): LocalPlatform {
    const platform = this.platform;
    if (!(platform instanceof LocalPlatform)) throw new Error(`the ${platform.kind} platform does not give the test ${what}: the local and docker platforms do`);
    return platform;
  }

  /** Foreground traffic straight to a ready pod of a rollout, under the name "<rollout> pod <name>"; checks the generator kept the rate. */
  async runTrafficToPod(rollout: string, spec: Omit<TrafficSpec, 'name' | 'target'>, what = ''): Promise<TrafficRun> {
    const { pod, url } = this.podUrl(rollout);
    const name = `${rollout} pod ${pod}`;
    this.log(`traffic ${name}: ${spec.ratePerSecond} req/s${what ? ` of ${what}` : ''} to ${url} for ${spec.maxDurationMs / 1000} s`);
    const run = this.startTrafficAs(name, rollout, spec, { url });
    await run.finished;
    return this.stopTraffic(name);
  }

  async stopTraffic(service: string): Promise<TrafficRun> {
    const run = this.trafficTo(service);
    const result = await run.stop();
    const problem = run.rateProblem(result);
    await this.evidence.json(`traffic to ${service}`, { ...result, problem });
    if (problem) throw new Error(problem);
    return run;
  }

  window(phrase: WindowPhrase, run: TrafficRun): TimeWindow {
    return resolveWindow(phrase, {
      startedAt: run.startedAt,
      now: run.stoppedAt ?? Date.now(),
      ...(this.update ? { rolloutStartedAt: this.update.startedAt } : {}),
      events: this.update ? this.rollout(this.update.rollout).events : [],
      marks: this.marks,
    });
  }

  /** Marks a moment the windows can be named after (CutOver, RolledBack). */
  mark(reason: string, at = Date.now()): void {
    this.marks.push({ at: new Date(at).toISOString(), reason });
  }

  /** Evaluates thresholds over a window of a traffic run, attaching every verdict; fails naming each breach. */
  async assertThresholds(run: TrafficRun, phrase: WindowPhrase, thresholds: Threshold[]): Promise<ThresholdVerdict[]> {
    const window = this.window(phrase, run);
    const verdicts = thresholds.map((t) => evaluateThreshold(t, run.recording, window));
    for (const v of verdicts) await this.evidence.slo(v, run.spec.name);
    const problem = run.rateProblem();
    const breached = verdicts.filter((v) => !v.passed);
    if (breached.length > 0 || problem) {
      throw new Error(
        `SLO breached for traffic to ${run.spec.name}:\n  ${breached.map(describeVerdict).join('\n  ')}${problem ? `\n  and ${problem}, so the measurement cannot be trusted` : ''}`,
      );
    }
    return verdicts;
  }

  /**
   * Load with thresholds on k6 when a k6 binary is there (K6_BIN or PATH),
   * else on the built-in generator: the same thresholds, the same verdicts.
   */
  async loadWithThresholds(service: string, ratePerSecond: number, durationMs: number, requests: LoadRequest[], thresholds: Threshold[]): Promise<void> {
    const k6 = k6Binary();
    if (k6 === undefined) {
      await this.evidence.text(`load engine for ${service}`, 'k6 was not found (set K6_BIN or put k6 on PATH): the built-in open-model generator ran the same thresholds');
      const run = await this.runTraffic(service, { ratePerSecond, maxDurationMs: durationMs, requests });
      await this.assertThresholds(run, 'during the whole scenario', thresholds);
      return;
    }
    const from = Date.now();
    this.log(`k6: ${ratePerSecond} requests per second to ${service} for ${Math.round(durationMs / 1000)} s`);
    const result = await runK6(k6, { target: this.platform.serviceUrl(service), ratePerSecond, durationMs, requests, thresholds });
    const to = Date.now();
    const window = { name: 'k6 run', from: new Date(from).toISOString(), to: new Date(to).toISOString(), seconds: Math.round((to - from) / 100) / 10 };
    for (const v of result.verdicts) {
      await this.evidence.evidence(
        `SLO ${v.threshold} (k6)`,
        { cutover: 'slo', threshold: v.threshold, window, measured: v.measured ?? NaN, unit: v.metric.startsWith('http_req_duration') ? 'ms' : 'rate', passed: v.passed, traffic: service, engine: 'k6', requests: result.requests, failed: Math.round(result.failedRate * result.requests) },
        { requests: result.requests, failedRate: result.failedRate, durationMs: result.durationMs },
      );
    }
    await this.evidence.json(`k6 summary for ${service}`, result.summary);
    if (result.exitCode === K6_THRESHOLDS_CROSSED) {
      const breached = result.verdicts.filter((v) => !v.passed);
      throw new Error(
        `SLO breached: k6 exited ${K6_THRESHOLDS_CROSSED} (thresholds crossed) for ${service}: ${breached.map((v) => `${v.threshold} measured ${v.measured === undefined ? 'nothing' : `${Math.round(v.measured * 1000) / 1000}${v.metric.startsWith('http_req_duration') ? ' ms' : ''}`}`).join('; ')} ` +
          `(${result.requests} requests, ${(result.failedRate * 100).toFixed(2)}% failed)`,
      );
    }
  }

  // ---- chaos ------------------------------------------------------------------

  /** Injects every experiment of a chaos file (file:line errors for a malformed one); each is reverted at teardown at the latest. */
  async applyChaos(file: string): Promise<ChaosInjection[]> {
    const { documents } = loadManifestFiles(this.expandManifests([file]), CHAOS_KINDS);
    if (documents.length === 0) throw new Error(`${file} holds no chaos experiment (PodChaos, NetworkChaos or StressChaos)`);
    const injected: ChaosInjection[] = [];
    for (const d of documents) {
      const injection = await this.platform.injectChaos(d.spec as ChaosExperiment);
      this.onCleanup(`chaos ${injection.experiment}`, () => injection.revert());
      this.chaos.push(injection);
      injected.push(injection);
    }
    return injected;
  }

  /** When each fault acted; a kill acts for an instant. */
  faultSpans(): FaultSpan[] {
    return this.chaos.map((i) => ({ start: i.injectedAt, end: i.revertedAt }));
  }

  /**
   * The steady-state hypothesis for a traffic run: waits (bounded) until the
   * run has a full window of traffic, fails if the thresholds do not hold
   * now, then keeps checking them until the scenario ends.
   */
  async holdSteadyState(run: TrafficRun, thresholds: Threshold[]): Promise<SteadyStateCheck> {
    if (this.chaos.length > 0) throw new Error('the steady state is established before any chaos experiment is applied');
    const probe = new SteadyStateProbe(run.spec.name, thresholds, run.recording, () => this.faultSpans());
    const ready = run.startedAt + probe.windowMs;
    if (Date.now() < ready) await new Promise((r) => setTimeout(r, ready - Date.now()));
    const check = probe.check() as SteadyStateCheck;
    await this.evidence.json(`steady state of ${run.spec.name} before the chaos`, { thresholds: thresholds.map((t) => t.source), ...check });
    if (!check.holds) {
      throw new Error(`the steady state of ${run.spec.name} does not hold before any fault, so the experiment would prove nothing:\n  ${check.verdicts.filter((v) => !v.passed).map(describeVerdict).join('\n  ')}`);
    }
    this.steadyStates.push(probe);
    probe.start();
    this.onCleanup(`steady state of ${run.spec.name}`, async () => probe.stop());
    return check;
  }

  /**
   * Waits until every fault has ended (bounded by the wait) and the steady
   * state holds again; the recovery time, from the last fault's end, must be
   * within the bound. Returns it.
   */
  async steadyStateRestored(boundMs: number): Promise<{ probe: SteadyStateProbe; recoveredMs: number }[]> {
    if (this.steadyStates.length === 0) throw new Error('no steady state was established in this scenario: say "Given the steady state of <service> holds:" before the chaos');
    if (this.chaos.length === 0) throw new Error('no chaos experiment was applied in this scenario');
    const waitMs = this.scaledWait(boundMs);
    const active = this.chaos.filter((i) => i.revertedAt === undefined);
    if (active.length > 0) {
      this.log(`waiting for ${active.map((i) => i.experiment).join(', ')} to end (at most ${Math.round(waitMs / 1000)} s)`);
      const ended = await Promise.race([Promise.all(active.map((i) => i.ended)).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), waitMs).unref())]);
      if (!ended) throw new Error(`chaos ${active.map((i) => i.experiment).join(', ')} still active after ${waitMs} ms: give the experiment a duration, or the wait more time`);
    }
    const results: { probe: SteadyStateProbe; recoveredMs: number }[] = [];
    for (const probe of this.steadyStates) {
      // Settling takes a full window of traffic after the fault: bounded by the bound plus that window.
      const deadline = Date.now() + boundMs + probe.windowMs * 2;
      while (probe.settledRecoveryMs() === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, probe.intervalMs));
      const recoveredMs = probe.settledRecoveryMs();
      const last = probe.checks.at(-1);
      await this.evidence.verify(
        `steady state of ${probe.name} restored`,
        recoveredMs !== undefined && recoveredMs <= boundMs,
        { expected: `the steady state (${probe.thresholds.map((t) => t.source).join(', ')}) holds again within ${boundMs} ms of the fault's end`, measured: { recoveredMs, ...probe.recovery(), lastCheck: last } },
        () =>
          recoveredMs === undefined
            ? `the steady state of ${probe.name} did not hold again within ${boundMs} ms of the fault's end; last check: ${last?.verdicts.filter((v) => !v.passed).map(describeVerdict).join('; ') || 'none'}`
            : `the steady state of ${probe.name} came back ${recoveredMs} ms after the fault's end, over the ${boundMs} ms bound`,
      );
      this.log(`steady state of ${probe.name} restored ${recoveredMs} ms after the fault ended`);
      results.push({ probe, recoveredMs: recoveredMs as number });
    }
    return results;
  }

  /** Every check made while a fault acted held. */
  async steadyStateHeldDuringChaos(): Promise<void> {
    if (this.steadyStates.length === 0) throw new Error('no steady state was established in this scenario: say "Given the steady state of <service> holds:" before the chaos');
    for (const probe of this.steadyStates) {
      const during = probe.checks.filter((c) => c.phase === 'during');
      const broken = during.filter((c) => !c.holds);
      await this.evidence.verify(
        `steady state of ${probe.name} held during the chaos`,
        during.length > 0 && broken.length === 0,
        { expected: `every check while a fault acted holds (${probe.thresholds.map((t) => t.source).join(', ')})`, measured: { checks: during.length, broken: broken.map((c) => ({ at: new Date(c.at).toISOString(), problems: c.verdicts.filter((v) => !v.passed).map(describeVerdict) })) } },
        () =>
          during.length === 0
            ? `no steady-state check of ${probe.name} was made while a fault acted: the fault was shorter than ${probe.windowMs} ms, or no fault is active yet`
            : `the steady state of ${probe.name} broke in ${broken.length} of ${during.length} checks during the chaos: ${broken.slice(0, 3).map((c) => c.verdicts.filter((v) => !v.passed).map(describeVerdict).join('; ')).join(' | ')}`,
      );
    }
  }

  // ---- evidence and teardown ---------------------------------------------------

  /** Rollout events and analysis results as marks on a time axis. */
  timelineMarks(): TimelineMark[] {
    if (this.platformInstance === undefined) return [];
    const marks: TimelineMark[] = [];
    const keep = new Set(['RolloutUpdated', 'TrafficWeightUpdated', 'RolloutPaused', 'RolloutPromoted', 'RolloutAborted', 'TrafficRestored', 'SwitchService', 'RolloutCompleted', 'RolloutRollback']);
    for (const name of this.platformInstance.rolloutNames()) {
      for (const e of this.platformInstance.rollout(name).events) {
        if (!keep.has(e.reason) || Date.parse(e.at) < this.startedAt) continue;
        const label = e.reason === 'TrafficWeightUpdated' ? `${e.data?.weight}%` : e.reason.replace(/^Rollout/, '');
        marks.push({ at: Date.parse(e.at), label, kind: `rollout ${name}` });
      }
    }
    for (const run of this.platformInstance.analysisRuns()) {
      if (run.finishedAt) marks.push({ at: Date.parse(run.finishedAt), label: `${run.name}: ${run.phase}`, kind: 'analysis' });
    }
    for (const i of this.chaos) {
      const instant = i.revertedAt === i.injectedAt;
      marks.push({ at: i.injectedAt, label: `${i.experiment} ${instant ? i.action : 'injected'}`, kind: 'chaos' });
      if (i.revertedAt !== undefined && !instant) marks.push({ at: i.revertedAt, label: `${i.experiment} reverted`, kind: 'chaos' });
    }
    for (const probe of this.steadyStates) {
      const r = probe.recovery();
      if (r?.recoveredMs !== undefined && r.recoveredMs > 0) marks.push({ at: r.faultEndedAt + r.recoveredMs, label: `${probe.name} steady again`, kind: 'chaos' });
    }
    return marks.sort((a, b) => a.at - b.at);
  }

  /**
   * Called at the end of every scenario. Stops the traffic, attaches charts,
   * traffic summaries and the rollout's outcome; then fails if any traffic did
   * not keep its rate, since the scenario's claims ("500 requests per second")
   * would not hold.
   */
  async recordOutcome(): Promise<void> {
    await Promise.all(this.trafficHistory.map((run) => run.stop().catch(() => undefined)));
    const marks = this.timelineMarks();
    const rateProblems: string[] = [];
    for (const run of this.trafficHistory) {
      const problem = run.rateProblem();
      if (problem) rateProblems.push(problem);
      const to = run.stoppedAt ?? Date.now();
      const series = run.recording.series({ name: 'scenario', from: run.startedAt, to });
      if (series.length === 0) continue;
      const name = run.spec.name;
      const during = marks.filter((m) => m.kind !== 'analysis' && m.at >= run.startedAt && m.at <= to);
      await this.evidence.svg(`latency of ${name}`, await latencyChart(`Latency of ${name} (p50, p95, p99 per second)`, series, during));
      await this.evidence.svg(`requests per version of ${name}`, await versionsChart(`Requests per second to ${name}, by version`, series, during));
      const { window: _w, ...whole } = run.recording.stats({ name: 'whole scenario', from: run.startedAt, to: to + 1 });
      const generator = run.result ? { achievedRate: run.result.achievedRate, sendLagP99Ms: run.result.sendLagP99Ms, skipped: run.result.skipped } : {};
      await this.evidence.json(`traffic summary of ${name}`, { requestedRate: run.spec.ratePerSecond, ...generator, ...whole });
    }
    await this.recordChaos();
    if (marks.length > 0) await this.evidence.svg('rollout timeline', await timelineChart('Rollout timeline', marks, this.startedAt));
    if (this.update && this.platformInstance) {
      const u = this.update;
      const rollout = this.platformInstance.rollout(u.rollout);
      const status = rollout.status();
      const d = rolloutDurations(rollout.events, u.startedAt);
      await this.evidence.evidence(`rollout ${u.rollout}`, {
        cutover: 'rollout',
        rollout: u.rollout,
        strategy: status.strategy,
        fromImage: u.fromImage,
        toImage: u.toImage,
        phase: status.phase,
        ...(d.rolloutMs !== undefined ? { rolloutMs: d.rolloutMs } : {}),
        ...(d.rollbackMs !== undefined ? { rollbackMs: d.rollbackMs } : {}),
        weights: canaryWeights(rollout.events, u.startedAt),
        analysisRuns: status.analysisRuns.map((r) => ({ name: r.name, phase: r.phase })),
      });
    }
    if (rateProblems.length > 0) throw new Error(rateProblems.join('; '));
  }

  /** Each experiment for the run summary, with the steady state around it; each probe's checks as an attachment. */
  private async recordChaos(): Promise<void> {
    for (const probe of this.steadyStates) {
      probe.stop();
      await this.evidence.json(`steady state of ${probe.name}: every check`, {
        thresholds: probe.thresholds.map((t) => t.source),
        windowMs: probe.windowMs,
        summary: probe.summary(),
        recovery: probe.recovery(),
        checks: probe.checks.map((c) => ({ at: new Date(c.at).toISOString(), phase: c.phase, holds: c.holds, measured: Object.fromEntries(c.verdicts.map((v) => [v.threshold, v.measured])) })),
      });
    }
    const probe = this.steadyStates[0];
    const recoveredMs = probe?.recovery()?.recoveredMs;
    for (const i of this.chaos) {
      await this.evidence.evidence(`chaos ${i.experiment}`, {
        cutover: 'chaos',
        experiment: i.experiment,
        kind: i.kind,
        action: i.action,
        targets: i.targets,
        injectedAt: new Date(i.injectedAt).toISOString(),
        ...(i.revertedAt !== undefined ? { revertedAt: new Date(i.revertedAt).toISOString() } : {}),
        // Recovery is measured from the last fault's end.
        ...(i === this.chaos.at(-1) && recoveredMs !== undefined ? { recoveredMs } : {}),
        ...(probe ? { steadyState: probe.summary() } : {}),
      });
    }
  }

  /** What a failed scenario leaves for diagnosis: statuses, events, analysis measurements, router stats, logs. */
  async collectDiagnostics(): Promise<void> {
    const platform = this.platformInstance;
    if (platform === undefined) return;
    const rollouts = platform.rolloutNames().map((name) => ({ status: platform.rollout(name).status(), events: platform.rollout(name).events }));
    await this.evidence.json('diagnostics: rollouts', rollouts);
    await this.evidence.json('diagnostics: analysis runs', platform.analysisRuns());
    const d = platform.diagnostics();
    await this.evidence.json('diagnostics: platform events and routers', { events: d.events, routers: d.routers });
    const logs = Object.entries(d.logs)
      .map(([replica, lines]) => `== ${replica}\n${lines.join('\n')}`)
      .join('\n\n');
    if (logs) await this.evidence.text('diagnostics: replica logs', logs);
  }

  /** Stops everything in reverse order of creation; every cleanup runs even when one fails. */
  async teardown(): Promise<void> {
    const errors: string[] = [];
    while (this.cleanups.length > 0) {
      const c = this.cleanups.pop() as { name: string; run: () => Promise<void> };
      try {
        await c.run();
      } catch (err) {
        errors.push(`${c.name}: ${(err as Error).message}`);
      }
    }
    if (errors.length > 0) throw new Error(`cleanup failed: ${errors.join('; ')}`);
  }
}
