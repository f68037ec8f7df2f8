// The rollout controller for the local and docker platforms: Argo Rollouts'
// state machine for one Rollout, over two things a platform provides (replicas
// of a revision, and traffic routing) and an analysis launcher.
//
// Phases and status follow Argo: Progressing, Paused, Healthy, Degraded; the
// current step index, stable and current pod-template hashes, the canary
// weight, pause conditions, the abort flag and a message. Every transition is
// a timestamped event, so rollout and rollback durations can be reported.
//
// Traffic is moved so that no request is lost: replicas are ready before they
// get traffic, and traffic is moved away before replicas are scaled down.
import { EventEmitter } from 'node:events';
import { scaledMs } from '../manifests/duration.ts';
import type { Rollout, RolloutAnalysisSpec } from './model.ts';
import { imageOf, podTemplateHash, withImage, type PodTemplate, type Revision } from './revision.ts';
import type { TrafficPlan } from './routing.ts';

export type RolloutPhase = 'Progressing' | 'Paused' | 'Healthy' | 'Degraded';
export type AnalysisRunPhase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Error' | 'Inconclusive';
export type AnalysisKind = 'step' | 'background' | 'prePromotion' | 'postPromotion';

/** What a platform does for the controller. */
export interface RolloutWorkloads {
  /** Converges a revision to this many ready replicas; resolves when there (0: when all have stopped). */
  scale(rollout: Rollout, revision: Revision, replicas: number): Promise<void>;
  /** Routes the Rollout's Services per the plan; resolves when new requests follow it. */
  route(rollout: Rollout, plan: TrafficPlan): Promise<void>;
}

export interface AnalysisRequest {
  /** Unique run name: <rollout>-<revision>-<kind>[-<step>]. */
  name: string;
  kind: AnalysisKind;
  rollout: Rollout;
  templates: { templateName: string; clusterScope: boolean }[];
  /** Args with valueFrom already resolved. */
  args: { name: string; value: string }[];
}

export interface AnalysisRunHandle {
  readonly name: string;
  readonly phase: AnalysisRunPhase;
  readonly message?: string;
  /** Resolves with the final phase (never rejects: a broken run is an Error phase). */
  readonly done: Promise<AnalysisRunPhase>;
  /** Stops taking measurements; a run that breached nothing ends Successful. */
  terminate(): void;
}

export interface AnalysisLauncher {
  start(request: AnalysisRequest): AnalysisRunHandle;
}

export interface RolloutEvent {
  at: string;
  reason: string;
  message: string;
  data?: Record<string, unknown>;
}

export type PauseReason = 'CanaryPauseStep' | 'BlueGreenPause' | 'InconclusiveAnalysisRun' | 'PausedByUser';

export interface RolloutStatus {
  name: string;
  strategy: 'canary' | 'blueGreen';
  phase: RolloutPhase;
  message: string;
  abort: boolean;
  abortedAt?: string;
  /** Revision number of the desired template. */
  revision: number;
  currentPodHash: string;
  stableRS: string;
  currentImage: string;
  stableImage: string;
  /** Canary: index of the step being run (steps.length when done). */
  currentStepIndex?: number;
  stepCount?: number;
  /** Canary: share of traffic (0-100) on the canary pods. */
  canaryWeight?: number;
  /** Blue-green: the hashes behind the active and preview Services. */
  activeSelector?: string;
  previewSelector?: string;
  pauseConditions: { reason: PauseReason; startTime: string }[];
  replicaSets: { hash: string; revision: number; image: string; replicas: number; role: string }[];
  analysisRuns: { name: string; kind: AnalysisKind; phase: AnalysisRunPhase; message?: string }[];
  timeScale: number;
}

/** The state field the state machine sets (the rest of the status is derived). */
export type ControllerState = Pick<RolloutStatus, 'phase' | 'message' | 'abort' | 'abortedAt' | 'currentStepIndex' | 'canaryWeight' | 'activeSelector' | 'previewSelector' | 'pauseConditions'>;

/**
 * Everything needed to pick a rollout up where it was after a restart, as
 * Argo keeps it in the Rollout's status: the spec as last changed (set-image,
 * pause), the revisions, which one is stable and which is rolling out, the
 * step, weight and selectors, the pause conditions with their start times and
 * the replicas each revision should have.
 */
export interface RolloutSnapshot {
  version: 1;
  rollout: Rollout;
  revisions: Revision[];
  stableHash?: string;
  currentHash?: string;
  state: ControllerState;
  replicas: Record<string, number>;
  /** The latest events, so a resumed rollout's history goes on from them. */
  events: RolloutEvent[];
  savedAt: string;
}

export interface ControllerOptions {
  workloads: RolloutWorkloads;
  analysis: AnalysisLauncher;
  /** CUTOVER_TIME_SCALE: multiplies pauses, delays and deadlines. */
  timeScale?: number;
}

class Superseded extends Error {
  constructor() {
    super('superseded by a newer operation');
  }
}

const now = () => new Date().toISOString();
/** How many of the latest events a snapshot keeps. */
const SNAPSHOT_EVENTS = 200;

