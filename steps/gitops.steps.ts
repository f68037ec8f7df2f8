// GitOps with Argo CD (support/gitops/): Argo CD installed in the cluster, a
// Git repository served from this machine, Applications from
// k8s/argocd/applications/ following it; pushes, syncs, self-heal, prune,
// rollback and notifications observed through the cluster and Argo CD's API.
// Argo CD's own clocks do not follow the run's time scale: its waits are as written.
import { DataTable, Given, Then, When } from '@cucumber/cucumber';
import fs from 'node:fs';
import path from 'node:path';
import { loadApplication, reviewApplication } from '../support/gitops/application.ts';
import { ArgoCdEnvironment, GitOpsScenario, NOTIFICATIONS_FILE } from '../support/gitops/gitops.ts';
import { withPullPolicy, withRolloutImage } from '../support/manifests/env-override.ts';
import { asKubernetes } from '../support/platform/kubernetes/platform.ts';
import { kubectl } from '../support/gitops/argocd.ts';
import type { CutoverWorld } from '../support/world/world.ts';

const INSTALL_TIMEOUT_MS = 6 * 60_000;

function gitops(world: CutoverWorld): NonNullable<CutoverWorld['gitops']> {
  if (world.gitops === undefined) throw new Error('Argo CD is not set up in this scenario: start with "Given Argo CD is installed in the cluster and ready"');
  return world.gitops;
}

function lastPush(world: CutoverWorld): { repository: string; commit: string; at: number; message: string } {
  const push = gitops(world).pushes.at(-1);
  if (push === undefined) throw new Error('nothing has been pushed in this scenario');
  return push;
}

Given('Argo CD is installed in the cluster and ready', async function (this: CutoverWorld) {
  const platform = asKubernetes(this.session.platform);
  const namespace = await platform.ensureNamespace();
  const env = await ArgoCdEnvironment.ensure(platform.cluster, { timeoutMs: INSTALL_TIMEOUT_MS, log: (l) => this.progress(l), notificationsFile: this.session.resolve(NOTIFICATIONS_FILE) });
  const scenario = await GitOpsScenario.start(env, platform.cluster, namespace, (l) => this.progress(l));
  this.session.onCleanup('Argo CD applications and Git server', () => scenario.close());
  this.gitops = { scenario, pushes: [] };
});

/** The install this run made (or found): kubectl apply of the upstream manifest, adapted as said, and every component ready. */
Then('Argo CD was installed from its manifest with kubectl, and each of its components became ready', async function (this: CutoverWorld) {
  const { env } = gitops(this).scenario;
  const components = await env.installation.components();
  const notReady = components.filter((c) => c.ready < c.wanted);
  await this.evidence.verify(
    'Argo CD components ready',
    notReady.length === 0,
    {
      expected: 'every component of the install manifest ready',
      measured: components.map((c) => `${c.name} (${c.kind}) ${c.ready}/${c.wanted}`),
      details: env.installed ?? { note: 'Argo CD was already installed when this run started: not reinstalled' },
    },
    () => `Argo CD components not ready: ${notReady.map((c) => `${c.name} ${c.ready}/${c.wanted} ${c.why.join('; ')}`).join(', ')}`,
  );
  if (env.installed) {
    await this.evidence.text(
      'Argo CD install (kubectl apply --server-side)',
      [`Argo CD ${env.installed.version}: ${env.installed.appliedObjects} objects applied, every component ready ${(env.installed.readyAfterMs / 1000).toFixed(1)} s after the first apply`, '', 'Adapted to this cluster:', ...env.installed.changes.map((c) => `- ${c}`)].join('\n'),
    );
  }
});

/** The server on a NodePort, over HTTPS with its own certificate, the admin logged in: what a browser on the UI's address reaches. */
Then('the Argo CD server is exposed on a NodePort and answers its API over HTTPS, with the admin logged in', async function (this: CutoverWorld) {
  const { env } = gitops(this).scenario;
  const version = await env.api.version();
  await this.evidence.verify('Argo CD server exposed', /^v?\d+\.\d+/.test(version), { expected: 'a version from GET /api/version, logged in', measured: { url: env.serverUrl, version } }, () => `Argo CD at ${env.serverUrl} answered version "${version}"`);
});

