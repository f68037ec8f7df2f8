// Rollouts: applying manifests, the `kubectl argo rollouts` verbs, bounded
// waits for a phase, step or weight, and what the rollout did.
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { lintManifests } from '../support/cli/lint.ts';
import { CUTOVER_KINDS } from '../support/manifests/kinds.ts';
import { loadManifestFiles } from '../support/manifests/load.ts';
import { ImageCatalog } from '../support/platform/local/catalog.ts';
import type { RolloutEvent, RolloutPhase } from '../support/rollout/controller.ts';
import type { Rollout } from '../support/rollout/model.ts';
import { delayBetween, timeUntilOnlyVersion, type EventDelay } from '../support/rollout/observations.ts';
import { watchAfterDeployment } from '../support/rollout/post-deployment-watch.ts';
import { evaluateThreshold, parseThreshold } from '../support/slo/threshold.ts';
import type { WindowPhrase } from '../support/slo/windows.ts';
import { commaList, versionOfImage } from '../support/vocabulary/parse.ts';
import type { CutoverWorld } from '../support/world/world.ts';

const PHASES: RolloutPhase[] = ['Progressing', 'Paused', 'Healthy', 'Degraded'];
const ANALYSIS_PHASES = ['Pending', 'Running', 'Successful', 'Failed', 'Error', 'Inconclusive'];

function phaseOf(text: string): RolloutPhase {
  if (!(PHASES as string[]).includes(text)) throw new Error(`"${text}" is not a rollout phase: expected one of ${PHASES.join(', ')}`);
  return text as RolloutPhase;
}

/** Waits (2 minutes, scaled) until the applied rollout is Healthy, and checks it is stable at this image. */
async function expectHealthyAt(world: CutoverWorld, name: string, file: string, image: string): Promise<void> {
  const status = await world.session.waitForPhase(name, 'Healthy', world.session.scaledWait(120_000));
  await world.evidence.verify(`rollout ${name} is healthy at ${image}`, status.stableImage === image, { expected: image, measured: status.stableImage, details: status }, () =>
    `rollout ${name} is Healthy, but at ${status.stableImage}, not ${image}: ${file} deploys ${status.stableImage}`,
  );
}

/** Applies a manifest file, or every YAML file of a directory. */
Given('the manifests {string} are applied', async function (this: CutoverWorld, file: string) {
  await this.session.applyManifests([file]);
});

/** Applies the manifest and waits (2 minutes, scaled) until the rollout is Healthy with that image stable. */
Given('the {rollout} from {string} is healthy at {image}', async function (this: CutoverWorld, name: string, file: string, image: string) {
  await this.session.applyManifests([file]);
  await expectHealthyAt(this, name, file, image);
});

/** Like the step above, with environment variables set on the rollout's containers first (`kubectl set env`); values may name remembered values as {name}:
 *  | FEED_SOURCES | {feed} | */
Given('the {rollout} from {string} is healthy at {image}, with the environment:', async function (this: CutoverWorld, name: string, file: string, image: string, table: DataTable) {
  const rows = table.raw();
  const bad = rows.find((r) => r.length !== 2 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(r[0] as string));
  if (bad !== undefined) throw new Error(`environment row | ${bad.join(' | ')} |: expected two cells, a variable name (letters, digits, "_") and its value`);
  const env = Object.fromEntries(rows.map(([k, v]) => [k as string, this.fillRemembered(v as string)]));
  await this.session.applyManifestWithEnv(file, name, env);
  await expectHealthyAt(this, name, file, image);
});

/** Starts an update (`kubectl argo rollouts set image`); windows "during the rollout" and durations count from here. */
When('the image of {rollout} is set to {image}', async function (this: CutoverWorld, name: string, image: string) {
  await this.session.setImage(name, image);
});

/** `kubectl argo rollouts promote`: skips the current pause. */
When('{rollout} is promoted', async function (this: CutoverWorld, name: string) {
  await this.session.rollout(name).promote(false);
});

/** `kubectl argo rollouts promote --full`: skips every remaining step and analysis. */
When('{rollout} is fully promoted', async function (this: CutoverWorld, name: string) {
  await this.session.rollout(name).promote(true);
});

