// The platform's pods: each replica is reached on a free loopback port,
// probed for readiness the way the manifest's readinessProbe says, restarted
// when it dies (restartPolicy Always), with its output kept as evidence.
// Stopping is SIGTERM, then SIGKILL after the grace period. Where a replica
// runs is its runtime's business: a child process here (the local platform),
// a container on the docker platform. Nothing outlives the run: children are
// killed when this process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readProcessUsage, type ProcessUsage } from './pod-metrics.ts';
import { freePort } from '../../../services/common/ports.ts';
import type { Runnable } from './catalog.ts';
import { forgetAllChildren, forgetChild, recordChild } from './leftovers.ts';

export interface ReadinessProbe {
  path: string;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export const DEFAULT_READINESS: ReadinessProbe = {
  path: '/ready',
  initialDelayMs: 0,
  periodMs: 1000,
  timeoutMs: 1000,
  successThreshold: 1,
  failureThreshold: 3,
};

export interface ReplicaSpec {
  /** Unique name, like a pod's: <rollout>-<revision>-<n>. */
  name: string;
  runnable: Runnable;
  /** Added to the runnable's own environment (the manifest's env). */
  env?: Record<string, string>;
  readiness?: Partial<ReadinessProbe>;
  /** SIGTERM to SIGKILL. */
  terminationGraceMs?: number;
  restartPolicy?: 'Always' | 'Never';
  /** The wait before each restart of a replica that keeps exiting: doubling from initialMs up to maxMs (default 100 ms to 5 s, a kubelet's 10 s to 5 min made brief). */
  restartBackoff?: { initialMs: number; maxMs: number };
  /** How long the first start may take to become ready. */
  startTimeoutMs?: number;
  /** Lines of output kept. */
  logLines?: number;
  /** resources.limits.memory: a replica whose resident memory goes over it is killed, as the kubelet's OOM killer would. */
  memoryLimitBytes?: number;
  /** How often memory is read against the limit (default 250 ms). */
  memoryCheckMs?: number;
  /** Host folders a container sees at a path of its own (bind mounts); a process reaches the host path itself. */
  mounts?: { host: string; container: string }[];
}

export type ReplicaState = 'starting' | 'ready' | 'unready' | 'terminating' | 'stopped' | 'crashed';

/** What the readiness probe has seen of a replica: counts, the current streak and the last result with its time. */
export interface ProbeHealth {
  probes: number;
  failed: number;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Seconds spent probing, for the mean probe time. */
  totalSeconds: number;
  last?: { at: string; ok: boolean; ms: number; result: string };
}

export interface ReplicaEvent {
  at: string;
  replica: string;
  type: 'Started' | 'Ready' | 'Unready' | 'ProbeFailed' | 'Exited' | 'Restarting' | 'Killed' | 'Stopped' | 'OOMKilled' | 'PortConflict';
  message: string;
}

const LIVE = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kill every child this process started when it exits, however it exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of LIVE) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
    forgetAllChildren();
  });
}

/** Makes sure a child (in its own process group) is killed if this process exits first. */
export function killOnExit(child: ChildProcess): void {
  LIVE.add(child);
  installExitHook();
  const pid = child.pid;
  if (pid !== undefined) recordChild(pid, child.spawnargs.join(' '));
  child.once('exit', () => {
    LIVE.delete(child);
    if (pid !== undefined) forgetChild(pid);
  });
}

/** One run of a replica (a process, or a container), from start to exit. */
export interface ReplicaRun {
  /** What it is, for the events: "pid 123", "container 3f2a9c1b". */
  readonly description: string;
  /** Its process on this machine, where it has one. */
  readonly pid: number | undefined;
  /** Resolves when it has exited: how, in words, and whether its memory limit killed it. */
  readonly exited: Promise<{ how: string; oomKilled?: string }>;
  /** Sends a signal to everything the run started; false when it is no longer running. */
  signal(sig: NodeJS.Signals): Promise<boolean>;
  /** CPU, memory and I/O so far (pod metrics); undefined when unknown. */
  usage(): ProcessUsage | undefined;
}

/** The port picked for a run was taken by someone else before the run could bind it. */
export class PortConflictError extends Error {
  constructor(readonly port: number, detail: string) {
    super(`port ${port} on 127.0.0.1 was taken by another process: ${detail}`);
    this.name = 'PortConflictError';
  }
}

/** How many ports a run tries when the one picked is taken meanwhile. */
const PORT_ATTEMPTS = 3;

/** Where replicas run. */
export interface ReplicaRuntime {
  /** Starts a run listening where `port` reaches it on 127.0.0.1; its output goes to `output` as it comes. */
  start(spec: ReplicaSpec, port: number, output: (stream: string, chunk: Buffer) => void): Promise<ReplicaRun>;
}

