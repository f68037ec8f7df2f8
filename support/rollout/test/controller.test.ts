import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RolloutController, type RolloutStatus } from '../controller.ts';
import { FakeAnalysis, FakeWorkloads, rollout } from './fakes.ts';

// 1 manifest second = 1 ms: a 30 s scale-down delay takes 30 ms.
const SCALE = 0.001;
const T = 5000;

function setup(strategy: Record<string, unknown>, outcomes: ConstructorParameters<typeof FakeAnalysis>[0] = {}, over: Record<string, unknown> = {}) {
  const workloads = new FakeWorkloads();
  const analysis = new FakeAnalysis(outcomes);
  const controller = new RolloutController(rollout(strategy, over), { workloads, analysis, timeScale: SCALE });
  return { workloads, analysis, controller };
}

const is = (phase: RolloutStatus['phase']) => (s: RolloutStatus) => s.phase === phase;
const settle = (ms = 60) => new Promise((r) => setTimeout(r, ms));

const STEPS = { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 40 }, { pause: { duration: '10s' } }, { setWeight: 80 }, { pause: { duration: 10 } }] } };

test('the first revision is deployed straight to stable: scaled, routed, Healthy', async () => {
  const { workloads, controller } = setup(STEPS);
  await controller.start();
  const s = controller.status();
  assert.equal(s.phase, 'Healthy');
  assert.equal(s.revision, 1);
  assert.equal(s.stableRS, s.currentPodHash);
  assert.equal(s.currentStepIndex, 3 * 2);
  assert.deepEqual(workloads.log, ['scale cutover/demo:v1 4', 'route stable=cutover/demo:v1']);
  assert.deepEqual(s.replicaSets, [{ hash: s.stableRS, revision: 1, image: 'cutover/demo:v1', replicas: 4, role: 'stable' }]);
  await controller.close();
});

test('a canary walks its steps: weights in order, an indefinite pause waits for promote, timed pauses elapse, then the new revision is stable', async () => {
  const { workloads, controller } = setup(STEPS);
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  const paused = await controller.waitFor(is('Paused'), T, 'Paused');
  assert.equal(paused.currentStepIndex, 1);
  assert.equal(paused.canaryWeight, 20);
  assert.deepEqual(paused.pauseConditions.map((p) => p.reason), ['CanaryPauseStep']);
  await settle(30);
  assert.equal(controller.status().phase, 'Paused', 'a pause without duration waits for promote');
  controller.promote();
  const done = await controller.waitFor(is('Healthy'), T, 'Healthy');
  assert.equal(done.stableImage, 'cutover/demo:v2');
  assert.equal(done.currentStepIndex, 6);
  assert.deepEqual(workloads.weights().slice(1), [20, 40, 80, 100, 0]);
  // ceil(20% of 4) = 1, 40% → 2, 80% → 4; the canary is ready before it gets traffic.
  assert.deepEqual(workloads.log.slice(2, 5), ['scale cutover/demo:v2 1', 'route stable=cutover/demo:v1 canary=cutover/demo:v2 20', 'scale cutover/demo:v2 2']);
  assert.deepEqual(
    controller.events.filter((e) => e.reason === 'TrafficWeightUpdated').map((e) => e.data?.weight),
    [20, 40, 80, 100, 0].slice(0, 4),
  );
  // The old revision is scaled down after scaleDownDelaySeconds (30 s × scale).
  assert.equal(workloads.replicas.get('cutover/demo:v1'), 4);
  await settle(80);
  assert.equal(workloads.replicas.get('cutover/demo:v1'), 0);
  const phases = controller.events.filter((e) => e.reason === 'PhaseChanged').map((e) => e.data?.to);
  assert.deepEqual(phases, ['Healthy', 'Progressing', 'Paused', 'Progressing', 'Paused', 'Progressing', 'Paused', 'Progressing', 'Healthy']);
  await controller.close();
});

