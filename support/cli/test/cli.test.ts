// The cutover CLI as a person uses it: `up` in one terminal, `rollout ...`
// commands in another, Ctrl-C at the end; `lint` on good and bad files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDataDir } from '../../../services/common/testing.ts';
import { demoCanary } from '../../platform/local/test/demo-manifests.ts';
import { BIN, cliEnv, startUp } from './up-process.ts';

const K8S = fileURLToPath(new URL('../../../k8s/', import.meta.url));
const cwd = tempDataDir('cli');
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd, env: cliEnv(), encoding: 'utf8', timeout: 90_000 });

const MANIFEST = demoCanary('demo', { steps: '[{setWeight: 50}, {pause: {}}, {setWeight: 80}, {pause: {duration: 20}}]' });

let up: import('node:child_process').ChildProcess | undefined;
after(() => {
  if (up?.exitCode === null) up.kill('SIGKILL');
});

test('up, set-image, status, promote, status --watch, then Ctrl-C leaves nothing running', async () => {
  fs.writeFileSync(path.join(cwd, 'demo.yaml'), MANIFEST);
  const started = await startUp(cwd, ['demo.yaml', '--quiet'], cliEnv({ CUTOVER_TIME_SCALE: '0.05' }));
  up = started.child;
  const state = path.join(cwd, '.cutover', 'control.json');
  assert.equal(up.exitCode, null, `up did not start:\n${started.output()}`);

  const set = cli('rollout', 'set-image', 'demo', 'argoproj/rollouts-demo:green');
  assert.equal(set.status, 0, set.stderr);
  assert.match(set.stdout, /updating to argoproj\/rollouts-demo:green \(revision 2\)/);
  // Paused at 50% until promoted: the watch gives up at its timeout with exit 1.
  const waiting = cli('rollout', 'status', 'demo', '--watch', '--timeout', '3s');
  assert.equal(waiting.status, 1);
  assert.match(waiting.stderr, /rollout demo was not Healthy within 3s: last seen Paused \(CanaryPauseStep\)/);
  assert.match(waiting.stdout, /canary weight 50%/);
  assert.equal(cli('rollout', 'promote', 'demo').status, 0);
  const watched = cli('rollout', 'status', 'demo', '--watch', '--timeout', '60s');
  assert.equal(watched.status, 0, watched.stderr);
  assert.match(watched.stdout, /✔ rollout demo {2}Healthy/);
  const refused = cli('rollout', 'abort', 'demo');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /has no update to abort: it is Healthy at revision 2/);
  assert.match(cli('rollout', 'status', 'nope').stderr, /no rollout "nope" on the local platform \(rollouts: demo\)/);
  assert.equal(cli('rollout', 'frobnicate', 'demo').status, 2);
  // Tables for people, JSON for scripts.
  const asJson = cli('rollout', 'status', 'demo', '--json');
  assert.equal(asJson.status, 0, asJson.stderr);
  assert.equal((JSON.parse(asJson.stdout) as { phase: string; stableImage: string }).stableImage, 'argoproj/rollouts-demo:green');
  const list = cli('rollout', 'list', '--json');
  assert.deepEqual((JSON.parse(list.stdout) as { name: string }[]).map((r) => r.name), ['demo']);
  // Every pod with what its readiness probe saw.
  const pods = cli('pods');
  assert.equal(pods.status, 0, pods.stderr);
  assert.match(pods.stdout, /^POD +ROLLOUT +REV +ROLE +STATE +RESTARTS +PROBES OK +LAST PROBE$/m);
  assert.match(pods.stdout, /^demo-\S+ +demo +2 +stable +ready +0 +\d+\/\d+ +ok HTTP 200 in [\d.]+ ms, \d+ s ago$/m);
  const podsJson = JSON.parse(cli('pods', '--json').stdout) as { rollout: string; ready: boolean; health: { probes: number } }[];
  assert.ok(podsJson.some((p) => p.rollout === 'demo' && p.ready && p.health.probes > 0), JSON.stringify(podsJson));
  // The pods' lines, kept on disk: by rollout and by level (the demo's plain lines have none); a bad flag value is a usage error.
  assert.match(started.output(), /pod logs: kept in \.cutover\/logs for 168h, at most 100 MiB/);
  const logs = cli('logs', 'demo');
  assert.equal(logs.status, 0, logs.stderr);
  assert.match(logs.stdout, /^\S+ demo-\S+ \(argoproj\/rollouts-demo:green\) stdout: .*listening on/m);
  assert.equal(cli('logs', 'demo', '--level', 'error').stdout, '');
  assert.match(cli('logs', '--since', 'soon').stderr, /--since "soon": expected a duration/);
  assert.equal(cli('logs', '--level', 'loud').status, 2);
  // Validated before anything is sent: an unknown flag, --json with --watch.
  const bogus = cli('rollout', 'status', 'demo', '--bogus');
  assert.equal(bogus.status, 2);
  assert.match(bogus.stderr, /cutover rollout: unknown flag --bogus: expected one of .*--json/);
  assert.match(bogus.stderr, /usage:/);
  assert.equal(cli('rollout', 'status', 'demo', '--watch', '--json').status, 2);
  // The control file holds the API's token: its owner's only.
  assert.equal(fs.statSync(state).mode & 0o777, 0o600);

  const pids = JSON.parse(fs.readFileSync(path.join(cwd, '.cutover', 'control.json'), 'utf8')) as { pid: number };
  assert.equal(pids.pid, up.pid);
  up.kill('SIGINT');
  const code = await started.exited;
  const output = started.output();
  assert.equal(code, 0, output);
  assert.match(output, /stopped; nothing left running/);
  assert.ok(!fs.existsSync(state), 'the control file is removed');
  assert.match(cli('logs', 'demo').stdout, /rollouts-demo:blue/, 'the logs outlive the run');
  const after = cli('rollout', 'status', 'demo');
  assert.equal(after.status, 1);
  assert.match(after.stderr, /no running `cutover up` found/);
});

