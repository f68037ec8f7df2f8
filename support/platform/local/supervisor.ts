// The local platform's pods: each replica is a child process on a free
// loopback port, probed for readiness the way the manifest's readinessProbe
// says, restarted when it dies (restartPolicy Always), with its output kept
// as evidence. Stopping is SIGTERM, then SIGKILL after the grace period.
// Nothing outlives the run: children are killed when this process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readProcessUsage } from './pod-metrics.ts';
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
  /** How long the first start may take to become ready. */
  startTimeoutMs?: number;
  /** Lines of output kept. */
  logLines?: number;
  /** resources.limits.memory: a replica whose resident memory goes over it is killed, as the kubelet's OOM killer would. */
  memoryLimitBytes?: number;
  /** How often memory is read against the limit (default 250 ms). */
  memoryCheckMs?: number;
}

export type ReplicaState = 'starting' | 'ready' | 'unready' | 'terminating' | 'stopped' | 'crashed';

export interface ReplicaEvent {
  at: string;
  replica: string;
  type: 'Started' | 'Ready' | 'Unready' | 'Exited' | 'Restarting' | 'Killed' | 'Stopped' | 'OOMKilled';
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
  private child: ChildProcess | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;
  private stopping: Promise<{ killed: boolean }> | undefined;
  private readonly probe: ReadinessProbe;

  constructor(readonly spec: ReplicaSpec, private readonly record: (e: ReplicaEvent) => void) {
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
    return this.child?.pid;
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

  /** Starts the process (again, after a crash) on a fresh port. */
  async launch(): Promise<void> {
    this.port = await freePort();
    const { runnable } = this.spec;
    const [command, ...args] = runnable.command as [string, ...string[]];
    const child = spawn(command, args, {
      cwd: runnable.cwd,
      env: { ...process.env, ...runnable.env, ...this.spec.env, [runnable.portEnv]: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that whatever it starts is stopped with it.
      detached: true,
    });
    this.child = child;
    killOnExit(child);
    child.stdout?.on('data', (c: Buffer) => this.log('stdout', c));
    child.stderr?.on('data', (c: Buffer) => this.log('stderr', c));
    // A last line without a newline is still a line.
    child.stdout?.once('end', () => this.log('stdout', Buffer.from('\n')));
    child.stderr?.once('end', () => this.log('stderr', Buffer.from('\n')));
    child.once('error', (err) => this.log('spawn', Buffer.from(err.message)));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    this.watchMemory(child);
    this.successes = 0;
    this.failures = 0;
    this.setState('starting');
    this.event('Started', `pid ${child.pid} on port ${this.port}: ${runnable.command.join(' ')}`);
    this.scheduleProbe(this.probe.initialDelayMs);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    clearTimeout(this.probeTimer);
    if (this.child !== child) return;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (this.state === 'terminating' || this.state === 'stopped') {
      this.setState('stopped');
      this.event('Stopped', `exited with ${how}`);
      return;
    }
    this.event('Exited', `exited unexpectedly with ${how}`);
    this.setState('crashed');
    if ((this.spec.restartPolicy ?? 'Always') === 'Always') {
      this.restarts++;
      // Back off like a kubelet, but briefly: 100 ms doubling up to 5 s.
      const delay = Math.min(100 * 2 ** (this.restarts - 1), 5000);
      this.event('Restarting', `restart ${this.restarts} in ${delay} ms`);
      setTimeout(() => {
        if (this.state === 'crashed') void this.launch();
      }, delay).unref();
    }
  }

  /** Reads the process's resident memory against its limit while it runs; over it, SIGKILL (then the restart policy applies). */
  private watchMemory(child: ChildProcess): void {
    const limit = this.spec.memoryLimitBytes;
    if (limit === undefined || child.pid === undefined) return;
    const pid = child.pid;
    const timer = setInterval(() => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const usage = readProcessUsage(pid);
      if (usage === undefined || usage.memoryBytes <= limit) return;
      clearInterval(timer);
      const mib = (b: number) => `${Math.round((b / 2 ** 20) * 10) / 10} MiB`;
      this.event('OOMKilled', `resident memory ${mib(usage.memoryBytes)} went over its limit of ${mib(limit)}: killed, as the kubelet's OOM killer would`);
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, this.spec.memoryCheckMs ?? 250);
    timer.unref();
    child.once('exit', () => clearInterval(timer));
  }

  private scheduleProbe(delay: number): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => void this.runProbe(), delay);
    this.probeTimer.unref();
  }

  private async runProbe(): Promise<void> {
    if (this.state === 'terminating' || this.state === 'stopped' || this.state === 'crashed') return;
    let ok = false;
    try {
      const res = await fetch(`${this.url}${this.probe.path}`, { signal: AbortSignal.timeout(this.probe.timeoutMs) });
      await res.arrayBuffer();
      ok = res.status >= 200 && res.status < 400;
    } catch {
      ok = false;
    }
    // The state may have changed while the probe was in flight.
    const now = this.state as ReplicaState;
    if (now === 'terminating' || now === 'stopped' || now === 'crashed') return;
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (this.state !== 'ready' && this.successes >= this.probe.successThreshold) {
        this.setState('ready');
        this.event('Ready', `readiness probe GET ${this.probe.path} succeeded`);
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.state === 'ready' && this.failures >= this.probe.failureThreshold) {
        this.setState('unready');
        this.event('Unready', `readiness probe GET ${this.probe.path} failed ${this.failures} times`);
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

  /** Sends a signal to the replica's process group, as chaos does: SIGKILL crashes it (then the restart policy applies). False when it is not running. */
  signal(sig: NodeJS.Signals): boolean {
    const pid = this.child?.pid;
    if (pid === undefined || this.child?.exitCode !== null || this.child?.signalCode !== null) return false;
    try {
      process.kill(-pid, sig);
    } catch {
      this.child?.kill(sig);
    }
    return true;
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  stop(): Promise<{ killed: boolean }> {
    this.stopping ??= (async () => {
      clearTimeout(this.probeTimer);
      const child = this.child;
      this.setState('terminating');
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
        this.setState('stopped');
        return { killed: false };
      }
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const signal = (s: NodeJS.Signals) => {
        try {
          process.kill(-(child.pid as number), s);
        } catch {
          child.kill(s);
        }
      };
      signal('SIGTERM');
      const grace = this.spec.terminationGraceMs ?? 30_000;
      const killed = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), grace).unref())]);
      if (killed) {
        this.event('Killed', `still running ${grace} ms after SIGTERM: SIGKILL`);
        signal('SIGKILL');
        await exited;
      }
      return { killed };
    })();
    return this.stopping;
  }
}

export class Supervisor {
  readonly replicas = new Map<string, Replica>();
  readonly events: ReplicaEvent[] = [];
  /** Told of every replica event as it happens. */
  onEvent: ((e: ReplicaEvent) => void) | undefined;
  /** Told of every line a replica writes, as it comes. */
  onLog: ((line: ReplicaLogLine) => void) | undefined;

  /** Starts a replica and waits until it is ready. */
  async start(spec: ReplicaSpec): Promise<Replica> {
    if (this.replicas.has(spec.name)) throw new Error(`a replica named ${spec.name} already runs`);
    const replica = new Replica(spec, (e) => {
      this.events.push(e);
      this.onEvent?.(e);
    });
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
