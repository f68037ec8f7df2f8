// Blue-green with Helm (the production spec's procedure): phase-1 checks of the
// cluster, `helm upgrade --install` of the blue and green releases, the
// cut-over at the Ingress, and the rollback guard. The engine is
// support/helm/; these steps need the kubernetes profile.
import { Given, Then, When } from '@cucumber/cucumber';
import { HelmCli } from '../support/helm/cli.ts';
import { HelmBlueGreen, RollbackGuard, type RollbackTriggers } from '../support/helm/blue-green.ts';
import { asKubernetes } from '../support/platform/kubernetes/platform.ts';
import { longestAnswerGap } from '../support/rollout/observations.ts';
import { MetricPointWriter } from '../support/integrity/metric-points.ts';
import { commaList } from '../support/vocabulary/parse.ts';
import type { CutoverWorld } from '../support/world/world.ts';

interface HelmScenario {
  bg: HelmBlueGreen;
  /** The last cut-over (or rollback) of the Ingress: when it was patched and when the router followed. */
  cutOver?: { release: string; previous: string | undefined; patchedAt: number; routedAt: number };
  guard?: RollbackGuard;
  writer?: MetricPointWriter;
}
const scenarios = new WeakMap<CutoverWorld, HelmScenario>();

function helm(world: CutoverWorld): HelmScenario {
  const s = scenarios.get(world);
  if (s === undefined) throw new Error('no Helm chart is set for this scenario: start with "Given the Helm chart … with the values …, cut over at the Ingress …"');
  return s;
}

/** The chart, its values files (comma-separated, in order) and the Ingress the cut-over re-points. */
Given('the Helm chart {string} with the values {string}, cut over at the Ingress {string}', function (this: CutoverWorld, chart: string, values: string, ingress: string) {
  const platform = asKubernetes(this.session.platform);
  const cli = new HelmCli({ cwd: this.session.resolve('.'), log: (line) => this.session.options.log?.(line) });
  const bg = new HelmBlueGreen(platform, cli, { chart: this.session.resolve(chart), valuesFiles: commaList(values).map((f) => this.session.resolve(f)), ingress, installTimeoutMs: 300_000 });
  scenarios.set(this, { bg });
});

/** Phase 1: every node Ready, and free CPU and memory (allocatable less what pods request) for both releases' pods at once. */
Then("the cluster's nodes are Ready, with room for blue and green side by side", async function (this: CutoverWorld) {
  const { bg } = helm(this);
  const nodes = await bg.nodes();
  const need = bg.needed();
  const free = nodes.filter((n) => n.ready).reduce((f, n) => ({ cpu: f.cpu + n.cpu.allocatable - n.cpu.requested, memory: f.memory + n.memory.allocatable - n.memory.requested }), { cpu: 0, memory: 0 });
  const ok = nodes.length > 0 && nodes.every((n) => n.ready) && free.cpu >= need.cpu && free.memory >= need.memory;
  const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
  await this.evidence.verify('cluster healthy with room for blue and green', ok, { expected: `every node Ready; free ≥ ${need.cpu.toFixed(2)} CPU and ${mib(need.memory)} for ${need.pods} pods`, measured: { free: { cpu: free.cpu.toFixed(2), memory: mib(free.memory) }, nodes } }, () =>
    nodes.some((n) => !n.ready) ? `nodes not Ready: ${nodes.filter((n) => !n.ready).map((n) => n.name).join(', ')}` : `free ${free.cpu.toFixed(2)} CPU / ${mib(free.memory)} on Ready nodes, but ${need.pods} pods request ${need.cpu.toFixed(2)} CPU / ${mib(need.memory)}`,
  );
});

/** `kubectl label namespace … k=v` on the scenario's namespace. */
When('the namespace is labelled {string}', async function (this: CutoverWorld, pairs: string) {
  const labels = Object.fromEntries(commaList(pairs).map((pair) => {
    const [k, v, ...rest] = pair.split('=');
    if (!k || v === undefined || rest.length > 0) throw new Error(`"${pair}": expected key=value`);
    return [k, v];
  }));
  await asKubernetes(this.session.platform).labelNamespace(labels);
});

