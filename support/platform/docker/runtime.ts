// Replicas as containers of the real images, through the Docker Engine API:
// on a user-defined network of the run, each container's port published on
// 127.0.0.1 (where the same router and probes as on the local platform reach
// it), the rollout's data folder mounted at /data like a persistent volume,
// memory and CPU limits enforced by the kernel. Every container and network
// carries the run's labels; a run that was killed leaves them behind, and the
// next start removes them (as Argo's instance-id labels let a controller tell
// its own objects).
import fs from 'node:fs';
import os from 'node:os';
import { processAlive } from '../local/leftovers.ts';
import type { Runnable } from '../local/catalog.ts';
import type { ProcessUsage } from '../local/pod-metrics.ts';
import { PortConflictError, type ReplicaRun, type ReplicaRuntime, type ReplicaSpec } from '../local/supervisor.ts';
import { DockerEngine, DockerEngineError } from './engine.ts';
import { namesRegistry, splitImage, TransferProgress, type TransferReport } from './image-transfer.ts';

export const LABEL_PLATFORM = 'io.cutover.platform';
export const LABEL_RUN = 'io.cutover.run';
export const LABEL_OWNER_PID = 'io.cutover.owner-pid';
export const LABEL_POD = 'io.cutover.pod';

/** Where a container reads its data: the rollout's folder is mounted here. */
const CONTAINER_DATA_DIR = '/data';

const signalName = (code: number) => (code > 128 ? Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined);

/** cgroup v1 (cgroupfs driver) accounting of a container: CPU time and working set, as cAdvisor computes it. */
function readContainerUsage(id: string): ProcessUsage | undefined {
  try {
    const cpuNs = Number(fs.readFileSync(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, 'utf8'));
    const usage = Number(fs.readFileSync(`/sys/fs/cgroup/memory/docker/${id}/memory.usage_in_bytes`, 'utf8'));
    const stat = fs.readFileSync(`/sys/fs/cgroup/memory/docker/${id}/memory.stat`, 'utf8');
    const inactiveFile = Number(/^total_inactive_file (\d+)/m.exec(stat)?.[1] ?? 0);
    return { cpuSeconds: cpuNs / 1e9, memoryBytes: Math.max(0, usage - inactiveFile), readBytes: undefined, writeBytes: undefined };
  } catch {
    return undefined;
  }
}

export interface DockerRuntimeOptions {
  /** Default: DOCKER_HOST, or /var/run/docker.sock. */
  engine?: DockerEngine;
  /** Progress lines (leftovers removed, network created). */
  log?: (line: string) => void;
  /** How often the daemon is pinged once in use (default 1 s); two missed pings in a row and it is lost. */
  pingIntervalMs?: number;
  /** How long pulling an image the engine does not hold may take (default 5 minutes). */
  pullTimeoutMs?: number;
}