/** Replicas as child processes, each in its own process group, killed with this process. */
export const processRuntime: ReplicaRuntime = {
  async start(spec, port, output) {
    const { runnable } = spec;
    const [command, ...args] = runnable.command as [string, ...string[]];
    const child = spawn(command, args, {
      cwd: runnable.cwd,
      env: { ...process.env, ...runnable.env, ...spec.env, [runnable.portEnv]: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that whatever it starts is stopped with it.
      detached: true,
    });
    killOnExit(child);
    child.stdout?.on('data', (c: Buffer) => output('stdout', c));
    child.stderr?.on('data', (c: Buffer) => output('stderr', c));
    // A last line without a newline is still a line.
    child.stdout?.once('end', () => output('stdout', Buffer.from('\n')));
    child.stderr?.once('end', () => output('stderr', Buffer.from('\n')));
    child.once('error', (err) => output('spawn', Buffer.from(err.message)));
    const running = () => child.exitCode === null && child.signalCode === null;
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), sig);
      } catch {
        child.kill(sig);
      }
    };
    let oomKilled: string | undefined;
    const exited = new Promise<{ how: string; oomKilled?: string }>((resolve) =>
      child.once('exit', (code, sig) => resolve({ how: sig ? `signal ${sig}` : `exit code ${code}`, ...(oomKilled !== undefined ? { oomKilled } : {}) })),
    );
    // resources.limits.memory: over it, SIGKILL, as the kubelet's OOM killer would.
    const limit = spec.memoryLimitBytes;
    if (limit !== undefined && child.pid !== undefined) {
      const pid = child.pid;
      const timer = setInterval(() => {
        if (!running()) return;
        const usage = readProcessUsage(pid);
        if (usage === undefined || usage.memoryBytes <= limit) return;
        clearInterval(timer);
        const mib = (b: number) => `${Math.round((b / 2 ** 20) * 10) / 10} MiB`;
        oomKilled = `resident memory ${mib(usage.memoryBytes)} went over its limit of ${mib(limit)}: killed, as the kubelet's OOM killer would`;
        signal('SIGKILL');
      }, spec.memoryCheckMs ?? 250);
      timer.unref();
      child.once('exit', () => clearInterval(timer));
    }
    return {
      description: `pid ${child.pid}`,
      pid: child.pid,
      exited,
      signal: async (sig) => {
        if (child.pid === undefined || !running()) return false;
        signal(sig);
        return true;
      },
      usage: () => (child.pid === undefined ? undefined : readProcessUsage(child.pid)),
    };
  },
};

/** One line a replica wrote, as it comes. */
export interface ReplicaLogLine {
  at: string;
  replica: string;
  stream: string;
  line: string;
}

export class Replica extends EventEmitter {
  state: ReplicaState = 'starting';
  port = 0;
  restarts = 0;
  readonly logs: string[] = [];
  private run: ReplicaRun | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;
  readonly health: ProbeHealth = { probes: 0, failed: 0, consecutiveFailures: 0, consecutiveSuccesses: 0, totalSeconds: 0 };
  private stopping: Promise<{ killed: boolean }> | undefined;
  private readonly probe: ReadinessProbe;

  constructor(
    readonly spec: ReplicaSpec,
    private readonly record: (e: ReplicaEvent) => void,
    private readonly runtime: ReplicaRuntime = processRuntime,
  ) {
    super();
    this.probe = { ...DEFAULT_READINESS, ...spec.readiness };
  }

  /** A fault proxy in front of the replica (network chaos): Services and probes reach it there, as through a pod's faulted interface. */
  frontPort: number | undefined;

  /** Where the replica is reached: through its front proxy when it has one. */
  get url(): string {
    return `http://127.0.0.1:${this.frontPort ?? this.port}`;
  }

  get pid(): number | undefined {
    return this.run?.pid;
  }

  /** What the current run has used so far (pod metrics). */
  usage(): ProcessUsage | undefined {
    return this.run?.usage();
  }

  private event(type: ReplicaEvent['type'], message: string): void {
    const e = { at: new Date().toISOString(), replica: this.spec.name, type, message };
    this.record(e);
    this.emit('event', e);
  }

  /** What a stream has written after its last newline, until the rest of the line comes. */
  private readonly partial = new Map<string, string>();