test('a failed analysis step aborts: all traffic back on stable, canary scaled down after abortScaleDownDelaySeconds, Degraded; retry runs the steps again', async () => {
  const { workloads, analysis, controller } = setup(
    { canary: { abortScaleDownDelaySeconds: 20, steps: [{ setWeight: 50 }, { analysis: { templates: [{ templateName: 'success-rate' }], args: [{ name: 'svc', value: 'app' }] } }, { setWeight: 100 }] } },
    { step: 'Failed' },
  );
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  const s = await controller.waitFor(is('Degraded'), T, 'Degraded');
  assert.equal(s.abort, true);
  assert.equal(s.canaryWeight, 0);
  assert.match(s.message, /^RolloutAborted: Rollout aborted update to revision 2: analysis run app-\w+-2-step-step1 Failed: planned Failed$/);
  assert.equal(workloads.plan?.strategy === 'canary' && workloads.plan.canaryWeight, 0);
  assert.equal(workloads.replicas.get('cutover/demo:v2'), 2, 'kept for the abort scale-down delay');
  await settle(60);
  assert.equal(workloads.replicas.get('cutover/demo:v2'), 0);
  assert.deepEqual(analysis.started[0]?.request.args, [{ name: 'svc', value: 'app' }]);
  assert.deepEqual(s.analysisRuns.map((r) => [r.kind, r.phase]), [['step', 'Failed']]);
  await assert.rejects(Promise.resolve().then(() => controller.promote()), /aborted: use retry/);

  analysis.outcomes.step = 'Successful';
  await controller.retry();
  const healthy = await controller.waitFor(is('Healthy'), T, 'Healthy');
  assert.equal(healthy.stableImage, 'cutover/demo:v2');
  assert.equal(healthy.abort, false);
  assert.ok(controller.events.some((e) => e.reason === 'RolloutRetried'));
  await assert.rejects(controller.retry(), /not aborted/);
  await controller.close();
});

test('background analysis starts at startingStep and aborts the canary when it fails', async () => {
  const { analysis, controller } = setup(
    { canary: { analysis: { templates: [{ templateName: 'error-rate' }], startingStep: 2 }, steps: [{ setWeight: 10 }, { pause: { duration: 5 } }, { setWeight: 50 }, { pause: {} }] } },
    { background: 'hold' },
  );
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor((s) => (s.currentStepIndex ?? 0) >= 1 && s.phase === 'Paused', T, 'the timed pause');
  assert.equal(analysis.started.length, 0, 'not before startingStep');
  await controller.waitFor((s) => s.currentStepIndex === 3, T, 'step 3');
  assert.equal(analysis.started.length, 1);
  assert.equal(analysis.started[0]?.request.kind, 'background');
  analysis.started[0]?.finish('Failed', 'error rate 0.4 > 0.05');
  const s = await controller.waitFor(is('Degraded'), T, 'Degraded');
  assert.match(s.message, /background analysis .* Failed: error rate 0.4 > 0.05/);
  assert.equal(s.canaryWeight, 0);
  await controller.close();
});

test('background analysis is stopped when the canary completes', async () => {
  const { analysis, controller } = setup({ canary: { analysis: { templates: [{ templateName: 'error-rate' }] }, steps: [{ setWeight: 50 }, { pause: { duration: 5 } }] } }, { background: 'hold' });
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor(is('Healthy'), T, 'Healthy');
  assert.equal(analysis.started[0]?.terminated, true);
  assert.equal(analysis.started[0]?.phase, 'Successful');
  await controller.close();
});

test('an inconclusive analysis step pauses the rollout until promoted', async () => {
  const { controller } = setup({ canary: { steps: [{ setWeight: 25 }, { analysis: { templates: [{ templateName: 't' }] } }, { setWeight: 75 }] } }, { step: 'Inconclusive' });
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  const s = await controller.waitFor(is('Paused'), T, 'Paused');
  assert.deepEqual(s.pauseConditions.map((p) => p.reason), ['InconclusiveAnalysisRun']);
  controller.promote();
  assert.equal((await controller.waitFor(is('Healthy'), T, 'Healthy')).stableImage, 'cutover/demo:v2');
  await controller.close();
});

