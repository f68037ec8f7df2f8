// An AnalysisRun: the metrics of one or more templates, with args filled in,
// measured on their interval after their initial delay, judged by their
// conditions and limits (assess.ts), until each is complete or the run is
// terminated. Every measurement is kept for evidence.
import { DURATION_FORMS, parseDuration } from '../manifests/duration.ts';
import { assessMetric, assessRun, compileConditions, isComplete, judgeMeasurement, type Conditions, type Measurement, type MeasurementPhase, type MetricPhase, type RunPhase } from './assess.ts';
import type { AnalysisTemplate, MetricSpec } from './model.ts';

/** What one measurement produced: a value to judge, or (for jobs) a phase of its own. */
export interface ProviderResult {
  value?: unknown;
  phase?: MeasurementPhase;
  message?: string;
}

/** Takes one measurement of a metric; throwing makes it an Error measurement. */
export type MetricProvider = (metric: MetricSpec, signal: AbortSignal) => Promise<ProviderResult>;

export type ProviderSet = Partial<Record<'web' | 'prometheus' | 'job', MetricProvider>>;

export interface MetricRecord {
  name: string;
  provider: string;
  dryRun: boolean;
  phase: MetricPhase;
  message?: string;
  measurements: Measurement[];
  /** The metric as measured, args filled in. */
  spec: MetricSpec;
}

export interface AnalysisRunSnapshot {
  name: string;
  phase: RunPhase;
  message?: string;
  startedAt: string;
  finishedAt?: string;
  args: { name: string; value: string }[];
  metrics: MetricRecord[];
}

const ARG = /\{\{\s*args\.([\w.-]+)\s*\}\}/g;

