// The release flow through a registry on this machine: an image pushed to the
// Distribution registry (built from its Go module), then pulled by the docker
// runtime because Docker no longer holds it, its progress told layer by
// layer. The image is made here, one layer of random bytes over the TinyURL
// image, so the pull really moves that layer and nothing of the user's is
// removed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { tempDataDir } from '../../../../services/common/testing.ts';
import { Supervisor } from '../../local/supervisor.ts';
import { DockerEngine } from '../engine.ts';
import { LocalRegistry, REGISTRY_INSTALL_HINT, registryBinary } from '../registry.ts';
import { DockerRuntime } from '../runtime.ts';
import { dockerSkip } from './availability.ts';

const BASE = 'cutover/tinyurl:v1';
const engine = new DockerEngine();
after(() => engine.close());
const noDocker = await dockerSkip(engine, [BASE]);
const skip = noDocker || (process.env.CI || registryBinary() !== undefined ? false : `no registry binary: ${REGISTRY_INSTALL_HINT}`);

test('an image pushed to the registry is pulled by the docker runtime when Docker does not hold it, layer by layer, and runs', { skip }, async (t) => {
  const registry = await LocalRegistry.start();
  t.after(() => registry.stop());
  const image = `cutover-test/pushed:${process.pid}`;
  const build = spawnSync('docker', ['build', '--quiet', '-t', image, '-'], { input: `FROM ${BASE}\nRUN head -c 2000000 /dev/urandom > /tmp/blob\n`, encoding: 'utf8', timeout: 120_000 });
  assert.equal(build.status, 0, build.stderr);
  // One cleanup, in order: the container first, then the image names it used.
  let runtime: DockerRuntime | undefined;
  let supervisor: Supervisor | undefined;
  t.after(async () => {
    await supervisor?.stopAll();
    await runtime?.close();
    await engine.removeImage(image);
    await engine.removeImage(registry.nameOf(image));
  });

  const lines: string[] = [];
  const pushed = await registry.push(engine, image, (l) => lines.push(l));
  assert.match(pushed.digest ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.ok(pushed.layers.length >= 2, `layers: ${JSON.stringify(pushed.layers)}`);
  assert.ok(pushed.layers.every((l) => /^(Pushed|Layer already exists|Mounted from .*)$/.test(l.status)), JSON.stringify(pushed.layers));
  assert.equal(await registry.digestOf('cutover-test/pushed', String(process.pid)), pushed.digest, 'the registry serves what the push reported');
  assert.deepEqual(await registry.tags('cutover-test/pushed'), [String(process.pid)]);
  assert.match(lines.at(-1) ?? '', /^pushing 127\.0\.0\.1:\d+\/cutover-test\/pushed:\d+: \d+ of \d+ layers done/);

  // Docker forgets the image: both names gone, its own layer with them.
  assert.equal(await engine.removeImage(image), true);
  assert.equal(await engine.removeImage(registry.nameOf(image)), true);
  assert.equal(await engine.imageExists(registry.nameOf(image)), false);

  const pullLines: string[] = [];
  runtime = new DockerRuntime({ log: (l) => pullLines.push(l) });
  supervisor = new Supervisor(runtime);
  const r = await supervisor.start({ name: 'pushed-1', runnable: runtime.runnable(registry.nameOf(image)), env: { DATA_DIR: tempDataDir('registry-pull'), RATE_LIMIT_PER_MINUTE: '0' }, readiness: { periodMs: 200 } });
  assert.equal(r.state, 'ready');
  const pull = runtime.pulls[0];
  assert.equal(runtime.pulls.length, 1);
  assert.equal(pull?.image, registry.nameOf(image));
  assert.equal(pull?.digest, pushed.digest);
  assert.equal(pull?.transferred, 1, `only the layer of random bytes moves: ${JSON.stringify(pull?.layers)}`);
  assert.ok((pull?.bytes ?? 0) > 500_000, `its compressed size: ${pull?.bytes}`);
  assert.ok(pull?.layers.filter((l) => l.status === 'Already exists').length === (pull?.layers.length ?? 0) - 1);
  assert.ok(pullLines.some((l) => /^pulling 127\.0\.0\.1:\d+\/cutover-test\/pushed:\d+: \d+ of \d+ layers done, [\d.]+ MB of [\d.]+ MB in [\d.]+ s \(sha256:/.test(l)), pullLines.join('\n'));
});

test('an image no registry has is a clear error: the pull failure and what to do', { skip: noDocker }, async (t) => {
  const registry = await LocalRegistry.start();
  t.after(() => registry.stop());
  const runtime = new DockerRuntime();
  t.after(() => runtime.close());
  const supervisor = new Supervisor(runtime);
  await assert.rejects(
    supervisor.start({ name: 'missing-1', runnable: runtime.runnable(registry.nameOf('cutover/nowhere:v1')), restartPolicy: 'Never' }),
    /image 127\.0\.0\.1:\d+\/cutover\/nowhere:v1 is not in the Docker engine, and pulling it failed: .*(not found|manifest unknown).*Build the service images with "npm run images", or push the image to a registry Docker can reach/s,
  );
  assert.match(runtime.pulls[0]?.error ?? '', /not found|manifest unknown/);
});
