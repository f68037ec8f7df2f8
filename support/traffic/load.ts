// Open-model load: requests are started on a fixed schedule (constant arrival
// rate) whether or not earlier ones have answered, so a slow server cannot
// slow the generator down and hide its own latency (coordinated omission).
// Latency is measured from each request's scheduled start. Every request is
// counted: by status, by error, and by the X-App-Version that answered it.
import * as hdr from 'hdr-histogram-js';
import { Agent, request as undiciRequest } from 'undici';

export interface LoadRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** Path and query, starting with "/". */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  /** Base URL, e.g. http://127.0.0.1:5000 */
  target: string;
  ratePerSecond: number;
  durationMs: number;
  /** The i-th request (0-based); default GET /. */
  request?: (i: number) => LoadRequest;
  /** Per-request timeout; a timed-out request counts as an error. */
  timeoutMs?: number;
  /** Upper bound on requests in flight; beyond it the generator reports it could not keep the rate. */
  maxInFlight?: number;
  /** Called about once a second with what has happened so far. */
  onProgress?: (progress: LoadProgress) => void;
  /** Stops scheduling new requests early (in-flight ones still finish). */
  signal?: AbortSignal;
  /** Called for every request once it has an answer or an error: the raw samples behind the summary. */
  onResponse?: (sample: ResponseSample) => void;
  /** Reads every body as text and passes it to onResponse (by default bodies are discarded unread). */
  keepBody?: boolean;
}

export interface ResponseSample {
  /** The request's index in the schedule. */
  index: number;
  request: LoadRequest;
  /** When the request was due (epoch ms): latency counts from here, not from when it was sent. */
  scheduledAt: number;
  latencyMs: number;
  /** 0 when there was no HTTP answer (connection error or timeout). */
  status: number;
  /** X-App-Version of the answer ("unknown" when absent, "" on error). */
  version: string;
  error?: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
}

export interface LoadProgress {
  elapsedMs: number;
  sent: number;
  completed: number;
  failed: number;
  inFlight: number;
  /** Scheduled requests not sent because too many were in flight. */
  skipped: number;
}

export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LoadResult {
  target: string;
  requestedRate: number;
  durationMs: number;
  /** Requests the schedule called for. */
  scheduled: number;
  sent: number;
  /** Requests that got an HTTP response (any status). */
  completed: number;
  /** Responses with status >= 500, plus transport errors and timeouts. */
  failed: number;
  /** Scheduled requests not sent because maxInFlight was reached. */
  skipped: number;
  achievedRate: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  versions: Record<string, number>;
  latency: LatencySummary;
  /** The generator kept the schedule: nothing skipped, and sends at most MAX_SEND_LAG_P99_MS late at p99. */
  keptRate: boolean;
  sendLagP99Ms: number;
}

/**
 * How late (p99) sends may be before the generator counts as not keeping the
 * rate. Latency is measured from the scheduled time, so lateness is never
 * hidden: it shows as latency. This bound catches a generator that cannot keep
 * up, not the short stalls of a 2-core machine that also runs the router and
 * every replica (at 500 req/s, while two replicas started, event-loop stalls
 * of up to 360 ms and a send lag p99 of 264 ms were measured).
 */
export const MAX_SEND_LAG_P99_MS = 500;

export const newHistogram = () =>
  hdr.build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });

