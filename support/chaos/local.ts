// Chaos Mesh experiments executed on the local platform, with Chaos Mesh's
// semantics where this machine allows them:
// - PodChaos pod-kill / container-kill: SIGKILL the pod's process group (the
//   supervisor restarts it, as the pod's controller would); pod-failure: the
//   processes are stopped (SIGSTOP) for the duration, so the pod stops
//   answering and its readiness probe fails, then continued (SIGCONT).
// - NetworkChaos: a TCP fault proxy in front of each selected pod (the
//   Services and the probes reach it through the proxy from the injection on)
//   and in front of each dependency outside the platform the pod calls (an
//   external registered by name, reached by a URL in the pod's environment).
//   externalTargets limit the fault to those dependencies.
// - StressChaos: CPU and memory burner processes beside the selected pods,
//   competing for the same cores and memory. Unlike stress-ng inside the
//   pod's cgroup, their memory does not count towards the pod's limit.
// Every injection is reverted at its duration and, always, at teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDuration } from '../manifests/duration.ts';
import { killOnExit, type Replica } from '../platform/local/supervisor.ts';
import { FaultProxy, type NetworkFault } from './fault-proxy.ts';
import { chaosTargets, trackInjection, type ChaosInjection, type ChaosPod } from './injection.ts';
import { bandwidthBytesPerSecond, stressSizeBytes, type ChaosExperiment, type NetworkChaos, type StressChaos } from './model.ts';

export interface LocalChaosHost {
  readonly timeScale: number;
  pods(): ChaosPod[];
  replica(name: string): Replica | undefined;
  /** Sends a pod's Service traffic to its current address (after a proxy was put in front of it). */
  reroute(pod: string): Promise<void>;
  record(source: string, reason: string, message: string): void;
  log(line: string): void;
  /**
   * How pods reach externals: 'loopback' (processes: a URL pointed at the
   * proxy's port) or 'unix-socket' (containers, which do not share this
   * machine's loopback: the proxy listens on a Unix socket in a folder
   * mounted into the container, and a redis:// URL becomes that socket's path).
   */
  externalsVia?: 'loopback' | 'unix-socket';
}

/** Where a container finds the sockets of its externals. */
export const CONTAINER_EXTERNALS_DIR = '/run/cutover-externals';

/** What a pod starts with to reach the externals its environment names. */
export interface PodExternals {
  env: Record<string, string>;
  /** Host folders to mount into a container (unix-socket mode). */
  mounts: { host: string; container: string }[];
}

/** The host a URL in the environment names (redis://redis:6379/0 → redis), if the value is a URL. */
function urlHost(value: string): string | undefined {
  try {
    return new URL(value).hostname;
  } catch {
    return undefined;
  }
}

