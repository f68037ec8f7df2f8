// A rollout saved mid-update and picked up by a new controller (a restarted
// `cutover up`): pods back, traffic as it was, the update going on from its step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RolloutController, type RolloutStatus } from '../controller.ts';
import { FakeAnalysis, FakeWorkloads, rollout } from './fakes.ts';

// 1 manifest second = 1 ms.
const SCALE = 0.001;
const T = 5000;
const is = (phase: RolloutStatus['phase']) => (s: RolloutStatus) => s.phase === phase;

function controllerFor(strategy: Record<string, unknown>, analysis = new FakeAnalysis()) {
  const workloads = new FakeWorkloads();
  const controller = new RolloutController(rollout(strategy), { workloads, analysis, timeScale: SCALE });
  return { workloads, analysis, controller };
}

const CANARY = { canary: { steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 50 }, { pause: {} }, { setWeight: 75 }] } };

test('a canary saved at its second pause resumes there: both revisions scaled back, weight 50 routed, no step run twice; promote finishes it', async () => {
  const before = controllerFor(CANARY);
  await before.controller.start();
  await before.controller.setImage('cutover/demo:v2');
  await before.controller.waitFor((s) => s.phase === 'Paused' && s.currentStepIndex === 1, T, 'paused at step 1');
  before.controller.promote();
  await before.controller.waitFor((s) => s.phase === 'Paused' && s.currentStepIndex === 3, T, 'paused at step 3');
  const saved = JSON.parse(JSON.stringify(before.controller.snapshot())) as ReturnType<RolloutController['snapshot']>;
  await before.controller.close();

  const after = controllerFor(CANARY);
  await after.controller.resume(saved);
  const s = await after.controller.waitFor(is('Paused'), T, 'Paused again at the same step');
  assert.equal(s.currentStepIndex, 3);
  assert.equal(s.canaryWeight, 50);
  assert.equal(s.revision, 2);
  assert.equal(s.stableImage, 'cutover/demo:v1');
  assert.equal(s.currentImage, 'cutover/demo:v2');
  // Pods before traffic; ceil(50% of 4) = 2 canary pods.
  assert.deepEqual(after.workloads.log, ['scale cutover/demo:v1 4', 'scale cutover/demo:v2 2', 'route stable=cutover/demo:v1 canary=cutover/demo:v2 50']);
  assert.equal(after.controller.events.filter((e) => e.reason === 'RolloutRestored').length, 1);
  assert.match(after.controller.events.find((e) => e.reason === 'RolloutRestored')?.message ?? '', /step 3\/5, canary weight 50/);
  assert.ok(after.controller.events.length > 10, 'the history before the restart is kept');
  after.controller.promote();
  const done = await after.controller.waitFor(is('Healthy'), T, 'Healthy');
  assert.equal(done.stableImage, 'cutover/demo:v2');
  assert.deepEqual(after.workloads.weights().slice(1), [75, 100, 0]);
  await after.controller.close();
});

test('a timed pause resumes with what was left of it, not from the start', async () => {
  // 60 s × 0.001 = 60 ms of pause; saved after 40 ms of it, the rest is 20 ms.
  const strategy = { canary: { steps: [{ setWeight: 50 }, { pause: { duration: '60s' } }] } };
  const before = controllerFor(strategy);
  await before.controller.start();
  await before.controller.setImage('cutover/demo:v2');
  await before.controller.waitFor(is('Paused'), T, 'Paused');
  const saved = before.controller.snapshot();
  await before.controller.close();
  const pausedAt = Date.parse(saved.state.pauseConditions[0]?.startTime ?? '');
  assert.ok(Number.isFinite(pausedAt));
  // Pretend the pause started 55 ms before the restart.
  saved.state.pauseConditions = [{ reason: 'CanaryPauseStep', startTime: new Date(Date.now() - 55).toISOString() }];
  const after = controllerFor(strategy);
  const resumedAt = Date.now();
  await after.controller.resume(saved);
  await after.controller.waitFor(is('Healthy'), T, 'Healthy');
  assert.ok(Date.now() - resumedAt < 55, `took ${Date.now() - resumedAt} ms: only the 5 ms left of the pause should have run`);
  const pause = after.controller.events.find((e) => e.reason === 'RolloutPaused');
  assert.ok(pause, 'the pause is shown again');
  await after.controller.close();
});

