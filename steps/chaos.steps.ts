// Chaos experiments (Chaos Mesh manifests in chaos/) injected into the
// platform, the steady-state hypothesis around them, and the recovery measured.
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { podOutages, recoveredFromHit, weightRaisesDuring } from '../support/chaos/pod-outages.ts';
import { parseThreshold } from '../support/slo/threshold.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** Injects every experiment of the file (file:line errors for a malformed one); what it hit goes into the report, and it is reverted at its duration or at the end of the scenario. */
When('the chaos experiment {string} is applied', async function (this: CutoverWorld, file: string) {
  for (const injection of await this.session.applyChaos(file)) {
    this.progress(`chaos ${injection.experiment}: ${injection.kind} ${injection.action} on ${injection.targets.join(', ')}`);
    await this.evidence.json(`chaos ${injection.experiment}`, { file, kind: injection.kind, action: injection.action, targets: injection.targets, injectedAt: new Date(injection.injectedAt).toISOString() });
  }
});

/** The steady-state hypothesis (one k6 threshold per row) over the traffic to a service: it must hold now, and is checked every half second from here on. */
Given('the steady state of {string} holds:', async function (this: CutoverWorld, service: string, table: DataTable) {
  const thresholds = table.raw().map((row) => parseThreshold(row.join(' ').trim()));
  const check = await this.session.holdSteadyState(this.session.trafficTo(service), thresholds);
  this.progress(`steady state of ${service} holds: ${check.verdicts.map((v) => `${v.threshold} measured ${Math.round((v.measured ?? NaN) * 1000) / 1000}`).join(', ')}`);
});

/** Waits for the faults to end, then for the steady state to hold again; the time from the fault's end to recovery (real time, not scaled) must be within the bound. */
Then('the steady state is restored within {duration}', async function (this: CutoverWorld, ms: number) {
  for (const r of await this.session.steadyStateRestored(ms)) this.progress(`steady state of ${r.probe.name} restored ${r.recoveredMs} ms after the fault ended`);
});

/** Every steady-state check made while a fault was active held: users saw no difference. */
Then('the steady state held while the chaos acted', async function (this: CutoverWorld) {
  await this.session.steadyStateHeldDuringChaos();
});

/** Every pod the last experiment hit has restarted (or, deleted on a cluster, been replaced) and is ready again, and so is every other pod of the rollout; the time to recover (from the injection) is measured and bounded (scaled like every wait). */
Then('every pod of rollout {string} is ready again within {duration}', async function (this: CutoverWorld, rollout: string, ms: number) {
  const injection = this.session.chaos.at(-1);
  if (injection === undefined) throw new Error('no chaos experiment was applied in this scenario');
  const deadline = injection.injectedAt + this.session.scaledWait(ms);
  const state = () => {
    const pods = this.session.platform.pods().filter((p) => p.rollout === rollout);
    return { pods, recovered: recoveredFromHit(pods, injection.targets, this.session.platform.diagnostics().events, injection.injectedAt) };
  };
  let s = state();
  while (!s.recovered && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    s = state();
  }
  const recoveredMs = Date.now() - injection.injectedAt;
  await this.evidence.verify(`${rollout} recovered from ${injection.experiment}`, s.recovered, { expected: `every pod ready again within ${ms} ms`, measured: { recoveredMs: s.recovered ? recoveredMs : undefined, pods: s.pods.map((p) => `${p.name}: ${p.ready ? 'ready' : 'not ready'}, ${p.restarts} restart(s)`) } }, () =>
    `rollout ${rollout} did not recover from ${injection.experiment} within ${ms} ms: ${s.pods.map((p) => `${p.name} ${p.ready ? 'ready' : 'not ready'} (${p.restarts} restarts)`).join(', ')}`,
  );
  this.progress(`${rollout} recovered from ${injection.experiment} ${recoveredMs} ms after the injection`);
});

/** From the platform's events: no TrafficWeightUpdated raised the canary's weight while a pod the chaos hit was down (from the kill, or Exited/Unready, to its next Ready). */
Then('rollout {string} never raised the canary weight while a pod hit by the chaos was down', async function (this: CutoverWorld, rollout: string) {
  const hits = this.session.chaos;
  if (hits.length === 0) throw new Error('no chaos experiment was applied in this scenario');
  const since = Math.min(...hits.map((i) => i.injectedAt));
  const outages = podOutages(this.session.platform.diagnostics().events, [...new Set(hits.flatMap((i) => i.targets))], since);
  const weights = this.session
    .rollout(rollout)
    .events.filter((e) => e.reason === 'TrafficWeightUpdated' && typeof e.data?.weight === 'number')
    .map((e) => ({ at: Date.parse(e.at), weight: e.data?.weight as number }));
  const raises = weightRaisesDuring(weights, outages);
  const iso = (t: number | undefined) => (t === undefined ? 'still down' : new Date(t).toISOString());
  await this.evidence.verify(
    `${rollout} raised no weight while a hit pod was down`,
    raises.length === 0,
    { expected: 'no weight increase while a pod hit by the chaos was out of service', measured: { outages: outages.map((o) => ({ pod: o.pod, from: iso(o.from), to: iso(o.to) })), raises } },
    () => `rollout ${rollout} raised the canary weight while pods were down: ${raises.map((r) => `${r.from}% → ${r.to}% at ${iso(r.at)} (down: ${r.pods.join(', ')})`).join('; ')}`,
  );
});
