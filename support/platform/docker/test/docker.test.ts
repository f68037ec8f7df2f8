// The docker runtime against a real Docker daemon and the real service image
// (cutover/tinyurl:v1, from `npm run images`). Where no daemon runs, these
// tests are skipped, except in CI, which starts one and must run them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { tempDataDir } from '../../../../services/common/testing.ts';
import { PortConflictError, Supervisor } from '../../local/supervisor.ts';
import { DockerEngine } from '../engine.ts';
import { DockerRuntime, LABEL_OWNER_PID, LABEL_PLATFORM, LABEL_RUN, removeLeftovers } from '../runtime.ts';
import { dockerSkip } from './availability.ts';

const IMAGE = 'cutover/tinyurl:v1';
const engine = new DockerEngine();
const skip = await dockerSkip(engine, [IMAGE]);
after(() => engine.close());

test('a daemon that is not there is a clear error, not a hang', async () => {
  const gone = new DockerEngine('/tmp/cutover-no-such-docker.sock');
  await assert.rejects(gone.version(), /the Docker daemon does not answer on \/tmp\/cutover-no-such-docker\.sock \(ENOENT\): start dockerd/);
  await gone.close();
});

test('a daemon that accepts and never answers is a bounded error too', async (t) => {
  const net = await import('node:net');
  const socket = `/tmp/cutover-hung-docker-${process.pid}.sock`;
  fs.rmSync(socket, { force: true });
  const held: import('node:net').Socket[] = [];
  const hung = net.createServer((c) => held.push(c));
  await new Promise<void>((r) => hung.listen(socket, r));
  t.after(() => {
    for (const c of held) c.destroy();
    hung.close();
    fs.rmSync(socket, { force: true });
  });
  const engine = new DockerEngine(socket, 300);
  const started = Date.now();
  await assert.rejects(engine.imageExists('cutover/tinyurl:v1'), /the Docker daemon did not answer GET \/images\/cutover%2Ftinyurl%3Av1\/json within 300 ms/);
  assert.ok(Date.now() - started < 3000);
  await engine.close().catch(() => undefined);
});

test('a replica runs as a container of the image: ready by its probe, its data on the rollout folder, restarted after a kill, removed at stop', { skip }, async (t) => {
  const runtime = new DockerRuntime();
  const supervisor = new Supervisor(runtime);
  t.after(async () => {
    await supervisor.stopAll();
    await runtime.close();
  });
  const dataDir = tempDataDir('docker');
  const r = await supervisor.start({ name: 'tinyurl-docker-1', runnable: runtime.runnable(IMAGE), env: { DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '0' }, readiness: { periodMs: 200 }, terminationGraceMs: 5000, memoryLimitBytes: 256 * 2 ** 20 });
  assert.equal(r.state, 'ready');
  const created = await fetch(`${r.url}/shorten`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://127.0.0.1/cutover-docker' }) });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('x-app-version'), 'v1');
  const { code } = (await created.json()) as { code: string };
  assert.ok(fs.readdirSync(dataDir).some((f) => f.endsWith('.db')), 'the database is in the rollout folder, mounted at /data');
  assert.ok(r.logs.some((l) => /listening on http:\/\/0\.0\.0\.0:5000/.test(l)), r.logs.join('\n'));
  assert.ok((r.usage()?.memoryBytes ?? 0) > 1e6, 'memory read from the container cgroup');
  const firstContainer = supervisor.events[0]?.message ?? '';
  assert.match(firstContainer, /container [0-9a-f]{12} \(cutover\/tinyurl:v1\) on port \d+/);
  const [mine] = await engine.containers(`${LABEL_RUN}=${runtime.runId}`);
  assert.deepEqual((await engine.inspect(mine?.id ?? ''))?.healthcheck, ['NONE'], "the image's HEALTHCHECK is off: readiness is the manifest's probe");

  // A kill is a crash: the container is replaced, on the same data.
  assert.equal(await r.signal('SIGKILL'), true);
  // Not the first event: a readiness probe may fail (ProbeFailed) before the exit is seen.
  const restarting = new Promise<void>((resolve) => r.on('event', (e: { type: string }) => e.type === 'Restarting' && resolve()));
  await restarting;
  await r.waitReady(30_000);
  assert.equal(r.restarts, 1);
  assert.match(supervisor.events.find((e) => e.type === 'Exited')?.message ?? '', /exit code 137 \(SIGKILL\)/);
  const followed = await fetch(`${r.url}/${code}`, { redirect: 'manual' });
  assert.equal(followed.headers.get('location'), 'http://127.0.0.1/cutover-docker');

  assert.deepEqual(await supervisor.stop('tinyurl-docker-1'), { killed: false });
  const left = await engine.containers(`${LABEL_RUN}=${runtime.runId}`);
  assert.deepEqual(left, [], 'no container of the run is left');
});

test('an image that is not there says how to build it', { skip }, async (t) => {
  const runtime = new DockerRuntime();
  const supervisor = new Supervisor(runtime);
  t.after(() => runtime.close());
  await assert.rejects(supervisor.start({ name: 'nosuch-1', runnable: runtime.runnable('cutover/nosuch:v9'), restartPolicy: 'Never' }), /image cutover\/nosuch:v9 is not in the Docker engine: build the service images with "npm run images" \(cutover pulls an image only from a registry its name gives/);
});

test('a published port someone else holds is a port conflict (the supervisor then tries another), and no container stays', { skip }, async (t) => {
  const net = await import('node:net');
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => holder.close(() => r())));
  const taken = (holder.address() as import('node:net').AddressInfo).port;
  const runtime = new DockerRuntime();
  t.after(() => runtime.close());
  await assert.rejects(runtime.start({ name: 'tinyurl-port-1', runnable: runtime.runnable(IMAGE) }, taken, () => {}), (err: Error) => {
    assert.ok(err instanceof PortConflictError, err.message);
    assert.match(err.message, new RegExp(`^port ${taken} on 127\\.0\\.0\\.1 was taken by another process`));
    return true;
  });
  assert.deepEqual(await engine.containers(`${LABEL_RUN}=${runtime.runId}`), []);
});

