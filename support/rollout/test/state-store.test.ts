// The rollout state store: snapshots round-trip, a damaged one is an error
// that names the file and the rollout, pods keep their last state and count
// restarts, events are kept in order and bounded.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { tempDataDir } from '../../../services/common/testing.ts';
import { RolloutController } from '../controller.ts';
import { RolloutStateStore, manifestSha256 } from '../state-store.ts';
import { FakeAnalysis, FakeWorkloads, rollout } from './fakes.ts';

async function snapshotOf() {
  const controller = new RolloutController(rollout({ canary: { steps: [{ setWeight: 50 }, { pause: {} }] } }), { workloads: new FakeWorkloads(), analysis: new FakeAnalysis(), timeScale: 0.001 });
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor((s) => s.phase === 'Paused', 5000, 'Paused');
  const snapshot = controller.snapshot();
  await controller.close();
  return snapshot;
}

test('a snapshot is saved and read back as it was, under the manifest it came from; forget and --fresh remove it', async () => {
  const file = path.join(tempDataDir('state-store'), 'state.db');
  const snapshot = await snapshotOf();
  const sha = manifestSha256(snapshot.rollout);
  const store = new RolloutStateStore(file);
  store.save(sha, snapshot);
  store.save(sha, snapshot);
  store.close();
  const again = new RolloutStateStore(file);
  const [stored] = again.rollouts();
  assert.equal(stored?.name, 'app');
  assert.equal(stored?.manifestSha256, sha);
  assert.deepEqual(stored?.snapshot, JSON.parse(JSON.stringify(snapshot)));
  assert.equal(again.load('nope'), undefined);
  const db = new Database(file, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.deepEqual(db.prepare('SELECT name, phase, revision FROM rollout_state').all(), [{ name: 'app', phase: 'Paused', revision: 2 }]);
  db.close();
  assert.equal(again.forgetAll(), 1);
  assert.deepEqual(again.rollouts(), []);
  again.close();
  // After close, writes are dropped, not thrown (late events of a stopping platform).
  again.save(sha, snapshot);
  again.event({ at: 'x', source: 's', reason: 'r', message: 'm' });
});

test('a damaged or foreign snapshot is refused with the file, the rollout and the field', async () => {
  const file = path.join(tempDataDir('state-store'), 'state.db');
  const store = new RolloutStateStore(file);
  const snapshot = await snapshotOf();
  store.save('abc', snapshot);
  const db = new Database(file);
  db.prepare("UPDATE rollout_state SET snapshot = '{not json'").run();
  assert.throws(() => store.rollouts(), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the saved state of rollout app is not JSON .*start with --fresh to discard it`));
  db.prepare('UPDATE rollout_state SET snapshot = ?').run(JSON.stringify({ ...snapshot, state: { ...snapshot.state, canaryWeight: 150 } }));
  assert.throws(() => store.load('app'), /the saved state of rollout app is not one this version reads: state\.canaryWeight: /);
  db.close();
  store.close();
});

test('pods keep their last state and count restarts; events are kept oldest first, by source', () => {
  const store = new RolloutStateStore(path.join(tempDataDir('state-store'), 'state.db'));
  store.podEvent('links-abc-1', 'links', 'Started', 'pid 10 on port 4000');
  store.podEvent('links-abc-1', undefined, 'Ready', 'ready after 1 probe');
  store.podEvent('links-abc-1', undefined, 'Exited', 'exit code 1');
  store.podEvent('links-abc-1', undefined, 'Restarting', 'restart 1 in 1 s');
  store.podEvent('links-abc-1', undefined, 'Ready', 'ready after 1 probe', undefined, { probes: 9, failed: 2, last: { at: 't', ok: true, ms: 1.5, result: 'HTTP 200' } });
  // A failed probe is stored with its result, and changes no state.
  store.podEvent('links-abc-1', undefined, 'ProbeFailed', 'readiness probe failed: HTTP 503', undefined, { probes: 10, failed: 3, last: { at: 'u', ok: false, ms: 2, result: 'HTTP 503' } });
  const [pod] = store.pods();
  assert.deepEqual(
    { ...pod, updatedAt: undefined },
    { name: 'links-abc-1', rollout: 'links', state: 'ready', lastEvent: 'ProbeFailed', message: 'readiness probe failed: HTTP 503', restarts: 1, probes: 10, probeFailures: 3, lastProbe: { at: 'u', ok: false, ms: 2, result: 'HTTP 503' }, updatedAt: undefined },
  );
  for (let i = 0; i < 5; i++) store.event({ at: `t${i}`, source: i % 2 ? 'rollout/links' : 'links-abc-1', reason: `R${i}`, message: `m${i}` });
  assert.deepEqual(store.events(3).map((e) => e.reason), ['R2', 'R3', 'R4']);
  assert.deepEqual(store.events(10, 'rollout/links').map((e) => e.reason), ['R1', 'R3']);
  store.close();
});