Given('a Git repository {string} whose branch {string} holds:', async function (this: CutoverWorld, repository: string, branch: string, table: DataTable) {
  const files: Record<string, string> = {};
  for (const row of table.hashes()) {
    if (!row.path || !row.from) throw new Error('each row names a path in the repository and the project file it holds: | path | from |');
    const from = this.session.resolve(row.from);
    if (!fs.existsSync(from)) throw new Error(`${row.from} does not exist (looked at ${from})`);
    // The pull policy the platform gives what it applies (CUTOVER_IMAGE_PULL_POLICY) goes with what Argo CD applies.
    const policy = process.env.CUTOVER_IMAGE_PULL_POLICY;
    const text = fs.readFileSync(from, 'utf8');
    files[row.path] = policy ? withPullPolicy(text, row.from, policy) : text;
  }
  const { scenario, pushes } = gitops(this);
  const url = await scenario.createRepository(repository, files, branch);
  pushes.push({ repository, commit: scenario.git.head(repository, branch) as string, at: Date.now(), message: 'initial content' });
  await this.evidence.json(`Git repository ${repository}`, { url, branch, files: Object.keys(files), head: scenario.git.head(repository, branch) });
});

Given('Argo CD is connected to the Git repository {string}', async function (this: CutoverWorld, repository: string) {
  await gitops(this).scenario.connectRepository(repository);
});

