// `cutover up` across a crash and while its manifests change: the rollout it
// was moving resumes where it was, the data the service stored is still
// there, a saved manifest change is applied at once, a broken one is refused
// with its file, line and field while everything keeps running, and a second
// `cutover up` in the same directory is refused.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { tempDataDir } from '../../../services/common/testing.ts';
import type { RolloutStatus } from '../../rollout/controller.ts';
import { RolloutStateStore } from '../../rollout/state-store.ts';
import type { PlatformView } from '../control.ts';
import { BIN, cliEnv, controlFetch, startUp, type UpProcess } from './up-process.ts';

const cwd = tempDataDir('cli-resume');
const env = cliEnv({ CUTOVER_TIME_SCALE: '0.05' });
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 90_000 });

const manifest = (image: string, replicas: string | number = 1) => `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: links}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: links}}
  template:
    metadata: {labels: {app: links}}
    spec:
      containers:
      - name: tinyurl
        image: ${image}
        env: [{name: RATE_LIMIT_PER_MINUTE, value: "0"}]
  strategy:
    canary:
      steps: [{setWeight: 50}, {pause: {}}, {setWeight: 75}, {pause: {}}]
---
apiVersion: v1
kind: Service
metadata: {name: links}
spec: {selector: {app: links}, ports: [{port: 80}]}
`;

const running: ChildProcess[] = [];
after(() => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
});

async function up(...args: string[]): Promise<UpProcess> {
  const started = await startUp(cwd, ['links.yaml', '--quiet', ...args], env);
  running.push(started.child);
  assert.equal(started.child.exitCode, null, `up did not start:\n${started.output()}`);
  return started;
}

const status = async (): Promise<RolloutStatus> => (await (await controlFetch(cwd, '/api/rollouts/links')).json()) as RolloutStatus;
const serviceUrl = async () => ((await (await controlFetch(cwd, '/api/status')).json()) as PlatformView).services.find((s) => s.name === 'links')?.url as string;

async function until(what: string, predicate: (s: RolloutStatus) => boolean, timeoutMs = 30_000): Promise<RolloutStatus> {
  const started = Date.now();
  let last: RolloutStatus | undefined;
  while (Date.now() - started < timeoutMs) {
    last = await status();
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`expected ${what} within ${timeoutMs} ms; last seen ${JSON.stringify(last && { phase: last.phase, step: last.currentStepIndex, weight: last.canaryWeight, revision: last.revision, image: last.currentImage, message: last.message })}`);
}

const shorten = async (base: string, url: string) => {
  const res = await fetch(`${base}/shorten`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { code: string }).code;
};
const resolve = async (base: string, code: string) => {
  const res = await fetch(`${base}/${code}`, { redirect: 'manual' });
  return res.status === 302 ? res.headers.get('location') : `HTTP ${res.status}`;
};

