// Where `cutover up` keeps what it must not forget when it stops, crashes or
// loses its Docker daemon: each Rollout's state (the controller's snapshot and
// the manifest it was last applied from), the pods and their last state, and
// the platform's events. One SQLite file (.cutover/state.db by default), in WAL
// mode like the services' own databases, with additive migrations.
//
// A snapshot is written on every change of a rollout, so a restart resumes it
// where it was. A snapshot that does not read back as one (a damaged file, a
// newer format) is an error naming the file and the rollout, never a silent
// fresh start.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { openDatabase, type Db, type Migration } from '../../services/common/database.ts';
import type { RolloutSnapshot } from './controller.ts';
import { RolloutSchema } from './model.ts';

const MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'rollout state, pods and events',
    sql: `
      CREATE TABLE rollout_state (
        name TEXT PRIMARY KEY,
        manifest_sha256 TEXT NOT NULL,
        phase TEXT NOT NULL,
        revision INTEGER NOT NULL,
        snapshot TEXT NOT NULL,
        saved_at TEXT NOT NULL
      );
      CREATE TABLE pods (
        name TEXT PRIMARY KEY,
        rollout TEXT,
        state TEXT NOT NULL,
        last_event TEXT NOT NULL,
        message TEXT NOT NULL,
        restarts INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        source TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT NOT NULL
      );
      CREATE INDEX events_source ON events (source, id);`,
  },
  {
    id: 2,
    name: 'readiness probe results of each pod',
    sql: `
      ALTER TABLE pods ADD COLUMN probes INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE pods ADD COLUMN probe_failures INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE pods ADD COLUMN last_probe TEXT;`,
  },
];

/** How many events are kept: the oldest go first. */
const EVENTS_KEPT = 20_000;

const PauseCondition = z.object({ reason: z.enum(['CanaryPauseStep', 'BlueGreenPause', 'InconclusiveAnalysisRun', 'PausedByUser']), startTime: z.string() });

/** A stored snapshot, checked field by field before a controller trusts it. */
const SnapshotSchema = z.object({
  version: z.literal(1),
  rollout: RolloutSchema,
  revisions: z.array(z.object({ number: z.number().int().min(1), hash: z.string().min(1), template: z.unknown(), image: z.string() })),
  stableHash: z.string().optional(),
  currentHash: z.string().optional(),
  state: z.object({
    phase: z.enum(['Progressing', 'Paused', 'Healthy', 'Degraded']),
    message: z.string(),
    abort: z.boolean(),
    abortedAt: z.string().optional(),
    currentStepIndex: z.number().int().min(0).optional(),
    canaryWeight: z.number().min(0).max(100).optional(),
    activeSelector: z.string().optional(),
    previewSelector: z.string().optional(),
    pauseConditions: z.array(PauseCondition),
  }),
  replicas: z.record(z.string(), z.number().int().min(0)),
  events: z.array(z.object({ at: z.string(), reason: z.string(), message: z.string(), data: z.record(z.string(), z.unknown()).optional() })),
  savedAt: z.string(),
});

export interface StoredRollout {
  name: string;
  /** SHA-256 of the manifest the rollout was last applied from (set-image and the like do not change it). */
  manifestSha256: string;
  snapshot: RolloutSnapshot;
}

export interface StoredPod {
  name: string;
  rollout: string | null;
  state: string;
  lastEvent: string;
  message: string;
  restarts: number;
  /** Readiness probes so far, how many failed, and the last one's result (as of the last event). */
  probes: number;
  probeFailures: number;
  lastProbe: { at: string; ok: boolean; ms: number; result: string } | null;
  updatedAt: string;
}

/** Pod states by the supervisor's event types. */
const POD_STATE: Record<string, string> = {
  Started: 'starting',
  Ready: 'ready',
  Unready: 'unready',
  Restarting: 'restarting',
  Exited: 'exited',
  Killed: 'killed',
  OOMKilled: 'oom-killed',
  Stopped: 'stopped',
  PortConflict: 'starting',
};

/** The manifest's identity: the same document applied again is not an update. */
export function manifestSha256(manifest: unknown): string {
  return createHash('sha256').update(JSON.stringify(manifest)).digest('hex');
}

export class RolloutStateStore {
  private readonly db: Db;
  private closed = false;
  private inserted = 0;

  constructor(readonly file: string) {
    try {
      this.db = openDatabase(file, MIGRATIONS);
    } catch (err) {
      throw new Error(`cannot open the rollout state in ${file}: ${(err as Error).message} (move the file away, or start with --fresh to begin anew)`, { cause: err });
    }
  }

  /** Every stored rollout, checked; a damaged one is an error naming it. */
  rollouts(): StoredRollout[] {
    const rows = this.db.prepare('SELECT name, manifest_sha256, snapshot FROM rollout_state ORDER BY name').all() as { name: string; manifest_sha256: string; snapshot: string }[];
    return rows.map((r) => ({ name: r.name, manifestSha256: r.manifest_sha256, snapshot: this.parse(r.name, r.snapshot) }));
  }

