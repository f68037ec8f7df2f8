// The pods' logs kept on disk under a retention policy, as a log store (or
// the kubelet's rotation) keeps them on a cluster: every line, labelled as the
// aggregator labels it, appended as JSON to a segment file per rollout
// (<dir>/<rollout>/<start ms>.jsonl); a segment is closed when it reaches its
// size or age and a new one begun. Pruning deletes whole segments: those whose
// last line is older than the policy's age, then the oldest while the folder
// is over its size, at each round and whenever a segment is full. What is
// kept is read back by rollout, time and level.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DURATION_FORMS, parseDuration } from '../manifests/duration.ts';
import { memoryBytes } from '../manifests/quantity.ts';
import { LOG_LEVELS, type LogEntry, type LogQuery } from './aggregate.ts';

export interface LogRetention {
  /** A segment whose last line is older than this is deleted. */
  maxAgeMs: number;
  /** The oldest segments are deleted while the archive is bigger than this. */
  maxBytes: number;
}

/** The policy as cutover.config.yaml writes it (logs.retention); sizes are Kubernetes quantities, as the kubelet's containerLogMaxSize. */
export const LogRetentionSchema = z
  .object({
    maxAge: z.string().refine((s) => (parseDuration(s) ?? 0) > 0, { message: `expected a duration such as 168h or 30m (${DURATION_FORMS})` }),
    maxSize: z.string().refine((s) => (memoryBytes(s) ?? 0) > 0, { message: 'expected a size such as 100Mi, 512Ki or 1Gi' }),
  })
  .strict()
  .transform((r): LogRetention => ({ maxAgeMs: parseDuration(r.maxAge) as number, maxBytes: memoryBytes(r.maxSize) as number }));

/** A week, or 100 MiB, whichever is reached first. */
export const DEFAULT_RETENTION: LogRetention = { maxAgeMs: 7 * 24 * 3600_000, maxBytes: 100 * 1024 ** 2 };

interface Segment {
  file: string;
  rollout: string;
  startedMs: number;
  bytes: number;
  /** When its last line was written: the file's mtime. */
  lastWriteMs: number;
}

export interface PruneResult {
  removedSegments: number;
  removedBytes: number;
  /** Of those, deleted for their age, and for the archive's size. */
  removedByAge: number;
  removedBySize: number;
  keptSegments: number;
  keptBytes: number;
}

/** A rollout name as a folder name: pods of no rollout go to "_". */
const folderOf = (rollout: string) => (rollout === '' ? '_' : rollout.replace(/[^A-Za-z0-9._-]/g, '_'));

export class LogArchive {
  /** The open segment of each rollout. */
  private readonly open = new Map<string, Segment>();
  private readonly segmentBytes: number;
  /** How long a segment takes lines: whole segments are deleted, so a kept line is at most maxAgeMs + segmentMs old. */
  readonly segmentMs: number;
  private timer: NodeJS.Timeout | undefined;
  private pruning = false;
  private closed = false;
  private onPrune: (r: PruneResult) => void = () => {};
  /** What pruning has deleted since the archive was opened (a running total: `cutover up` prunes for days). */
  readonly prunedTotal = { rounds: 0, removedByAge: 0, removedBySize: 0, removedBytes: 0 };

