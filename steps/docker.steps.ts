// The docker platform seen from Docker: every pod is a container of its
// image, the run leaves nothing behind, and a daemon that is not there is a
// clear error at once.
import { Given, Then, When } from '@cucumber/cucumber';
import { DockerEngine } from '../support/platform/docker/engine.ts';
import { checkBuiltImages } from '../support/platform/docker/images.ts';
import { splitImage } from '../support/platform/docker/image-transfer.ts';
import { containersOfPods, daemonStatus, leftBehind } from '../support/platform/docker/inspect.ts';
import { loadService, SERVICE_NAMES } from '../services/registry.ts';
import { LocalRegistry } from '../support/platform/docker/registry.ts';
import { DockerRuntime } from '../support/platform/docker/runtime.ts';
import { LocalPlatform } from '../support/platform/local/platform.ts';
import { compareVersions } from '../support/toolchain/tools.ts';
import { createPlatform } from '../support/platform/platform.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** For each pod of the rollout, Docker holds exactly one container: running, of the pod's image, on the run's own network (not the default bridge). */
Then('every pod of rollout {string} is one running container of its image, on the run\'s own network', async function (this: CutoverWorld, rollout: string) {
  const pods = this.session.platform.pods().filter((p) => p.rollout === rollout);
  const rows = await containersOfPods(pods);
  const wrong = rows.filter((r) => r.containers.length !== 1 || r.containers[0]?.state !== 'running' || r.containers[0]?.image !== r.image || !r.containers[0]?.networks.every((n) => n.startsWith('cutover-')));
  const measured = rows.map((r) => ({ pod: r.pod, image: r.image, containers: r.containers.map((c) => `${c.names[0]} ${c.image} ${c.state} on ${c.networks.join(', ')}`) }));
  await this.evidence.verify(`pods of ${rollout} are containers`, pods.length > 0 && wrong.length === 0, { expected: 'one running container per pod, of its image, on a cutover-<run> network', measured }, () =>
    pods.length === 0 ? `rollout ${rollout} has no pods` : `not as expected: ${wrong.map((r) => `${r.pod}: ${r.containers.map((c) => `${c.names[0]} ${c.image} ${c.state} on ${c.networks.join(',')}`).join('; ') || 'no container'}`).join(' | ')}`,
  );
});

/** The daemon at DOCKER_HOST (or the default socket) answers /_ping and /info, at least at the version given. */
Then('the Docker daemon is running, at version {word} or newer, and says its storage driver and cgroup version', async function (this: CutoverWorld, atLeast: string) {
  const status = await daemonStatus();
  this.progress(`Docker ${status.serverVersion} (API ${status.apiVersion}), ${status.storageDriver} on cgroup v${status.cgroupVersion}, ${status.containersRunning} of ${status.containers} containers running, ${status.images} images`);
  const ok = compareVersions(status.serverVersion, atLeast) >= 0 && status.storageDriver !== '' && status.cgroupVersion !== 'unknown';
  await this.evidence.verify('Docker daemon running', ok, { expected: `daemon ${atLeast} or newer, with a storage driver and cgroup version`, measured: status }, () =>
    `daemon ${status.serverVersion}, storage driver "${status.storageDriver}", cgroup version ${status.cgroupVersion}`,
  );
});

/** Closes the scenario's platform now (the end of the scenario would): replicas stopped, containers and network removed. */
When('the platform is shut down', async function (this: CutoverWorld) {
  await this.session.platform.close();
});

Then('no container or network of this run is left in Docker', async function (this: CutoverWorld) {
  const left = await leftBehind();
  await this.evidence.verify('nothing left in Docker', left.containers.length === 0 && left.networks.length === 0, { expected: 'no container, no network', measured: left }, () =>
    `left behind: containers ${left.containers.join(', ') || 'none'}; networks ${left.networks.join(', ') || 'none'}`,
  );
});

/** A docker platform whose daemon socket has no daemon: applying a manifest must fail, within the bound, with the message given. */
Then('applying {string} with no Docker daemon at {string} fails within {duration}, saying {string}', async function (this: CutoverWorld, file: string, socket: string, ms: number, saying: string) {
  const platform = createPlatform('docker', { timeScale: this.session.timeScale, dockerSocket: socket, log: (line) => this.progress(line) });
  const started = Date.now();
  let error: Error | undefined;
  try {
    await Promise.race([platform.applyFiles([this.session.resolve(file)]), new Promise((_, reject) => setTimeout(() => reject(new Error(`still applying after ${ms} ms: a hang`)), ms).unref())]);
  } catch (err) {
    error = err as Error;
  } finally {
    await platform.close();
  }
  const tookMs = Date.now() - started;
  await this.evidence.verify('a missing daemon is a clear error at once', error !== undefined && error.message.includes(saying) && tookMs <= ms, { expected: `an error saying "${saying}" within ${ms} ms`, measured: { tookMs, error: error?.message ?? 'none: the manifest was applied' } }, () =>
    error === undefined ? 'the manifest was applied: there was a daemon after all' : `after ${tookMs} ms: ${error.message}`,
  );
});

