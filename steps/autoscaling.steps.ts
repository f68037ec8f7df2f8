// Horizontal pod autoscaling: a HorizontalPodAutoscaler applied with the
// manifests scales its Rollout on what its pods use. The waits are in the
// PRD's clock (scaled like the manifests, at least 30 s) and say, on
// timeout, what the autoscaler last saw (`kubectl get hpa`).
import { Then } from '@cucumber/cucumber';
import { describeStatus } from '../support/autoscaling/autoscaler.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** The rollout's pods: all of them, and the ready ones. */
function podsOf(world: CutoverWorld, rollout: string): { all: number; ready: number } {
  const pods = world.session.platform.pods().filter((p) => p.rollout === rollout);
  return { all: pods.length, ready: pods.filter((p) => p.ready).length };
}

/** Idle: the autoscaler has measured every pod and keeps the rollout where it is (a spurious scale-up fails here). */
Then('autoscaler {string} measures the CPU of rollout {string} and keeps it at {int} replicas within {duration}', async function (this: CutoverWorld, name: string, rollout: string, replicas: number, ms: number) {
  const autoscaler = this.session.autoscaler(name);
  const status = await autoscaler.waitFor((s) => s.currentMetrics.some((m) => m.resource === 'cpu') && s.currentReplicas === replicas && s.desiredReplicas === replicas, this.session.scaledWait(ms), `a CPU reading and ${replicas} replicas of rollout ${rollout}, desired and current`);
  await this.evidence.verify(`autoscaler ${name} keeps rollout ${rollout} at ${replicas} replicas`, true, { expected: `${replicas} replicas`, measured: describeStatus(status) }, () => '');
});

/**
 * Under load: while the PRD workload ran (foreground, "<service> PRD
 * workload"), the autoscaler's syncs saw at least this many pods of the
 * rollout ready, and it never asked for more than its maxReplicas.
 */
Then('autoscaler {string} had at least {int} pods of rollout {string} ready under its PRD workload, never more than its maximum', async function (this: CutoverWorld, name: string, replicas: number, rollout: string) {
  const autoscaler = this.session.autoscaler(name);
  const run = this.session.trafficTo(`${rollout} PRD workload`);
  const during = autoscaler.syncs.filter((x) => Date.parse(x.at) >= run.startedAt && Date.parse(x.at) <= (run.stoppedAt ?? Date.now()));
  const mostReady = Math.max(0, ...during.map((x) => x.readyPods));
  const mostAsked = Math.max(0, ...autoscaler.syncs.map((x) => x.desired));
  const status = autoscaler.status();
  const rescales = autoscaler.events.filter((e) => e.reason === 'SuccessfulRescale').map((e) => `${e.at.slice(11, 19)} ${e.message}`);
  await this.evidence.verify(
    `autoscaler ${name} had at least ${replicas} pods of rollout ${rollout} ready under load, at most ${status.maxReplicas} asked for`,
    mostReady >= replicas && mostAsked <= status.maxReplicas,
    { expected: `>= ${replicas} ready pods, <= ${status.maxReplicas} replicas`, measured: `at most ${mostReady} ready in ${during.length} syncs under load; at most ${mostAsked} asked for`, details: { during, rescales } },
    () =>
      mostAsked > status.maxReplicas
        ? `autoscaler ${name} asked for ${mostAsked} replicas, above its maxReplicas of ${status.maxReplicas}`
        : `autoscaler ${name}: at most ${mostReady} pods of rollout ${rollout} were ready in the ${during.length} syncs while the PRD workload ran, fewer than ${replicas}; CPU read: ${during.map((x) => x.metrics.cpu ?? '?').join(', ')} %; rescales: ${rescales.join('; ') || 'none'}; now ${describeStatus(status)}`,
  );
});

/** After the load: back to the count, the pods over it stopped (not only taken out of the Service). */
Then('within {duration}, autoscaler {string} scales rollout {string} back in to {int} pods', async function (this: CutoverWorld, ms: number, name: string, rollout: string, replicas: number) {
  const autoscaler = this.session.autoscaler(name);
  const started = Date.now();
  const status = await autoscaler.waitFor((s) => s.desiredReplicas === replicas && podsOf(this, rollout).all === replicas, this.session.scaledWait(ms), `${replicas} replicas desired and ${replicas} pods left (pods now: ${podsOf(this, rollout).all})`);
  await this.evidence.verify(`autoscaler ${name} scaled rollout ${rollout} back in to ${replicas} pods`, true, { expected: `${replicas} pods`, measured: `${podsOf(this, rollout).all} pods after ${((Date.now() - started) / 1000).toFixed(1)} s; ${describeStatus(status)}` }, () => '');
});
