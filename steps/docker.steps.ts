// The docker platform seen from Docker: every pod is a container of its
// image, the run leaves nothing behind, and a daemon that is not there is a
// clear error at once.
import { Then, When } from '@cucumber/cucumber';
import { containersOfPods, daemonStatus, leftBehind } from '../support/platform/docker/inspect.ts';
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
