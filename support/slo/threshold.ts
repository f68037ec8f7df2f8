// k6's threshold syntax, one syntax for the built-in generator and for k6:
//   http_req_duration: p(95)<50          (milliseconds)
//   http_req_duration{version:v2}: avg<=20
//   http_req_failed: rate<0.01
//   http_reqs: count>1000 | rate>=250     (requests per second)
//   checks: rate>0.99
// A threshold is evaluated over the samples of a window and returns what it
// measured, so a verdict always carries its evidence.
import { summariseSamples, type SampleFilter, type TimeWindow, type TrafficRecording, type WindowStats } from '../traffic/recording.ts';

export type Aggregation = { kind: 'p'; percentile: number } | { kind: 'avg' | 'min' | 'max' | 'med' | 'rate' | 'count' };
export type Operator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export interface Threshold {
  /** As written, e.g. "http_req_duration: p(95)<50". */
  source: string;
  metric: Metric;
  filter: SampleFilter;
  aggregation: Aggregation;
  operator: Operator;
  value: number;
}

export type Metric = 'http_req_duration' | 'http_req_failed' | 'http_reqs' | 'checks';

const AGGREGATIONS: Record<Metric, string[]> = {
  http_req_duration: ['avg', 'min', 'max', 'med', 'p(N)'],
  http_req_failed: ['rate'],
  http_reqs: ['count', 'rate'],
  checks: ['rate'],
};

export const THRESHOLD_FORMS = [
  'http_req_duration: p(95)<50   (milliseconds; also avg, min, max, med, p(99.9))',
  'http_req_duration{version:v2}: p(99)<=100   (tags: version, status)',
  'http_req_failed: rate<0.01',
  'http_reqs: count>100   or   http_reqs: rate>=250',
  'checks: rate>0.99',
];

export class ThresholdError extends Error {
  constructor(text: string, why: string) {
    super(`"${text}" is not a threshold: ${why}. Accepted forms:\n  ${THRESHOLD_FORMS.join('\n  ')}`);
    this.name = 'ThresholdError';
  }
}