export function summarise(h: hdr.Histogram): LatencySummary {
  const ms = (us: number) => Math.round(us) / 1000;
  if (h.totalCount === 0) return { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0 };
  return {
    count: h.totalCount,
    minMs: ms(h.minNonZeroValue),
    meanMs: ms(h.mean),
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p95Ms: ms(h.getValueAtPercentile(95)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    maxMs: ms(h.maxValue),
  };
}

const inc = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

export async function runOpenModelLoad(options: LoadOptions): Promise<LoadResult> {
  const { target, ratePerSecond, durationMs } = options;
  if (!(ratePerSecond > 0) || !(durationMs > 0)) {
    throw new Error(`load needs a rate above 0 and a duration above 0 (got ${ratePerSecond}/s for ${durationMs} ms)`);
  }
  const makeRequest: (i: number) => LoadRequest = options.request ?? (() => ({ path: '/' }));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxInFlight = options.maxInFlight ?? Math.max(100, Math.ceil(ratePerSecond * (timeoutMs / 1000)));
  const scheduled = Math.floor((ratePerSecond * durationMs) / 1000);
  const intervalMs = 1000 / ratePerSecond;
  const agent = new Agent({ connections: Math.min(maxInFlight, 512), keepAliveTimeout: 30_000, pipelining: 1 });
  const latency = newHistogram();
  const lag = newHistogram();
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const versions: Record<string, number> = {};
  let sent = 0;
  let completed = 0;
  let failed = 0;
  let skipped = 0;
  let callbackError: Error | undefined;
  /** Requests in flight. */
  const pending = new Set<Promise<void>>();
  const origin = new URL(target).origin;
  const { onResponse } = options;
  const keepBody = (options.keepBody ?? false) && onResponse !== undefined;
  type Outcome = Omit<ResponseSample, 'index' | 'request' | 'scheduledAt' | 'latencyMs'>;
  const report = (i: number, spec: LoadRequest, scheduledAt: number, outcome: Outcome) => {
    if (onResponse === undefined) return;
    try {
      onResponse({ index: i, request: spec, scheduledAt: performance.timeOrigin + scheduledAt, latencyMs: performance.now() - scheduledAt, ...outcome });
    } catch (err) {
      // A broken callback must not turn an answer into a counted failure: it is rethrown at the end.
      callbackError ??= err as Error;
    }
  };

  const fire = (i: number, scheduledAt: number) => {
    if (pending.size >= maxInFlight) {
      skipped++;
      return;
    }
    const spec = makeRequest(i);
    sent++;
    lag.recordValue(Math.max(1, Math.round((performance.now() - scheduledAt) * 1000)));
    const done = undiciRequest(origin + spec.path, {
      dispatcher: agent,
      method: spec.method ?? 'GET',
      headers: spec.headers,
      body: spec.body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
      .then(async (response) => {
        const body = keepBody ? await response.body.text() : (await response.body.dump(), undefined);
        latency.recordValue(Math.max(1, Math.round((performance.now() - scheduledAt) * 1000)));
        completed++;
        inc(statuses, String(response.statusCode));
        if (response.statusCode >= 500) failed++;
        const header = response.headers['x-app-version'];
        const version = typeof header === 'string' ? header : 'unknown';
        inc(versions, version);
        report(i, spec, scheduledAt, { status: response.statusCode, version, headers: response.headers, ...(body !== undefined ? { body } : {}) });
      })
      .catch((err: Error & { code?: string }) => {
        failed++;
        inc(errors, err.code ?? err.name);
        report(i, spec, scheduledAt, { status: 0, version: '', error: err.code ?? err.name });
      })
      .finally(() => {
        pending.delete(done);
      });
    pending.add(done);
  };

  const start = performance.now();
  let next = 0;
  let lastProgress = start;
  while (next < scheduled && !options.signal?.aborted) {
    const now = performance.now();
    // Fire everything that is due; the schedule, not the responses, sets the pace.
    while (next < scheduled && start + next * intervalMs <= now) {
      fire(next, start + next * intervalMs);
      next++;
    }
    if (options.onProgress && now - lastProgress >= 1000) {
      lastProgress = now;
      options.onProgress({ elapsedMs: now - start, sent, completed, failed, inFlight: pending.size, skipped });
    }
    const wait = start + next * intervalMs - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(wait, 5))));
  }
  const sendingMs = performance.now() - start;
  await Promise.all([...pending]);
  await agent.close();
  if (callbackError) throw callbackError;
  const sendLagP99Ms = Math.round(lag.getValueAtPercentile(99)) / 1000;
  return {
    target,
    requestedRate: ratePerSecond,
    durationMs: Math.round(sendingMs),
    scheduled: next,
    sent,
    completed,
    failed,
    skipped,
    achievedRate: Math.round((sent / (options.signal?.aborted ? sendingMs : Math.max(sendingMs, durationMs))) * 1000 * 10) / 10,
    statuses,
    errors,
    versions,
    latency: summarise(latency),
    keptRate: skipped === 0 && sendLagP99Ms <= MAX_SEND_LAG_P99_MS,
    sendLagP99Ms,
  };
}
