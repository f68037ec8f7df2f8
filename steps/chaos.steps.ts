// Chaos experiments (Chaos Mesh manifests in chaos/) injected into the
// platform, reverted at the end of the scenario, and the recovery measured.
import { Then, When } from '@cucumber/cucumber';
import { CHAOS_KINDS, type PodChaos } from '../support/chaos/model.ts';
import { loadManifestFiles } from '../support/manifests/load.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** Injects every experiment of the file (file:line errors for a malformed one); what it hit goes into the report. */
When('the chaos experiment {string} is applied', async function (this: CutoverWorld, file: string) {
  const { documents } = loadManifestFiles(this.session.expandManifests([file]), CHAOS_KINDS);
  if (documents.length === 0) throw new Error(`${file} holds no chaos experiment (PodChaos)`);
  for (const d of documents) {
    const injection = await this.session.platform.injectChaos(d.spec as PodChaos);
    this.session.onCleanup(`chaos ${injection.experiment}`, () => injection.revert());
    this.chaos.push(injection);
    this.progress(`chaos ${injection.experiment}: ${injection.action} on ${injection.targets.join(', ')}`);
    await this.evidence.json(`chaos ${injection.experiment}`, { file, action: injection.action, targets: injection.targets, injectedAt: new Date(injection.injectedAt).toISOString() });
  }
});

/** Every pod the last experiment hit has restarted and is ready again, and so is every other pod of the rollout; the time to recover (from the injection) is measured and bounded (scaled like every wait). */
Then('every pod of rollout {string} is ready again within {duration}', async function (this: CutoverWorld, rollout: string, ms: number) {
  const injection = this.chaos.at(-1);
  if (injection === undefined) throw new Error('no chaos experiment was applied in this scenario');
  const deadline = injection.injectedAt + this.session.scaledWait(ms);
  const state = () => {
    const pods = this.session.platform.pods().filter((p) => p.rollout === rollout);
    const hit = pods.filter((p) => injection.targets.includes(p.name));
    return { pods, recovered: pods.length > 0 && pods.every((p) => p.ready) && hit.length === injection.targets.length && hit.every((p) => p.restarts > 0) };
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