  private log(stream: string, chunk: Buffer): void {
    const limit = this.spec.logLines ?? 2000;
    const text = (this.partial.get(stream) ?? '') + chunk.toString();
    const lines = text.split('\n');
    this.partial.set(stream, stream === 'spawn' ? '' : (lines.pop() as string));
    const at = new Date().toISOString();
    for (const line of lines) {
      if (line === '') continue;
      this.logs.push(`${at} ${stream} ${line}`);
      this.emit('log', { at, replica: this.spec.name, stream, line } satisfies ReplicaLogLine);
    }
    if (this.logs.length > limit) this.logs.splice(0, this.logs.length - limit);
  }

  private setState(state: ReplicaState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  /** Starts a run (again, after a crash) on a fresh port. */
  async launch(): Promise<void> {
    this.successes = 0;
    this.failures = 0;
    this.setState('starting');
    let run: ReplicaRun | undefined;
    // A free port can be taken between picking it and binding it: pick another, a few times.
    for (let attempt = 1; run === undefined; attempt++) {
      this.port = await freePort();
      try {
        run = await this.runtime.start(this.spec, this.port, (stream, chunk) => this.log(stream, chunk));
      } catch (err) {
        if (err instanceof PortConflictError && attempt < PORT_ATTEMPTS) {
          this.event('PortConflict', `${err.message}: trying another port`);
          continue;
        }
        this.log('spawn', Buffer.from((err as Error).message));
        this.crashed(`could not start: ${(err as Error).message}`);
        throw err;
      }
    }
    this.run = run;
    void run.exited.then((e) => this.onExit(run, e));
    this.event('Started', `${run.description} on port ${this.port}: ${this.spec.runnable.command.join(' ') || this.spec.runnable.image}`);
    this.scheduleProbe(this.probe.initialDelayMs);
  }

  private onExit(run: ReplicaRun, e: { how: string; oomKilled?: string }): void {
    if (this.run !== run) return;
    clearTimeout(this.probeTimer);
    if (this.state === 'terminating' || this.state === 'stopped') {
      this.setState('stopped');
      this.event('Stopped', `exited with ${e.how}`);
      return;
    }
    if (e.oomKilled !== undefined) this.event('OOMKilled', e.oomKilled);
    this.crashed(`exited unexpectedly with ${e.how}`);
  }

  /** The run ended (or never started): Exited, then a restart with backoff when the policy says so. */
  private crashed(message: string): void {
    this.event('Exited', message);
    this.setState('crashed');
    if ((this.spec.restartPolicy ?? 'Always') === 'Always') {
      this.restarts++;
      // Back off like a kubelet, but briefly: doubling from initialMs up to maxMs.
      const { initialMs, maxMs } = this.spec.restartBackoff ?? { initialMs: 100, maxMs: 5000 };
      const delay = Math.min(initialMs * 2 ** (this.restarts - 1), maxMs);
      this.event('Restarting', `restart ${this.restarts} in ${delay} ms`);
      setTimeout(() => {
        if (this.state === 'crashed') this.launch().catch(() => undefined);
      }, delay).unref();
    }
  }

  private scheduleProbe(delay: number): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => void this.runProbe(), delay);
    this.probeTimer.unref();
  }

  private async runProbe(): Promise<void> {
    if (this.state === 'terminating' || this.state === 'stopped' || this.state === 'crashed') return;
    let ok: boolean;
    let result: string;
    const started = performance.now();
    try {
      const res = await fetch(`${this.url}${this.probe.path}`, { signal: AbortSignal.timeout(this.probe.timeoutMs) });
      await res.arrayBuffer();
      ok = res.status >= 200 && res.status < 400;
      result = `HTTP ${res.status}`;
    } catch (err) {
      ok = false;
      const e = err as Error & { cause?: { code?: string } };
      result = e.name === 'TimeoutError' ? `no answer within ${this.probe.timeoutMs} ms` : (e.cause?.code ?? e.message);
    }
    const ms = Math.round((performance.now() - started) * 10) / 10;
    // The state may have changed while the probe was in flight.
    const now = this.state as ReplicaState;
    if (now === 'terminating' || now === 'stopped' || now === 'crashed') return;
    const h = this.health;
    h.probes++;
    h.totalSeconds += ms / 1000;
    h.last = { at: new Date().toISOString(), ok, ms, result };
    if (ok) {
      h.consecutiveFailures = 0;
      h.consecutiveSuccesses++;
      this.failures = 0;
      this.successes++;
      if (this.state !== 'ready' && this.successes >= this.probe.successThreshold) {
        this.setState('ready');
        this.event('Ready', `readiness probe GET ${this.probe.path} succeeded (${result}, ${ms} ms)`);
      }
    } else {
      h.failed++;
      h.consecutiveSuccesses = 0;
      h.consecutiveFailures++;
      this.successes = 0;
      this.failures++;
      // The first failure of a ready replica is told at once, before it is taken out.
      if (this.state === 'ready' && this.failures === 1 && this.probe.failureThreshold > 1) {
        this.event('ProbeFailed', `readiness probe GET ${this.probe.path} failed: ${result} (${ms} ms); unready after ${this.probe.failureThreshold} failures in a row`);
      }
      if (this.state === 'ready' && this.failures >= this.probe.failureThreshold) {
        this.setState('unready');
        this.event('Unready', `readiness probe GET ${this.probe.path} failed ${this.failures} times in a row (last: ${result}, ${ms} ms)`);
      }
    }
    // Until first ready, probe quickly: a replica should join as soon as it can serve.
    this.scheduleProbe(this.state === 'starting' ? Math.min(this.probe.periodMs, 50) : this.probe.periodMs);
  }

  /** Resolves when ready; rejects with the last output lines after the timeout or on exit. */
  waitReady(timeoutMs = this.spec.startTimeoutMs ?? 30_000): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`replica ${this.spec.name} was not ready within ${timeoutMs} ms (state ${this.state}, probe GET ${this.url}${this.probe.path}); last output:\n${this.logs.slice(-10).join('\n')}`));
      }, timeoutMs);
      const onState = (state: ReplicaState) => {
        if (state === 'ready') {
          cleanup();
          resolve();
        } else if ((state === 'crashed' && (this.spec.restartPolicy ?? 'Always') === 'Never') || state === 'stopped') {
          cleanup();
          reject(new Error(`replica ${this.spec.name} exited before it was ready; last output:\n${this.logs.slice(-10).join('\n')}`));
        }
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.off('state', onState);
      };
      this.on('state', onState);
    });
  }

  /** Sends a signal to the replica's run, as chaos does: SIGKILL crashes it (then the restart policy applies). False when it is not running. */
  async signal(sig: NodeJS.Signals): Promise<boolean> {
    return (await this.run?.signal(sig)) ?? false;
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  stop(): Promise<{ killed: boolean }> {
    this.stopping ??= (async () => {
      clearTimeout(this.probeTimer);
      const run = this.run;
      this.setState('terminating');
      const grace = this.spec.terminationGraceMs ?? 30_000;
      const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
      // A runtime that cannot be reached (the Docker daemon gone) cannot signal: the run is given up after the grace period, never waited on for ever.
      const sent = run === undefined ? false : await run.signal('SIGTERM').catch(() => false);
      if (run === undefined || !sent) {
        if (run !== undefined && !(await within(run.exited, grace))) this.event('Stopped', `could not be signalled and did not exit within ${grace} ms: given up`);
        this.setState('stopped');
        return { killed: false };
      }
      const killed = !(await within(run.exited, grace));
      if (killed) {
        this.event('Killed', `still running ${grace} ms after SIGTERM: SIGKILL`);
        const sentKill = await run.signal('SIGKILL').catch(() => false);
        if (!sentKill || !(await within(run.exited, grace))) this.event('Stopped', `SIGKILL did not end it within ${grace} ms: given up`);
      }
      return { killed };
    })();
    return this.stopping;
  }
}

