// The pods' logs, aggregated by the platform: what an operator checks after a
// deployment, the way from a request's trace id to its log lines, and the
// archive on disk that keeps them under a retention policy.
import { Given, Then } from '@cucumber/cucumber';
import { formatLogEntry, parseLevel } from '../support/logs/aggregate.ts';
import type { LogArchive } from '../support/logs/archive.ts';
import { memoryBytes } from '../support/manifests/quantity.ts';
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

/** How long a pod's line may take to reach the aggregated logs after its answer arrived. */
const LOG_LINE_WAIT_MS = 5000;

/** The trace id the last response named (X-Trace-Id) leads to a line at this level in the rollout's aggregated logs (waiting up to 5 s for it). */
Then('the aggregated logs of rollout {string} have a line at level {string} with the trace id of the last response', async function (this: CutoverWorld, rollout: string, levelText: string) {
  const level = parseLevel(levelText);
  const r = this.lastResponse;
  if (r === undefined) throw new Error('no request was sent in this scenario yet');
  const traceId = String(r.headers['x-trace-id'] ?? '');
  if (!/^[0-9a-f]{32}$/.test(traceId)) throw new Error(`the last response (${r.method} ${r.url}) carries no trace id in X-Trace-Id: "${traceId}"`);
  // The pod writes the line as it answers; its output may reach the platform a moment after the answer reached us.
  const deadline = Date.now() + LOG_LINE_WAIT_MS;
  let lines = this.session.platform.logs({ rollout, traceId });
  while (!lines.some((e) => e.level === level) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    lines = this.session.platform.logs({ rollout, traceId });
  }
  await this.evidence.text(`log lines of trace ${traceId}`, lines.map(formatLogEntry).join('\n'));
  const atLevel = lines.filter((e) => e.level === level);
  await this.evidence.verify(`a ${level} line of trace ${traceId}`, atLevel.length > 0, { expected: `a ${level} line with trace id ${traceId}`, measured: lines.map((e) => `${e.pod}: ${e.level ?? '-'} ${e.message ?? e.line}`) }, () =>
    `no ${level} line with trace id ${traceId} in the logs of ${rollout} within ${LOG_LINE_WAIT_MS / 1000} s (${lines.length} line(s) with that trace id)`,
  );
});

function archiveOf(world: CutoverWorld): LogArchive {
  const archive = world.session.logArchive;
  if (archive === undefined) throw new Error('the pods\' logs are not archived in this scenario: start with "Given the pods\' logs are archived on disk, kept for … and at most …"');
  return archive;
}

/** From now on the pods' lines are also kept on disk under this retention policy, pruned as it runs (a retention is wall-clock time: not scaled); e.g. kept for 3 seconds and at most "10Mi" (a Kubernetes quantity). */
Given("the pods' logs are archived on disk, kept for {duration} and at most {string}", function (this: CutoverWorld, maxAgeMs: number, sizeText: string) {
  const maxBytes = memoryBytes(sizeText);
  if (maxBytes === undefined || maxBytes <= 0) throw new Error(`"${sizeText}" is not a size: expected a quantity such as 100Mi, 512Ki or 1Gi`);
  this.session.archivePodLogs({ maxAgeMs, maxBytes });
});

/**
 * The archive deleted segments for this reason ("age" or "size") while the
 * scenario ran, and, pruned once more, holds at most its size and no line
 * older than its age plus a segment's span (whole segments are deleted).
 */
Then('the log archive was pruned for its {word}, holds at most its size and no line older than its age', async function (this: CutoverWorld, reason: string) {
  if (reason !== 'age' && reason !== 'size') throw new Error(`pruned for its "${reason}": expected age or size`);
  const archive = archiveOf(this);
  const last = archive.prune();
  const removed = { age: archive.prunedTotal.removedByAge, size: archive.prunedTotal.removedBySize };
  const kept = archive.read();
  const oldestAgeMs = kept.length > 0 ? Date.now() - Date.parse((kept[0] as (typeof kept)[number]).at) : 0;
  // A line is stamped as it is read from the pod, a moment before it is appended.
  const ageBoundMs = archive.retention.maxAgeMs + archive.segmentMs + 250;
  const measured = { segmentsRemovedForAge: removed.age, segmentsRemovedForSize: removed.size, keptBytes: last.keptBytes, keptLines: kept.length, oldestLineAgeMs: oldestAgeMs };
  await this.evidence.verify(
    `log archive pruned for its ${reason}, within its policy`,
    removed[reason] > 0 && last.keptBytes <= archive.retention.maxBytes && kept.length > 0 && oldestAgeMs <= ageBoundMs,
    { expected: { prunedFor: reason, maxBytes: archive.retention.maxBytes, oldestLineAgeMs: `≤ ${ageBoundMs}` }, measured },
    () =>
      removed[reason] === 0
        ? `the log archive deleted no segment for its ${reason} (${JSON.stringify(measured)})`
        : kept.length === 0
          ? 'the log archive kept no line at all'
          : `the log archive is outside its policy: ${last.keptBytes} bytes (at most ${archive.retention.maxBytes}), oldest line ${oldestAgeMs} ms old (at most ${ageBoundMs})`,
  );
});

/** The newest line the rollout's pods wrote, as the platform aggregated it, is the archive's newest for the rollout, field for field. */
Then('the newest line the pods of rollout {string} wrote is in the log archive, as written', async function (this: CutoverWorld, rollout: string) {
  const written = this.session.platform.logs({ rollout }).at(-1);
  if (written === undefined) throw new Error(`no pod of rollout ${rollout} wrote a line: nothing to find in the archive`);
  const archived = archiveOf(this).read({ rollout }).at(-1);
  await this.evidence.verify(`the newest line of ${rollout} archived as written`, JSON.stringify(archived) === JSON.stringify(written), { expected: written, measured: archived ?? null }, () =>
    archived === undefined ? `the log archive holds no line of ${rollout}` : `the archive's newest line of ${rollout} is not the newest written:\n  written:  ${formatLogEntry(written)}\n  archived: ${formatLogEntry(archived)}`,
  );
});