const THRESHOLD_RE = /^\s*([a-z_]+)(?:\{([^}]*)\})?\s*:\s*([a-z][a-z0-9]*(?:\(\s*[\d.]+\s*\))?)\s*(===|==|!=|<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

export function parseThreshold(text: string): Threshold {
  const m = THRESHOLD_RE.exec(text);
  if (!m) throw new ThresholdError(text, 'expected "<metric>: <aggregation><operator><number>"');
  const [, metricName, tags, aggText, operator, valueText] = m as unknown as [string, string, string | undefined, string, Operator, string];
  if (!(metricName in AGGREGATIONS)) throw new ThresholdError(text, `unknown metric "${metricName}" (known: ${Object.keys(AGGREGATIONS).join(', ')})`);
  const metric = metricName as Metric;
  const p = /^p\(\s*([\d.]+)\s*\)$/.exec(aggText);
  let aggregation: Aggregation;
  if (p) {
    const percentile = Number(p[1]);
    if (!(percentile > 0 && percentile <= 100)) throw new ThresholdError(text, `percentile ${p[1]} is outside (0, 100]`);
    aggregation = { kind: 'p', percentile };
  } else if (['avg', 'min', 'max', 'med', 'rate', 'count'].includes(aggText)) {
    aggregation = { kind: aggText as 'avg' };
  } else {
    throw new ThresholdError(text, `unknown aggregation "${aggText}"`);
  }
  const allowed = AGGREGATIONS[metric];
  const aggName = aggregation.kind === 'p' ? 'p(N)' : aggregation.kind;
  if (!allowed.includes(aggName)) throw new ThresholdError(text, `${metric} takes ${allowed.join(', ')}, not ${aggText}`);
  const filter: SampleFilter = {};
  for (const pair of (tags ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const [key, value] = pair.split(':').map((x) => x.trim());
    if (key === 'version' && value) filter.version = value;
    else if (key === 'status' && value && /^\d{3}$/.test(value)) filter.status = Number(value);
    else throw new ThresholdError(text, `unknown tag filter "${pair}" (known: version:<tag>, status:<code>)`);
  }
  return { source: text.trim(), metric, filter, aggregation, operator, value: Number(valueText) };
}

export interface ThresholdVerdict {
  threshold: string;
  window: { name: string; from: string; to: string; seconds: number };
  /** The value compared, in the metric's unit (ms for durations, 0-1 for rates). */
  measured: number;
  unit: string;
  passed: boolean;
  /** Why a verdict could not be reached (no samples), or undefined. */
  problem?: string;
  stats: Omit<WindowStats, 'window'>;
}

function compare(a: number, op: Operator, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
    case '===':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/** `sorted`: the window's latencies in ascending order. */
function measure(t: Threshold, s: WindowStats, sorted: number[]): { value: number; unit: string } {
  switch (t.metric) {
    case 'http_req_duration': {
      const a = t.aggregation;
      if (a.kind === 'avg') return { value: round(sorted.reduce((x, y) => x + y, 0) / Math.max(1, sorted.length)), unit: 'ms' };
      if (a.kind === 'min') return { value: round(sorted[0] ?? 0), unit: 'ms' };
      if (a.kind === 'max') return { value: round(sorted.at(-1) ?? 0), unit: 'ms' };
      return { value: percentileOf(sorted, a.kind === 'p' ? a.percentile : 50), unit: 'ms' };
    }
    case 'http_req_failed':
      return { value: s.failedRate, unit: 'rate' };
    case 'http_reqs':
      return t.aggregation.kind === 'count' ? { value: s.requests, unit: 'requests' } : { value: s.ratePerSecond, unit: 'requests/s' };
    case 'checks': {
      const n = s.checks.passed + s.checks.failed;
      return { value: n === 0 ? 0 : s.checks.passed / n, unit: 'rate' };
    }
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Exact percentile (nearest rank) over the window's latencies, as k6 reports it. */
function percentileOf(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[rank] as number);
}

/** Evaluates a threshold over the recording's samples inside a window. */
export function evaluateThreshold(t: Threshold, recording: TrafficRecording, window: TimeWindow): ThresholdVerdict {
  const samples = recording.select(window, t.filter);
  const stats = summariseSamples(samples, window);
  const latencies = samples.filter((x) => x.status > 0).map((x) => x.latencyMs).sort((a, b) => a - b);
  const { value, unit } = measure(t, stats, latencies);
  const { window: _w, ...rest } = stats;
  const w = { name: window.name, from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString(), seconds: round((window.to - window.from) / 1000) };
  const noData =
    samples.length === 0
      ? `no requests ${t.filter.version ? `answered by ${t.filter.version} ` : ''}in the window "${window.name}"`
      : t.metric === 'http_req_duration' && latencies.length === 0
        ? 'no request got an answer in the window, so there is no latency to measure'
        : t.metric === 'checks' && stats.checks.passed + stats.checks.failed === 0
          ? 'the traffic has no per-request check'
          : undefined;
  // No samples is never a pass: an SLO over nothing proves nothing.
  if (noData && !(t.metric === 'http_reqs' && t.aggregation.kind === 'count')) {
    return { threshold: t.source, window: w, measured: value, unit, passed: false, problem: noData, stats: rest };
  }
  return { threshold: t.source, window: w, measured: value, unit, passed: compare(value, t.operator, t.value), stats: rest };
}

export function describeVerdict(v: ThresholdVerdict): string {
  const l = v.stats.latency;
  const measured = `${v.measured}${v.unit === 'ms' ? ' ms' : v.unit === 'rate' ? '' : ` ${v.unit}`}`;
  return (
    `${v.passed ? 'met' : 'BREACHED'}: ${v.threshold} ${v.problem ? `(${v.problem})` : `measured ${measured}`} over "${v.window.name}" ` +
    `(${v.window.seconds} s, ${v.stats.requests} requests, ${v.stats.failed} failed, p50 ${l.p50Ms} ms, p95 ${l.p95Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms)`
  );
}
