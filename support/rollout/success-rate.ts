// Deployment success rate: a rollout updated again and again, each update
// given a bounded time to become Healthy at its new image. An update that
// ends Degraded (aborted) or runs out of time is a failed deployment; one
// that runs out of time also ends the series, since the rollout is left
// mid-update and what follows would measure that, not a deployment.
import type { RolloutHandle } from '../platform/platform.ts';

export interface DeploymentAttempt {
  n: number;
  from: string;
  to: string;
  outcome: 'Healthy' | 'Degraded' | 'timed out';
  ms: number;
  /** Why it did not become Healthy. */
  message?: string;
}

export interface DeploymentSeries {
  rollout: string;
  requested: number;
  attempts: DeploymentAttempt[];
  succeeded: number;
  /** succeeded / requested: attempts never made (the series ended early) count as failed. */
  successRate: number;
  /** Why the series ended before `requested`, if it did. */
  stoppedEarly?: string;
}

export interface SeriesOptions {
  /** Images set in turn, starting with the first one that is not the stable image. */
  images: string[];
  count: number;
  /** How long one update may take to become Healthy or Degraded. */
  boundMs: number;
  onAttempt?: (a: DeploymentAttempt, done: number) => void;
}

export async function deployRepeatedly(rollout: RolloutHandle, options: SeriesOptions): Promise<DeploymentSeries> {
  if (options.images.length < 2) throw new Error(`repeated deployments of ${rollout.name} need at least two images to alternate between (got ${options.images.join(', ') || 'none'})`);
  if (!(options.count >= 1)) throw new Error(`repeated deployments of ${rollout.name}: the count must be at least 1 (got ${options.count})`);
  const attempts: DeploymentAttempt[] = [];
  let stoppedEarly: string | undefined;
  const first = Math.max(0, options.images.indexOf(rollout.status().stableImage) + 1);
  for (let n = 1; n <= options.count; n++) {
    const from = rollout.status().stableImage;
    const to = options.images[(first + n - 1) % options.images.length] as string;
    const started = performance.now();
    // abortedAt may be written to the second (a cluster's): an abort of this update is at most a second before now.
    const since = Date.now() - 1000;
    let attempt: DeploymentAttempt;
    await rollout.setImage(to);
    try {
      // Degraded only counts for an abort of this update: a status read before the controller took the new image may still show the last one's.
      const abortedNow = (st: { currentImage: string; abortedAt?: string }) => st.currentImage === to && st.abortedAt !== undefined && Date.parse(st.abortedAt) >= since;
      const s = await rollout.waitFor((st) => (st.phase === 'Healthy' && st.stableImage === to) || (st.phase === 'Degraded' && abortedNow(st)), options.boundMs, `Healthy at ${to}, or Degraded`);
      attempt = { n, from, to, outcome: s.phase === 'Healthy' ? 'Healthy' : 'Degraded', ms: Math.round(performance.now() - started), ...(s.phase === 'Degraded' ? { message: s.message || 'aborted' } : {}) };
    } catch (err) {
      attempt = { n, from, to, outcome: 'timed out', ms: Math.round(performance.now() - started), message: (err as Error).message };
      stoppedEarly = `update ${n} (${from} → ${to}) was neither Healthy nor Degraded within ${options.boundMs} ms: the series stopped there`;
    }
    attempts.push(attempt);
    options.onAttempt?.(attempt, n);
    if (stoppedEarly) break;
  }
  const succeeded = attempts.filter((a) => a.outcome === 'Healthy').length;
  return { rollout: rollout.name, requested: options.count, attempts, succeeded, successRate: succeeded / options.count, ...(stoppedEarly ? { stoppedEarly } : {}) };
}
