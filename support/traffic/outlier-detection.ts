// Outlier detection: the router's circuit breaker per backend, as Envoy and
// Istio's DestinationRule `outlierDetection` do it. A backend that fails
// `consecutive5xxErrors` times in a row (5xx answers, refused, reset or timed
// out connections) is ejected: it gets no requests for the ejection time
// (base × how many times in a row it was ejected, at most the maximum). Then
// one trial request is let through (half-open): an answer below 500 closes
// the breaker, a failure ejects it again for longer. At most
// `maxEjectionPercent` of a Service's backends are ejected at once, so a
// Service with one backend never ejects it; when every backend of a group is
// ejected the group gets no traffic, its weight going to the others.
import { z } from 'zod';
import { Duration, parseDuration } from '../manifests/duration.ts';

/** The annotation of a Service that turns outlier detection on, with the policy as a YAML mapping. */
export const OUTLIER_DETECTION_ANNOTATION = 'cutover.dev/outlier-detection';

/** The policy as written (Istio's field names), read into milliseconds. */
export const OutlierDetectionSchema = z
  .object({
    consecutive5xxErrors: z.number({ error: 'expected a whole number of failures in a row, at least 1' }).int('expected a whole number of failures in a row, at least 1').min(1, 'expected a whole number of failures in a row, at least 1').default(5),
    baseEjectionTime: Duration.default('30s'),
    maxEjectionTime: Duration.default('300s'),
    maxEjectionPercent: z.number({ error: 'expected a percentage from 0 to 100' }).min(0, 'expected a percentage from 0 to 100').max(100, 'expected a percentage from 0 to 100').default(50),
  })
  .strict()
  .transform((p) => ({
    consecutiveFailures: p.consecutive5xxErrors,
    baseEjectionMs: parseDuration(p.baseEjectionTime) as number,
    maxEjectionMs: parseDuration(p.maxEjectionTime) as number,
    maxEjectionPercent: p.maxEjectionPercent,
  }));

export type OutlierDetection = z.output<typeof OutlierDetectionSchema>;

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerStats {
  state: BreakerState;
  consecutiveFailures: number;
  /** Times this backend was ejected since it was listed. */
  ejections: number;
  /** Epoch ms when the current ejection ends (open only). */
  ejectedUntil?: number;
}

/** One backend's breaker; the router asks it before picking the backend and tells it how each attempt ended. */
export class CircuitBreaker {
  private failures = 0;
  /** Ejections in a row without a trial that succeeded: the next ejection lasts base × (this + 1). */
  private streak = 0;
  private ejections = 0;
  private until = 0;
  private trialSince: number | undefined;
  private wasOpen = false;

  constructor(
    private policy: OutlierDetection,
    /** A trial that never ends (its answer lost) stops blocking the next one after this long. */
    private readonly trialTimeoutMs: number,
  ) {}

  setPolicy(policy: OutlierDetection): void {
    this.policy = policy;
  }

  state(now = Date.now()): BreakerState {
    if (!this.wasOpen) return 'closed';
    return now < this.until ? 'open' : 'half-open';
  }

  /** Whether a request may go to the backend now: closed, or half-open with no trial in flight. */
  available(now = Date.now()): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return this.trialSince === undefined || now - this.trialSince > this.trialTimeoutMs;
  }

  /** A request is sent to the backend: in half-open it is the trial. */
  sent(now = Date.now()): void {
    if (this.state(now) === 'half-open') this.trialSince = now;
  }

  /** The request sent ended without telling anything of the backend (its client went away): a trial may go again. */
  abandoned(): void {
    this.trialSince = undefined;
  }

  succeeded(): void {
    this.failures = 0;
    if (this.wasOpen && this.trialSince !== undefined) {
      this.wasOpen = false;
      this.streak = 0;
      this.trialSince = undefined;
    }
  }

  /**
   * An attempt failed. Returns true when the backend is ejected by it; `mayEject`
   * says whether the Service's ejection cap leaves room (a trial's failure always re-ejects).
   */
  failed(mayEject: boolean, now = Date.now()): boolean {
    this.failures++;
    const trial = this.wasOpen && this.trialSince !== undefined;
    if (this.state(now) === 'open') return false;
    if (!trial && (this.failures < this.policy.consecutiveFailures || !mayEject)) return false;
    this.until = now + Math.min(this.policy.baseEjectionMs * (this.streak + 1), this.policy.maxEjectionMs);
    this.streak++;
    this.ejections++;
    this.wasOpen = true;
    this.trialSince = undefined;
    return true;
  }

  stats(now = Date.now()): BreakerStats {
    const state = this.state(now);
    return { state, consecutiveFailures: this.failures, ejections: this.ejections, ...(state === 'open' ? { ejectedUntil: this.until } : {}) };
  }
}

/** How many of `backends` may be ejected at once under the policy. */
export const ejectionCap = (policy: OutlierDetection, backends: number) => Math.floor((policy.maxEjectionPercent / 100) * backends + 1e-9);