/** The same URL, pointed at a loopback port. */
function pointAt(value: string, port: number): string {
  const url = new URL(value);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

/** A redis:// URL as the path of a Unix socket (ioredis takes "/path?db=N"); other schemes cannot name one. */
function pointAtSocket(value: string, socketPath: string, external: string): string {
  const url = new URL(value);
  if (url.protocol !== 'redis:') throw new Error(`external "${external}": a container reaches it through a Unix socket, which only a redis:// URL can name (got ${url.protocol}//…)`);
  const db = url.pathname.replace(/^\//, '');
  return `${socketPath}${db ? `?db=${db}` : ''}`;
}

/** netem's figures from a NetworkChaos spec. */
export function networkFault(spec: NetworkChaos['spec']): NetworkFault {
  const direction = spec.direction;
  const pct = (t: string | undefined) => Number(t ?? 0);
  switch (spec.action) {
    case 'delay': {
      const d = spec.delay as NonNullable<typeof spec.delay>;
      return { action: 'delay', direction, latencyMs: parseDuration(d.latency) ?? 0, jitterMs: parseDuration(d.jitter) ?? 0, correlation: pct(d.correlation) / 100 };
    }
    case 'loss': {
      const l = spec.loss as NonNullable<typeof spec.loss>;
      return { action: 'loss', direction, percent: pct(l.loss), correlation: pct(l.correlation) / 100 };
    }
    case 'partition':
      return { action: 'partition', direction };
    case 'bandwidth':
      return { action: 'bandwidth', direction, bytesPerSecond: bandwidthBytesPerSecond(spec.bandwidth?.rate ?? '') as number };
  }
}

/** A CPU burner busy for `load`% of every 100 ms; a memory burner that holds `bytes`, every page touched. */
function burnerScript(kind: 'cpu' | 'memory', amount: number): string {
  return kind === 'cpu'
    ? `const load=${amount};const nap=new Int32Array(new SharedArrayBuffer(4));for(;;){const t=Date.now();while(Date.now()-t<load);if(load<100)Atomics.wait(nap,0,0,100-load);}`
    : `const held=Buffer.alloc(${amount},1);setInterval(()=>held[0]++,1000);`;
}

export class LocalChaos {
  private readonly externals = new Map<string, { host: string; port: number }>();
  private readonly ingress = new Map<string, FaultProxy>();
  /** pod → external name → proxy. */
  private readonly egress = new Map<string, Map<string, FaultProxy>>();
  private readonly active = new Set<ChaosInjection>();
  private readonly socketDirs = new Map<string, string>();

  constructor(private readonly host: LocalChaosHost) {}

  /** A dependency outside the platform, reached by pods under this host name (like an ExternalName Service). */
  addExternal(name: string, address: string): void {
    const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/]*@)?([^:/]+):(\d+)/i.exec(address);
    if (m === null) throw new Error(`external "${name}": "${address}" has no host and port (expected e.g. redis://127.0.0.1:6379)`);
    this.externals.set(name, { host: m[1] as string, port: Number(m[2]) });
  }

  externalNames(): string[] {
    return [...this.externals.keys()];
  }

  /**
   * The environment a pod starts with: every URL that names an external by
   * host goes through this pod's own egress proxy, so network chaos can act
   * on what this pod (and only this pod) sends and receives.
   */
  async podEnv(pod: string, env: Record<string, string>): Promise<PodExternals> {
    const out = { ...env };
    const mounts: PodExternals['mounts'] = [];
    for (const [name, target] of this.externals) {
      const keys = Object.keys(out).filter((k) => urlHost(out[k] as string) === name);
      if (keys.length === 0) continue;
      const proxy = new FaultProxy({ name: `${pod} → ${name}`, target: () => target, podSide: 'client' });
      if (this.host.externalsVia === 'unix-socket') {
        const dir = this.socketDir(pod);
        await proxy.listenOnSocket(path.join(dir, `${name}.sock`));
        if (mounts.length === 0) mounts.push({ host: dir, container: CONTAINER_EXTERNALS_DIR });
        for (const k of keys) out[k] = pointAtSocket(out[k] as string, `${CONTAINER_EXTERNALS_DIR}/${name}.sock`, name);
      } else {
        await proxy.listen();
        for (const k of keys) out[k] = pointAt(out[k] as string, proxy.port);
      }
      if (!this.egress.has(pod)) this.egress.set(pod, new Map());
      this.egress.get(pod)?.set(name, proxy);
    }
    return { env: out, mounts };
  }

  /** A short folder per pod for its externals' sockets (a socket path has at most 107 bytes). */
  private socketDir(pod: string): string {
    let dir = this.socketDirs.get(pod);
    if (dir === undefined) {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-ext-'));
      // The container's user walks into it to reach the sockets.
      fs.chmodSync(dir, 0o755);
      this.socketDirs.set(pod, dir);
    }
    return dir;
  }

  /** A pod is gone: its proxies close (its burners stop with their experiment). */
  async release(pod: string): Promise<void> {
    await this.ingress.get(pod)?.close();
    this.ingress.delete(pod);
    for (const p of this.egress.get(pod)?.values() ?? []) await p.close();
    this.egress.delete(pod);
    const dir = this.socketDirs.get(pod);
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    this.socketDirs.delete(pod);
  }

  /** Injects an experiment into the pods it selects; reverted at its duration (scaled) and at close. */
  async inject(experiment: ChaosExperiment, pick?: (n: number) => number): Promise<ChaosInjection> {
    const name = experiment.metadata.name;
    const targets = chaosTargets(experiment, this.host.pods(), pick);
    let undo: () => Promise<void> = async () => undefined;
    let action: string;
    switch (experiment.kind) {
      case 'PodChaos':
        action = experiment.spec.action;
        undo = await this.podChaos(name, experiment.spec.action, targets);
        break;
      case 'NetworkChaos':
        action = experiment.spec.action;
        undo = await this.networkChaos(name, experiment.spec, targets);
        break;
      case 'StressChaos':
        action = Object.keys(experiment.spec.stressors).join('+');
        undo = this.stressChaos(name, experiment.spec, targets);
        break;
    }
    return trackInjection({ experiment, action, targets, undo, host: this.host, active: this.active });
  }

  private async podChaos(name: string, action: 'pod-kill' | 'pod-failure' | 'container-kill', targets: string[]): Promise<() => Promise<void>> {
    const signal = action === 'pod-failure' ? 'SIGSTOP' : 'SIGKILL';
    const hit: Replica[] = [];
    for (const pod of targets) {
      const replica = this.host.replica(pod);
      const sent = (await replica?.signal(signal)) ?? false;
      if (sent && replica) hit.push(replica);
      this.host.record(pod, 'ChaosInjected', `${name}: ${action}${sent ? ` (${signal})` : ' (not running)'}`);
    }
    if (action !== 'pod-failure') return async () => undefined;
    return async () => {
      for (const r of hit) await r.signal('SIGCONT');
    };
  }

  private async networkChaos(name: string, spec: NetworkChaos['spec'], targets: string[]): Promise<() => Promise<void>> {
    if (spec.target !== undefined) {
      throw new Error(`chaos ${name}: spec.target (pods of another selector) is not injected on the local platform, where pods reach each other only through Services; leave it out to fault everything the pods send and receive, or name dependencies in spec.externalTargets`);
    }
    const fault = networkFault(spec);
    const proxies: FaultProxy[] = [];
    for (const pod of targets) {
      if (spec.externalTargets !== undefined) {
        for (const ext of spec.externalTargets) {
          const proxy = this.egress.get(pod)?.get(ext);
          if (proxy === undefined) {
            const known = this.externalNames();
            throw new Error(
              `chaos ${name}: pod ${pod} does not reach an external "${ext}" (${known.length === 0 ? 'no external is registered' : `registered externals: ${known.join(', ')}`}; a pod reaches one through a URL with that host in its environment, e.g. redis://${ext}:6379)`,
            );
          }
          proxies.push(proxy);
        }
        continue;
      }
      proxies.push(await this.front(pod), ...(this.egress.get(pod)?.values() ?? []));
    }
    for (const p of proxies) p.setFault(name, fault);
    return async () => {
      for (const p of proxies) p.clearFault(name);
    };
  }

  /** The proxy in front of a pod, created on first use; the pod's Services and probe go through it from then on. */
  private async front(pod: string): Promise<FaultProxy> {
    const existing = this.ingress.get(pod);
    if (existing) return existing;
    const replica = this.host.replica(pod);
    if (replica === undefined) throw new Error(`pod ${pod} is not running`);
    const proxy = new FaultProxy({ name: `${pod} ingress`, target: () => ({ host: '127.0.0.1', port: replica.port }), podSide: 'server' });
    await proxy.listen();
    this.ingress.set(pod, proxy);
    replica.frontPort = proxy.port;
    await this.host.reroute(pod);
    return proxy;
  }

  private stressChaos(name: string, spec: StressChaos['spec'], targets: string[]): () => Promise<void> {
    const burners: ChildProcess[] = [];
    const start = (pod: string, kind: 'cpu' | 'memory', amount: number) => {
      const child = spawn(process.execPath, ['-e', burnerScript(kind, amount)], { stdio: 'ignore', detached: true });
      killOnExit(child);
      burners.push(child);
      this.host.record(pod, 'ChaosInjected', `${name}: ${kind} burner pid ${child.pid}${kind === 'cpu' ? ` at ${amount}% load` : ` holding ${Math.round(amount / 2 ** 20)} MiB`}`);
    };
    for (const pod of targets) {
      const { cpu, memory } = spec.stressors;
      for (let i = 0; i < (cpu?.workers ?? 0); i++) start(pod, 'cpu', cpu?.load ?? 100);
      if (memory) {
        const total = stressSizeBytes(memory.size, os.totalmem()) as number;
        for (let i = 0; i < memory.workers; i++) start(pod, 'memory', Math.floor(total / memory.workers));
      }
    }
    return async () => {
      await Promise.all(
        burners.map(
          (b) =>
            new Promise<void>((resolve) => {
              if (b.exitCode !== null || b.signalCode !== null) return resolve();
              b.once('exit', () => resolve());
              b.kill('SIGKILL');
            }),
        ),
      );
    };
  }

  /** Experiments still active. */
  activeInjections(): ChaosInjection[] {
    return [...this.active];
  }

  /** Reverts everything still active and closes every proxy. */
  async close(): Promise<void> {
    for (const i of [...this.active].reverse()) await i.revert();
    for (const pod of new Set([...this.ingress.keys(), ...this.egress.keys(), ...this.socketDirs.keys()])) await this.release(pod);
  }
}