/** What the UI's Settings → Repositories shows: the repository and Argo CD's test of the connection. */
Then('Argo CD reports its connection to repository {string} as {string} within {duration}', async function (this: CutoverWorld, repository: string, expected: string, ms: number) {
  const { scenario } = gitops(this);
  const url = scenario.repositoryUrl(repository);
  const started = Date.now();
  let seen: { repo: string; status: string; message: string } | undefined;
  while (Date.now() - started < ms) {
    seen = (await scenario.env.api.repositories()).find((r) => r.repo === url);
    if (seen?.status === expected) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await this.evidence.verify(`repository ${repository} connection`, seen?.status === expected, { expected, measured: seen ?? 'not listed' }, () => `Argo CD lists ${url} as ${seen ? `${seen.status} (${seen.message})` : 'nothing: not connected'} after ${ms} ms`);
});

/**
 * The review of a folder of Application files (k8s/argocd/applications/):
 * each as the table says, with nothing more in the folder.
 */
Then('the Argo CD applications in {string} are:', async function (this: CutoverWorld, folder: string, table: DataTable) {
  const dir = this.session.resolve(folder);
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const reviews = Object.fromEntries(files.map((f) => [f, reviewApplication(loadApplication(path.join(dir, f)))]));
  const expected = table.hashes();
  const problems: string[] = [];
  const listed = new Set(expected.map((r) => r.file));
  for (const f of files) if (!listed.has(f)) problems.push(`${f} is in ${folder} but not in the table`);
  for (const row of expected) {
    const r = reviews[row.file ?? ''];
    if (r === undefined) {
      problems.push(`${row.file}: no such file in ${folder}`);
      continue;
    }
    const seen: Record<string, string> = {
      name: r.name,
      path: r.path,
      'target revision': r.targetRevision,
      'auto-sync': r.automated ? 'yes' : 'no',
      prune: r.prune ? 'yes' : 'no',
      'self-heal': r.selfHeal ? 'yes' : 'no',
      'sync options': r.syncOptions.join(', '),
      'deletes what it deployed': r.cascadingDelete ? 'yes' : 'no',
      notifications: r.subscriptions.join(', '),
    };
    for (const [column, want] of Object.entries(row)) {
      if (column === 'file') continue;
      if (!(column in seen)) throw new Error(`unknown column "${column}": expected file, ${Object.keys(seen).join(', ')}`);
      if (seen[column] !== want) problems.push(`${row.file}: ${column} is "${seen[column]}", expected "${want}"`);
    }
  }
  await this.evidence.verify(`review of ${folder}`, problems.length === 0, { expected, measured: reviews }, () => `review of ${folder}:\n  ${problems.join('\n  ')}`);
});

When(/^the Argo CD application "([^"]*)" is applied, following repository "([^"]*)"( with automated sync off)?$/, async function (this: CutoverWorld, file: string, repository: string, manual: string | undefined) {
  const app = loadApplication(this.session.resolve(file));
  const applied = await gitops(this).scenario.applyApplication(app, repository, manual ? { automated: false } : {});
  await this.evidence.json(`Argo CD application ${applied.name}`, applied.spec);
});

/** The applications page of the UI: what GET /api/v1/applications lists, with sync and health. */
Then('Argo CD lists the applications {string} with their sync and health status', async function (this: CutoverWorld, names: string) {
  const { scenario } = gitops(this);
  const wanted = names.split(',').map((n) => n.trim());
  const listed = await scenario.env.api.applications();
  const missing = wanted.filter((n) => !listed.some((a) => a.name === scenario.application(n).name));
  await this.evidence.verify('applications listed by Argo CD', missing.length === 0, { expected: wanted.map((n) => scenario.application(n).name), measured: listed.map((a) => ({ name: a.name, sync: a.sync, health: a.health, revision: a.revision })) }, () =>
    `Argo CD does not list ${missing.join(', ')} (it lists ${listed.map((a) => a.name).join(', ') || 'nothing'})`,
  );
});

Then('application {string} is {string} and {string} at the head of branch {string} within {duration}', async function (this: CutoverWorld, name: string, sync: string, health: string, branch: string, ms: number) {
  const { scenario } = gitops(this);
  const repository = lastPush(this).repository;
  const head = scenario.git.head(repository, branch);
  const { status, afterMs } = await scenario.waitFor(name, (s) => s.sync === sync && s.health === health && s.revision === head, ms, `${sync} and ${health} at ${head?.slice(0, 7)}`);
  await this.evidence.json(`application ${name}: ${sync}, ${health}`, { afterMs, status });
});

When('the image of the Rollout in {string} of repository {string} is changed to {image} and pushed', async function (this: CutoverWorld, file: string, repository: string, image: string) {
  const { scenario, pushes } = gitops(this);
  const text = await scenario.git.read(repository, file);
  const message = `Deploy ${image}`;
  const commit = await scenario.git.commit(repository, { [file]: withRolloutImage(text, `${repository}:${file}`, image) }, message);
  pushes.push({ repository, commit, at: Date.now(), message });
});

When('{string} is removed from repository {string} and pushed', async function (this: CutoverWorld, file: string, repository: string) {
  const { scenario, pushes } = gitops(this);
  const message = `Remove ${file}`;
  const commit = await scenario.git.commit(repository, { [file]: null }, message);
  pushes.push({ repository, commit, at: Date.now(), message });
});

/** Detection: Argo CD compared the cluster with the pushed commit (told by the push webhook, else by its polling). */
Then('Argo CD saw the pushed commit within {duration} of the push', async function (this: CutoverWorld, ms: number) {
  const { scenario } = gitops(this);
  const push = lastPush(this);
  const seen: { application: string; afterPushMs: number; sync: string; health: string }[] = [];
  for (const name of scenario.applications.keys()) {
    const { status } = await scenario.waitFor(name, (s) => s.revision === push.commit, Math.max(0, ms - (Date.now() - push.at)), `compared with ${push.commit.slice(0, 7)} within ${ms} ms of the push`);
    seen.push({ application: name, afterPushMs: Date.now() - push.at, sync: status.sync, health: status.health });
  }
  await scenario.git.settled();
  await this.evidence.json('Argo CD saw the push', { push, seen, webhooks: scenario.git.deliveries.filter((d) => d.event.after === push.commit) });
});

Then('application {string} was synced to the pushed commit within {duration}', async function (this: CutoverWorld, name: string, ms: number) {
  const { scenario } = gitops(this);
  const push = lastPush(this);
  const { status } = await scenario.waitFor(
    name,
    (s) => s.sync === 'Synced' && s.revision === push.commit && s.operationPhase === 'Succeeded' && s.history.at(-1)?.revision === push.commit,
    Math.max(0, ms - (Date.now() - push.at)),
    `synced to ${push.commit.slice(0, 7)}`,
  );
  const deployedAt = Date.parse(status.history.at(-1)?.deployedAt ?? '');
  await this.evidence.json(`application ${name} synced to ${push.commit.slice(0, 7)}`, { push, syncedAfterPushMs: Number.isNaN(deployedAt) ? undefined : deployedAt - push.at, history: status.history });
});

/** A manual-sync application: it says OutOfSync and deploys nothing on its own. */
Then('application {string} is {string} at the pushed commit and stays so for {duration}', async function (this: CutoverWorld, name: string, sync: string, ms: number) {
  const { scenario } = gitops(this);
  const push = lastPush(this);
  await scenario.waitFor(name, (s) => s.sync === sync && s.revision === push.commit, 60_000, `${sync} at ${push.commit.slice(0, 7)}`);
  const until = Date.now() + ms;
  const seen: string[] = [];
  while (Date.now() < until) {
    const s = await scenario.status(name);
    seen.push(`${s.sync}@${s.revision.slice(0, 7)} history ${s.history.length}`);
    if (s.sync !== sync || s.history.some((h) => h.revision === push.commit)) {
      throw new Error(`application ${name} did not stay ${sync}: ${s.sync}, history ${s.history.map((h) => h.revision.slice(0, 7)).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  await this.evidence.json(`application ${name} stayed ${sync} for ${ms} ms`, seen);
});

When('a sync of application {string} is started through the Argo CD API', async function (this: CutoverWorld, name: string) {
  const { scenario } = gitops(this);
  await scenario.env.api.sync(scenario.application(name).name);
});

When('automated sync of application {string} is turned off', async function (this: CutoverWorld, name: string) {
  await gitops(this).scenario.disableAutoSync(name);
});

/** The UI's History and Rollback: redeploys what the application's first deployment deployed. */
When('application {string} is rolled back through the Argo CD API to its first deployment', async function (this: CutoverWorld, name: string) {
  const { scenario } = gitops(this);
  const status = await scenario.status(name);
  const first = status.history[0];
  if (first === undefined) throw new Error(`application ${name} has no deployment history to roll back to`);
  await scenario.env.api.rollback(scenario.application(name).name, first.id);
  await this.evidence.json(`rollback of ${name}`, { to: first, history: status.history });
});

Then('application {string} is {string} and {string} at its first deployment within {duration}', async function (this: CutoverWorld, name: string, sync: string, health: string, ms: number) {
  const { scenario } = gitops(this);
  const first = (await scenario.status(name)).history[0];
  const { status, afterMs } = await scenario.waitFor(name, (s) => s.sync === sync && s.health === health && s.operationPhase === 'Succeeded' && s.history.at(-1)?.revision === first?.revision, ms, `${sync} and ${health}, deployed at ${first?.revision.slice(0, 7)}`);
  await this.evidence.json(`application ${name} after the rollback`, { afterMs, status });
});

When('the {word} {string} is deleted from the namespace by hand', async function (this: CutoverWorld, kind: string, name: string) {
  await kubectl(['delete', kind.toLowerCase(), name, '-n', gitops(this).scenario.namespace, '--wait=false'], 30_000);
  this.remembered.set('deleted by hand at', String(Date.now()));
});

Then('Argo CD has put the {word} {string} back within {duration}', async function (this: CutoverWorld, kind: string, name: string, ms: number) {
  const afterMs = await gitops(this).scenario.waitForObject(kind, name, true, ms);
  await this.evidence.json(`${kind} ${name} put back (self-heal)`, { afterMs, deletedAt: this.remembered.get('deleted by hand at') });
});

Then('Argo CD has deleted the {word} {string} within {duration}', async function (this: CutoverWorld, kind: string, name: string, ms: number) {
  const afterMs = await gitops(this).scenario.waitForObject(kind, name, false, ms);
  await this.evidence.json(`${kind} ${name} pruned`, { afterMs, push: lastPush(this) });
});

/** The release webhook of k8s/argocd/notifications.yaml, told by Argo CD's notifications controller. */
Then('the release webhook was told {string} of application {string} at the pushed commit within {duration}', async function (this: CutoverWorld, trigger: string, name: string, ms: number) {
  const { scenario } = gitops(this);
  const app = scenario.application(name).name;
  const push = lastPush(this);
  const started = Date.now();
  const match = () => scenario.env.notificationsFor(app).find((n) => n.fields.trigger === trigger && n.fields.revision === push.commit);
  while (match() === undefined && Date.now() - started < ms) await new Promise((r) => setTimeout(r, 500));
  const told = match();
  await this.evidence.verify(`release webhook told ${trigger} of ${app}`, told !== undefined, { expected: `${trigger} at ${push.commit}`, measured: scenario.env.notificationsFor(app).map((n) => ({ at: new Date(n.at).toISOString(), ...n.fields })) }, () =>
    `no ${trigger} notification of ${app} at ${push.commit.slice(0, 7)} within ${ms} ms (told: ${JSON.stringify(scenario.env.notificationsFor(app).map((n) => n.fields))})`,
  );
});
