import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { backupDataDir, restoreDataDir } from '../sqlite.ts';

test('an online backup taken while writes go on holds every row committed before it, passes the integrity check, and restores', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-backup-test-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const data = path.join(root, 'data');
  fs.mkdirSync(data);
  const db = new Database(path.join(data, 'app.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE links (code TEXT PRIMARY KEY, url TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO links VALUES (?, ?)');
  for (let i = 0; i < 5000; i++) insert.run(`c${i}`, `http://127.0.0.1/${i}`);
  // Writes go on (from this connection, between the backup's steps) while it runs.
  let more = 0;
  const writer = setInterval(() => insert.run(`late${more}`, `http://127.0.0.1/late/${more++}`), 1);
  const [backup] = await backupDataDir(data, path.join(root, 'backup'));
  clearInterval(writer);
  db.close();
  assert.ok(backup);
  assert.equal(backup.integrity, 'ok');
  assert.ok((backup.rows.links ?? 0) >= 5000, JSON.stringify(backup.rows));
  assert.ok(backup.pages > 0 && backup.bytes > 0);

  const restoredDir = path.join(root, 'restored');
  const [file] = restoreDataDir([backup], restoredDir);
  const restored = new Database(file as string, { readonly: true });
  assert.equal(restored.prepare("SELECT url FROM links WHERE code = 'c4999'").pluck().get(), 'http://127.0.0.1/4999');
  restored.close();
  assert.throws(() => restoreDataDir([backup], restoredDir), /exists: a restore never overwrites a database/);
});

test('nothing to back up is an error that says where it looked', async () => {
  await assert.rejects(backupDataDir('/nonexistent/cutover', os.tmpdir()), /no data folder at \/nonexistent\/cutover/);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-backup-empty-'));
  try {
    await assert.rejects(backupDataDir(empty, os.tmpdir()), /no SQLite database \(\*\.db\) in/);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