export class Supervisor {
  constructor(private readonly runtime: ReplicaRuntime = processRuntime) {}

  readonly replicas = new Map<string, Replica>();
  readonly events: ReplicaEvent[] = [];
  /** Told of every replica event as it happens. */
  onEvent: ((e: ReplicaEvent) => void) | undefined;
  /** Told of every line a replica writes, as it comes. */
  onLog: ((line: ReplicaLogLine) => void) | undefined;

  /** Starts a replica and waits until it is ready. */
  async start(spec: ReplicaSpec): Promise<Replica> {
    if (this.replicas.has(spec.name)) throw new Error(`a replica named ${spec.name} already runs`);
    const replica = new Replica(
      spec,
      (e) => {
        this.events.push(e);
        this.onEvent?.(e);
      },
      this.runtime,
    );
    replica.on('log', (line: ReplicaLogLine) => this.onLog?.(line));
    this.replicas.set(spec.name, replica);
    await replica.launch();
    try {
      await replica.waitReady();
    } catch (err) {
      await this.stop(spec.name);
      throw err;
    }
    return replica;
  }

  async stop(name: string): Promise<{ killed: boolean }> {
    const replica = this.replicas.get(name);
    if (replica === undefined) return { killed: false };
    const result = await replica.stop();
    this.replicas.delete(name);
    return result;
  }

  /** Stops everything, newest first. */
  async stopAll(): Promise<void> {
    for (const name of [...this.replicas.keys()].reverse()) await this.stop(name);
  }
}
