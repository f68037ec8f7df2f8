// Text views of the platform for people: the live status of `cutover up` and
// the output of `cutover rollout status`.
import type { PodHealth } from '../platform/local/platform.ts';
import type { RolloutStatus } from '../rollout/controller.ts';
import type { RouterStats } from '../traffic/router.ts';
import type { PlatformView } from './control.ts';

const ICON: Record<RolloutStatus['phase'], string> = { Healthy: '✔', Progressing: '◌', Paused: '॥', Degraded: '✖' };

export function rolloutLines(s: RolloutStatus): string[] {
  const lines = [`${ICON[s.phase]} rollout ${s.name}  ${s.phase}${s.message ? ` — ${s.message}` : ''}`];
  if (s.strategy === 'canary') {
    lines.push(`  strategy  canary, step ${s.currentStepIndex}/${s.stepCount}, canary weight ${s.canaryWeight ?? 0}%`);
  } else {
    lines.push(`  strategy  blue-green, active ${s.activeSelector ?? '-'}, preview ${s.previewSelector ?? '-'}`);
  }
  lines.push(`  images    stable ${s.stableImage}${s.currentImage !== s.stableImage ? `, updating to ${s.currentImage} (revision ${s.revision})` : ''}`);
  for (const rs of s.replicaSets) lines.push(`  revision ${rs.revision} ${rs.hash}  ${rs.role.padEnd(7)} ${rs.replicas} replica(s)  ${rs.image}`);
  if (s.pauseConditions.length) lines.push(`  paused    ${s.pauseConditions.map((p) => `${p.reason} since ${p.startTime}`).join(', ')}`);
  for (const r of s.analysisRuns.slice(-4)) lines.push(`  analysis  ${r.kind.padEnd(13)} ${r.phase.padEnd(12)} ${r.name}${r.message ? ` — ${r.message}` : ''}`);
  return lines;
}

/** Requests per version and status class through a Service's router. */
export function trafficLine(stats: RouterStats, previous?: RouterStats, elapsedS?: number): string {
  const byVersion = new Map<string, { requests: number; errors: number }>();
  for (const b of stats.backends) {
    const v = byVersion.get(b.version) ?? { requests: 0, errors: 0 };
    v.requests += b.requests;
    v.errors += b.byClass['5xx'] + b.byClass.error;
    byVersion.set(b.version, v);
  }
  const total = [...byVersion.values()].reduce((n, v) => n + v.requests, 0);
  const before = previous ? previous.backends.reduce((n, b) => n + b.requests, 0) : undefined;
  const rate = before !== undefined && elapsedS ? ` ${((total - before) / elapsedS).toFixed(0)} req/s` : '';
  const parts = [...byVersion].map(([v, c]) => `${v}: ${c.requests}${c.errors ? ` (${c.errors} failed)` : ''}`);
  return `  ${stats.service.padEnd(24)} ${stats.url.padEnd(24)} ${parts.join(', ') || 'no requests yet'}${rate}`;
}

export function platformLines(view: PlatformView, previous?: PlatformView, elapsedS?: number): string[] {
  const lines = [`cutover local platform — time scale ${view.timeScale}${view.prometheus ? `, Prometheus ${view.prometheus}` : ''}`, ''];
  for (const r of view.rollouts) lines.push(...rolloutLines(r), '');
  lines.push('services (requests per version since start):');
  for (const stats of view.routers) lines.push(trafficLine(stats, previous?.routers.find((p) => p.service === stats.service), elapsedS));
  return lines;
}

/** `cutover pods`: one line per pod, with what its readiness probe saw last. */
export function podLines(pods: PodHealth[], now = Date.now()): string[] {
  if (pods.length === 0) return ['no pods'];
  const rows = pods.map((p) => {
    const h = p.health;
    const last = h.last === undefined ? 'not probed yet' : `${h.last.ok ? 'ok' : 'FAILED'} ${h.last.result} in ${h.last.ms} ms, ${Math.max(0, Math.round((now - Date.parse(h.last.at)) / 1000))} s ago`;
    const streak = h.consecutiveFailures > 0 ? `, ${h.consecutiveFailures} failed in a row` : '';
    return [p.name, p.rollout, String(p.revision), p.role, p.state, String(p.restarts), `${h.probes - h.failed}/${h.probes}`, `${last}${streak}`];
  });
  const header = ['POD', 'ROLLOUT', 'REV', 'ROLE', 'STATE', 'RESTARTS', 'PROBES OK', 'LAST PROBE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
  return [line(header), ...rows.map(line)];
}