Then('the namespace carries the label {string}', async function (this: CutoverWorld, pair: string) {
  const [k, v] = pair.split('=') as [string, string];
  const labels = await asKubernetes(this.session.platform).namespaceLabels();
  await this.evidence.verify(`namespace labelled ${pair}`, labels?.[k] === v, { expected: pair, measured: labels }, () => `the namespace's labels are ${JSON.stringify(labels)}`);
});

Then("every secret the chart's values name is present, with its key", async function (this: CutoverWorld) {
  const secrets = await helm(this).bg.secrets();
  const bad = secrets.filter((s) => !s.present || !s.hasKey);
  await this.evidence.verify('required secrets present', secrets.length > 0 && bad.length === 0, { expected: 'each secret the values name, with a non-empty key', measured: secrets }, () =>
    secrets.length === 0 ? "the chart's values name no secret" : bad.map((s) => (s.present ? `secret ${s.name} has no key ${s.key}` : `secret ${s.name} is missing`)).join('; '),
  );
});

Then("the storage class the chart's values name exists", async function (this: CutoverWorld) {
  const sc = await helm(this).bg.storageClass();
  await this.evidence.verify(`storage class ${sc.name}`, sc.exists, { expected: `storage class ${sc.name} on the cluster`, measured: sc }, () => (sc.name === undefined ? "the chart's values name no persistence.storageClass" : `the cluster has no storage class ${sc.name}`));
});

/** `kubectl auth can-i <verb> <resource> -n <namespace>` for each verb and resource (comma-separated), asked of the API server. */
Then('this identity may {string} {string} in the namespace', async function (this: CutoverWorld, verbs: string, resources: string) {
  const checks = await helm(this).bg.mayDo(commaList(verbs).flatMap((verb) => commaList(resources).map((resource) => ({ verb, resource }))));
  const denied = checks.filter((c) => !c.allowed);
  await this.evidence.verify('RBAC permissions of the deployer', denied.length === 0, { expected: 'every check allowed', measured: checks }, () => `denied: ${denied.map((c) => `${c.verb} ${c.resource}`).join(', ')}`);
});

/** Least privilege: the release's service account is denied each of these (`kubectl auth can-i --as=system:serviceaccount:…`). */
Then('the service account of release {string} may not {string} {string}', async function (this: CutoverWorld, release: string, verbs: string, resources: string) {
  const checks = await helm(this).bg.accountMayDo(release, commaList(verbs).flatMap((verb) => commaList(resources).map((resource) => ({ verb, resource }))));
  const allowed = checks.filter((c) => c.allowed);
  await this.evidence.verify(`service account ${release} has least privilege`, allowed.length === 0, { expected: 'every check denied', measured: checks }, () => `allowed: ${allowed.map((c) => `${c.verb} ${c.resource} (${c.reason ?? ''})`).join(', ')}`);
});

/** `helm upgrade --install <release> <chart> --values … --wait` at the image; the command and its time go into the report. */
When('release {string} is deployed at {image}', async function (this: CutoverWorld, release: string, image: string) {
  const done = await helm(this).bg.deploy(release, image);
  await this.evidence.json(`helm upgrade --install ${release}`, { command: `helm ${done.args.join(' ')}`, seconds: done.ms / 1000, revision: done.revision });
});

Then('every pod of release {string} is running and ready, {int} of them', async function (this: CutoverWorld, release: string, count: number) {
  const pods = helm(this).bg.pods(release);
  const ready = pods.filter((p) => p.ready);
  const ok = ready.length === count && pods.length === count && pods.every((p) => p.restarts === 0);
  await this.evidence.verify(`pods of ${release} ready`, ok, { expected: `${count} pods, ready, never restarted`, measured: pods.map((p) => `${p.name} ${p.image} ready=${p.ready} restarts=${p.restarts}`) }, () =>
    `release ${release}: ${ready.length} of ${pods.length} pods ready (restarts ${pods.map((p) => p.restarts).join(', ')}), expected ${count}`,
  );
});

