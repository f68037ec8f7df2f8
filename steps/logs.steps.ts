// The pods' logs, aggregated by the platform: what an operator checks after a
// deployment, and the way from a request's trace id to its log lines.
import { Then } from '@cucumber/cucumber';
import { formatLogEntry, parseLevel } from '../support/logs/aggregate.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** No structured line of any pod of the rollout (stopped pods too) is at this level or above, e.g. "error"; the lines found are attached. */
Then('no pod of rollout {string} logged at level {string} or above', async function (this: CutoverWorld, rollout: string, levelText: string) {
  const level = parseLevel(levelText);
  const all = this.session.platform.logs({ rollout });
  const found = this.session.platform.logs({ rollout, minLevel: level });
  if (found.length > 0) await this.evidence.text(`${rollout}: lines at ${level} or above`, found.map(formatLogEntry).join('\n'));
  await this.evidence.verify(`no ${level} in the logs of ${rollout}`, found.length === 0 && all.length > 0, { expected: `0 lines at ${level} or above`, measured: { lines: all.length, atLevelOrAbove: found.length } }, () =>
    all.length === 0 ? `no log line of rollout ${rollout} was collected: nothing to check` : `${found.length} line(s) at ${level} or above in the logs of ${rollout}, e.g. ${formatLogEntry(found[0] as (typeof found)[number])}`,
  );
});

/** Lines from at least this many different pods of the rollout are in the aggregated logs. */
Then('the aggregated logs of rollout {string} hold lines from at least {int} pods', async function (this: CutoverWorld, rollout: string, pods: number) {
  const entries = this.session.platform.logs({ rollout });
  const byPod = new Map<string, number>();
  for (const e of entries) byPod.set(`${e.pod} (${e.image})`, (byPod.get(`${e.pod} (${e.image})`) ?? 0) + 1);
  await this.evidence.text(`aggregated logs of ${rollout}`, entries.map(formatLogEntry).join('\n'));
  await this.evidence.verify(`logs of ${pods}+ pods of ${rollout}`, byPod.size >= pods, { expected: `≥ ${pods} pods`, measured: Object.fromEntries(byPod) }, () => `the aggregated logs of ${rollout} hold lines from ${byPod.size} pod(s), expected at least ${pods}: ${[...byPod.keys()].join(', ') || 'none'}`);
});

/** The trace id the last response named (X-Trace-Id) leads to a line at this level in the rollout's aggregated logs. */
Then('the aggregated logs of rollout {string} have a line at level {string} with the trace id of the last response', async function (this: CutoverWorld, rollout: string, levelText: string) {
  const level = parseLevel(levelText);
  const r = this.lastResponse;
  if (r === undefined) throw new Error('no request was sent in this scenario yet');
  const traceId = String(r.headers['x-trace-id'] ?? '');
  if (!/^[0-9a-f]{32}$/.test(traceId)) throw new Error(`the last response (${r.method} ${r.url}) carries no trace id in X-Trace-Id: "${traceId}"`);
  const lines = this.session.platform.logs({ rollout, traceId });
  await this.evidence.text(`log lines of trace ${traceId}`, lines.map(formatLogEntry).join('\n'));
  const atLevel = lines.filter((e) => e.level === level);
  await this.evidence.verify(`a ${level} line of trace ${traceId}`, atLevel.length > 0, { expected: `a ${level} line with trace id ${traceId}`, measured: lines.map((e) => `${e.pod}: ${e.level ?? '-'} ${e.message ?? e.line}`) }, () =>
    `no ${level} line with trace id ${traceId} in the logs of ${rollout} (${lines.length} line(s) with that trace id)`,
  );
});