export class RolloutController extends EventEmitter {
  readonly name: string;
  readonly events: RolloutEvent[] = [];
  readonly revisions: Revision[] = [];
  readonly runs: { kind: AnalysisKind; revision: number; handle: AnalysisRunHandle }[] = [];
  private spec: Rollout;
  private stable: Revision | undefined;
  private current: Revision | undefined;
  private readonly timeScale: number;
  private readonly workloads: RolloutWorkloads;
  private readonly analysis: AnalysisLauncher;
  private readonly replicas = new Map<string, number>();
  private readonly delayedScaleDowns = new Map<string, NodeJS.Timeout>();
  /** The part of the status the state machine sets; the rest is derived in status(). */
  private state: ControllerState = {
    phase: 'Progressing',
    message: '',
    abort: false,
    pauseConditions: [],
  };
  /** Bumped by every operation that replaces the running update; stale loops stop at their next check. */
  private generation = 0;
  private promotion: 'none' | 'step' | 'full' = 'none';
  private background: AnalysisRunHandle | undefined;
  private waiters: (() => void)[] = [];
  /** Pauses that were running when the state was saved: a resumed pause keeps its start time (what is left of a timed pause). */
  private resumedPauses = new Map<PauseReason, string>();
  private work: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(rollout: Rollout, options: ControllerOptions) {
    super();
    this.spec = rollout;
    this.name = rollout.metadata.name;
    this.workloads = options.workloads;
    this.analysis = options.analysis;
    this.timeScale = options.timeScale ?? 1;
  }

  get rollout(): Rollout {
    return this.spec;
  }

  private get canary() {
    return this.spec.spec.strategy.canary;
  }

  private get blueGreen() {
    return this.spec.spec.strategy.blueGreen;
  }

  // ---- status and events -------------------------------------------------

  status(): RolloutStatus {
    const current = this.current;
    const stable = this.stable;
    const roleOf = (hash: string) =>
      hash === stable?.hash
        ? (this.blueGreen ? 'active' : 'stable')
        : hash === current?.hash
          ? (this.blueGreen ? 'preview' : 'canary')
          : 'old';
    return {
      name: this.name,
      strategy: this.canary ? 'canary' : 'blueGreen',
      ...structuredClone(this.state),
      revision: current?.number ?? 0,
      currentPodHash: current?.hash ?? '',
      stableRS: stable?.hash ?? '',
      currentImage: current?.image ?? '',
      stableImage: stable?.image ?? '',
      ...(this.canary ? { stepCount: this.canary.steps.length } : {}),
      replicaSets: this.revisions
        .filter((r) => (this.replicas.get(r.hash) ?? 0) > 0 || r === current || r === stable)
        .map((r) => ({ hash: r.hash, revision: r.number, image: r.image, replicas: this.replicas.get(r.hash) ?? 0, role: roleOf(r.hash) })),
      analysisRuns: this.runs.map(({ kind, handle }) => ({ name: handle.name, kind, phase: handle.phase, ...(handle.message ? { message: handle.message } : {}) })),
      timeScale: this.timeScale,
    };
  }

  private event(reason: string, message: string, data?: Record<string, unknown>): void {
    const e: RolloutEvent = { at: now(), reason, message, ...(data ? { data } : {}) };
    this.events.push(e);
    this.emit('event', e);
    this.changed();
  }

  private setPhase(phase: RolloutPhase, message = ''): void {
    const before = this.state.phase;
    this.state.phase = phase;
    this.state.message = message;
    if (before !== phase) this.event('PhaseChanged', `${before} → ${phase}${message ? `: ${message}` : ''}`, { from: before, to: phase });
    else this.changed();
  }