/** `kubectl argo rollouts abort`: all traffic back to stable; the rollout becomes Degraded. */
When('{rollout} is aborted', async function (this: CutoverWorld, name: string) {
  await this.session.rollout(name).abort('aborted by the scenario');
});

/** `kubectl argo rollouts retry rollout`: restarts an aborted update. */
When('{rollout} is retried', async function (this: CutoverWorld, name: string) {
  await this.session.rollout(name).retry();
});

/** `kubectl argo rollouts pause`. */
When('{rollout} is paused', async function (this: CutoverWorld, name: string) {
  await this.session.rollout(name).pause();
});

/** `kubectl argo rollouts undo`: back to the previous revision. */
When('{rollout} is undone', async function (this: CutoverWorld, name: string) {
  await this.session.rollout(name).undo();
});

/** `kubectl argo rollouts undo --to-revision N`. */
When('{rollout} is undone to revision {int}', async function (this: CutoverWorld, name: string, revision: number) {
  await this.session.rollout(name).undo(revision);
});

/** Waits for a phase: Progressing, Paused, Healthy or Degraded. The wait is in the PRD's clock (scaled, at least 30 s). */
Then('{rollout} is {string} within {duration}', async function (this: CutoverWorld, name: string, phase: string, ms: number) {
  await this.session.waitForPhase(name, phaseOf(phase), this.session.scaledWait(ms));
});

/** Waits until the canary has reached a step (1-based: step 1 is the first step done). */
Then('{rollout} reaches step {int} within {duration}', async function (this: CutoverWorld, name: string, step: number, ms: number) {
  await this.session.rollout(name).waitFor((s) => (s.currentStepIndex ?? 0) >= step, this.session.scaledWait(ms), `step ${step}`);
});

/** Waits until the canary carries a weight of traffic. */
Then('{rollout} reaches a canary weight of {percent} within {duration}', async function (this: CutoverWorld, name: string, weight: number, ms: number) {
  await this.session.rollout(name).waitFor((s) => s.canaryWeight === weight, this.session.scaledWait(ms), `canary weight ${weight}`);
});

/** Waits until the rollout is Paused with the canary at a weight. */
Then('{rollout} is paused at a canary weight of {percent} within {duration}', async function (this: CutoverWorld, name: string, weight: number, ms: number) {
  await this.session.rollout(name).waitFor((s) => s.phase === 'Paused' && s.canaryWeight === weight, this.session.scaledWait(ms), `Paused at canary weight ${weight}`);
});

/** The canary weights set since the update started, in order, exactly. */
Then('{rollout} passed through canary weights {numbers}', async function (this: CutoverWorld, name: string, expected: number[]) {
  const seen = this.session.weightsSinceUpdate(name);
  await this.evidence.verify(`canary weights of ${name}`, JSON.stringify(seen) === JSON.stringify(expected), { expected, measured: seen }, () =>
    `rollout ${name}: expected canary weights ${expected.join(', ')}, saw ${seen.join(', ') || 'none'}`,
  );
});

/** Asserts on the phases of the rollout's analysis runs: all of them, or at least one. */
async function assertAnalysisPhases(world: CutoverWorld, name: string, phase: string, quantifier: 'every' | 'some'): Promise<void> {
  if (!ANALYSIS_PHASES.includes(phase)) throw new Error(`"${phase}" is not an analysis phase: expected one of ${ANALYSIS_PHASES.join(', ')}`);
  const runs = world.session.rollout(name).status().analysisRuns;
  const phases = runs.map((r) => `${r.name}: ${r.phase}${r.message ? ` (${r.message})` : ''}`);
  const holds = quantifier === 'every' ? runs.length > 0 && runs.every((r) => r.phase === phase) : runs.some((r) => r.phase === phase);
  const what = quantifier === 'every' ? `every analysis run to be ${phase}` : `an analysis run to be ${phase}`;
  await world.evidence.verify(`${what} (${name})`, holds, { expected: phase, measured: phases, details: world.session.platform.analysisRuns() }, () =>
    `rollout ${name}: expected ${what}; ${runs.length === 0 ? 'no analysis run was started' : phases.join('; ')}`,
  );
}

/** Every analysis run of the rollout is in this phase (and there is at least one). */
Then('every analysis run of {rollout} is {string}', async function (this: CutoverWorld, name: string, phase: string) {
  await assertAnalysisPhases(this, name, phase, 'every');
});

