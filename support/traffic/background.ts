// Traffic that runs alongside a scenario: the open-model generator at a
// constant arrival rate, every answer kept in a TrafficRecording. It is
// bounded twice: stopped by the scenario, and never longer than maxDurationMs.
import { MAX_SEND_LAG_P99_MS, runOpenModelLoad, type LoadProgress, type LoadRequest, type LoadResult, type ResponseSample } from './load.ts';
import { TrafficRecording } from './recording.ts';

export interface ResponseCheck {
  /** Statuses that pass; default: 200-399. */
  statuses?: number[];
  /** Text the body must contain. */
  bodyIncludes?: string;
}

export interface TrafficSpec {
  /** What the traffic is called in reports (usually the Service). */
  name: string;
  target: string;
  ratePerSecond: number;
  /** Hard bound; the scenario normally stops the traffic earlier. */
  maxDurationMs: number;
  /** Sent in turn; "{{i}}" in a path or body becomes the request's index. A request's own check wins over `check`. */
  requests?: (LoadRequest & { check?: ResponseCheck })[];
  /** The i-th request, made as it is sent (a workload's mix); instead of `requests`. */
  request?: (i: number) => LoadRequest;
  check?: ResponseCheck;
  timeoutMs?: number;
  /** Sees every answer with its body (e.g. to keep a ledger of acknowledged writes). */
  observe?: (response: ResponseSample) => void;
}

export const fillRequest = (r: LoadRequest, i: number): LoadRequest => ({
  ...r,
  path: r.path.replaceAll('{{i}}', String(i)),
  ...(r.body !== undefined ? { body: r.body.replaceAll('{{i}}', String(i)) } : {}),
});

export function passesCheck(check: ResponseCheck, status: number, body: string | undefined): boolean {
  const statusOk = check.statuses ? check.statuses.includes(status) : status >= 200 && status < 400;
  return statusOk && (check.bodyIncludes === undefined || (body ?? '').includes(check.bodyIncludes));
}

export class TrafficRun {
  readonly recording: TrafficRecording;
  readonly startedAt = Date.now();
  stoppedAt: number | undefined;
  /** What the generator reports once the run has ended. */
  result: LoadResult | undefined;
  progress: LoadProgress = { elapsedMs: 0, sent: 0, completed: 0, failed: 0, inFlight: 0, skipped: 0 };
  readonly finished: Promise<LoadResult>;
  private readonly abort = new AbortController();

  constructor(
    readonly spec: TrafficSpec,
    onProgress?: (run: TrafficRun) => void,
  ) {
    if (!(spec.ratePerSecond > 0)) throw new Error(`traffic to ${spec.name}: the rate must be above 0 requests per second (got ${spec.ratePerSecond})`);
    this.recording = new TrafficRecording(spec.target);
    const requests = spec.requests && spec.requests.length > 0 ? spec.requests : [{ path: '/' }];
    const checkOf = (i: number) => (requests[i % requests.length] as { check?: ResponseCheck }).check ?? spec.check;
    const anyBodyCheck = [spec.check, ...requests.map((r) => (r as { check?: ResponseCheck }).check)].some((c) => c?.bodyIncludes !== undefined);
    this.finished = runOpenModelLoad({
      target: spec.target,
      ratePerSecond: spec.ratePerSecond,
      durationMs: spec.maxDurationMs,
      timeoutMs: spec.timeoutMs ?? 10_000,
      signal: this.abort.signal,
      request: (i) => {
        if (spec.request) return spec.request(i);
        const { check: _check, ...request } = requests[i % requests.length] as LoadRequest & { check?: ResponseCheck };
        return fillRequest(request, i);
      },
      keepBody: anyBodyCheck || spec.observe !== undefined,
      onResponse: (r) => {
        const check = checkOf(r.index);
        this.recording.addResponse(r, check ? passesCheck(check, r.status, r.body) : undefined);
        spec.observe?.(r);
      },
      onProgress: (p) => {
        this.progress = p;
        onProgress?.(this);
      },
    })
      .then((result) => (this.result = result))
      .finally(() => {
        this.stoppedAt ??= Date.now();
      });
    // A run nobody awaits must not become an unhandled rejection; stop() rethrows.
    this.finished.catch(() => undefined);
  }

  get running(): boolean {
    return this.stoppedAt === undefined;
  }

  /** Stops scheduling and waits for the requests in flight. */
  async stop(): Promise<LoadResult> {
    this.stoppedAt ??= Date.now();
    this.abort.abort();
    return this.finished;
  }

  /** Why the generator could not be trusted to have kept the rate, or undefined. */
  rateProblem(result: LoadResult | undefined = this.result): string | undefined {
    const skipped = result?.skipped ?? this.progress.skipped;
    const lag = result?.sendLagP99Ms;
    if (skipped > 0) {
      return `the load generator could not keep ${this.spec.ratePerSecond} requests per second to ${this.spec.name}: ${skipped} scheduled requests were not sent (too many in flight)`;
    }
    if (lag !== undefined && lag > MAX_SEND_LAG_P99_MS) {
      return `the load generator fell behind its schedule for ${this.spec.name}: requests were sent up to ${lag} ms late (p99); the machine is too busy for ${this.spec.ratePerSecond} requests per second`;
    }
    return undefined;
  }
}
