// Every request of a traffic run, kept so that any window of the scenario
// ("during the rollout", "after the abort") can be summarised after the fact,
// and charted per second. Failure follows k6's http_req_failed: no answer, or
// a status outside 200-399.
import { newHistogram, summarise, type LatencySummary, type ResponseSample } from './load.ts';

export interface TrafficSample {
  /** When the request was due (epoch ms). */
  at: number;
  latencyMs: number;
  /** 0: no HTTP answer. */
  status: number;
  version: string;
  error?: string;
  /** Outcome of the per-request check, when the traffic has one. */
  check?: boolean;
}

export interface TimeWindow {
  name: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

export interface SampleFilter {
  version?: string;
  status?: number;
}

export interface WindowStats {
  window: TimeWindow;
  requests: number;
  failed: number;
  failedRate: number;
  /** Requests per second over the window. */
  ratePerSecond: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  versions: Record<string, number>;
  /** Share (0-1) of answered requests per version. */
  versionShare: Record<string, number>;
  latency: LatencySummary;
  checks: { passed: number; failed: number };
}

export interface SeriesPoint {
  /** Start of the bucket (epoch ms). */
  t: number;
  requests: number;
  failed: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  versions: Record<string, number>;
}

export const isFailed = (s: Pick<TrafficSample, 'status'>) => s.status < 200 || s.status >= 400;

const inc = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

export class TrafficRecording {
  readonly samples: TrafficSample[] = [];

  constructor(readonly target: string) {}

  add(sample: TrafficSample): void {
    this.samples.push(sample);
  }

  addResponse(r: ResponseSample, check?: boolean): void {
    this.add({ at: r.scheduledAt, latencyMs: r.latencyMs, status: r.status, version: r.version, ...(r.error ? { error: r.error } : {}), ...(check !== undefined ? { check } : {}) });
  }

  /** Samples due inside the window (answers may have come later). */
  select(window: TimeWindow, filter: SampleFilter = {}): TrafficSample[] {
    return this.samples.filter(
      (s) => s.at >= window.from && s.at < window.to && (filter.version === undefined || s.version === filter.version) && (filter.status === undefined || s.status === filter.status),
    );
  }

  stats(window: TimeWindow, filter: SampleFilter = {}): WindowStats {
    return summariseSamples(this.select(window, filter), window);
  }

  /** Per-bucket counts and percentiles, for charts. */
  series(window: TimeWindow, bucketMs = 1000): SeriesPoint[] {
    const points: SeriesPoint[] = [];
    const selected = this.select(window).sort((a, b) => a.at - b.at);
    let i = 0;
    for (let t = window.from; t < window.to; t += bucketMs) {
      const h = newHistogram();
      const point: SeriesPoint = { t, requests: 0, failed: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, versions: {} };
      while (i < selected.length && (selected[i] as TrafficSample).at < t + bucketMs) {
        const s = selected[i] as TrafficSample;
        point.requests++;
        if (isFailed(s)) point.failed++;
        if (s.status > 0) {
          h.recordValue(Math.max(1, Math.round(s.latencyMs * 1000)));
          inc(point.versions, s.version);
        }
        i++;
      }
      const l = summarise(h);
      point.p50Ms = l.p50Ms;
      point.p95Ms = l.p95Ms;
      point.p99Ms = l.p99Ms;
      points.push(point);
    }
    return points;
  }
}

export function summariseSamples(samples: TrafficSample[], window: TimeWindow): WindowStats {
  const h = newHistogram();
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const versions: Record<string, number> = {};
  const checks = { passed: 0, failed: 0 };
  let failed = 0;
  for (const s of samples) {
    if (isFailed(s)) failed++;
    if (s.status > 0) {
      inc(statuses, String(s.status));
      inc(versions, s.version);
      h.recordValue(Math.max(1, Math.round(s.latencyMs * 1000)));
    } else {
      inc(errors, s.error ?? 'error');
    }
    if (s.check === true) checks.passed++;
    if (s.check === false) checks.failed++;
  }
  const answered = Object.values(versions).reduce((a, b) => a + b, 0);
  const versionShare = Object.fromEntries(Object.entries(versions).map(([v, n]) => [v, n / answered]));
  const seconds = Math.max(0.001, (window.to - window.from) / 1000);
  return {
    window,
    requests: samples.length,
    failed,
    failedRate: samples.length === 0 ? 0 : failed / samples.length,
    ratePerSecond: Math.round((samples.length / seconds) * 10) / 10,
    statuses,
    errors,
    versions,
    versionShare,
    latency: summarise(h),
    checks,
  };
}