/** At least one analysis run of the rollout ended in this phase (e.g. the one that failed the canary). */
Then('an analysis run of {rollout} is {string}', async function (this: CutoverWorld, name: string, phase: string) {
  await assertAnalysisPhases(this, name, phase, 'some');
});

/**
 * For rollouts whose analysis decides (e.g. Argo's coin-flip example): waits
 * until the update completes or aborts, then checks that the outcome is the
 * one its analysis runs called for: Healthy on the new image when every run
 * succeeded, Degraded back on the old one when a run failed.
 */
Then('{rollout} completes or aborts as its analysis decides within {duration}', async function (this: CutoverWorld, name: string, ms: number) {
  const { fromImage, toImage } = this.session.updateOf(name);
  const rollout = this.session.rollout(name);
  const s = await rollout.waitFor((st) => st.phase === 'Healthy' || st.phase === 'Degraded', this.session.scaledWait(ms), 'Healthy or Degraded');
  const runs = s.analysisRuns.map((r) => `${r.name}: ${r.phase}`);
  const failed = s.analysisRuns.some((r) => r.phase === 'Failed' || r.phase === 'Error');
  const expected = failed ? { phase: 'Degraded', stableImage: fromImage } : { phase: 'Healthy', stableImage: toImage };
  const holds = s.analysisRuns.length > 0 && s.phase === expected.phase && s.stableImage === expected.stableImage;
  await this.evidence.verify(`rollout ${name} follows its analysis`, holds, { expected, measured: { phase: s.phase, stableImage: s.stableImage, analysisRuns: runs }, details: this.session.platform.analysisRuns() }, () =>
    s.analysisRuns.length === 0
      ? `rollout ${name} ended ${s.phase} without running any analysis`
      : `rollout ${name} ended ${s.phase} at ${s.stableImage}, but its analysis (${runs.join('; ')}) called for ${expected.phase} at ${expected.stableImage}`,
  );
});

type Moment = 'abort' | 'switch' | 'cut-over' | 'rollback';

/**
 * The moment traffic was moved: the abort, the last switch of the active
 * Service since the update started, or the last cut-over or rollback of an
 * Ingress the scenario marked (CutOver, RolledBack).
 */
async function momentOf(world: CutoverWorld, moment: Moment): Promise<number> {
  if (moment === 'cut-over' || moment === 'rollback') {
    const mark = world.session.marks.findLast((m) => m.reason === (moment === 'cut-over' ? 'CutOver' : 'RolledBack'));
    if (mark === undefined) throw new Error(`no ${moment} happened in this scenario, so there is none to measure from`);
    return Date.parse(mark.at);
  }
  const update = world.session.update;
  if (update === undefined) throw new Error(`no update was started in this scenario, so there is no ${moment} to measure from`);
  const rollout = world.session.rollout(update.rollout);
  if (moment === 'abort') {
    const aborted = await rollout.waitFor((s) => s.abort, world.session.scaledWait(60_000), 'an abort');
    return Date.parse(aborted.abortedAt ?? rollout.events.findLast((e) => e.reason === 'RolloutAborted')?.at ?? '');
  }
  const switched = rollout.events.findLast((e) => e.reason === 'SwitchService' && Date.parse(e.at) >= update.startedAt);
  if (switched === undefined) throw new Error(`rollout ${update.rollout}: the active Service has not switched since the update started (wait for the rollout to be Healthy first)`);
  return Date.parse(switched.at);
}

/**
 * The cut-over as users saw it: after the abort or switch, the last request
 * answered by anything but this image came within the bound (real time, not
 * scaled), and requests went on being answered by it afterwards.
 */
async function assertOnlyVersionWithin(world: CutoverWorld, image: string, boundMs: number, moment: Moment): Promise<void> {
  const at = await momentOf(world, moment);
  const run = world.session.soleTraffic();
  // Let traffic run past the bound so that "nothing else after it" is observed, not assumed.
  const observeUntil = at + boundMs + 1000;
  while (Date.now() < observeUntil && run.running) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 200));
  const version = versionOfImage(image);
  const m = timeUntilOnlyVersion(run.recording.samples, at, version);
  const passed = m.ms <= boundMs && m.answeredAfter > 0;
  await world.evidence.verify(`all traffic on ${image} within ${boundMs} ms of the ${moment}`, passed, { expected: `≤ ${boundMs} ms`, measured: m }, () =>
    m.answeredAfter === 0
      ? `no request was answered by ${version} after the ${moment} (${m.requestsAfter} requests sent since): the cut-over was not observed`
      : `after the ${moment}, requests still reached ${m.lastOtherVersion} ${m.ms} ms later (bound ${boundMs} ms)`,
  );
}