test('promote skips a running analysis step; promote --full skips every remaining step', async () => {
  const { workloads, analysis, controller } = setup({ canary: { steps: [{ setWeight: 10 }, { analysis: { templates: [{ templateName: 't' }] } }, { setWeight: 30 }, { pause: {} }, { setWeight: 60 }, { pause: {} }] } }, { step: 'hold' });
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor((s) => s.analysisRuns.length === 1, T, 'an analysis run');
  controller.promote();
  await controller.waitFor(is('Paused'), T, 'the pause after weight 30');
  assert.equal(analysis.started[0]?.terminated, true);
  controller.promote(true);
  const s = await controller.waitFor(is('Healthy'), T, 'Healthy');
  assert.equal(s.stableImage, 'cutover/demo:v2');
  assert.deepEqual(workloads.weights().slice(1), [10, 30, 100, 0], 'weight 60 was skipped');
  await controller.close();
});

test('setting the stable image during a canary rolls back at once, without steps', async () => {
  const { workloads, controller } = setup(STEPS);
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor(is('Paused'), T, 'Paused');
  await controller.setImage('cutover/demo:v1');
  const s = controller.status();
  assert.equal(s.phase, 'Healthy');
  assert.equal(s.canaryWeight, 0);
  assert.equal(s.currentImage, 'cutover/demo:v1');
  assert.equal(workloads.replicas.get('cutover/demo:v2'), 0);
  assert.ok(controller.events.some((e) => e.reason === 'RolloutRollback'));
  await controller.close();
});

test('a new image during a canary abandons the old canary and starts again from step 0', async () => {
  const { workloads, controller } = setup(STEPS);
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor(is('Paused'), T, 'Paused');
  await controller.setImage('cutover/demo:v3');
  const s = await controller.waitFor((x) => x.phase === 'Paused' && x.currentImage === 'cutover/demo:v3', T, 'v3 paused at its first pause');
  assert.equal(s.revision, 3);
  assert.equal(workloads.replicas.get('cutover/demo:v2'), 0);
  assert.equal(s.canaryWeight, 20);
  await controller.close();
});

test('undo after a completed canary rolls out the previous revision through the steps, with a new revision number', async () => {
  const { controller } = setup({ canary: { steps: [{ setWeight: 50 }, { pause: {} }] } });
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor(is('Paused'), T, 'Paused');
  controller.promote();
  await controller.waitFor(is('Healthy'), T, 'Healthy');
  await controller.undo();
  const s = await controller.waitFor(is('Paused'), T, 'Paused on the undo');
  assert.equal(s.currentImage, 'cutover/demo:v1');
  assert.equal(s.revision, 3);
  await assert.rejects(controller.undo(9), /no revision 9 to undo to \(revisions: 3, 2\)/);
  await controller.close();
});

test('a user abort sends all traffic to stable; abort and promote on a healthy rollout are refused', async () => {
  const { workloads, controller } = setup(STEPS);
  await controller.start();
  await assert.rejects(controller.abort(), /no update to abort: it is Healthy at revision 1/);
  assert.throws(() => controller.promote(), /nothing to promote/);
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor(is('Paused'), T, 'Paused');
  await controller.abort();
  const s = controller.status();
  assert.equal(s.phase, 'Degraded');
  assert.equal(s.abort, true);
  assert.ok(s.abortedAt);
  assert.match(s.message, /aborted by the user/);
  assert.match(workloads.log.filter((l) => l.startsWith('route')).at(-1) ?? '', /^route stable=cutover\/demo:v1( canary=cutover\/demo:v2 0)?$/);
  const aborted = controller.events.find((e) => e.reason === 'RolloutAborted');
  const restored = controller.events.find((e) => e.reason === 'TrafficRestored');
  assert.ok(aborted && restored && restored.at >= aborted.at);
  await controller.close();
});

test('setCanaryScale sets the canary replicas apart from the weight', async () => {
  const { workloads, controller } = setup({ canary: { steps: [{ setCanaryScale: { replicas: 3 } }, { setWeight: 10 }, { pause: {} }, { setCanaryScale: { matchTrafficWeight: true } }, { setWeight: 50 }, { pause: {} }] } });
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor(is('Paused'), T, 'Paused');
  assert.equal(workloads.replicas.get('cutover/demo:v2'), 3);
  controller.promote();
  await controller.waitFor((s) => s.phase === 'Paused' && s.canaryWeight === 50, T, 'weight 50');
  assert.equal(workloads.replicas.get('cutover/demo:v2'), 2, 'matchTrafficWeight: ceil(50% of 4)');
  await controller.close();
});

