// Pod health aggregated per rollout (the blue-green PRD's health status
// aggregation): how many of its pods are ready, the restarts, and for each pod
// that is not ready what its probe saw last; a rollout is Healthy when every
// pod is ready, Degraded when some are, Down when none is. The platform is as
// healthy as its least healthy rollout.
import type { PodHealth } from './platform.ts';

export type HealthLevel = 'Healthy' | 'Degraded' | 'Down';

export interface RolloutHealth {
  rollout: string;
  level: HealthLevel;
  ready: number;
  total: number;
  restarts: number;
  /** Each pod not ready, with its state and its probe's last result. */
  notReady: { pod: string; revision: number; state: string; lastProbe: string }[];
}

export interface HealthSummary {
  level: HealthLevel;
  rollouts: RolloutHealth[];
}

const RANK: Record<HealthLevel, number> = { Healthy: 0, Degraded: 1, Down: 2 };

export function summarizeHealth(pods: PodHealth[]): HealthSummary {
  const byRollout = new Map<string, PodHealth[]>();
  for (const p of pods) byRollout.set(p.rollout, [...(byRollout.get(p.rollout) ?? []), p]);
  const rollouts = [...byRollout].map(([rollout, list]): RolloutHealth => {
    const ready = list.filter((p) => p.ready).length;
    return {
      rollout,
      level: ready === list.length ? 'Healthy' : ready === 0 ? 'Down' : 'Degraded',
      ready,
      total: list.length,
      restarts: list.reduce((n, p) => n + p.restarts, 0),
      notReady: list
        .filter((p) => !p.ready)
        .map((p) => ({ pod: p.name, revision: p.revision, state: p.state, lastProbe: p.health.last === undefined ? 'not probed yet' : `${p.health.last.ok ? 'ok' : 'failed'}: ${p.health.last.result}` })),
    };
  });
  rollouts.sort((a, b) => RANK[b.level] - RANK[a.level] || a.rollout.localeCompare(b.rollout));
  const level = rollouts.reduce<HealthLevel>((worst, r) => (RANK[r.level] > RANK[worst] ? r.level : worst), 'Healthy');
  return { level, rollouts };
}

/** One line per rollout, for `cutover pods`: "tinyurl  Degraded  3 of 4 ready, 1 restart: tinyurl-2-1 unready (failed: HTTP 503)". */
export function healthLines(summary: HealthSummary): string[] {
  return summary.rollouts.map(
    (r) =>
      `${r.rollout}: ${r.level}, ${r.ready} of ${r.total} pods ready${r.restarts > 0 ? `, ${r.restarts} restart(s)` : ''}${r.notReady.length > 0 ? `: ${r.notReady.map((n) => `${n.pod} ${n.state} (${n.lastProbe})`).join(', ')}` : ''}`,
  );
}