/** The rollback as users saw it: nothing but this image answered later than the bound after the abort. */
Then('all traffic is served by {image} within {duration} of the abort', async function (this: CutoverWorld, image: string, boundMs: number) {
  await assertOnlyVersionWithin(this, image, boundMs, 'abort');
});

/** The blue-green cut-over as users saw it: nothing but this image answered later than the bound after the last switch. */
Then('all traffic is served by {image} within {duration} of the switch', async function (this: CutoverWorld, image: string, boundMs: number) {
  await assertOnlyVersionWithin(this, image, boundMs, 'switch');
});

/** A Helm cut-over as users saw it: nothing but this image answered later than the bound after the Ingress was patched. */
Then('all traffic is served by {image} within {duration} of the cut-over', async function (this: CutoverWorld, image: string, boundMs: number) {
  await assertOnlyVersionWithin(this, image, boundMs, 'cut-over');
});

/** An automatic rollback as users saw it: nothing but this image answered later than the bound after the router led back. */
Then('all traffic is served by {image} within {duration} of the rollback', async function (this: CutoverWorld, image: string, boundMs: number) {
  await assertOnlyVersionWithin(this, image, boundMs, 'rollback');
});

/** Tolerance on a delay the controller times (manifest seconds × time scale): timers and scheduling, real time. */
const DELAY_SLACK_MS = 2000;

/** Asserts a measured delay against the manifest's, scaled: not early (5% slack) and not later than the slack. */
async function assertScaledDelay(world: CutoverWorld, what: string, manifestMs: number, measured: EventDelay): Promise<void> {
  const expected = manifestMs * world.session.platform.timeScale;
  const holds = measured.ms !== undefined && measured.ms >= expected * 0.95 && measured.ms <= expected + DELAY_SLACK_MS;
  await world.evidence.verify(what, holds, { expected: `${Math.round(expected)} ms (${manifestMs / 1000} s × time scale ${world.session.platform.timeScale})`, measured }, () =>
    measured.ms === undefined
      ? `${what}: ${measured.fromAt === undefined ? 'the starting event never happened' : 'the ending event never happened'}`
      : `${what}: took ${measured.ms} ms, expected ${Math.round(expected)} ms (−5%, +${DELAY_SLACK_MS} ms)`,
  );
}

/** Blue-green auto-promotion: the time from the preview being ready (the BlueGreenPause) to the switch, against autoPromotionSeconds. */
Then('{rollout} was promoted automatically {duration} after its preview was ready', async function (this: CutoverWorld, name: string, ms: number) {
  const since = this.session.updateOf(name).startedAt;
  const delay = delayBetween(this.session.rollout(name).events, since, (e) => e.reason === 'RolloutPaused' && e.data?.reason === 'BlueGreenPause', (e) => e.reason === 'SwitchService');
  await assertScaledDelay(this, `rollout ${name} promoted automatically ${ms / 1000} s after the preview was ready`, ms, delay);
});

/** The scale-down delay honoured: the previous stack kept running after the switch, then went to zero (waits for it, bounded). */
Then('the previous stack of {rollout} was scaled down {duration} after the switch', async function (this: CutoverWorld, name: string, ms: number) {
  const { startedAt, fromImage } = this.session.updateOf(name);
  const rollout = this.session.rollout(name);
  const scaledDown = (e: RolloutEvent) => e.reason === 'ScalingReplicaSet' && e.data?.to === 0 && e.message.includes(`(${fromImage})`);
  const deadline = Date.now() + ms * this.session.platform.timeScale + DELAY_SLACK_MS + 1000;
  while (Date.now() < deadline && !rollout.events.some((e) => Date.parse(e.at) >= startedAt && scaledDown(e))) await new Promise((r) => setTimeout(r, 100));
  const delay = delayBetween(rollout.events, startedAt, (e) => e.reason === 'SwitchService', scaledDown);
  await assertScaledDelay(this, `the previous stack (${fromImage}) of rollout ${name} scaled down ${ms / 1000} s after the switch`, ms, delay);
});