test('help: every command with its flags; no command or an unknown one is a usage error', () => {
  const help = cli('help');
  assert.equal(help.status, 0);
  for (const line of ['cutover up <manifests...>', 'cutover rollout set-image', 'cutover rollout status <rollout> [--watch] [--timeout <duration>] [--json]', 'cutover lint', 'cutover prd coverage', 'cutover signoff --results <dir> --prd <dir-or-files>', 'cutover signoff verify <dir>', 'cutover issue --results <dir> [--out <file>]', 'cutover logs [<rollout>] [--since <duration>] [--level <level>]', 'cutover cluster up|down|status']) assert.ok(help.stdout.includes(line), `help lacks "${line}"`);
  assert.equal(cli('--help').status, 0);
  const none = cli();
  assert.equal(none.status, 2);
  assert.match(none.stdout, /usage:/);
  const unknown = cli('deploy');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /cutover: unknown command "deploy": expected one of up, rollout, pods, logs, lint, prd, signoff, issue, cluster, help/);
});

test('lint: valid files pass, references outside the files warn (fail with --strict), a malformed file fails with file, line and field', () => {
  const ok = cli('lint', path.join(K8S, 'canary', 'tinyurl.yaml'), ...['success-rate', 'error-rate', 'latency'].map((t) => path.join(K8S, 'analysis', `${t}.yaml`)));
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /7 document\(s\) valid/);
  const alone = cli('lint', '--strict', path.join(K8S, 'canary', 'tinyurl.yaml'));
  assert.equal(alone.status, 1);
  assert.match(alone.stderr, /AnalysisTemplate "success-rate" is not in these files/);
  const bad = path.join(cwd, 'bad.yaml');
  fs.writeFileSync(bad, MANIFEST.replace('setWeight: 50', 'setWeight: 150'));
  const broken = cli('lint', bad);
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, new RegExp(`error: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+ \\(document 1\\) spec\\.strategy\\.canary\\.steps\\[0\\]\\.setWeight: .*100`));
  assert.equal(cli('lint').status, 2);
});

test('cluster: a kubeconfig that cannot be read, or a cluster that does not answer, is a clear error, and up creates nothing then', () => {
  const run = (kubeconfig: string, action: string) =>
    spawnSync(process.execPath, [BIN, 'cluster', action], { cwd, env: { ...cliEnv(), KUBECONFIG: kubeconfig }, encoding: 'utf8', timeout: 60_000 });
  const missing = run(path.join(cwd, 'no-such.kubeconfig'), 'status');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot read the kubeconfig .*no-such\.kubeconfig .*npx cutover cluster up/);
  const file = path.join(cwd, 'nobody.kubeconfig');
  fs.writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
  for (const action of ['status', 'up']) {
    const r = run(file, action);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /no Kubernetes API server answers at https:\/\/127\.0\.0\.1:1/);
  }
  assert.equal(cli('cluster', 'sideways').status, 2);
});
