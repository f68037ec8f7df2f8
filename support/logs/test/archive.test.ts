// The log archive on a real folder: the policy as written in the config, age
// and size pruning by whole segments (the newest lines always kept), and
// reading back by rollout, level and time, past a torn last line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ManifestError } from '../../manifests/load.ts';
import { readCutoverConfig } from '../../platform/local/catalog.ts';
import type { LogEntry } from '../aggregate.ts';
import { LogArchive, LogRetentionSchema } from '../archive.ts';

function folder(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-logs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Line n, written n ms after the test began (lines are read back in time order). */
const started = Date.now();
const entry = (rollout: string, n: number, level: LogEntry['level'] = 'info'): LogEntry => ({
  at: new Date(started + n).toISOString(),
  pod: `${rollout}-abc12`,
  rollout,
  image: `cutover/${rollout}:v1`,
  stream: 'stdout',
  line: `{"level":${level === 'error' ? 50 : 30},"msg":"line ${n}"}`,
  level,
  message: `line ${n}`,
});

test('the retention policy as the config writes it: a duration and a size, each refused with what was expected', () => {
  assert.deepEqual(LogRetentionSchema.parse({ maxAge: '168h', maxSize: '100Mi' }), { maxAgeMs: 168 * 3600_000, maxBytes: 100 * 1024 ** 2 });
  assert.equal(LogRetentionSchema.parse({ maxAge: '1m', maxSize: '1.5Gi' }).maxBytes, 1.5 * 1024 ** 3);
  const bad = LogRetentionSchema.safeParse({ maxAge: '7 days', maxSize: '10MiB', extra: 1 });
  assert.equal(bad.success, false);
  const messages = bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n') ?? '';
  assert.match(messages, /maxAge: expected a duration such as 168h or 30m/);
  assert.match(messages, /maxSize: expected a size such as 100Mi/);
  assert.match(messages, /extra/);
});

test('cutover.config.yaml: logs.retention is read as the policy; a bad one names the file, line and field; none means the default', (t) => {
  const dir = folder(t);
  const file = path.join(dir, 'cutover.config.yaml');
  fs.writeFileSync(file, 'logs:\n  retention:\n    maxAge: 24h\n    maxSize: 512Mi\n');
  assert.deepEqual(readCutoverConfig(file).logs.retention, { maxAgeMs: 24 * 3600_000, maxBytes: 512 * 1024 ** 2 });
  fs.writeFileSync(file, 'images: []\n');
  assert.equal(readCutoverConfig(file).logs.retention, undefined);
  fs.writeFileSync(file, 'logs:\n  retention:\n    maxAge: 24h\n    maxSize: 10MiB\n');
  assert.throws(() => readCutoverConfig(file), (err: Error) => {
    assert.ok(err instanceof ManifestError);
    assert.match(err.message, /cutover\.config\.yaml:4.*logs\.retention\.maxSize: expected a size such as 100Mi/);
    return true;
  });
});

test('past its age a segment is deleted; the lines since are kept', async (t) => {
  const archive = new LogArchive(folder(t), { maxAgeMs: 300, maxBytes: 1024 ** 2 });
  for (let n = 0; n < 20; n++) archive.append(entry('tinyurl', n));
  await new Promise((r) => setTimeout(r, 450));
  for (let n = 20; n < 25; n++) archive.append(entry('tinyurl', n));
  const r = archive.prune();
  assert.ok(r.removedSegments >= 1, JSON.stringify(r));
  const kept = archive.read().map((e) => e.message);
  assert.deepEqual(kept, ['line 20', 'line 21', 'line 22', 'line 23', 'line 24']);
});

test('over its size the oldest segments are deleted until it fits; the newest line is always there', (t) => {
  const archive = new LogArchive(folder(t), { maxAgeMs: 3600_000, maxBytes: 32 * 1024 });
  for (let n = 0; n < 1000; n++) archive.append(entry(n % 2 === 0 ? 'tinyurl' : 'newsfeed', n));
  const before = archive.segments().reduce((b, s) => b + s.bytes, 0);
  assert.ok(before > 100 * 1024, `${before} bytes written`);
  const r = archive.prune();
  assert.ok(r.keptBytes <= 32 * 1024 && r.keptBytes > 16 * 1024, JSON.stringify(r));
  assert.equal(r.removedBytes + r.keptBytes, before);
  const kept = archive.read();
  assert.equal(kept.at(-1)?.message, 'line 999');
  assert.equal(kept.some((e) => e.message === 'line 0'), false);
  // Kept lines are whole and in order, whichever rollout wrote them.
  const numbers = kept.map((e) => Number(e.message?.slice('line '.length)));
  assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
  // Writing goes on in a new segment after its open one was pruned.
  archive.append(entry('tinyurl', 1000));
  assert.equal(archive.read({ rollout: 'tinyurl' }).at(-1)?.message, 'line 1000');
});

test('read: by rollout, level and time; a torn last line (a crash mid-write) is skipped; once closed, nothing is written', (t) => {
  const dir = folder(t);
  const archive = new LogArchive(dir, { maxAgeMs: 3600_000, maxBytes: 1024 ** 2 });
  archive.append(entry('tinyurl', 1));
  archive.append(entry('tinyurl', 2, 'error'));
  archive.append(entry('newsfeed', 3, 'error'));
  archive.append({ ...entry('', 4), pod: 'orphan' });
  const [segment] = archive.segments().filter((s) => s.rollout === 'tinyurl');
  fs.appendFileSync(segment?.file as string, '{"at":"2026-');
  assert.deepEqual(archive.read({ rollout: 'tinyurl' }).map((e) => e.message), ['line 1', 'line 2']);
  assert.deepEqual(archive.read({ minLevel: 'error' }).map((e) => e.message), ['line 2', 'line 3']);
  assert.deepEqual(archive.read({ since: Date.now() + 60_000 }), []);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['_', 'newsfeed', 'tinyurl'], 'a pod of no rollout goes to "_"');
  // Pods log as they stop, after the archive was closed and its folder removed: nothing comes back.
  archive.close();
  fs.rmSync(dir, { recursive: true, force: true });
  archive.append(entry('tinyurl', 5));
  assert.equal(fs.existsSync(dir), false);
});