test('pause by the user holds the rollout at the next step boundary until promoted', async () => {
  const { controller } = setup({ canary: { steps: [{ setWeight: 10 }, { pause: { duration: 20 } }, { setWeight: 50 }] } });
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  controller.pause();
  const s = await controller.waitFor((x) => x.pauseConditions.some((p) => p.reason === 'PausedByUser'), T, 'PausedByUser');
  assert.equal(s.phase, 'Paused');
  controller.promote();
  await controller.waitFor(is('Healthy'), T, 'Healthy');
  await controller.close();
});

test('progress deadline: a canary that never becomes ready makes the rollout Degraded, and aborts it with progressDeadlineAbort', async () => {
  const { workloads, controller } = setup({ canary: { steps: [{ setWeight: 50 }] } }, {}, { progressDeadlineSeconds: 20 });
  await controller.start();
  workloads.stuck.add('cutover/demo:v2');
  await controller.setImage('cutover/demo:v2');
  const s = await controller.waitFor(is('Degraded'), T, 'Degraded');
  assert.match(s.message, /ProgressDeadlineExceeded: revision 2 has not become available within 20 s/);
  assert.equal(s.abort, false);
  await controller.close();

  const second = setup({ canary: { steps: [{ setWeight: 50 }] } }, {}, { progressDeadlineSeconds: 20, progressDeadlineAbort: true });
  await second.controller.start();
  second.workloads.stuck.add('cutover/demo:v2');
  await second.controller.setImage('cutover/demo:v2');
  const aborted = await second.controller.waitFor((x) => x.message.startsWith('RolloutAborted'), T, 'aborted');
  assert.match(aborted.message, /RolloutAborted: .*ProgressDeadlineExceeded/);
  await second.controller.close();
});

test('waitFor says what it expected, what it saw last and how long it waited', async () => {
  const { controller } = setup(STEPS);
  await controller.start();
  await assert.rejects(controller.waitFor(is('Degraded'), 30, 'phase Degraded'), /rollout app: expected phase Degraded within 30 ms; last seen after \d+ ms: phase Healthy, revision 1, step 6\/6, canary weight 0/);
  await controller.close();
});