/** Voluntary evictions (as a node drain makes them) go on until the release's PodDisruptionBudget refuses one; the release is whole again within the bound. */
Then('evicting the pods of release {string} is refused by its disruption budget after {int} eviction(s), and it has all its pods ready again within {duration}', async function (this: CutoverWorld, release: string, allowed: number, ms: number) {
  const e = await helm(this).bg.evictUntilRefused(release, ms);
  this.progress(`evicted ${e.evicted.join(', ') || 'none'}; ${e.refused ? `${e.refused.pod} refused: ${e.refused.message}` : 'none refused'}; ${e.after} of ${e.before} ready after ${e.backAfterMs} ms`);
  const ok = e.evicted.length === allowed && e.refused !== undefined && /disruption budget/i.test(e.refused.message) && e.after === e.before;
  await this.evidence.verify(`disruption budget of ${release}`, ok, { expected: `${allowed} eviction(s) allowed, the next refused for the disruption budget, ${e.before} pods ready again within ${ms} ms`, measured: e }, () =>
    e.refused === undefined
      ? `every one of ${e.evicted.length} pods was evicted: no disruption budget held`
      : e.evicted.length !== allowed
        ? `${e.evicted.length} eviction(s) allowed before the refusal, expected ${allowed}`
        : `${e.after} of ${e.before} pods ready after ${e.backAfterMs} ms`,
  );
});

Then('the migration job of release {string} succeeded', async function (this: CutoverWorld, release: string) {
  const m = await helm(this).bg.migration(release);
  await this.evidence.text(`migration job ${m.job} log`, m.log);
  await this.evidence.verify(`migration ${m.job}`, m.succeeded && /migrations applied/.test(m.log), { expected: 'the hook job Complete, its log listing the migrations applied', measured: { succeeded: m.succeeded, failedPods: m.failed } }, () => `job ${m.job}: succeeded=${m.succeeded}, failed pods ${m.failed}; log: ${m.log.slice(-500)}`);
});

