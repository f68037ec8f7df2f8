import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { migrationsApplied, openDatabase, type Migration } from '../database.ts';
import { tempDataDir } from '../testing.ts';

const v1: Migration[] = [{ id: 1, name: 'items', sql: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)' }];
const v2: Migration[] = [...v1, { id: 2, name: 'items.colour', sql: "ALTER TABLE items ADD COLUMN colour TEXT NOT NULL DEFAULT 'none'" }];

test('WAL mode, migrations applied once, reopen keeps data', () => {
  const file = path.join(tempDataDir('db'), 'x.db');
  const db = openDatabase(file, v1);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.prepare('INSERT INTO items (name) VALUES (?)').run('a');
  db.close();
  const again = openDatabase(file, v1);
  assert.equal(again.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get(), 1);
  assert.equal(again.prepare('SELECT name FROM items').pluck().get(), 'a');
  again.close();
});

test('an old and a new version share one database: additive migrations keep the old one working', () => {
  const file = path.join(tempDataDir('db'), 'x.db');
  const old = openDatabase(file, v1);
  const next = openDatabase(file, v2);
  assert.ok(migrationsApplied(old, v1));
  assert.ok(migrationsApplied(next, v2));
  assert.equal(migrationsApplied(old, v2), true, 'the old connection sees the new migration');
  old.prepare('INSERT INTO items (name) VALUES (?)').run('from v1');
  next.prepare('INSERT INTO items (name, colour) VALUES (?, ?)').run('from v2', 'green');
  assert.deepEqual(old.prepare('SELECT name FROM items ORDER BY id').pluck().all(), ['from v1', 'from v2']);
  assert.deepEqual(next.prepare('SELECT colour FROM items ORDER BY id').pluck().all(), ['none', 'green']);
  old.close();
  next.close();
});

test('migrationsApplied is false before a migration exists', () => {
  const db = openDatabase(path.join(tempDataDir('db'), 'x.db'), v1);
  assert.equal(migrationsApplied(db, v2), false);
  db.close();
});