/** Fills `{{args.name}}` in every string of a value; an arg without a value is an error naming it. */
export function substituteArgs<T>(value: T, args: Map<string, string>): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(ARG, (_, name: string) => {
        const found = args.get(name);
        if (found === undefined) throw new Error(`{{args.${name}}} has no value: the template declares no such arg, or nothing gave it a value`);
        return found;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** The args of the templates (with their defaults) overridden by the ones the rollout gives. */
export function resolveArgs(templates: AnalysisTemplate[], given: { name: string; value: string }[]): Map<string, string> {
  const args = new Map<string, string>();
  const declared = new Set<string>();
  for (const t of templates) {
    for (const a of t.spec.args) {
      declared.add(a.name);
      if (a.value !== undefined) args.set(a.name, a.value);
    }
  }
  for (const g of given) args.set(g.name, g.value);
  const missing = [...declared].filter((n) => !args.has(n));
  if (missing.length > 0) throw new Error(`analysis args without a value: ${missing.join(', ')} (give them in the Rollout's analysis args)`);
  return args;
}

const toInt = (v: number | string | undefined, field: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) throw new Error(`${field}: expected an integer, got "${v}"`);
  return n;
};

const durationMs = (v: string | number | undefined, field: string): number | undefined => {
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  if (ms === undefined) throw new Error(`${field}: expected ${DURATION_FORMS}, got "${v}"`);
  return ms;
};

export interface AnalysisRunOptions {
  name: string;
  templates: AnalysisTemplate[];
  /** Templates asked for but not applied: the run is an Error naming them. */
  missing?: string[];
  args: { name: string; value: string }[];
  providers: ProviderSet;
  /** Multiplies interval and initialDelay. */
  timeScale?: number;
  onChange?: (run: AnalysisRun) => void;
}

interface MetricState {
  record: MetricRecord;
  conditions: Conditions;
  limits: { count?: number; failureLimit: number; inconclusiveLimit: number; consecutiveErrorLimit: number; hasInterval: boolean };
  intervalMs?: number;
  initialDelayMs: number;
  provider: MetricProvider;
}

export class AnalysisRun {
  readonly name: string;
  readonly startedAt = new Date().toISOString();
  finishedAt: string | undefined;
  phase: RunPhase = 'Pending';
  message: string | undefined;
  readonly done: Promise<RunPhase>;
  private readonly metrics: MetricState[] = [];
  private readonly args: { name: string; value: string }[];
  private readonly controller = new AbortController();
  private resolveDone!: (p: RunPhase) => void;
  private stopped = false;

  constructor(private readonly options: AnalysisRunOptions) {
    this.name = options.name;
    this.args = options.args;
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
    try {
      this.prepare();
    } catch (err) {
      this.finish('Error', (err as Error).message);
      return;
    }
    this.phase = 'Running';
    for (const m of this.metrics) void this.runMetric(m);
  }

  private prepare(): void {
    const { templates, providers, missing = [] } = this.options;
    if (missing.length > 0) throw new Error(`not applied: ${missing.join(', ')}`);
    const scale = this.options.timeScale ?? 1;
    const args = resolveArgs(templates, this.args);
    const dryRun = new Set(templates.flatMap((t) => t.spec.dryRun.map((d) => d.metricName)));
    const seen = new Set<string>();
    for (const template of templates) {
      for (const raw of template.spec.metrics) {
        if (seen.has(raw.name)) throw new Error(`metric "${raw.name}" appears in more than one template`);
        seen.add(raw.name);
        const spec = substituteArgs(raw, args);
        const where = `template ${template.metadata.name}, metric ${spec.name}`;
        const kind = (['web', 'prometheus', 'job'] as const).find((k) => spec.provider[k] !== undefined) as 'web' | 'prometheus' | 'job';
        const provider = providers[kind];
        if (provider === undefined) throw new Error(`${where}: no ${kind} provider on this platform`);
        const intervalMs = durationMs(spec.interval, `${where} interval`);
        const count = toInt(spec.count, `${where} count`);
        if (count !== undefined && count > 1 && intervalMs === undefined) throw new Error(`${where}: count ${count} needs an interval between measurements`);
        this.metrics.push({
          record: { name: spec.name, provider: kind, dryRun: dryRun.has(spec.name) || dryRun.has('*'), phase: 'Pending', measurements: [], spec },
          conditions: compileConditions(spec),
          limits: {
            count,
            failureLimit: toInt(spec.failureLimit, `${where} failureLimit`) as number,
            inconclusiveLimit: toInt(spec.inconclusiveLimit, `${where} inconclusiveLimit`) as number,
            consecutiveErrorLimit: toInt(spec.consecutiveErrorLimit, `${where} consecutiveErrorLimit`) as number,
            hasInterval: intervalMs !== undefined,
          },
          intervalMs: intervalMs === undefined ? undefined : intervalMs * scale,
          initialDelayMs: (durationMs(spec.initialDelay, `${where} initialDelay`) ?? 0) * scale,
          provider,
        });
      }
    }
  }

  /** Waits, or less when the run stops; the abort listener goes with the wait (a run that measures long would otherwise pile them up). */
  private sleep(ms: number): Promise<void> {
    const signal = this.controller.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async runMetric(m: MetricState): Promise<void> {
    if (m.initialDelayMs > 0) await this.sleep(m.initialDelayMs);
    while (!this.stopped) {
      const startedAt = new Date().toISOString();
      let measurement: Measurement;
      try {
        const result = await m.provider(m.record.spec, this.controller.signal);
        if (this.stopped) break;
        const judged = result.phase ? { phase: result.phase, message: result.message } : judgeMeasurement(m.conditions, result.value);
        measurement = { phase: judged.phase, value: result.value, ...(judged.message ?? result.message ? { message: judged.message ?? result.message } : {}), startedAt, finishedAt: new Date().toISOString() };
      } catch (err) {
        if (this.stopped) break;
        measurement = { phase: 'Error', message: (err as Error).message, startedAt, finishedAt: new Date().toISOString() };
      }
      m.record.measurements.push(measurement);
      const assessed = assessMetric(m.record.measurements, m.limits);
      m.record.phase = assessed.phase;
      m.record.message = assessed.message;
      this.update();
      if (isComplete(assessed.phase) || this.stopped) break;
      await this.sleep(m.intervalMs ?? 0);
    }
  }

  /** Re-assesses the run; a decided run stops its other metrics (Argo terminates them). */
  private update(): void {
    if (this.finishedAt) return;
    const phase = assessRun(this.metrics.map((m) => ({ name: m.record.name, phase: m.record.phase, dryRun: m.record.dryRun })));
    // Dry-run metrics do not decide the phase, but they still run to their end.
    const allDone = this.metrics.every((m) => isComplete(m.record.phase));
    if (phase === 'Failed' || phase === 'Error' || (isComplete(phase) && allDone)) {
      const deciding = this.metrics.find((m) => m.record.phase === phase && !m.record.dryRun);
      this.finish(phase, deciding ? `metric "${deciding.record.name}" ${phase}${deciding.record.message ? `: ${deciding.record.message}` : ''}` : undefined);
    } else {
      this.phase = 'Running';
      this.options.onChange?.(this);
    }
  }

  private finish(phase: RunPhase, message?: string): void {
    if (this.finishedAt) return;
    this.stopped = true;
    this.controller.abort();
    this.phase = phase;
    this.message = message;
    this.finishedAt = new Date().toISOString();
    this.options.onChange?.(this);
    this.resolveDone(phase);
  }

  /** Stops measuring; metrics that breached no limit are Successful (Argo's terminate). */
  terminate(): void {
    if (this.finishedAt) return;
    for (const m of this.metrics) {
      if (isComplete(m.record.phase)) continue;
      const assessed = assessMetric(m.record.measurements, m.limits, true);
      m.record.phase = assessed.phase;
      m.record.message = assessed.message ?? 'terminated';
    }
    const phase = assessRun(this.metrics.map((m) => ({ name: m.record.name, phase: m.record.phase, dryRun: m.record.dryRun })));
    this.finish(isComplete(phase) ? phase : 'Successful', 'terminated');
  }

  snapshot(): AnalysisRunSnapshot {
    return {
      name: this.name,
      phase: this.phase,
      ...(this.message ? { message: this.message } : {}),
      startedAt: this.startedAt,
      ...(this.finishedAt ? { finishedAt: this.finishedAt } : {}),
      args: this.args,
      metrics: this.metrics.map((m) => structuredClone(m.record)),
    };
  }
}