function registryOf(world: CutoverWorld) {
  if (world.registry === undefined) throw new Error('no registry yet: start with "Given a container registry is running on this machine"');
  return world.registry;
}

/** The Distribution registry on 127.0.0.1 (built from its Go module), removed with its storage at the scenario's end. */
Given('a container registry is running on this machine', async function (this: CutoverWorld) {
  const registry = await LocalRegistry.start();
  this.session.onCleanup('container registry', () => registry.stop());
  this.registry = { registry, pushes: new Map() };
  this.progress(`registry at ${registry.host}`);
});

/** `docker tag` + `docker push` to the scenario's registry; the progress and the digest go into the report. The registry's name is untagged in Docker afterwards. */
When('{image} is pushed to the registry', async function (this: CutoverWorld, image: string) {
  const { registry, pushes } = registryOf(this);
  const engine = new DockerEngine();
  try {
    const report = await registry.push(engine, image, (line) => this.progress(line));
    pushes.set(image, report);
    await this.evidence.json(`push of ${image} to ${registry.host}`, report);
    await engine.removeImage(registry.nameOf(image));
  } finally {
    await engine.close();
  }
});

Then('the registry serves {image} with the digest its push reported', async function (this: CutoverWorld, image: string) {
  const { registry, pushes } = registryOf(this);
  const pushed = pushes.get(image);
  const { repo, tag } = splitImage(image);
  const served = await registry.digestOf(repo, tag);
  const tags = await registry.tags(repo);
  await this.evidence.verify(`registry serves ${image}`, pushed?.digest !== undefined && served === pushed.digest, { expected: pushed?.digest ?? 'a push of it in this scenario', measured: { served, tags, layers: pushed?.layers.map((l) => `${l.id} ${l.status}`) } }, () =>
    pushed === undefined ? `${image} was not pushed in this scenario` : `the registry serves ${served ?? 'nothing'} for ${image}; the push reported ${pushed.digest}`,
  );
});

/** The rollout's image set to the registry's copy, a name Docker does not hold: the docker platform must pull it. */
When('the image of rollout {string} is set to the registry\'s {image}', async function (this: CutoverWorld, rollout: string, image: string) {
  const { registry } = registryOf(this);
  // The name the pull gives the image goes at the end; the image stays under its own name.
  this.session.onCleanup(`image name ${registry.nameOf(image)}`, async () => {
    const engine = new DockerEngine();
    await engine.removeImage(registry.nameOf(image), true).finally(() => engine.close());
  });
  await this.session.setImage(rollout, registry.nameOf(image));
});

/** The docker runtime pulled the registry's copy because Docker did not hold that name, and got what the push had put there (layers Docker already has are not moved again). */
Then('the docker platform pulled the registry\'s {image}, with the digest its push reported', async function (this: CutoverWorld, image: string) {
  const { registry, pushes } = registryOf(this);
  const platform = this.session.platform;
  const runtime = platform instanceof LocalPlatform ? platform.runtime : undefined;
  if (!(runtime instanceof DockerRuntime)) throw new Error('this step needs the docker platform (--profile docker)');
  const name = registry.nameOf(image);
  const pull = runtime.pulls.find((p) => p.image === name);
  const pushed = pushes.get(image);
  const ok = pull !== undefined && pull.error === undefined && pull.digest === pushed?.digest && pull.statuses.some((st) => st.startsWith(`Status: Downloaded newer image for ${name}`));
  await this.evidence.verify(`docker pulled ${name}`, ok, { expected: `a pull of ${name} with digest ${pushed?.digest}`, measured: pull ?? { pulls: runtime.pulls.map((p) => p.image) } }, () =>
    pull === undefined ? `no pull of ${name}; pulls: ${runtime.pulls.map((p) => p.image).join(', ') || 'none'}` : (pull.error ?? `digest ${pull.digest}, pushed ${pushed?.digest}; Docker said: ${pull.statuses.join(' | ')}`),
  );
});

/** What the build job (npm run images) made, as Docker holds it: every image of every service, not run as root, its tag in APP_VERSION, its port exposed. */
Then('Docker holds every image the build job makes, none running as root, each with its version and port', async function (this: CutoverWorld) {
  const services = await Promise.all(SERVICE_NAMES.map(async (name) => ({ name, port: (await loadService(name)).defaultPort })));
  const engine = new DockerEngine();
  const images = await checkBuiltImages(engine, services).finally(() => engine.close());
  const wrong = images.filter((i) => i.problems.length > 0);
  this.progress(`${images.length - wrong.length} of ${images.length} images as the build job makes them`);
  await this.evidence.verify('images of the build job', images.length > 0 && wrong.length === 0, { expected: 'each image there, USER not root, APP_VERSION = its tag, its port exposed', measured: images }, () =>
    wrong.map((i) => `${i.image}: ${i.problems.join(', ')}`).join('; '),
  );
});
