// The steady-state hypothesis of a chaos experiment (Chaos Toolkit's idea):
// thresholds on the scenario's measured traffic that must hold before the
// fault, are checked continuously while it acts, and must hold again after
// it. Each check evaluates the thresholds over the last few seconds of
// requests; a check never spans a fault's start or end, so "after" is
// measured on requests sent after the fault, not diluted by the ones before.
import { evaluateThreshold, type Threshold, type ThresholdVerdict } from '../slo/threshold.ts';
import type { TrafficRecording } from '../traffic/recording.ts';

export type SteadyPhase = 'before' | 'during' | 'after';

export interface SteadyStateCheck {
  at: number;
  phase: SteadyPhase;
  from: number;
  holds: boolean;
  verdicts: ThresholdVerdict[];
}

/** When faults acted: [start, end]; end undefined while still active. Instant faults (pod-kill) have end = start. */
export interface FaultSpan {
  start: number;
  end: number | undefined;
}

export interface SteadyStateOptions {
  /** How much traffic each check looks at (default 2 s). */
  windowMs?: number;
  /** How often it checks (default 500 ms). */
  intervalMs?: number;
  /** A check over less traffic than this is not made (default 500 ms). */
  minWindowMs?: number;
}

export interface Recovery {
  /** When the fault ended (the last fault, for several). */
  faultEndedAt: number;
  /** From the fault's end to the start of the first window that held, with every later check holding; undefined if it has not recovered. */
  recoveredMs: number | undefined;
  brokenChecks: number;
}

export class SteadyStateProbe {
  readonly checks: SteadyStateCheck[] = [];
  private timer: NodeJS.Timeout | undefined;
  readonly windowMs: number;
  readonly intervalMs: number;
  private readonly minWindowMs: number;

  constructor(
    readonly name: string,
    readonly thresholds: Threshold[],
    private readonly recording: TrafficRecording,
    private readonly faults: () => FaultSpan[],
    options: SteadyStateOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 2000;
    this.intervalMs = options.intervalMs ?? 500;
    this.minWindowMs = options.minWindowMs ?? 500;
  }

  /** The phase at a moment and where its window may start (not before the phase began). */
  private phaseAt(t: number): { phase: SteadyPhase; since: number } {
    const spans = this.faults().filter((f) => f.start <= t);
    if (spans.length === 0) return { phase: 'before', since: 0 };
    const active = spans.filter((f) => f.end === undefined || f.end > t);
    if (active.length > 0) return { phase: 'during', since: Math.max(...active.map((f) => f.start)) };
    return { phase: 'after', since: Math.max(...spans.map((f) => f.end as number)) };
  }

  /** Evaluates the thresholds now over the last window of this phase; undefined when the phase is too young to measure. */
  check(now = Date.now()): SteadyStateCheck | undefined {
    const { phase, since } = this.phaseAt(now);
    const from = Math.max(now - this.windowMs, since);
    if (now - from < this.minWindowMs) return undefined;
    const verdicts = this.thresholds.map((t) => evaluateThreshold(t, this.recording, { name: `steady state (${phase})`, from, to: now }));
    const c: SteadyStateCheck = { at: now, phase, from, holds: verdicts.every((v) => v.passed), verdicts };
    this.checks.push(c);
    return c;
  }

  /** Checks every interval until stopped. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** How the service came back after the last fault ended. */
  recovery(): Recovery | undefined {
    const spans = this.faults();
    if (spans.length === 0 || spans.some((f) => f.end === undefined)) return undefined;
    const faultEndedAt = Math.max(...spans.map((f) => f.end as number));
    const after = this.checks.filter((c) => c.phase === 'after' && c.from >= faultEndedAt);
    let firstOfRun: SteadyStateCheck | undefined;
    for (const c of after) firstOfRun = c.holds ? (firstOfRun ?? c) : undefined;
    return { faultEndedAt, recoveredMs: firstOfRun ? firstOfRun.from - faultEndedAt : undefined, brokenChecks: after.filter((c) => !c.holds).length };
  }

  /** The recovery time once it is settled: the latest check holds over a full window of traffic after the fault; undefined until then. */
  settledRecoveryMs(): number | undefined {
    const r = this.recovery();
    const last = this.checks.at(-1);
    return r?.recoveredMs !== undefined && last?.holds === true && last.at - this.windowMs >= r.faultEndedAt ? r.recoveredMs : undefined;
  }

  /** Counts per phase, for the report. */
  summary(): Record<SteadyPhase, { checks: number; held: number }> {
    const out = { before: { checks: 0, held: 0 }, during: { checks: 0, held: 0 }, after: { checks: 0, held: 0 } };
    for (const c of this.checks) {
      out[c.phase].checks++;
      if (c.holds) out[c.phase].held++;
    }
    return out;
  }
}
