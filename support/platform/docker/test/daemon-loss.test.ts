// The Docker daemon going away under a running `cutover up --platform docker`:
// it says so and stops within seconds (exit 1), never hangs; the rollout state
// is saved, and once the daemon answers again the next `cutover up` removes
// the containers left behind and resumes the rollout where it was.
//
// The daemon "goes away" by cutting a socket proxy in front of the real one:
// cutover loses every connection and every new one is refused, exactly what
// it sees when dockerd stops, while the containers stay for the next run to
// find. Skipped where no daemon runs, except in CI.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { tempDataDir } from '../../../../services/common/testing.ts';
import { cliEnv, controlFetch, startUp } from '../../../cli/test/up-process.ts';
import { demoBlueGreen } from '../../local/test/demo-manifests.ts';
import { DockerEngine } from '../engine.ts';
import { LABEL_OWNER_PID } from '../runtime.ts';
import { dockerSkip } from './availability.ts';

const engine = new DockerEngine();
const skip = await dockerSkip(engine, ['argoproj/rollouts-demo:blue', 'argoproj/rollouts-demo:green'], 'the demo images');
const cwd = tempDataDir('daemon-loss');

/** A Unix socket that passes everything to the real daemon until it is cut. */
class CuttableDaemonSocket {
  readonly path = path.join(cwd, 'docker.sock');
  private server: net.Server | undefined;
  private readonly open = new Set<net.Socket>();

  async connect(): Promise<void> {
    fs.rmSync(this.path, { force: true });
    const server = net.createServer((client) => {
      const daemon = net.connect(engine.socket);
      this.open.add(client).add(daemon);
      client.pipe(daemon).pipe(client);
      const end = () => (client.destroy(), daemon.destroy(), this.open.delete(client), this.open.delete(daemon));
      client.on('error', end).on('close', end);
      daemon.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => server.listen(this.path, r));
    this.server = server;
  }

  /** Every connection dropped and the socket gone: new connections get ENOENT. */
  cut(): void {
    this.server?.close();
    this.server = undefined;
    for (const s of this.open) s.destroy();
    this.open.clear();
    fs.rmSync(this.path, { force: true });
  }
}

const proxy = new CuttableDaemonSocket();
const children: import('node:child_process').ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  proxy.cut();
  // Whatever a failed assertion left behind on the real daemon.
  for (const c of children) for (const x of await engine.containers(`${LABEL_OWNER_PID}=${c.pid}`).catch(() => [])) await engine.remove(x.id).catch(() => undefined);
  await engine.close();
});

test('the daemon stopping mid-rollout: cutover up says so and stops within seconds; the next one removes what was left and resumes the rollout', { skip }, async () => {
  fs.writeFileSync(path.join(cwd, 'demo.yaml'), demoBlueGreen('demo'));
  await proxy.connect();
  const env = cliEnv({ DOCKER_HOST: `unix://${proxy.path}`, CUTOVER_TIME_SCALE: '0.05' });
  const first = await startUp(cwd, ['demo.yaml', '--platform', 'docker', '--quiet'], env);
  children.push(first.child);
  assert.equal(first.child.exitCode, null, first.output());
  let current = first;
  const call = async (method: string, route: string, body?: unknown) =>
    (await controlFetch(cwd, route, { method, ...(body ? { body } : {}) }).catch((err: Error) => assert.fail(`${method} ${route}: ${err.message}; cutover up said:\n${current.output()}`))).json() as Promise<{ phase: string; currentImage: string; stableImage: string; activeSelector: string; previewSelector: string; currentPodHash: string; stableRS: string }>;
  await call('POST', '/api/rollouts/demo/set-image', { image: 'argoproj/rollouts-demo:green' });
  for (let i = 0; i < 300 && (await call('GET', '/api/rollouts/demo')).phase !== 'Paused'; i++) await new Promise((r) => setTimeout(r, 100));
  const paused = await call('GET', '/api/rollouts/demo');
  assert.equal(paused.phase, 'Paused');
  assert.equal(paused.previewSelector, paused.currentPodHash);
  const left = (await engine.containers(`${LABEL_OWNER_PID}=${first.child.pid}`)).map((c) => c.image).sort();
  assert.deepEqual(left, ['argoproj/rollouts-demo:blue', 'argoproj/rollouts-demo:green']);

  const cutAt = Date.now();
  proxy.cut();
  const code = await Promise.race([first.exited, new Promise<'hang'>((r) => setTimeout(() => r('hang'), 20_000).unref())]);
  const took = Date.now() - cutAt;
  assert.equal(code, 1, `exit ${code} after ${took} ms:\n${first.output()}`);
  assert.ok(took < 15_000, `stopped ${took} ms after the daemon went away`);
  assert.match(first.output(), new RegExp(`cutover up: the Docker daemon stopped answering at \\d\\d:\\d\\d:\\d\\d: the Docker daemon does not answer on ${proxy.path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\((ENOENT|ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET)\\)`));
  assert.match(first.output(), /resumes the rollouts from \.cutover\/state\.db once the daemon answers again/);
  assert.match(first.output(), /left for the next `cutover up` to remove/);
  // The daemon never really went: its containers are still there, owned by a run that is gone.
  assert.equal((await engine.containers(`${LABEL_OWNER_PID}=${first.child.pid}`)).length, 2);

  await proxy.connect();
  const second = await startUp(cwd, ['demo.yaml', '--platform', 'docker', '--quiet'], env);
  children.push(second.child);
  current = second;
  assert.equal(second.child.exitCode, null, second.output());
  assert.match(second.output(), /docker: removed \d+ container\(s\) and network\(s\) left by a run that was killed/);
  assert.match(second.output(), /resuming rollout demo from \.cutover\/state\.db .*: Paused \(BlueGreenPause\), revision 2 argoproj\/rollouts-demo:green/);
  assert.deepEqual(await engine.containers(`${LABEL_OWNER_PID}=${first.child.pid}`), []);
  for (let i = 0; i < 300 && (await call('GET', '/api/rollouts/demo')).phase !== 'Paused'; i++) await new Promise((r) => setTimeout(r, 100));
  const resumed = await call('GET', '/api/rollouts/demo');
  assert.equal(resumed.phase, 'Paused');
  assert.equal(resumed.currentImage, 'argoproj/rollouts-demo:green');
  assert.equal(resumed.activeSelector, resumed.stableRS, 'the active Service is still on blue');
  assert.deepEqual((await engine.containers(`${LABEL_OWNER_PID}=${second.child.pid}`)).map((c) => c.image).sort(), ['argoproj/rollouts-demo:blue', 'argoproj/rollouts-demo:green']);
  await call('POST', '/api/rollouts/demo/promote', {});
  for (let i = 0; i < 300 && (await call('GET', '/api/rollouts/demo')).phase !== 'Healthy'; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await call('GET', '/api/rollouts/demo')).stableImage, 'argoproj/rollouts-demo:green');
  second.child.kill('SIGINT');
  assert.equal(await second.exited, 0, second.output());
  assert.deepEqual(await engine.containers(`${LABEL_OWNER_PID}=${second.child.pid}`), []);
});
