// The watch after a deployment (the engineering guide's "monitor for 30
// minutes"): for the whole period, at each interval, the rollout is still
// Healthy at the image it was released at, no pod has restarted, become
// unready or gone, no alert fires, and the traffic over the last window meets
// the thresholds. It ends at the first breach, saying when into the watch it
// came and what it was; nothing is averaged away over the period.
import type { ThresholdVerdict } from '../slo/threshold.ts';
import { describeVerdict } from '../slo/threshold.ts';
import type { RolloutStatus } from './controller.ts';

export interface WatchSources {
  status: () => RolloutStatus;
  pods: () => { name: string; restarts: number; ready: boolean }[];
  /** Names of the alerts firing now, where something watches alerts. */
  firingAlerts?: () => Promise<string[]>;
  /** The thresholds evaluated over the traffic sent in [from, to]. */
  traffic: (from: number, to: number) => ThresholdVerdict[];
}

export interface WatchOptions {
  durationMs: number;
  /** How often it checks; default a 60th of the period, at least 1 s. */
  intervalMs?: number;
  /** How much traffic each check looks at (from the watch's start at first); default the interval, at least 30 s. */
  windowMs?: number;
  log?: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface WatchCheck {
  at: number;
  problems: string[];
}

export interface WatchResult {
  image: string;
  startedAt: number;
  durationMs: number;
  intervalMs: number;
  checks: WatchCheck[];
  /** The first check that found something wrong. */
  breach?: { afterMs: number; problems: string[] };
}

/** Watches until the period is over or something breaks. */
export async function watchAfterDeployment(sources: WatchSources, options: WatchOptions): Promise<WatchResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const intervalMs = options.intervalMs ?? Math.max(1000, Math.round(options.durationMs / 60));
  const windowMs = options.windowMs ?? Math.max(30_000, intervalMs);
  const first = sources.status();
  if (first.phase !== 'Healthy') throw new Error(`the watch starts after a deployment, but the rollout is ${first.phase}${first.message ? `: ${first.message}` : ''}`);
  const image = first.stableImage ?? first.currentImage;
  const baseline = new Map(sources.pods().map((p) => [p.name, p.restarts]));
  const startedAt = now();
  const result: WatchResult = { image, startedAt, durationMs: options.durationMs, intervalMs, checks: [] };
  let nextReport = startedAt + options.durationMs / 10;
  for (;;) {
    await sleep(Math.min(intervalMs, Math.max(0, startedAt + options.durationMs - now())));
    const at = now();
    const problems: string[] = [];
    const status = sources.status();
    if (status.phase !== 'Healthy') problems.push(`the rollout is ${status.phase}${status.message ? `: ${status.message}` : ''}`);
    const stable = status.stableImage ?? status.currentImage;
    if (stable !== image) problems.push(`the stable image is ${stable}, where ${image} was released`);
    const pods = sources.pods();
    for (const p of pods) {
      const before = baseline.get(p.name);
      if (before === undefined) problems.push(`pod ${p.name} appeared: one it replaces went away`);
      else if (p.restarts > before) problems.push(`pod ${p.name} restarted (${p.restarts - before} time(s))`);
      if (!p.ready) problems.push(`pod ${p.name} is not ready`);
    }
    for (const name of baseline.keys()) if (!pods.some((p) => p.name === name)) problems.push(`pod ${name} is gone`);
    for (const alert of (await sources.firingAlerts?.()) ?? []) problems.push(`alert ${alert} is firing`);
    for (const v of sources.traffic(Math.max(startedAt, at - windowMs), at)) if (!v.passed) problems.push(describeVerdict(v));
    result.checks.push({ at, problems });
    if (problems.length > 0) {
      result.breach = { afterMs: at - startedAt, problems };
      options.log?.(`watch: broken ${Math.round((at - startedAt) / 1000)} s into the watch: ${problems.join('; ')}`);
      return result;
    }
    if (at - startedAt >= options.durationMs) {
      options.log?.(`watch: ${result.checks.length} checks over ${Math.round(options.durationMs / 1000)} s, all held`);
      return result;
    }
    if (at >= nextReport) {
      options.log?.(`watch: ${Math.round((at - startedAt) / 1000)} of ${Math.round(options.durationMs / 1000)} s, ${result.checks.length} checks held`);
      nextReport += options.durationMs / 10;
    }
  }
}