  load(name: string): StoredRollout | undefined {
    const row = this.db.prepare('SELECT name, manifest_sha256, snapshot FROM rollout_state WHERE name = ?').get(name) as { name: string; manifest_sha256: string; snapshot: string } | undefined;
    return row === undefined ? undefined : { name: row.name, manifestSha256: row.manifest_sha256, snapshot: this.parse(row.name, row.snapshot) };
  }

  private parse(name: string, text: string): RolloutSnapshot {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new Error(`${this.file}: the saved state of rollout ${name} is not JSON (${(err as Error).message}); start with --fresh to discard it`, { cause: err });
    }
    const parsed = SnapshotSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${this.file}: the saved state of rollout ${name} is not one this version reads: ${issue?.path.join('.') || '(root)'}: ${issue?.message}; start with --fresh to discard it`);
    }
    return parsed.data as unknown as RolloutSnapshot;
  }

  save(manifest: string, snapshot: RolloutSnapshot): void {
    if (this.closed) return;
    const current = snapshot.revisions.find((r) => r.hash === snapshot.currentHash);
    this.db
      .prepare(
        `INSERT INTO rollout_state (name, manifest_sha256, phase, revision, snapshot, saved_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET manifest_sha256 = excluded.manifest_sha256, phase = excluded.phase, revision = excluded.revision, snapshot = excluded.snapshot, saved_at = excluded.saved_at`,
      )
      .run(snapshot.rollout.metadata.name, manifest, snapshot.state.phase, current?.number ?? 0, JSON.stringify(snapshot), snapshot.savedAt);
  }

  forget(name: string): void {
    this.db.prepare('DELETE FROM rollout_state WHERE name = ?').run(name);
  }

  /** Forgets every rollout (cutover up --fresh); pods and events stay as history. */
  forgetAll(): number {
    return this.db.prepare('DELETE FROM rollout_state').run().changes;
  }

  /**
   * A pod's lifecycle or probe event: its row keeps the last state, counts
   * restarts and, when given, the probe results so far. A probe event
   * (ProbeFailed) changes no state.
   */
  podEvent(pod: string, rollout: string | undefined, type: string, message: string, at = new Date().toISOString(), probes?: { probes: number; failed: number; last?: { at: string; ok: boolean; ms: number; result: string } }): void {
    if (this.closed) return;
    const state = POD_STATE[type] ?? null;
    this.db
      .prepare(
        `INSERT INTO pods (name, rollout, state, last_event, message, restarts, probes, probe_failures, last_probe, updated_at) VALUES (?, ?, coalesce(?, 'unknown'), ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET rollout = coalesce(excluded.rollout, pods.rollout), state = coalesce(?, pods.state), last_event = excluded.last_event,
           message = excluded.message, restarts = pods.restarts + excluded.restarts,
           probes = CASE WHEN excluded.last_probe IS NULL THEN pods.probes ELSE excluded.probes END,
           probe_failures = CASE WHEN excluded.last_probe IS NULL THEN pods.probe_failures ELSE excluded.probe_failures END,
           last_probe = coalesce(excluded.last_probe, pods.last_probe), updated_at = excluded.updated_at`,
      )
      .run(pod, rollout ?? null, state, type, message, type === 'Restarting' ? 1 : 0, probes?.probes ?? 0, probes?.failed ?? 0, probes?.last ? JSON.stringify(probes.last) : null, at, state);
  }

  pods(): StoredPod[] {
    return (this.db.prepare('SELECT name, rollout, state, last_event, message, restarts, probes, probe_failures, last_probe, updated_at FROM pods ORDER BY name').all() as Record<string, unknown>[]).map((r) => ({
      name: r.name as string,
      rollout: r.rollout as string | null,
      state: r.state as string,
      lastEvent: r.last_event as string,
      message: r.message as string,
      restarts: r.restarts as number,
      probes: r.probes as number,
      probeFailures: r.probe_failures as number,
      lastProbe: r.last_probe === null ? null : (JSON.parse(r.last_probe as string) as StoredPod['lastProbe']),
      updatedAt: r.updated_at as string,
    }));
  }

  event(e: { at: string; source: string; reason: string; message: string }): void {
    if (this.closed) return;
    this.db.prepare('INSERT INTO events (at, source, reason, message) VALUES (?, ?, ?, ?)').run(e.at, e.source, e.reason, e.message);
    if (++this.inserted % 500 === 0) this.db.prepare('DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - ?').run(EVENTS_KEPT);
  }

  /** The latest events, oldest first; of one source when given. */
  events(limit = 100, source?: string): { at: string; source: string; reason: string; message: string }[] {
    const rows = (source === undefined
      ? this.db.prepare('SELECT at, source, reason, message FROM events ORDER BY id DESC LIMIT ?').all(limit)
      : this.db.prepare('SELECT at, source, reason, message FROM events WHERE source = ? ORDER BY id DESC LIMIT ?').all(source, limit)) as { at: string; source: string; reason: string; message: string }[];
    return rows.reverse();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
