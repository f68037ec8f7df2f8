// SQLite storage shared by every version of one service during a rollout.
// WAL lets two processes read while one writes; busy_timeout makes writers
// wait for each other instead of failing; migrations are additive only, so
// an older version keeps working on a schema a newer one has extended.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export function openDatabase(file: string, migrations: Migration[]): Db {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the database path comes from the DATA_DIR setting, never from a request
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  applyMigrations(db, migrations);
  return db;
}

export function applyMigrations(db: Db, migrations: Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  // IMMEDIATE takes the write lock first, so two versions starting together
  // cannot both decide a migration is missing.
  const apply = db.transaction(() => {
    const done = new Set(
      db.prepare('SELECT id FROM schema_migrations').all().map((r) => (r as { id: number }).id),
    );
    for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(m.id)) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(
        m.id,
        m.name,
        new Date().toISOString(),
      );
    }
  });
  apply.immediate();
}

/** True when every migration this version knows about is applied. */
export function migrationsApplied(db: Db, migrations: Migration[]): boolean {
  const done = new Set(
    db.prepare('SELECT id FROM schema_migrations').all().map((r) => (r as { id: number }).id),
  );
  return migrations.every((m) => done.has(m.id));
}