/** Asserts the share (in %) of answered requests a version served over a window of the scenario's traffic. */
async function assertVersionShare(world: CutoverWorld, image: string, bound: 'at least' | 'at most', percent: number, phrase: WindowPhrase): Promise<void> {
  const run = world.session.soleTraffic();
  const stats = run.recording.stats(world.session.window(phrase, run));
  const share = (stats.versionShare[versionOfImage(image)] ?? 0) * 100;
  const holds = stats.requests > 0 && (bound === 'at least' ? share >= percent : share <= percent);
  await world.evidence.verify(`${image} served ${bound} ${percent}% ${phrase}`, holds, { expected: `${bound} ${percent}%`, measured: `${share.toFixed(2)}%`, details: stats }, () =>
    `${image} served ${share.toFixed(2)}% of ${stats.requests} requests ${phrase}, expected ${bound} ${percent}% (versions: ${JSON.stringify(stats.versions)})`,
  );
}

/** The share of answered requests a version served over a window, at least. */
Then('{image} served at least {percent} of the requests {window}', async function (this: CutoverWorld, image: string, percent: number, phrase: WindowPhrase) {
  await assertVersionShare(this, image, 'at least', percent, phrase);
});

/** The share of answered requests a version served over a window, at most. */
Then('{image} served at most {percent} of the requests {window}', async function (this: CutoverWorld, image: string, percent: number, phrase: WindowPhrase) {
  await assertVersionShare(this, image, 'at most', percent, phrase);
});

/** `cutover lint --strict` on manifests (comma-separated files or folders): no error, no reference that would not resolve, every image runnable; what the local platform ignores is attached. */
Then('the linter finds nothing to fix in {string}', async function (this: CutoverWorld, paths: string) {
  const files = this.session.expandManifests(commaList(paths));
  const result = lintManifests(files, new ImageCatalog());
  await this.evidence.json(`lint of ${paths}`, result);
  const problems = [...result.errors, ...result.warnings];
  await this.evidence.verify(`lint --strict of ${paths}`, problems.length === 0 && result.documents > 0, { expected: '0 errors, 0 warnings', measured: { documents: result.documents, errors: result.errors.length, warnings: result.warnings.length, ignored: result.ignored.length } }, () =>
    result.documents === 0 ? `no manifest in ${paths}` : `${problems.length} problem(s) in ${paths}: ${problems.slice(0, 10).join('; ')}`,
  );
});

/** Every container of every Rollout in the manifests (comma-separated files or folders) states CPU and memory requests and limits. */
Then('every container in {string} has CPU and memory requests and limits', async function (this: CutoverWorld, paths: string) {
  const files = this.session.expandManifests(commaList(paths));
  const { documents } = loadManifestFiles(files, CUTOVER_KINDS);
  const rows: string[] = [];
  const lacking: string[] = [];
  for (const d of documents.filter((x) => x.kind === 'Rollout')) {
    const r = d.spec as Rollout;
    for (const c of r.spec.template.spec.containers) {
      const { requests, limits } = c.resources;
      const missing = [requests?.cpu === undefined ? 'requests.cpu' : '', requests?.memory === undefined ? 'requests.memory' : '', limits?.cpu === undefined ? 'limits.cpu' : '', limits?.memory === undefined ? 'limits.memory' : ''].filter((m) => m !== '');
      rows.push(`${d.where.file} ${r.metadata.name}/${c.name}: requests ${requests?.cpu ?? '-'}m ${requests?.memory ?? '-'} B, limits ${limits?.cpu ?? '-'}m ${limits?.memory ?? '-'} B`);
      if (missing.length > 0) lacking.push(`${d.where.file} rollout ${r.metadata.name} container ${c.name}: no ${missing.join(', ')}`);
    }
  }
  await this.evidence.text(`resources in ${paths}`, rows.join('\n'));
  await this.evidence.verify(`requests and limits in ${paths}`, lacking.length === 0 && rows.length > 0, { expected: 'cpu and memory requests and limits on every container', measured: { containers: rows.length, lacking: lacking.length } }, () =>
    rows.length === 0 ? `no Rollout in ${paths}` : lacking.join('; '),
  );
});

