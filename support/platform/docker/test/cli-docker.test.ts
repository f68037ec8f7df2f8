// The same CLI and control API drive the docker platform: `cutover up
// --platform docker`, rollout commands from another terminal, Ctrl-C, and
// nothing left in Docker. Skipped where no daemon runs, except in CI.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { tempDataDir } from '../../../../services/common/testing.ts';
import { BIN, cliEnv, startUp } from '../../../cli/test/up-process.ts';
import { demoBlueGreen } from '../../local/test/demo-manifests.ts';
import { DockerEngine } from '../engine.ts';
import { LABEL_OWNER_PID } from '../runtime.ts';
import { dockerSkip } from './availability.ts';

const engine = new DockerEngine();
const skip = await dockerSkip(engine, ['argoproj/rollouts-demo:blue', 'argoproj/rollouts-demo:green'], 'the demo images');
const cwd = tempDataDir('cli-docker');
const env = cliEnv();
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 90_000 });

let up: ChildProcess | undefined;
after(async () => {
  if (up?.exitCode === null) up.kill('SIGKILL');
  await engine.close();
});

test('cutover up --platform docker: the same commands move a blue-green rollout of containers, and Ctrl-C removes them', { skip }, async () => {
  fs.writeFileSync(path.join(cwd, 'demo.yaml'), demoBlueGreen('demo'));
  const started = await startUp(cwd, ['demo.yaml', '--platform', 'docker', '--quiet'], { ...env, CUTOVER_TIME_SCALE: '0.05' });
  up = started.child;
  const output = started.output;
  assert.equal(up.exitCode, null, `up did not start:\n${output()}`);
  assert.match(output(), /on the docker platform/);
  const containers = () => engine.containers(`${LABEL_OWNER_PID}=${up?.pid}`);
  assert.deepEqual((await containers()).map((c) => c.image), ['argoproj/rollouts-demo:blue']);

  assert.equal(cli('rollout', 'set-image', 'demo', 'argoproj/rollouts-demo:green').status, 0);
  const paused = cli('rollout', 'status', 'demo', '--watch', '--timeout', '3s');
  assert.match(paused.stdout, /Paused/, paused.stdout + paused.stderr);
  assert.deepEqual((await containers()).map((c) => c.image).sort(), ['argoproj/rollouts-demo:blue', 'argoproj/rollouts-demo:green']);
  assert.equal(cli('rollout', 'promote', 'demo').status, 0);
  const healthy = cli('rollout', 'status', 'demo', '--watch', '--timeout', '60s');
  assert.equal(healthy.status, 0, healthy.stdout + healthy.stderr);

  up.kill('SIGINT');
  const code = await started.exited;
  assert.equal(code, 0, output());
  assert.match(output(), /stopped; nothing left running \(containers and network removed\)/);
  assert.deepEqual(await containers(), []);
  assert.deepEqual(await engine.networks(`${LABEL_OWNER_PID}=${up.pid}`), []);
});