test('analysis args are resolved: values, pod-template hashes and fieldRefs', async () => {
  const { analysis, controller } = setup({
    canary: {
      steps: [
        { setWeight: 10 },
        {
          analysis: {
            templates: [{ templateName: 't' }],
            args: [
              { name: 'plain', value: 'x' },
              { name: 'stable-hash', valueFrom: { podTemplateHashValue: 'Stable' } },
              { name: 'latest-hash', valueFrom: { podTemplateHashValue: 'Latest' } },
              { name: 'name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'team', valueFrom: { fieldRef: { fieldPath: "metadata.labels['team']" } } },
            ],
          },
        },
      ],
    },
  });
  await controller.start();
  const stableHash = controller.status().stableRS;
  await controller.setImage('cutover/demo:v2');
  const s = await controller.waitFor(is('Healthy'), T, 'Healthy');
  assert.deepEqual(analysis.started[0]?.request.args, [
    { name: 'plain', value: 'x' },
    { name: 'stable-hash', value: stableHash },
    { name: 'latest-hash', value: s.stableRS },
    { name: 'name', value: 'app' },
    { name: 'team', value: 'sre' },
  ]);
  assert.notEqual(stableHash, s.stableRS);
  await controller.close();
});

test('blue-green with manual promotion: preview up and paused, promote switches the active Service, the old stack goes after scaleDownDelaySeconds', async () => {
  const { workloads, controller } = setup({ blueGreen: { activeService: 'app-active', previewService: 'app-preview', autoPromotionEnabled: false, previewReplicaCount: 1, scaleDownDelaySeconds: 40 } });
  await controller.start();
  assert.equal(workloads.log.at(-1), 'route active=cutover/demo:v1 preview=cutover/demo:v1');
  await controller.setImage('cutover/demo:v2');
  const paused = await controller.waitFor(is('Paused'), T, 'Paused');
  assert.deepEqual(paused.pauseConditions.map((p) => p.reason), ['BlueGreenPause']);
  assert.equal(workloads.log.at(-1), 'route active=cutover/demo:v1 preview=cutover/demo:v2');
  assert.equal(workloads.replicas.get('cutover/demo:v2'), 1, 'previewReplicaCount');
  controller.promote();
  const s = await controller.waitFor(is('Healthy'), T, 'Healthy');
  assert.equal(s.activeSelector, s.currentPodHash);
  assert.equal(workloads.replicas.get('cutover/demo:v2'), 4, 'scaled to full before the switch');
  assert.deepEqual(workloads.log.slice(-2), ['scale cutover/demo:v2 4', 'route active=cutover/demo:v2 preview=cutover/demo:v2']);
  assert.ok(controller.events.some((e) => e.reason === 'SwitchService'));
  await settle(20);
  assert.equal(workloads.replicas.get('cutover/demo:v1'), 4);
  await settle(60);
  assert.equal(workloads.replicas.get('cutover/demo:v1'), 0);
  await controller.close();
});

test('blue-green fast rollback: undo within the scale-down delay switches back at once, without pause or analysis; after it, the full procedure', async () => {
  const { workloads, analysis, controller } = setup({
    blueGreen: { activeService: 'a', previewService: 'p', autoPromotionEnabled: false, scaleDownDelaySeconds: 200, prePromotionAnalysis: { templates: [{ templateName: 'smoke' }] } },
  });
  await controller.start();
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor(is('Paused'), T, 'Paused');
  controller.promote();
  await controller.waitFor((s) => s.phase === 'Healthy' && s.stableImage === 'cutover/demo:v2', T, 'Healthy at v2');
  const smokeRuns = analysis.started.length;
  const eventsBefore = controller.events.length;
  await controller.undo();
  const back = await controller.waitFor((s) => s.phase === 'Healthy' && s.stableImage === 'cutover/demo:v1', T, 'Healthy at v1');
  assert.equal(back.activeSelector, back.stableRS);
  assert.equal(analysis.started.length, smokeRuns, 'no analysis on a fast rollback');
  assert.ok(!controller.events.slice(-6).some((e) => e.reason === 'RolloutPaused'), 'no pause on a fast rollback');
  assert.ok(controller.events.some((e) => e.reason === 'RolloutRollback'));
  assert.equal(workloads.replicas.get('cutover/demo:v1'), 4);
  assert.ok(!controller.events.slice(eventsBefore).some((e) => e.reason === 'ScalingReplicaSet' && e.data?.to === 4), 'blue was still up: no new pods');
  // v2 is now the stack in its delay; once it is gone, going to it again is a normal update.
  await settle(260);
  assert.equal(workloads.replicas.get('cutover/demo:v2'), 0);
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor(is('Paused'), T, 'Paused again: the full procedure');
  await controller.close();
});

test('blue-green auto-promotion: at once by default, after autoPromotionSeconds when set', async () => {
  const auto = setup({ blueGreen: { activeService: 'a' } });
  await auto.controller.start();
  await auto.controller.setImage('cutover/demo:v2');
  await auto.controller.waitFor(is('Healthy'), T, 'Healthy');
  assert.ok(!auto.controller.events.some((e) => e.reason === 'RolloutPaused'));
  await auto.controller.close();

  const timed = setup({ blueGreen: { activeService: 'a', autoPromotionSeconds: 30 } });
  await timed.controller.start();
  await timed.controller.setImage('cutover/demo:v2');
  await timed.controller.waitFor(is('Paused'), T, 'Paused');
  const s = await timed.controller.waitFor(is('Healthy'), T, 'Healthy');
  assert.equal(s.activeSelector, s.currentPodHash);
  await timed.controller.close();
});

test('blue-green: a failed pre-promotion analysis aborts before the switch; a failed post-promotion analysis switches back', async () => {
  const pre = setup({ blueGreen: { activeService: 'a', previewService: 'p', prePromotionAnalysis: { templates: [{ templateName: 'smoke' }] }, abortScaleDownDelaySeconds: 0 } }, { prePromotion: 'Failed' });
  await pre.controller.start();
  const v1 = pre.controller.status().stableRS;
  await pre.controller.setImage('cutover/demo:v2');
  const s = await pre.controller.waitFor(is('Degraded'), T, 'Degraded');
  assert.equal(s.activeSelector, v1);
  assert.equal(s.previewSelector, v1);
  assert.ok(!pre.controller.events.some((e) => e.reason === 'SwitchService' && e.data?.image === 'cutover/demo:v2'));
  assert.equal(pre.workloads.replicas.get('cutover/demo:v2'), 0);
  await pre.controller.close();

  const post = setup({ blueGreen: { activeService: 'a', postPromotionAnalysis: { templates: [{ templateName: 'slo' }] } } }, { postPromotion: 'Failed' });
  await post.controller.start();
  await post.controller.setImage('cutover/demo:v2');
  const after = await post.controller.waitFor(is('Degraded'), T, 'Degraded');
  assert.equal(after.activeSelector, after.stableRS);
  const switches = post.controller.events.filter((e) => e.reason === 'SwitchService').map((e) => e.data?.image);
  assert.deepEqual(switches, ['cutover/demo:v2', 'cutover/demo:v1']);
  await post.controller.close();
});

test('an update of the manifest with an unchanged template changes nothing; a renamed manifest is refused', async () => {
  const { workloads, controller } = setup(STEPS);
  await controller.start();
  const before = workloads.log.length;
  await controller.update(rollout(STEPS));
  assert.equal(workloads.log.length, before);
  assert.throws(() => controller.update({ ...rollout(STEPS), metadata: { name: 'other', labels: {}, annotations: {} } }), /cannot update rollout app with a manifest for other/);
  await controller.close();
  assert.throws(() => controller.promote(), /shut down/);
});

test('scale (kubectl scale, an autoscaler): a Healthy rollout\'s stable revision converges at once; during an update the next step uses it; a changed replica count in an applied manifest is a scale, not an update', async () => {
  const { workloads, controller } = setup(STEPS);
  await controller.start();
  await controller.scale(6, 'kubectl scale');
  assert.equal(controller.status().replicaSets[0]?.replicas, 6);
  assert.equal(workloads.log.at(-1), 'scale cutover/demo:v1 6');
  assert.match(controller.events.at(-2)?.message ?? '', /replicas 4 → 6 \(kubectl scale\)/);
  await assert.rejects(controller.scale(-1, 'typo'), /cannot scale to -1 replicas/);

  // An update in flight: stable is not touched now; the canary's next weight is of the new count.
  await controller.setImage('cutover/demo:v2');
  await controller.waitFor(is('Paused'), T, 'paused at 20%');
  const before = workloads.log.length;
  await controller.scale(10, 'autoscaler');
  assert.deepEqual(workloads.log.slice(before), []);
  controller.promote();
  await controller.waitFor((s) => s.canaryWeight === 40, T, 'weight 40');
  assert.ok(workloads.log.includes('scale cutover/demo:v2 4'), `40% of 10 replicas is 4 canary pods: ${workloads.log.join(', ')}`);
  controller.promote(true);
  await controller.waitFor((s) => is('Healthy')(s) && s.stableImage === 'cutover/demo:v2', T, 'Healthy at v2');
  assert.equal(controller.status().replicaSets.find((r) => r.role === 'stable')?.replicas, 10);

  // kubectl apply of the same template with 3 replicas: no new revision, stable scaled to 3.
  const revision = controller.status().revision;
  await controller.update({ ...controller.rollout, spec: { ...controller.rollout.spec, replicas: 3 } });
  assert.equal(controller.status().revision, revision);
  assert.equal(controller.status().replicaSets.find((r) => r.role === 'stable')?.replicas, 3);
  await controller.close();
});