test('a crashed cutover up resumes its canary at the same step and weight with the links stored before; saved manifest changes are applied live, broken ones refused; one cutover up per directory', async () => {
  const file = path.join(cwd, 'links.yaml');
  fs.writeFileSync(file, manifest('cutover/tinyurl:v1'));
  const first = await up();
  const kept = await shorten(await serviceUrl(), 'https://example.com/kept');
  assert.equal(cli('rollout', 'set-image', 'links', 'cutover/tinyurl:v2').status, 0);
  await until('paused at step 1', (s) => s.phase === 'Paused' && s.currentStepIndex === 1);
  assert.equal(cli('rollout', 'promote', 'links').status, 0);
  const before = await until('paused at step 3, weight 75', (s) => s.phase === 'Paused' && s.currentStepIndex === 3 && s.canaryWeight === 75);

  // A crash: no exit hook, no cleanup, the control file left behind.
  first.child.kill('SIGKILL');
  await first.exited;
  const store = new RolloutStateStore(path.join(cwd, '.cutover', 'state.db'));
  const saved = store.rollouts();
  const pods = store.pods().filter((p) => p.rollout === 'links');
  store.close();
  // Every pod's lifecycle is in the database: the two serving at the crash were last seen ready.
  assert.ok(pods.length >= 2, JSON.stringify(pods));
  assert.equal(pods.filter((p) => p.state === 'ready').length, 2, JSON.stringify(pods));
  // With the readiness probe's results as of their last change.
  for (const p of pods.filter((x) => x.state === 'ready')) assert.ok(p.probes >= 1 && p.lastProbe?.ok === true && p.lastProbe.result === 'HTTP 200', JSON.stringify(p));
  assert.deepEqual(saved.map((r) => [r.name, r.snapshot.state.currentStepIndex, r.snapshot.state.canaryWeight]), [['links', 3, 75]]);

  const second = await up();
  assert.match(second.output(), new RegExp(`the cutover up before \\(pid ${first.child.pid}, started .*\\) did not stop cleanly`));
  assert.match(second.output(), /resuming rollout links from \.cutover\/state\.db \(saved .*\): Paused \(CanaryPauseStep\), revision 2 cutover\/tinyurl:v2/);
  const resumed = await until('paused again at step 3', (s) => s.phase === 'Paused' && s.currentStepIndex === 3);
  assert.equal(resumed.canaryWeight, 75);
  assert.equal(resumed.revision, before.revision);
  assert.equal(resumed.currentImage, 'cutover/tinyurl:v2');
  assert.equal(resumed.stableImage, 'cutover/tinyurl:v1');
  assert.deepEqual(resumed.replicaSets.map((r) => [r.image, r.replicas]).sort(), [['cutover/tinyurl:v1', 1], ['cutover/tinyurl:v2', 1]]);
  const base = await serviceUrl();
  assert.equal(await resolve(base, kept), 'https://example.com/kept', 'a link stored before the crash');

  // Hot reload: a saved change of the image starts an update at once.
  fs.writeFileSync(file, manifest('cutover/tinyurl:v2-slow'));
  const reloaded = await until('an update to the reloaded image', (s) => s.currentImage === 'cutover/tinyurl:v2-slow' && s.phase === 'Paused' && s.currentStepIndex === 1);
  assert.equal(reloaded.stableImage, 'cutover/tinyurl:v1');
  assert.match(second.output(), /reloaded .*links\.yaml/);
  // A broken save is refused with file, line and field; what runs is untouched.
  fs.writeFileSync(file, manifest('cutover/tinyurl:v2', '"lots"'));
  for (let i = 0; i < 100 && !/reload of .*failed/.test(second.output()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(second.output(), /reload of .*links\.yaml failed; still running what was applied before: .*links\.yaml:5.*replicas/);
  const untouched = await status();
  assert.equal(untouched.currentImage, 'cutover/tinyurl:v2-slow');
  assert.equal(untouched.revision, reloaded.revision);

  const another = spawnSync(process.execPath, [BIN, 'up', 'links.yaml'], { cwd, env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(another.status, 1);
  assert.match(another.stderr, new RegExp(`another \`cutover up\` \\(pid ${second.child.pid}, started .*\\) runs in this directory`));
  assert.equal((await status()).currentImage, 'cutover/tinyurl:v2-slow', 'the refused one changed nothing');

  fs.writeFileSync(file, manifest('cutover/tinyurl:v2-slow'));
  second.child.kill('SIGINT');
  assert.equal(await second.exited, 0, second.output());
  assert.match(second.output(), /rollout state kept in \.cutover\/state\.db, data in \.cutover\/data/);

  // --fresh forgets the rollout state, not the data.
  const third = await up('--fresh');
  assert.match(third.output(), /--fresh: forgot the saved state of 1 rollout\(s\)/);
  const fresh = await until('deployed from the manifest', (s) => s.phase === 'Healthy');
  assert.equal(fresh.revision, 1);
  assert.equal(fresh.stableImage, 'cutover/tinyurl:v2-slow');
  assert.equal(await resolve(await serviceUrl(), kept), 'https://example.com/kept');
  third.child.kill('SIGINT');
  assert.equal(await third.exited, 0, third.output());
});