/**
 * The watch after a deployment, for the period scaled by the time scale
 * (a nightly run watches the whole of it): at each check the rollout is
 * Healthy at the image released, none of its pods restarted, went unready or
 * away, no alert fires (where Prometheus watches), and the scenario's traffic
 * over the last window meets every threshold. The first breach fails it.
 */
Then('for {duration} after the deployment, rollout {string} stays Healthy, no pod restarts, no alert fires, and its traffic meets:', async function (this: CutoverWorld, ms: number, name: string, table: DataTable) {
  const thresholds = table.raw().map((row) => parseThreshold(row.join(' ').trim()));
  const rollout = this.session.platform.rollout(name);
  const released = rollout.status().stableImage ?? rollout.status().currentImage;
  const recording = this.session.soleTraffic().recording;
  const durationMs = Math.round(ms * this.settings.timeScale);
  this.progress(`watching rollout ${name} at ${released} for ${Math.round(durationMs / 1000)} s (${Math.round(ms / 60_000)} min at time scale ${this.settings.timeScale})`);
  const prometheus = this.monitoring?.api;
  const result = await watchAfterDeployment(
    {
      status: () => rollout.status(),
      pods: () => this.session.platform.pods().filter((p) => p.rollout === name && p.image === released),
      ...(prometheus ? { firingAlerts: async () => (await prometheus.alerts()).filter((a) => a.state === 'firing').map((a) => `${a.labels.alertname}${a.labels.service ? ` (${a.labels.service})` : ''}`) } : {}),
      traffic: (from, to) => thresholds.map((t) => evaluateThreshold(t, recording, { name: 'the watch', from, to })),
    },
    { durationMs, log: (line) => this.progress(line) },
  );
  await this.evidence.verify(
    `rollout ${name} watched for ${Math.round(durationMs / 1000)} s after the deployment`,
    result.breach === undefined,
    { expected: `Healthy at ${released}, no pod restarted, no alert firing${prometheus ? '' : ' (no Prometheus watches: alerts not checked)'}, traffic meeting ${thresholds.map((t) => t.source).join(', ')}, at every check`, measured: { checks: result.checks.length, intervalMs: result.intervalMs, breach: result.breach } },
    () => `${Math.round((result.breach?.afterMs ?? 0) / 1000)} s into the watch: ${result.breach?.problems.join('; ')}`,
  );
});

/**
 * Deployment success rate: the rollout updated `count` times in a row,
 * alternating the two images, each update given the time (scaled) to become
 * Healthy at its image; Degraded or out of time is a failed deployment.
 */
When('{rollout} is updated {int} times in a row, alternating {image} and {image}, each given {duration} to become Healthy', async function (this: CutoverWorld, name: string, count: number, a: string, b: string, ms: number) {
  if (count < 1 || count > 1000) throw new Error(`updated ${count} times: expected 1 to 1000 updates`);
  await this.session.deployRepeatedly(name, [a, b], count, this.session.scaledWait(ms));
});

/** Of the updates the step above asked for, the share that became Healthy (updates never made count as failed). */
Then('the deployment success rate of {rollout} was above {float}%', async function (this: CutoverWorld, name: string, percent: number) {
  const series = this.session.deploymentSeries.get(name);
  if (series === undefined) throw new Error(`rollout ${name} was not updated repeatedly in this scenario: use "rollout ${name} is updated N times in a row, ..." first`);
  const measured = Math.round(series.successRate * 10_000) / 100;
  const failed = series.attempts.filter((x) => x.outcome !== 'Healthy');
  await this.evidence.verify(`deployment success rate of ${name} above ${percent}%`, measured > percent, { expected: `> ${percent}%`, measured: `${measured}%`, details: { succeeded: series.succeeded, requested: series.requested, failed, stoppedEarly: series.stoppedEarly } }, () =>
    `deployment success rate of ${name}: ${measured}% (${series.succeeded} of ${series.requested} Healthy), not above ${percent}%` +
    `${failed.length > 0 ? `; failed: ${failed.slice(0, 5).map((x) => `#${x.n} ${x.from} → ${x.to} ${x.outcome}${x.message ? ` (${x.message})` : ''}`).join('; ')}` : ''}${series.stoppedEarly ? `; ${series.stoppedEarly}` : ''}`,
  );
});
