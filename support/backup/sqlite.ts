// Online backups of the services' SQLite databases, as `sqlite3 .backup`
// takes them: page by page through SQLite's backup API while the service goes
// on writing, then checked with PRAGMA integrity_check. Restoring is copying
// the backup back as the service's database file.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export interface DatabaseBackup {
  source: string;
  file: string;
  bytes: number;
  pages: number;
  durationMs: number;
  /** PRAGMA integrity_check of the backup: "ok", or what SQLite found. */
  integrity: string;
  /** Rows per table in the backup, for the evidence. */
  rows: Record<string, number>;
}

/** Backs up one live database file into destDir (same file name). */
export async function backupSqlite(source: string, destDir: string): Promise<DatabaseBackup> {
  if (!fs.existsSync(source)) throw new Error(`no database at ${source}`);
  fs.mkdirSync(destDir, { recursive: true });
  const file = path.join(destDir, path.basename(source));
  const started = performance.now();
  // A connection of its own: the service's connections are in other processes.
  const db = new Database(source, { fileMustExist: true });
  let pages = 0;
  try {
    await db.backup(file, {
      progress: ({ totalPages }) => {
        pages = totalPages;
        return 100;
      },
    });
  } finally {
    db.close();
  }
  const durationMs = Math.round(performance.now() - started);
  const copy = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = (copy.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    const tables = copy.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    const rows = Object.fromEntries(tables.map((t) => [t, copy.prepare(`SELECT COUNT(*) FROM "${t.replace(/"/g, '""')}"`).pluck().get() as number]));
    return { source, file, bytes: fs.statSync(file).size, pages, durationMs, integrity, rows };
  } finally {
    copy.close();
  }
}

/** Every *.db file of a data folder, backed up into destDir. */
export async function backupDataDir(dataDir: string, destDir: string): Promise<DatabaseBackup[]> {
  if (!fs.existsSync(dataDir)) throw new Error(`no data folder at ${dataDir}: the rollout has not stored anything yet`);
  const files = fs.readdirSync(dataDir).filter((f) => f.endsWith('.db')).sort();
  if (files.length === 0) throw new Error(`no SQLite database (*.db) in ${dataDir}`);
  const out: DatabaseBackup[] = [];
  for (const f of files) out.push(await backupSqlite(path.join(dataDir, f), destDir));
  return out;
}

/** Restores backups into a data folder (which must not hold those databases yet): what a new replica opens. */
export function restoreDataDir(backups: DatabaseBackup[], dataDir: string): string[] {
  fs.mkdirSync(dataDir, { recursive: true });
  return backups.map((b) => {
    const target = path.join(dataDir, path.basename(b.file));
    if (fs.existsSync(target)) throw new Error(`${target} exists: a restore never overwrites a database`);
    fs.copyFileSync(b.file, target);
    return target;
  });
}

/** One line for a backup, as the platforms record it. */
export function describeBackup(b: DatabaseBackup): string {
  return `${path.basename(b.source)}: ${b.pages} pages, ${b.bytes} bytes in ${b.durationMs} ms, integrity ${b.integrity}`;
}