test('blue-green saved at its pause resumes with preview on the new stack and active on the old; saved after the switch, only post-promotion analysis is left', async () => {
  const strategy = { blueGreen: { activeService: 'a', previewService: 'p', autoPromotionEnabled: false, previewReplicaCount: 1, postPromotionAnalysis: { templates: [{ templateName: 'check' }] } } };
  const before = controllerFor(strategy, new FakeAnalysis({ postPromotion: 'hold' }));
  await before.controller.start();
  await before.controller.setImage('cutover/demo:v2');
  await before.controller.waitFor(is('Paused'), T, 'Paused');
  const atPause = before.controller.snapshot();
  before.controller.promote();
  await before.controller.waitFor((s) => s.activeSelector === s.currentPodHash, T, 'switched');
  const afterSwitch = before.controller.snapshot();
  await before.controller.close();

  const one = controllerFor(strategy);
  await one.controller.resume(atPause);
  const paused = await one.controller.waitFor(is('Paused'), T, 'Paused');
  assert.deepEqual(paused.pauseConditions.map((p) => p.reason), ['BlueGreenPause']);
  assert.deepEqual(one.workloads.log.slice(0, 3), ['scale cutover/demo:v1 4', 'scale cutover/demo:v2 1', 'route active=cutover/demo:v1 preview=cutover/demo:v2']);
  assert.ok(!one.workloads.log.includes('route active=cutover/demo:v2 preview=cutover/demo:v2'), 'not switched before promote');
  assert.equal(one.controller.events.filter((e) => e.reason === 'SwitchService').length, before.controller.events.filter((e) => e.reason === 'SwitchService').length - 1, 'no switch on restore');
  await one.controller.close();

  const two = controllerFor(strategy, new FakeAnalysis({ postPromotion: 'Successful' }));
  await two.controller.resume(afterSwitch);
  const healthy = await two.controller.waitFor(is('Healthy'), T, 'Healthy');
  assert.equal(healthy.stableImage, 'cutover/demo:v2');
  assert.equal(two.workloads.log[2], 'route active=cutover/demo:v2 preview=cutover/demo:v2', 'the active Service stays on the new stack');
  assert.ok(!two.workloads.log.some((l) => l.startsWith('route active=cutover/demo:v1')), 'never switched back to the old stack');
  assert.deepEqual(two.analysis.started.map((r) => r.request.kind), ['postPromotion']);
  await two.controller.close();
});

test('an aborted update and a healthy rollout resume as they were, without starting anything', async () => {
  const before = controllerFor(CANARY, new FakeAnalysis());
  await before.controller.start();
  await before.controller.setImage('cutover/demo:v2');
  await before.controller.waitFor(is('Paused'), T, 'Paused');
  await before.controller.abort('bad canary');
  await before.controller.waitFor(is('Degraded'), T, 'Degraded');
  const aborted = before.controller.snapshot();
  await before.controller.close();

  const after = controllerFor(CANARY);
  await after.controller.resume(aborted);
  const s = after.controller.status();
  assert.equal(s.phase, 'Degraded');
  assert.equal(s.abort, true);
  assert.match(s.message, /bad canary/);
  assert.deepEqual(after.workloads.log, ['scale cutover/demo:v1 4', 'route stable=cutover/demo:v1']);
  await after.controller.retry();
  await after.controller.waitFor(is('Paused'), T, 'Paused after retry');
  await after.controller.close();

  const healthy = controllerFor(CANARY);
  await healthy.controller.start();
  const snap = healthy.controller.snapshot();
  await healthy.controller.close();
  const again = controllerFor(CANARY);
  await again.controller.resume(snap);
  assert.equal(again.controller.status().phase, 'Healthy');
  assert.deepEqual(again.workloads.log, ['scale cutover/demo:v1 4', 'route stable=cutover/demo:v1']);
  await assert.rejects(() => again.controller.resume(snap), /already running/);
  await again.controller.close();
});

test('a snapshot names its rollout: another rollout\'s state is refused', async () => {
  const { controller } = controllerFor(CANARY);
  await controller.start();
  const snap = controller.snapshot();
  await controller.close();
  snap.rollout.metadata.name = 'other';
  const fresh = controllerFor(CANARY);
  await assert.rejects(() => fresh.controller.resume(snap), /cannot resume rollout app from the saved state of other/);
  await fresh.controller.close();
});