  private changed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    this.emit('change');
  }

  /** Resolves at the next change, or after `ms`. */
  private nextChange(ms = Infinity): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(resolve, Math.max(0, ms)) : undefined;
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Waits until the status satisfies a predicate. On timeout the error says
   * what was expected, what was last seen and how long it waited.
   */
  async waitFor(predicate: (s: RolloutStatus) => boolean, timeoutMs: number, expected: string): Promise<RolloutStatus> {
    const started = Date.now();
    for (;;) {
      const s = this.status();
      if (predicate(s)) return s;
      const left = timeoutMs - (Date.now() - started);
      if (left <= 0) {
        throw new Error(
          `rollout ${this.name}: expected ${expected} within ${timeoutMs} ms; last seen after ${Date.now() - started} ms: phase ${s.phase}` +
            `${s.message ? ` (${s.message})` : ''}, revision ${s.revision}` +
            `${s.currentStepIndex !== undefined ? `, step ${s.currentStepIndex}/${s.stepCount}, canary weight ${s.canaryWeight}` : ''}`,
        );
      }
      await this.nextChange(left);
    }
  }

  // ---- operations ---------------------------------------------------------

  /** Deploys the Rollout's template: the first revision becomes stable at once, like a first `kubectl apply`. */
  start(): Promise<void> {
    return this.applyTemplate(this.spec.spec.template);
  }

  /** `kubectl argo rollouts set image`. */
  setImage(image: string, container?: string): Promise<void> {
    return this.applyTemplate(withImage(this.spec.spec.template, image, container));
  }

  /** A changed manifest (`kubectl apply` of a new Rollout spec). */
  update(rollout: Rollout): Promise<void> {
    if (rollout.metadata.name !== this.name) throw new Error(`cannot update rollout ${this.name} with a manifest for ${rollout.metadata.name}`);
    const replicas = rollout.spec.replicas;
    this.spec = { ...rollout, spec: { ...rollout.spec, replicas: this.spec.spec.replicas } };
    // A new replica count alone changes no template: it is a scale, as in Argo.
    return this.applyTemplate(rollout.spec.template).then(() => this.scale(replicas, 'the applied manifest'));
  }

  /**
   * The scale subresource (`kubectl scale`, an autoscaler): with no update in
   * flight the stable revision converges to the new count at once; an update
   * in flight takes it from its next step on (and at its end).
   */
  scale(replicas: number, reason: string): Promise<void> {
    this.assertOpen();
    if (!Number.isInteger(replicas) || replicas < 0) return Promise.reject(new Error(`rollout ${this.name}: cannot scale to ${replicas} replicas: expected a whole number, 0 or more`));
    const before = this.spec.spec.replicas;
    if (replicas === before) return Promise.resolve();
    this.spec.spec.replicas = replicas;
    this.event('RolloutScaled', `replicas ${before} → ${replicas} (${reason})`, { from: before, to: replicas, reason });
    return this.serialize(async () => {
      const stable = this.stable;
      if (stable === undefined || this.spec.spec.replicas !== replicas) return;
      if (this.current === stable || this.state.abort) await this.scaleTo(stable, replicas, this.generation);
    });
  }

  /** `promote`: past the current pause or step; `promote --full`: skip every remaining step and analysis. */
  promote(full = false): void {
    this.assertOpen();
    if (this.state.abort) throw new Error(`rollout ${this.name} is aborted: use retry to start the update again, or set an image`);
    if (this.current === this.stable && !this.state.pauseConditions.length) {
      throw new Error(`rollout ${this.name} has nothing to promote: it is ${this.state.phase} at revision ${this.current?.number}`);
    }
    this.spec.spec.paused = false;
    this.promotion = full ? 'full' : this.promotion === 'full' ? 'full' : 'step';
    this.event('RolloutPromoted', full ? 'promote --full: skipping the remaining steps and analysis' : 'promote: skipping the current pause or step');
  }

  /** `pause`: the controller stops at the next step boundary until promoted. */
  pause(): void {
    this.assertOpen();
    this.spec.spec.paused = true;
    this.event('RolloutPaused', 'paused by the user');
  }

  /** `abort`: traffic back to stable, the new pods scaled down after abortScaleDownDelaySeconds. */
  abort(reason = 'aborted by the user'): Promise<void> {
    this.assertOpen();
    if (this.current === this.stable) return Promise.reject(new Error(`rollout ${this.name} has no update to abort: it is ${this.state.phase} at revision ${this.current?.number}`));
    if (this.state.abort) return Promise.resolve();
    return this.serialize(() => this.doAbort(reason));
  }

  /** `retry`: clears the abort and runs the update again from its first step. */
  retry(): Promise<void> {
    this.assertOpen();
    if (!this.state.abort) return Promise.reject(new Error(`rollout ${this.name} is not aborted: retry only restarts an aborted update`));
    return this.serialize(async () => {
      const gen = ++this.generation;
      this.state.abort = false;
      delete this.state.abortedAt;
      this.cancelScaleDown(this.current as Revision);
      this.event('RolloutRetried', `retrying the update to revision ${this.current?.number}`);
      this.launch(gen);
    });
  }

  /** `undo`: back to the previous revision (or the one given), as a new update or a fast rollback to stable. */
  undo(toRevision?: number): Promise<void> {
    this.assertOpen();
    const current = this.current;
    const target = toRevision === undefined ? this.revisions.filter((r) => r !== current).sort((a, b) => b.number - a.number)[0] : this.revisions.find((r) => r.number === toRevision);
    if (target === undefined) {
      const known = this.revisions.map((r) => r.number).join(', ');
      return Promise.reject(new Error(`rollout ${this.name} has no revision ${toRevision ?? 'before the current one'} to undo to (revisions: ${known})`));
    }
    this.event('RolloutUndo', `undo to revision ${target.number} (${target.image})`);
    return this.applyTemplate(target.template);
  }

  /** Stops every loop, timer and analysis run; the platform stops the replicas. */
  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    for (const t of this.delayedScaleDowns.values()) clearTimeout(t);
    this.delayedScaleDowns.clear();
    for (const { handle } of this.runs) handle.terminate();
    this.changed();
    await this.work.catch(() => {});
  }

  /** The state to save, so that a restarted platform can resume this rollout (see resume). */
  snapshot(): RolloutSnapshot {
    return {
      version: 1,
      rollout: structuredClone(this.spec),
      revisions: structuredClone(this.revisions),
      ...(this.stable ? { stableHash: this.stable.hash } : {}),
      ...(this.current ? { currentHash: this.current.hash } : {}),
      state: structuredClone(this.state),
      replicas: Object.fromEntries(this.replicas),
      events: this.events.slice(-SNAPSHOT_EVENTS),
      savedAt: now(),
    };
  }

  /**
   * Instead of start(): picks the rollout up from a saved snapshot, the way
   * Argo's controller does after a restart from the Rollout's status. The
   * stable revision and an update in flight get their replicas back, traffic
   * is routed as it was (weight, active and preview), and the update goes on
   * from the step it was at; a timed pause runs only what was left of it. An
   * analysis that was measuring starts again (its measurements died with the
   * process that took them). A rollout that never became stable is deployed
   * again from its template.
   */
  resume(snapshot: RolloutSnapshot): Promise<void> {
    this.assertOpen();
    if (this.current !== undefined) return Promise.reject(new Error(`rollout ${this.name} is already running: resume only replaces start()`));
    if (snapshot.rollout.metadata.name !== this.name) return Promise.reject(new Error(`cannot resume rollout ${this.name} from the saved state of ${snapshot.rollout.metadata.name}`));
    const byHash = (hash: string | undefined) => (hash === undefined ? undefined : this.revisions.find((r) => r.hash === hash));
    this.revisions.push(...structuredClone(snapshot.revisions));
    this.events.push(...snapshot.events);
    const stable = byHash(snapshot.stableHash);
    const current = byHash(snapshot.currentHash);
    this.spec = structuredClone(snapshot.rollout);
    if (stable === undefined || current === undefined) return this.applyTemplate(current?.template ?? this.spec.spec.template);
    return this.serialize(async () => {
      const gen = ++this.generation;
      this.stable = stable;
      this.current = current;
      this.state = { ...structuredClone(snapshot.state), pauseConditions: [] };
      this.resumedPauses = new Map(snapshot.state.pauseConditions.map((p) => [p.reason, p.startTime]));
      const inFlight = current !== stable && !this.state.abort;
      const where = inFlight
        ? this.canary
          ? `update to revision ${current.number} (${current.image}) at step ${this.state.currentStepIndex ?? 0}/${this.canary.steps.length}, canary weight ${this.state.canaryWeight ?? 0}`
          : `update to revision ${current.number} (${current.image}), active Service on revision ${byHash(this.state.activeSelector)?.number ?? stable.number}`
        : this.state.abort
          ? `update to revision ${current.number} aborted, revision ${stable.number} (${stable.image}) stable`
          : `revision ${stable.number} (${stable.image}) stable`;
      this.event('RolloutRestored', `restored from the state saved at ${snapshot.savedAt}: ${where}`, { savedAt: snapshot.savedAt, revision: current.number, inFlight });
      // Pods first, then traffic: the same order as every other move.
      await this.scaleTo(stable, snapshot.replicas[stable.hash] || this.spec.spec.replicas, gen);
      const updateReplicas = snapshot.replicas[current.hash] ?? 0;
      if (inFlight && updateReplicas > 0) await this.scaleTo(current, updateReplicas, gen);
      this.check(gen);
      if (this.canary) {
        const weight = inFlight ? (this.state.canaryWeight ?? 0) : 0;
        await this.workloads.route(this.spec, { strategy: 'canary', stable, ...(inFlight ? { canary: current } : {}), canaryWeight: weight });
        this.state.canaryWeight = weight;
      } else {
        const active = (inFlight && byHash(this.state.activeSelector)) || stable;
        const preview = (inFlight && byHash(this.state.previewSelector)) || stable;
        await this.routeBlueGreen(active, preview);
      }
      if (!inFlight) {
        this.setPhase(this.state.abort ? 'Degraded' : 'Healthy', this.state.abort ? this.state.message : '');
        return;
      }
      this.launch(gen, true);
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`rollout ${this.name} has been shut down`);
  }

  /** Operations change state one at a time; the update loops run beside them. */
  private serialize(op: () => Promise<void>): Promise<void> {
    const run = this.work.then(op, op);
    this.work = run.catch(() => {});
    return run;
  }

  private revisionFor(template: PodTemplate): Revision {
    const hash = podTemplateHash(template);
    const existing = this.revisions.find((r) => r.hash === hash);
    const nextNumber = Math.max(0, ...this.revisions.map((r) => r.number)) + 1;
    if (existing) {
      // Argo gives a re-used ReplicaSet the next revision number.
      if (existing !== this.current) existing.number = nextNumber;
      return existing;
    }
    const revision: Revision = { number: nextNumber, hash, template: structuredClone(template), image: imageOf(template) };
    this.revisions.push(revision);
    const limit = this.spec.spec.revisionHistoryLimit + 2;
    while (this.revisions.length > limit) {
      const oldest = this.revisions.filter((r) => r !== this.current && r !== this.stable && r !== revision).sort((a, b) => a.number - b.number)[0];
      if (oldest === undefined) break;
      this.revisions.splice(this.revisions.indexOf(oldest), 1);
    }
    return revision;
  }

  private applyTemplate(template: PodTemplate): Promise<void> {
    this.assertOpen();
    return this.serialize(async () => {
      const revision = this.revisionFor(template);
      this.spec.spec.template = structuredClone(template);
      if (revision === this.current && !this.state.abort) return;
      const gen = ++this.generation;
      const previous = this.current;
      this.current = revision;
      this.promotion = 'none';
      this.state.abort = false;
      delete this.state.abortedAt;
      this.state.pauseConditions = [];
      this.resumedPauses.clear();
      this.stopBackground();
      if (this.stable === undefined) {
        this.event('RolloutUpdated', `deploying revision ${revision.number} (${revision.image})`, { revision: revision.number, image: revision.image });
        await this.deployFirst(revision, gen);
        return;
      }
      this.event('RolloutUpdated', `updating to revision ${revision.number} (${revision.image}) from stable revision ${this.stable.number} (${this.stable.image})`, {
        revision: revision.number,
        image: revision.image,
        stable: this.stable.image,
      });
      // An update in progress is abandoned: its pods get no more traffic and are scaled down.
      const abandoned = previous !== undefined && previous !== this.stable && previous !== revision ? previous : undefined;
      if (revision === this.stable) {
        await this.rollbackToStable(abandoned, gen);
        return;
      }
      if (abandoned) await this.retire(abandoned, 0);
      this.launch(gen);
    });
  }

  // ---- the update loops ------------------------------------------------------

  /** Runs the update; `resumed`: from where the restored state says it was, not from its start. */
  private launch(gen: number, resumed = false): void {
    const loop = this.canary ? this.runCanary(gen, resumed) : this.runBlueGreen(gen, resumed);
    loop.catch((err: unknown) => {
      if (err instanceof Superseded || gen !== this.generation) return;
      this.setPhase('Degraded', `ReconcileError: ${(err as Error).message}`);
      this.event('ReconcileError', (err as Error).message);
    });
  }

  private check(gen: number): void {
    if (gen !== this.generation || this.closed) throw new Superseded();
  }

  private async deployFirst(revision: Revision, gen: number): Promise<void> {
    this.setPhase('Progressing', `deploying revision ${revision.number}`);
    await this.scaleTo(revision, this.spec.spec.replicas, gen);
    this.check(gen);
    this.stable = revision;
    if (this.canary) {
      this.state.currentStepIndex = this.canary.steps.length;
      this.state.canaryWeight = 0;
      await this.workloads.route(this.spec, { strategy: 'canary', stable: revision, canaryWeight: 0 });
    } else {
      this.state.activeSelector = revision.hash;
      this.state.previewSelector = revision.hash;
      await this.workloads.route(this.spec, { strategy: 'blueGreen', active: revision, preview: revision });
    }
    this.setPhase('Healthy');
    this.event('RolloutCompleted', `revision ${revision.number} (${revision.image}) is stable`, { revision: revision.number });
  }

  /** The desired template is the stable one again: no steps, traffic back at once (Argo's fast rollback). */
  private async rollbackToStable(abandoned: Revision | undefined, gen: number): Promise<void> {
    const stable = this.stable as Revision;
    this.event('RolloutRollback', `revision ${stable.number} (${stable.image}) is the stable revision: rolling back without steps`);
    if (this.canary) {
      this.state.currentStepIndex = this.canary.steps.length;
      await this.setCanaryWeight(0, gen);
    } else {
      await this.routeBlueGreen(stable, stable);
    }
    if (abandoned) await this.retire(abandoned, 0);
    this.check(gen);
    this.setPhase('Healthy');
    this.event('RolloutCompleted', `revision ${stable.number} (${stable.image}) is stable`, { revision: stable.number });
  }

  /** Scales a revision with the progress deadline watched: past it the rollout is Degraded (and aborted with progressDeadlineAbort). */
  private async scaleTo(revision: Revision, count: number, gen: number): Promise<void> {
    this.cancelScaleDown(revision);
    const before = this.replicas.get(revision.hash) ?? 0;
    this.replicas.set(revision.hash, count);
    if (before !== count) this.event('ScalingReplicaSet', `scaled revision ${revision.number} (${revision.image}) from ${before} to ${count}`, { revision: revision.number, from: before, to: count });
    const deadlineMs = this.spec.spec.progressDeadlineSeconds * 1000 * this.timeScale;
    let timer: NodeJS.Timeout | undefined;
    const scaling = this.workloads.scale(this.spec, revision, count);
    const overdue = new Promise<'overdue'>((resolve) => {
      timer = setTimeout(() => resolve('overdue'), deadlineMs);
    });
    try {
      const first = await Promise.race([scaling.then(() => 'done' as const), overdue]);
      if (first === 'overdue' && gen === this.generation) {
        const message = `ProgressDeadlineExceeded: revision ${revision.number} has not become available within ${this.spec.spec.progressDeadlineSeconds} s`;
        this.setPhase('Degraded', message);
        if (this.spec.spec.progressDeadlineAbort && revision !== this.stable) {
          // Its outcome shows in the status; a newer operation may supersede it.
          this.abort(message).catch(() => {});
          throw new Superseded();
        }
        await scaling;
        this.check(gen);
        this.setPhase('Progressing', `revision ${revision.number} became available after the progress deadline`);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private cancelScaleDown(revision: Revision): void {
    const timer = this.delayedScaleDowns.get(revision.hash);
    if (timer) clearTimeout(timer);
    this.delayedScaleDowns.delete(revision.hash);
  }

  /** Scales a revision to zero after a delay (in manifest seconds), unless it is needed again by then. */
  private async retire(revision: Revision, delaySeconds: number): Promise<void> {
    this.cancelScaleDown(revision);
    const scaleDown = async () => {
      this.delayedScaleDowns.delete(revision.hash);
      const needed = revision === this.stable || (revision === this.current && !this.state.abort);
      if (needed || (this.replicas.get(revision.hash) ?? 0) === 0) return;
      this.replicas.set(revision.hash, 0);
      this.event('ScalingReplicaSet', `scaled down revision ${revision.number} (${revision.image}) to 0`, { revision: revision.number, to: 0 });
      await this.workloads.scale(this.spec, revision, 0).catch((err: Error) => this.event('ScaleDownFailed', err.message));
    };
    if (delaySeconds <= 0) return scaleDown();
    const timer = setTimeout(() => void scaleDown(), delaySeconds * 1000 * this.timeScale);
    this.delayedScaleDowns.set(revision.hash, timer);
  }

  /** Waits while the rollout is paused by the user or by an inconclusive run; returns at once otherwise. */
  private async waitWhilePaused(gen: number): Promise<void> {
    while (this.spec.spec.paused || this.state.pauseConditions.some((p) => p.reason === 'InconclusiveAnalysisRun')) {
      this.check(gen);
      if (this.spec.spec.paused && !this.state.pauseConditions.some((p) => p.reason === 'PausedByUser')) this.addPause('PausedByUser');
      if (this.promotion !== 'none') {
        this.state.pauseConditions = this.state.pauseConditions.filter((p) => p.reason !== 'InconclusiveAnalysisRun' && p.reason !== 'PausedByUser');
        this.spec.spec.paused = false;
        if (this.promotion === 'step') this.promotion = 'none';
        break;
      }
      await this.nextChange();
    }
    this.check(gen);
    this.removePause('PausedByUser');
    if (this.state.phase === 'Paused' && this.state.pauseConditions.length === 0) this.setPhase('Progressing');
  }

  private addPause(reason: PauseReason, startTime = now()): void {
    this.state.pauseConditions.push({ reason, startTime });
    this.setPhase('Paused', reason);
    this.event('RolloutPaused', `paused: ${reason}`, { reason });
  }

  private removePause(reason: PauseReason): void {
    const before = this.state.pauseConditions.length;
    this.state.pauseConditions = this.state.pauseConditions.filter((p) => p.reason !== reason);
    if (this.state.pauseConditions.length !== before) {
      this.event('RolloutResumed', `resumed: ${reason} cleared`, { reason });
      if (this.state.pauseConditions.length === 0) this.setPhase('Progressing');
    }
  }

  /** A pause step or the blue-green pause: until promoted, or until the duration (scaled) has passed. */
  private async pauseFor(reason: PauseReason, durationMs: number | undefined, gen: number): Promise<'promoted' | 'elapsed'> {
    const resumedFrom = this.resumedPauses.get(reason);
    this.resumedPauses.delete(reason);
    this.addPause(reason, resumedFrom);
    const started = resumedFrom === undefined ? Date.now() : Date.parse(resumedFrom);
    const until = durationMs === undefined ? Infinity : started + durationMs;
    try {
      for (;;) {
        this.check(gen);
        if (this.promotion !== 'none') {
          if (this.promotion === 'step') this.promotion = 'none';
          return 'promoted';
        }
        const left = until - Date.now();
        if (left <= 0) return 'elapsed';
        await this.nextChange(left);
      }
    } finally {
      if (gen === this.generation) this.removePause(reason);
    }
  }

  private resolveArgs(args: RolloutAnalysisSpec['args']): { name: string; value: string }[] {
    return args.map((arg) => {
      if (arg.value !== undefined) return { name: arg.name, value: arg.value };
      const hashFrom = arg.valueFrom?.podTemplateHashValue;
      if (hashFrom) return { name: arg.name, value: (hashFrom === 'Stable' ? this.stable : this.current)?.hash ?? '' };
      const path = arg.valueFrom?.fieldRef?.fieldPath;
      if (path) return { name: arg.name, value: fieldValue(this.spec, path) };
      throw new Error(`analysis arg "${arg.name}" has neither a value nor a valueFrom`);
    });
  }

  private startAnalysis(kind: AnalysisKind, spec: RolloutAnalysisSpec, suffix = ''): AnalysisRunHandle {
    const revision = this.current as Revision;
    const handle = this.analysis.start({
      name: `${this.name}-${revision.hash}-${revision.number}-${kind}${suffix}`,
      kind,
      rollout: this.spec,
      templates: spec.templates,
      args: this.resolveArgs(spec.args),
    });
    this.runs.push({ kind, revision: revision.number, handle });
    this.event('AnalysisRunRunning', `${kind} analysis ${handle.name} started (${spec.templates.map((t) => t.templateName).join(', ')})`, { run: handle.name, kind });
    void handle.done.then((phase) => {
      const message = `${kind} analysis ${handle.name} ${phase}${handle.message ? `: ${handle.message}` : ''}`;
      this.event(`AnalysisRun${phase}`, message, { run: handle.name, kind, phase });
    });
    return handle;
  }

  /** Waits for a blocking analysis run; promote skips it. */
  private async awaitAnalysis(handle: AnalysisRunHandle, gen: number): Promise<AnalysisRunPhase | 'skipped'> {
    try {
      for (;;) {
        this.check(gen);
        if (this.promotion !== 'none') {
          if (this.promotion === 'step') this.promotion = 'none';
          handle.terminate();
          return 'skipped';
        }
        const finished = await Promise.race([handle.done, this.nextChange().then(() => undefined)]);
        if (finished !== undefined) return finished;
      }
    } catch (err) {
      handle.terminate();
      throw err;
    }
  }

  /** Read through a method: the update loops' awaits may change it behind the type checker's back. */
  private fullPromotionRequested(): boolean {
    return this.promotion === 'full';
  }

  private stopBackground(): void {
    this.background?.terminate();
    this.background = undefined;
  }

  /** Replicas the canary needs at a weight: ceil(weight × replicas / 100), or what setCanaryScale said. */
  private canaryReplicas(weight: number, scale: { replicas?: number; weight?: number; matchTrafficWeight?: boolean } | undefined): number {
    const total = this.spec.spec.replicas;
    if (scale?.replicas !== undefined) return scale.replicas;
    if (scale?.weight !== undefined) return Math.ceil((scale.weight * total) / 100);
    return Math.ceil((weight * total) / 100);
  }

  /** Moves the canary to a weight; `keepReplicas` leaves the canary's pods up (an abort scales them down later). */
  private async setCanaryWeight(weight: number, gen: number, scale?: { replicas?: number; weight?: number; matchTrafficWeight?: boolean }, keepReplicas = false): Promise<void> {
    const canary = this.current as Revision;
    const stable = this.stable as Revision;
    const needed = canary === stable ? 0 : this.canaryReplicas(weight, scale);
    const have = this.replicas.get(canary.hash) ?? 0;
    if (weight > 0 && needed === 0) throw new Error(`setWeight ${weight} with setCanaryScale of 0 replicas would send traffic to no pod`);
    // Ready before traffic; traffic away before scaling down.
    if (canary !== stable && needed > have) await this.scaleTo(canary, needed, gen);
    this.check(gen);
    if (this.spec.spec.strategy.canary?.dynamicStableScale && canary !== stable) {
      await this.scaleTo(stable, Math.max(1, Math.ceil(((100 - weight) * this.spec.spec.replicas) / 100)), gen);
    }
    const previousWeight = this.state.canaryWeight ?? 0;
    await this.workloads.route(this.spec, { strategy: 'canary', stable, canary: canary === stable ? undefined : canary, canaryWeight: weight });
    this.state.canaryWeight = weight;
    if (previousWeight !== weight) this.event('TrafficWeightUpdated', `canary weight ${previousWeight} → ${weight}`, { weight, from: previousWeight, revision: canary.number });
    if (canary !== stable && needed < have && !keepReplicas) await this.scaleTo(canary, needed, gen);
  }

  private async runCanary(gen: number, resumed = false): Promise<void> {
    const strategy = this.canary as NonNullable<Rollout['spec']['strategy']['canary']>;
    const steps = strategy.steps;
    const from = resumed ? Math.min(this.state.currentStepIndex ?? 0, steps.length) : 0;
    this.state.currentStepIndex = from;
    let scale: { replicas?: number; weight?: number; matchTrafficWeight?: boolean } | undefined;
    // A resumed canary keeps the canary scale that its earlier steps set.
    for (const step of steps.slice(0, from)) if (step.setCanaryScale !== undefined) scale = step.setCanaryScale.matchTrafficWeight ? undefined : step.setCanaryScale;
    this.setPhase('Progressing', `revision ${this.current?.number}: step ${from}/${steps.length}`);
    while ((this.state.currentStepIndex ?? 0) < steps.length) {
      const index = this.state.currentStepIndex as number;
      await this.waitWhilePaused(gen);
      if (this.promotion === 'full') break;
      if (strategy.analysis && this.background === undefined && index >= (strategy.analysis.startingStep ?? 0)) {
        this.background = this.startAnalysis('background', strategy.analysis);
        this.watchBackground(this.background, gen);
      }
      const step = steps[index] as (typeof steps)[number];
      if (step.setWeight !== undefined) {
        await this.setCanaryWeight(step.setWeight, gen, scale?.matchTrafficWeight ? undefined : scale);
      } else if (step.setCanaryScale !== undefined) {
        scale = step.setCanaryScale.matchTrafficWeight ? undefined : step.setCanaryScale;
        await this.setCanaryWeight(this.state.canaryWeight ?? 0, gen, scale);
      } else if (step.pause !== undefined) {
        const ms = step.pause.duration === undefined ? undefined : scaledMs(step.pause.duration, this.timeScale);
        await this.pauseFor('CanaryPauseStep', ms, gen);
      } else if (step.analysis !== undefined && this.resumedPauses.has('InconclusiveAnalysisRun')) {
        // Saved while paused on this step's inconclusive result: it waits for promote again.
        await this.pauseFor('InconclusiveAnalysisRun', undefined, gen);
      } else if (step.analysis !== undefined) {
        const handle = this.startAnalysis('step', step.analysis, `-step${index}`);
        const phase = await this.awaitAnalysis(handle, gen);
        if (phase === 'Failed' || phase === 'Error') {
          await this.doAbort(`analysis run ${handle.name} ${phase}${handle.message ? `: ${handle.message}` : ''}`, gen);
          return;
        }
        if (phase === 'Inconclusive') {
          await this.pauseFor('InconclusiveAnalysisRun', undefined, gen);
        }
      } else {
        this.event('StepSkipped', `step ${index} is not run locally (experiment or header/mirror route)`);
      }
      this.check(gen);
      this.state.currentStepIndex = index + 1;
      this.event('RolloutStepCompleted', `step ${index + 1}/${steps.length} completed`, { step: index + 1 });
      if (this.fullPromotionRequested()) break;
    }
    await this.completeCanary(gen);
  }

  private watchBackground(handle: AnalysisRunHandle, gen: number): void {
    void handle.done.then(async (phase) => {
      if (gen !== this.generation || this.closed || this.background !== handle) return;
      if (phase === 'Failed' || phase === 'Error') {
        await this.serialize(() => this.doAbort(`background analysis ${handle.name} ${phase}${handle.message ? `: ${handle.message}` : ''}`, gen)).catch(() => {});
      } else if (phase === 'Inconclusive') {
        this.addPause('InconclusiveAnalysisRun');
      }
    });
  }

  /** All steps done (or promote --full): the canary becomes stable and gets all traffic. */
  private async completeCanary(gen: number): Promise<void> {
    const next = this.current as Revision;
    const old = this.stable as Revision;
    this.check(gen);
    this.promotion = 'none';
    this.stopBackground();
    await this.scaleTo(next, this.spec.spec.replicas, gen);
    this.check(gen);
    await this.workloads.route(this.spec, { strategy: 'canary', stable: old, canary: next, canaryWeight: 100 });
    const from = this.state.canaryWeight ?? 0;
    this.state.canaryWeight = 100;
    if (from !== 100) this.event('TrafficWeightUpdated', `canary weight ${from} → 100`, { weight: 100, from, revision: next.number });
    this.stable = next;
    this.state.currentStepIndex = this.canary?.steps.length;
    await this.workloads.route(this.spec, { strategy: 'canary', stable: next, canaryWeight: 0 });
    this.state.canaryWeight = 0;
    this.setPhase('Healthy');
    this.event('RolloutCompleted', `revision ${next.number} (${next.image}) is stable`, { revision: next.number });
    await this.retire(old, this.canary?.scaleDownDelaySeconds ?? 30);
  }

  private async routeBlueGreen(active: Revision, preview: Revision): Promise<void> {
    const switched = this.state.activeSelector !== undefined && this.state.activeSelector !== active.hash;
    await this.workloads.route(this.spec, { strategy: 'blueGreen', active, preview });
    this.state.activeSelector = active.hash;
    this.state.previewSelector = preview.hash;
    if (switched) this.event('SwitchService', `active Service switched to revision ${active.number} (${active.image})`, { revision: active.number, image: active.image });
    else this.changed();
  }

  private async runBlueGreen(gen: number, resumed = false): Promise<void> {
    const strategy = this.blueGreen as NonNullable<Rollout['spec']['strategy']['blueGreen']>;
    const next = this.current as Revision;
    const old = this.stable as Revision;
    // Resumed after the switch: only the post-promotion part is left.
    const switched = resumed && this.state.activeSelector === next.hash;
    const full = switched ? false : await this.blueGreenUntilSwitch(strategy, next, old, gen);
    if (full === undefined) return;
    if (strategy.postPromotionAnalysis && !full) {
      const handle = this.startAnalysis('postPromotion', strategy.postPromotionAnalysis);
      const phase = await this.awaitAnalysis(handle, gen);
      if (phase === 'Failed' || phase === 'Error' || phase === 'Inconclusive') {
        await this.doAbort(`post-promotion analysis ${handle.name} ${phase}${handle.message ? `: ${handle.message}` : ''}`, gen);
        return;
      }
    }
    this.check(gen);
    this.stable = next;
    this.setPhase('Healthy');
    this.event('RolloutCompleted', `revision ${next.number} (${next.image}) is stable`, { revision: next.number });
    await this.retire(old, strategy.scaleDownDelaySeconds);
  }

  /** Preview up, pause and pre-promotion analysis, then the switch: whether it was promoted --full, or undefined when aborted. */
  private async blueGreenUntilSwitch(strategy: NonNullable<Rollout['spec']['strategy']['blueGreen']>, next: Revision, old: Revision, gen: number): Promise<boolean | undefined> {
    // Argo's fast rollback: back to a stack still up within its scaleDownDelay,
    // the switch happens at once, without pause or analysis.
    if (this.delayedScaleDowns.has(next.hash) && (this.replicas.get(next.hash) ?? 0) > 0) {
      this.event('RolloutRollback', `revision ${next.number} (${next.image}) is still up within its scaleDownDelay: switching back without pause or analysis`, { revision: next.number });
      this.promotion = 'full';
    }
    this.setPhase('Progressing', `revision ${next.number}: bringing up the preview stack`);
    await this.scaleTo(next, strategy.previewReplicaCount ?? this.spec.spec.replicas, gen);
    this.check(gen);
    await this.routeBlueGreen(old, next);
    await this.waitWhilePaused(gen);
    if (strategy.prePromotionAnalysis && this.promotion !== 'full') {
      const handle = this.startAnalysis('prePromotion', strategy.prePromotionAnalysis);
      const phase = await this.awaitAnalysis(handle, gen);
      if (phase === 'Failed' || phase === 'Error' || phase === 'Inconclusive') {
        await this.doAbort(`pre-promotion analysis ${handle.name} ${phase}${handle.message ? `: ${handle.message}` : ''}`, gen);
        return undefined;
      }
    }
    if (this.promotion === 'none') {
      if (!strategy.autoPromotionEnabled) await this.pauseFor('BlueGreenPause', undefined, gen);
      else if (strategy.autoPromotionSeconds !== undefined) await this.pauseFor('BlueGreenPause', strategy.autoPromotionSeconds * 1000 * this.timeScale, gen);
    }
    this.check(gen);
    const full = this.promotion === 'full';
    this.promotion = 'none';
    await this.scaleTo(next, this.spec.spec.replicas, gen);
    this.check(gen);
    await this.routeBlueGreen(next, next);
    return full;
  }

  /** Traffic back to stable at once; the update's pods go after abortScaleDownDelaySeconds. */
  private async doAbort(reason: string, gen?: number): Promise<void> {
    if (gen !== undefined && gen !== this.generation) return;
    if (this.state.abort || this.current === this.stable) return;
    const mine = ++this.generation;
    const failed = this.current as Revision;
    const stable = this.stable as Revision;
    this.state.abort = true;
    this.state.abortedAt = now();
    this.state.pauseConditions = [];
    this.promotion = 'none';
    this.stopBackground();
    for (const { handle } of this.runs) handle.terminate();
    this.event('RolloutAborted', `aborting the update to revision ${failed.number}: ${reason}`, { revision: failed.number, reason });
    if (this.canary) {
      await this.setCanaryWeight(0, mine, undefined, true);
      this.event('TrafficRestored', `all traffic on stable revision ${stable.number} (${stable.image})`, { revision: stable.number });
      await this.retire(failed, this.canary.abortScaleDownDelaySeconds);
    } else {
      await this.routeBlueGreen(stable, stable);
      this.event('TrafficRestored', `active and preview Services on stable revision ${stable.number} (${stable.image})`, { revision: stable.number });
      await this.retire(failed, (this.blueGreen as NonNullable<Rollout['spec']['strategy']['blueGreen']>).abortScaleDownDelaySeconds);
    }
    this.setPhase('Degraded', `RolloutAborted: Rollout aborted update to revision ${failed.number}: ${reason}`);
  }
}

/** A fieldRef path of the Rollout, as Argo resolves them for analysis args. */
function fieldValue(rollout: Rollout, path: string): string {
  const m = /^metadata\.(name|namespace|labels|annotations)(?:\['([^']+)'\])?$/.exec(path);
  if (!m) throw new Error(`fieldRef "${path}" is not supported: use metadata.name, metadata.namespace, metadata.labels['key'] or metadata.annotations['key']`);
  const field = m[1] as string;
  const key = m[2];
  if (field === 'name') return rollout.metadata.name;
  if (field === 'namespace') return rollout.metadata.namespace ?? 'default';
  const map = field === 'labels' ? rollout.metadata.labels : rollout.metadata.annotations;
  if (key === undefined || map[key] === undefined) throw new Error(`fieldRef "${path}": the Rollout has no such ${field.slice(0, -1)}`);
  return map[key];
}