test('containers and networks of a run that was killed are removed at the next start; a live run keeps its own', { skip }, async () => {
  const dead = spawn(process.execPath, ['-e', '0']);
  await once(dead, 'exit');
  const labels = { [LABEL_PLATFORM]: 'docker', [LABEL_RUN]: 'orphan', [LABEL_OWNER_PID]: String(dead.pid) };
  const network = await engine.createNetwork('cutover-orphan-test', labels);
  const orphan = await engine.createContainer({ name: 'cutover-orphan-test', image: IMAGE, env: {}, labels, network: 'cutover-orphan-test' });
  const mine = await engine.createContainer({ name: 'cutover-mine-test', image: IMAGE, env: {}, labels: { ...labels, [LABEL_OWNER_PID]: String(process.pid) }, network: 'bridge' });
  try {
    const removed = await removeLeftovers(engine);
    assert.ok(removed.includes('cutover-orphan-test'), removed.join(', '));
    assert.equal(await engine.inspect(orphan), undefined);
    assert.deepEqual((await engine.networks(`${LABEL_RUN}=orphan`)).map((n) => n.id).filter((id) => id === network), []);
    assert.notEqual(await engine.inspect(mine), undefined, 'a container of a live run stays');
  } finally {
    await engine.remove(mine);
    await engine.remove(orphan);
    await engine.removeNetwork(network);
  }
});

test('a file of an image is read without running it, through a symbolic link, and no container stays', { skip }, async () => {
  const osRelease = await engine.readImageFile(IMAGE, '/etc/os-release'); // a link to ../usr/lib/os-release
  assert.match(osRelease?.toString() ?? '', /^ID=debian$/m);
  const status = await engine.readImageFile(IMAGE, '/var/lib/dpkg/status');
  assert.match(status?.toString() ?? '', /^Package: dpkg$/m);
  assert.equal(await engine.readImageFile(IMAGE, '/no/such/file'), undefined);
  await assert.rejects(engine.readImageFile('cutover/nosuch:v9', '/etc/os-release'), /No such image|404/);
  const left = await engine.containers('io.cutover.purpose');
  assert.deepEqual(left, []);
});