/** The Prometheus text format at the path: its content type, TYPE lines, and the request counter. */
Then('release {string} serves Prometheus metrics at {string}', async function (this: CutoverWorld, release: string, pathText: string) {
  const res = await fetch(`${this.session.platform.serviceUrl(release)}${pathText}`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const types = text.split('\n').filter((l) => l.startsWith('# TYPE')).length;
  const ok = res.status === 200 && /text\/plain/.test(res.headers.get('content-type') ?? '') && types > 0 && /^http_requests_total\{/m.test(text);
  await this.evidence.text(`${release} ${pathText}`, text.slice(0, 20_000));
  await this.evidence.verify(`${release} serves metrics`, ok, { expected: '200, text/plain exposition with http_requests_total', measured: { status: res.status, contentType: res.headers.get('content-type'), metricTypes: types } }, () => `${pathText} of ${release}: status ${res.status}, ${types} metric types, ${/^http_requests_total\{/m.test(text) ? '' : 'no http_requests_total'}`);
});

/** The spec's chart-generation target: a chart of the metric, drawn within the bound (measured here), with points; the SVG goes into the report. */
Then('{string} draws a chart of {string} over {string} within {duration}', async function (this: CutoverWorld, target: string, metric: string, range: string, ms: number) {
  const started = performance.now();
  const res = await fetch(`${this.session.platform.serviceUrl(target)}/api/v1/charts/generate?metric=${encodeURIComponent(metric)}&timeRange=${encodeURIComponent(range)}`, { signal: AbortSignal.timeout(ms + 5000) });
  const svg = await res.text();
  const took = performance.now() - started;
  const points = Number(res.headers.get('x-chart-points') ?? 0);
  if (res.status === 200) await this.evidence.svg(`chart of ${metric} over ${range}`, svg);
  await this.evidence.verify(`chart of ${metric} within ${ms} ms`, res.status === 200 && took <= ms && points > 0 && svg.startsWith('<svg'), { expected: `200 with an SVG of ≥ 1 point within ${ms} ms`, measured: { status: res.status, ms: Math.round(took), points, serverTiming: res.headers.get('server-timing'), version: res.headers.get('x-app-version') } }, () =>
    `chart of ${metric} through ${target}: status ${res.status}, ${points} points, ${Math.round(took)} ms (bound ${ms} ms)`,
  );
});

/** Appendix C on the running pods: non-root, read-only root filesystem, no privilege escalation, every capability dropped, limits set. */
Then('the pods of release {string} run as non-root, with a read-only root filesystem and no privilege escalation', async function (this: CutoverWorld, release: string) {
  const specs = await helm(this).bg.podSpecs(release);
  const problems = specs.flatMap(({ pod, spec }) =>
    spec.containers.flatMap((c) => {
      const sc = c.securityContext ?? {};
      const nonRoot = sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
      return [
        nonRoot !== true ? `${pod}/${c.name}: runAsNonRoot not set` : '',
        sc.readOnlyRootFilesystem !== true ? `${pod}/${c.name}: root filesystem writable` : '',
        sc.allowPrivilegeEscalation !== false ? `${pod}/${c.name}: privilege escalation allowed` : '',
        !(sc.capabilities?.drop ?? []).includes('ALL') ? `${pod}/${c.name}: capabilities not dropped` : '',
        !c.resources?.limits?.cpu || !c.resources.limits.memory ? `${pod}/${c.name}: no CPU and memory limits` : '',
      ].filter(Boolean);
    }),
  );
  await this.evidence.verify(`security context of ${release}`, specs.length > 0 && problems.length === 0, { expected: 'non-root, read-only root, no escalation, capabilities dropped, limits', measured: specs.map(({ pod, spec }) => ({ pod, pod_security: spec.securityContext, containers: spec.containers.map((c) => ({ name: c.name, securityContext: c.securityContext, limits: c.resources?.limits })) })) }, () =>
    specs.length === 0 ? `release ${release} has no pods` : problems.join('; '),
  );
});

/** A user's writes through the Ingress, every interval, for the rest of the scenario (at most 15 minutes). */
When('a point of {string} is written through {string} every {duration} for the whole scenario', async function (this: CutoverWorld, metric: string, target: string, ms: number) {
  const s = helm(this);
  const token = await s.bg.secretValue(0);
  const writer = new MetricPointWriter(this.session.platform.serviceUrl(target), metric, token);
  writer.start(ms, 15 * 60_000);
  s.writer = writer;
  this.session.onCleanup(`writes of ${metric}`, () => writer.stop());
  // Returns once the first write is stored, so what reads the metric next finds it.
  const deadline = Date.now() + 10_000;
  while (writer.acknowledged === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (writer.acknowledged === 0) throw new Error(`no write of ${metric} through ${target} was acknowledged within 10 s (${writer.refused} refused)`);
});

/** No data loss: the metric holds exactly as many points as were acknowledged (written once, never lost on a cut-over or rollback). */
Then('every point acknowledged so far is stored, read through {string}', async function (this: CutoverWorld, target: string) {
  const writer = helm(this).writer;
  if (writer === undefined) throw new Error('no writer runs in this scenario: start one with "a point of … is written through … every …"');
  await writer.stop();
  const { status, count } = await writer.stored();
  const ok = status === 200 && count === writer.acknowledged && writer.acknowledged > 0;
  await this.evidence.verify(`every acknowledged point of ${writer.metric} stored`, ok, { expected: `${writer.acknowledged} points (acknowledged with 201)`, measured: { status, stored: count, refused: writer.refused, readThrough: target } }, () =>
    `${writer.metric}: ${count ?? '(unreadable)'} points stored (status ${status}), ${writer.acknowledged} acknowledged (${writer.refused} writes refused)`,
  );
});

/** The spec's `kubectl patch ingress`: the Ingress now leads to the release's Service; marks "the cut-over". */
When('the Ingress is cut over to release {string}', async function (this: CutoverWorld, release: string) {
  const s = helm(this);
  const previous = s.bg.live();
  const moved = await s.bg.cutOver(release);
  s.cutOver = { release, previous, ...moved };
  this.session.mark('CutOver', moved.patchedAt);
  await this.evidence.json(`ingress cut over to ${release}`, { from: previous, to: release, routerFollowedMs: moved.routedAt - moved.patchedAt });
});

/**
 * Zero downtime, measured around the last move of the Ingress (2 s before the
 * patch to 3 s after the router followed): no request failed (after a
 * rollback: none due once the router led back), and no gap between successful
 * answers reached the bound.
 */
Then('the {word} failed no request, and users never went {duration} without a successful answer', async function (this: CutoverWorld, what: string, boundMs: number) {
  const s = helm(this);
  const move = what === 'rollback' ? s.guard?.decision : s.cutOver;
  if (move === undefined) throw new Error(`no ${what} happened in this scenario`);
  const run = this.session.soleTraffic();
  const window = { name: `around the ${what}`, from: move.patchedAt - 2000, to: move.routedAt + 3000 };
  while (Date.now() < window.to && run.running) await new Promise((r) => setTimeout(r, 100));
  const samples = run.recording.select(window);
  // A rollback leaves a failing release: its own failures before the router moved away are why it happened, not the rollback's.
  const counted = what === 'rollback' ? samples.filter((x) => x.at >= move.routedAt) : samples;
  const failed = counted.filter((x) => x.status === 0 || x.status >= 500);
  const gap = longestAnswerGap(samples);
  const ok = samples.length > 0 && failed.length === 0 && gap.ms < boundMs;
  await this.evidence.verify(`the ${what} without interruption`, ok, { expected: `0 failed, longest gap < ${boundMs} ms`, measured: { requests: samples.length, failed: failed.length, longestGapMs: gap.ms, window } }, () =>
    `around the ${what}: ${failed.length} of ${samples.length} requests failed, longest gap between successful answers ${gap.ms} ms (bound ${boundMs} ms)`,
  );
});

/** After a cut-over: the guard watches the traffic and the live release's /health, and points the Ingress back at the previous release when a trigger fires. */
When('the rollback triggers watch the cut-over: error rate above {percent}, p95 above {duration}, health failing for {duration}', async function (this: CutoverWorld, percent: number, p95Ms: number, healthMs: number) {
  const s = helm(this);
  if (s.cutOver?.previous === undefined) throw new Error('the rollback triggers watch a cut-over: cut the Ingress over first (there must be a release to go back to)');
  const triggers: RollbackTriggers = { maxErrorRate: percent / 100, maxP95Ms: p95Ms, healthFailingMs: this.session.scaledWait(healthMs), windowMs: 5000, minRequests: 20 };
  const run = this.session.soleTraffic();
  const guard = new RollbackGuard(s.bg, () => run.recording.samples, triggers, s.cutOver.previous, `${this.session.platform.serviceUrl(s.bg.options.ingress)}/health`, (line) => this.session.options.log?.(line));
  guard.start();
  s.guard = guard;
  this.session.onCleanup('rollback guard', async () => guard.stop());
});

/** The rollback happened by itself within the bound (from the cut-over to the router leading back); marks "the rollback". */
Then('the Ingress was rolled back to release {string} within {duration} of the cut-over', async function (this: CutoverWorld, release: string, boundMs: number) {
  const s = helm(this);
  const guard = s.guard;
  if (guard === undefined || s.cutOver === undefined) throw new Error('no rollback triggers watch a cut-over in this scenario');
  const deadline = s.cutOver.patchedAt + boundMs;
  while (guard.decision === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const d = guard.decision;
  if (d !== undefined) this.session.mark('RolledBack', d.routedAt);
  const rto = d === undefined ? undefined : d.routedAt - s.cutOver.patchedAt;
  await this.evidence.verify(`rolled back to ${release}`, d !== undefined && rto !== undefined && rto <= boundMs && s.bg.live() === release, { expected: `Ingress back on ${release} within ${boundMs} ms`, measured: { rtoMs: rto, decision: d, live: s.bg.live() } }, () =>
    d === undefined ? `no trigger fired within ${boundMs} ms of the cut-over; the Ingress leads to ${s.bg.live()}` : `the Ingress leads to ${s.bg.live()} after the rollback (${d.reason}), ${rto} ms after the cut-over`,
  );
});