export class DockerRuntime implements ReplicaRuntime {
  readonly kind = 'docker' as const;
  readonly engine: DockerEngine;
  /** Unique per platform instance: names its network and labels everything it creates. */
  readonly runId = `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;
  private network: Promise<string> | undefined;
  private readonly imageConfigs = new Map<string, ReturnType<DockerEngine['imageConfig']>>();
  /** The images pulled because Docker did not hold them, with their progress layer by layer. */
  readonly pulls: (TransferReport & { error?: string })[] = [];
  private readonly runsPerPod = new Map<string, number>();
  private readonly live = new Set<string>();
  private closed = false;
  private lostListeners: ((err: Error) => void)[] = [];
  private lost: Error | undefined;
  private watch: NodeJS.Timeout | undefined;

  constructor(private readonly options: DockerRuntimeOptions = {}) {
    this.engine = options.engine ?? new DockerEngine();
  }

  /**
   * Told once when the daemon stops answering mid-run (two pings missed in a
   * row): the caller stops cleanly instead of waiting on calls that cannot
   * succeed. Containers it could not remove are removed by the next run.
   */
  onLost(listener: (err: Error) => void): void {
    this.lostListeners.push(listener);
  }

  private watchDaemon(): void {
    if (this.watch !== undefined || this.closed) return;
    const interval = this.options.pingIntervalMs ?? 1000;
    let missed = 0;
    let pinging = false;
    this.watch = setInterval(() => {
      if (pinging || this.lost !== undefined) return;
      pinging = true;
      this.engine
        .ping(Math.max(500, interval * 2))
        .then(
          () => (missed = 0),
          (err: Error) => {
            if (++missed < 2 || this.closed) return;
            this.lost = new Error(`the Docker daemon stopped answering at ${new Date().toISOString().slice(11, 19)}: ${err.message}`);
            clearInterval(this.watch);
            for (const l of this.lostListeners) l(this.lost);
          },
        )
        .finally(() => (pinging = false));
    }, interval);
    this.watch.unref();
  }

  private get labels(): Record<string, string> {
    return { [LABEL_PLATFORM]: 'docker', [LABEL_RUN]: this.runId, [LABEL_OWNER_PID]: String(process.pid) };
  }

  /** What a manifest's image means here: the image itself, from the engine's store. */
  runnable(image: string): Runnable {
    return { image, command: [], env: {}, cwd: '', portEnv: 'PORT', source: 'docker' };
  }

  /** The daemon answers, leftovers of killed runs are gone, and the run's network exists. */
  async prepare(): Promise<void> {
    await this.ready();
  }

  /** What prepare() does, once; a failure is not kept, so a daemon that comes back is used. */
  private ready(): Promise<string> {
    this.network ??= (async () => {
      await this.engine.version();
      const removed = await removeLeftovers(this.engine);
      if (removed.length > 0) this.options.log?.(`docker: removed ${removed.length} container(s) and network(s) left by a run that was killed: ${removed.join(', ')}`);
      const name = `cutover-${this.runId}`;
      await this.engine.createNetwork(name, this.labels);
      this.options.log?.(`docker: network ${name}`);
      this.watchDaemon();
      return name;
    })();
    this.network.catch(() => (this.network = undefined));
    return this.network;
  }

  private imageConfig(image: string): ReturnType<DockerEngine['imageConfig']> {
    let config = this.imageConfigs.get(image);
    if (config === undefined) {
      config = (async () => {
        if (!(await this.engine.imageExists(image))) {
          // Only from a registry the name gives: a name without one would be looked up on Docker Hub,
          // where anyone may publish an image under the name this project builds locally.
          if (!namesRegistry(image)) throw new Error(`image ${image} is not in the Docker engine: build the service images with "npm run images" (cutover pulls an image only from a registry its name gives, such as 127.0.0.1:5000/${image})`);
          await this.pull(image);
        }
        return this.engine.imageConfig(image);
      })();
      this.imageConfigs.set(image, config);
      config.catch(() => this.imageConfigs.delete(image));
    }
    return config;
  }

  /** Pulls an image Docker does not hold (its name gives its registry), telling its progress; fails with the registry's words and what else to do. */
  private async pull(image: string): Promise<void> {
    const { repo, tag } = splitImage(image);
    const progress = new TransferProgress(image, 'pull', this.options.log);
    try {
      await this.engine.pull(repo, tag, (m) => progress.add(m), this.options.pullTimeoutMs ?? 300_000);
    } catch (err) {
      this.pulls.push({ ...progress.finish(), error: (err as Error).message });
      throw new Error(`image ${image} is not in the Docker engine, and pulling it failed: ${(err as Error).message}. Build the service images with "npm run images", or push the image to a registry Docker can reach`, { cause: err });
    }
    this.pulls.push(progress.finish());
  }

  async start(spec: ReplicaSpec, port: number, output: (stream: string, chunk: Buffer) => void): Promise<ReplicaRun> {
    if (this.closed) throw new Error('the docker platform has been shut down');
    if (this.lost) throw this.lost;
    const network = await this.ready();
    const image = spec.runnable.image;
    const config = await this.imageConfig(image);
    const containerPort = Number(config.env.PORT ?? config.exposedPorts[0]);
    if (!Number.isInteger(containerPort) || containerPort <= 0) throw new Error(`image ${image} says neither PORT in its environment nor an EXPOSEd port: cutover cannot tell where it listens`);
    const env: Record<string, string> = { ...spec.env };
    const binds: { host: string; container: string }[] = [...(spec.mounts ?? [])];
    if (env.DATA_DIR !== undefined) {
      // The rollout's folder is the pod's volume; the image's user must own it.
      const host = env.DATA_DIR;
      fs.mkdirSync(host, { recursive: true });
      const [uid, gid] = config.user.split(':').map((x) => Number.parseInt(x, 10));
      if (uid !== undefined && Number.isInteger(uid)) fs.chownSync(host, uid, gid !== undefined && Number.isInteger(gid) ? gid : uid);
      binds.push({ host, container: CONTAINER_DATA_DIR });
      env.DATA_DIR = CONTAINER_DATA_DIR;
    }
    const n = (this.runsPerPod.get(spec.name) ?? 0) + 1;
    this.runsPerPod.set(spec.name, n);
    const id = await this.engine.createContainer({
      name: `${spec.name}-${n}`,
      image,
      env,
      labels: { ...this.labels, [LABEL_POD]: spec.name },
      network,
      aliases: [spec.name],
      publish: { containerPort, hostPort: port },
      binds,
      ...(spec.memoryLimitBytes !== undefined ? { memoryBytes: spec.memoryLimitBytes } : {}),
    });
    this.live.add(id);
    try {
      await this.engine.start(id);
    } catch (err) {
      await this.engine.remove(id);
      this.live.delete(id);
      // Docker binds the published port at start: someone else holding it is a conflict, not a broken image.
      if (err instanceof DockerEngineError && /port is already allocated|address already in use/i.test(err.message)) throw new PortConflictError(port, err.message);
      throw err;
    }
    const short = id.slice(0, 12);
    const state = await this.engine.inspect(id);
    const logsDone = this.engine.followLogs(id, output).catch((err: Error) => output('spawn', Buffer.from(`logs of container ${short}: ${err.message}`)));
    const exited = (async () => {
      let code: number;
      try {
        code = await this.engine.wait(id);
      } catch (err) {
        return { how: `an unknown status: ${(err as Error).message}` };
      }
      const last = await this.engine.inspect(id).catch(() => undefined);
      // The output ends with the container; bounded, in case the daemon keeps the stream open.
      await Promise.race([logsDone, new Promise((r) => setTimeout(r, 2000).unref())]);
      await this.engine.remove(id).catch(() => undefined);
      this.live.delete(id);
      const sig = signalName(code);
      const how = `exit code ${code}${sig ? ` (${sig})` : ''}`;
      const limit = spec.memoryLimitBytes;
      return last?.oomKilled && limit !== undefined
        ? { how, oomKilled: `container ${short} went over its memory limit of ${Math.round((limit / 2 ** 20) * 10) / 10} MiB: killed by the kernel's OOM killer` }
        : { how };
    })();
    return {
      description: `container ${short} (${image})`,
      pid: state?.running ? state.pid : undefined,
      exited,
      signal: (sig) => this.engine.kill(id, sig),
      usage: () => readContainerUsage(id),
    };
  }

  /** Removes whatever containers are left (the platform stopped its replicas first) and the network. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watch);
    // A lost daemon cannot remove anything (each call would wait its timeout): the next run removes what is left.
    if (this.lost === undefined) for (const id of this.live) await this.engine.remove(id).catch(() => undefined);
    if (this.network !== undefined && this.lost === undefined) {
      const name = await this.network.catch(() => undefined);
      if (name !== undefined) await this.engine.removeNetwork(name).catch(() => undefined);
    }
    await this.engine.close();
  }
}

/** Containers and networks of runs whose process is gone (killed before it could clean up). */
export async function removeLeftovers(engine: DockerEngine): Promise<string[]> {
  const removed: string[] = [];
  const orphaned = (labels: Record<string, string>) => {
    const owner = Number(labels[LABEL_OWNER_PID]);
    return !Number.isInteger(owner) || !processAlive(owner);
  };
  for (const c of await engine.containers(`${LABEL_PLATFORM}=docker`)) {
    if (!orphaned(c.labels)) continue;
    await engine.remove(c.id);
    removed.push(c.names[0] ?? c.id.slice(0, 12));
  }
  for (const n of await engine.networks(`${LABEL_PLATFORM}=docker`)) {
    if (!orphaned(n.labels)) continue;
    await engine.removeNetwork(n.id);
    removed.push(n.name);
  }
  return removed;
}