  constructor(
    readonly dir: string,
    readonly retention: LogRetention = DEFAULT_RETENTION,
    private readonly now: () => number = Date.now,
  ) {
    // Small enough segments that pruning whole ones keeps close to the policy.
    this.segmentBytes = Math.max(4096, Math.min(Math.floor(retention.maxBytes / 8), 8 * 1024 ** 2));
    this.segmentMs = Math.max(100, Math.min(Math.floor(retention.maxAgeMs / 8), 3600_000));
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Appends a line to its rollout's segment (synchronously: a crash loses no line written before it); nothing once closed. */
  append(entry: LogEntry): void {
    // Pods still log as they stop: once closed (its folder perhaps removed) nothing is written, nor the folder made again.
    if (this.closed) return;
    const rollout = folderOf(entry.rollout);
    const at = this.now();
    let segment = this.open.get(rollout);
    if (segment === undefined || segment.bytes >= this.segmentBytes || at - segment.startedMs >= this.segmentMs) {
      // A segment full: the policy is applied now, not only at the next round.
      if (segment !== undefined && this.pruning) this.pruneRound();
      fs.mkdirSync(path.join(this.dir, rollout), { recursive: true });
      // A new segment never reuses a name: a second one in the same millisecond starts a millisecond on.
      const startedMs = Math.max(at, (segment?.startedMs ?? 0) + 1);
      segment = { file: path.join(this.dir, rollout, `${startedMs}.jsonl`), rollout, startedMs, bytes: 0, lastWriteMs: at };
      this.open.set(rollout, segment);
    }
    const line = `${JSON.stringify(entry)}\n`;
    fs.appendFileSync(segment.file, line);
    segment.bytes += Buffer.byteLength(line);
  }

  /** Every segment on disk, oldest first. */
  segments(): Segment[] {
    if (!fs.existsSync(this.dir)) return [];
    return fs
      .readdirSync(this.dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) =>
        fs
          .readdirSync(path.join(this.dir, d.name))
          .filter((f) => /^\d+\.jsonl$/.test(f))
          .map((f) => {
            const file = path.join(this.dir, d.name, f);
            const { size, mtimeMs } = fs.statSync(file);
            return { file, rollout: d.name, startedMs: Number(f.slice(0, -'.jsonl'.length)), bytes: size, lastWriteMs: mtimeMs };
          }),
      )
      .sort((a, b) => a.startedMs - b.startedMs);
  }

  /** Deletes what the policy no longer keeps: segments past its age, then the oldest while over its size. */
  prune(): PruneResult {
    const now = this.now();
    const result: PruneResult = { removedSegments: 0, removedBytes: 0, removedByAge: 0, removedBySize: 0, keptSegments: 0, keptBytes: 0 };
    const remove = (s: Segment, why: 'removedByAge' | 'removedBySize') => {
      result[why]++;
      fs.rmSync(s.file, { force: true });
      if (this.open.get(s.rollout)?.file === s.file) this.open.delete(s.rollout);
      result.removedSegments++;
      result.removedBytes += s.bytes;
    };
    const kept: Segment[] = [];
    for (const s of this.segments()) {
      if (now - s.lastWriteMs > this.retention.maxAgeMs) remove(s, 'removedByAge');
      else kept.push(s);
    }
    let total = kept.reduce((n, s) => n + s.bytes, 0);
    while (total > this.retention.maxBytes && kept.length > 0) {
      const oldest = kept.shift() as Segment;
      remove(oldest, 'removedBySize');
      total -= oldest.bytes;
    }
    result.keptSegments = kept.length;
    result.keptBytes = total;
    this.prunedTotal.rounds++;
    this.prunedTotal.removedByAge += result.removedByAge;
    this.prunedTotal.removedBySize += result.removedBySize;
    this.prunedTotal.removedBytes += result.removedBytes;
    return result;
  }

  /** Prunes now, whenever a segment is full, and every quarter of the policy's age (at most every minute) until closed. */
  startPruning(onPrune: (r: PruneResult) => void = () => {}): void {
    this.onPrune = onPrune;
    this.pruning = true;
    this.pruneRound();
    this.timer = setInterval(() => this.pruneRound(), Math.max(50, Math.min(Math.floor(this.retention.maxAgeMs / 4), 60_000)));
    this.timer.unref();
  }

  private pruneRound(): void {
    try {
      const r = this.prune();
      if (r.removedSegments > 0) this.onPrune(r);
    } catch {
      // A segment removed by someone else meanwhile: the next round sees the folder as it is.
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.pruning = false;
    this.open.clear();
  }

  /** What the archive keeps that matches the query, oldest first; a torn last line (a crash mid-write) is skipped. */
  read(query: LogQuery = {}): LogEntry[] {
    const min = query.minLevel === undefined ? undefined : LOG_LEVELS[query.minLevel];
    const entries: LogEntry[] = [];
    for (const s of this.segments()) {
      if (query.rollout !== undefined && s.rollout !== folderOf(query.rollout)) continue;
      let text: string;
      try {
        text = fs.readFileSync(s.file, 'utf8');
      } catch {
        continue; // pruned meanwhile
      }
      for (const line of text.split('\n')) {
        if (line === '') continue;
        let e: LogEntry;
        try {
          e = JSON.parse(line) as LogEntry;
        } catch {
          continue;
        }
        if (query.since !== undefined && Date.parse(e.at) < query.since) continue;
        if (min !== undefined && (e.level === undefined || LOG_LEVELS[e.level] < min)) continue;
        if (query.traceId !== undefined && e.traceId !== query.traceId) continue;
        entries.push(e);
      }
    }
    return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }
}
