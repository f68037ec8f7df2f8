// A server program run beside a scenario (Prometheus, Alertmanager): its own
// process group, killed with this process if it dies; the tail of its output
// kept for errors; ready when a URL answers, within a bound; stopped with
// SIGTERM, then SIGKILL after a grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { killOnExit } from '../platform/local/supervisor.ts';

export interface DaemonSpec {
  /** What it is, for messages ("Prometheus"). */
  name: string;
  binary: string;
  args: string[];
  /** Answers 2xx once the program serves. */
  readyUrl: string;
  startTimeoutMs: number;
}

export class Daemon {
  readonly logs: string[] = [];

  private constructor(
    readonly spec: DaemonSpec,
    private readonly child: ChildProcess,
  ) {}

  /** Starts the program and waits until readyUrl answers; a program that exits or is not ready in time is stopped and said, with its last output. */
  static async start(spec: DaemonSpec): Promise<Daemon> {
    const child = spawn(spec.binary, spec.args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    killOnExit(child);
    const d = new Daemon(spec, child);
    const keep = (c: Buffer) => {
      d.logs.push(...c.toString().split('\n').filter(Boolean));
      if (d.logs.length > 500) d.logs.splice(0, d.logs.length - 500);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let spawnError: Error | undefined;
    child.on('error', (e) => (spawnError = e));
    const deadline = Date.now() + spec.startTimeoutMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setImmediate(r));
      if (spawnError) throw new Error(`${spec.name} could not start (${spec.binary}): ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${spec.name} exited at start (${child.exitCode ?? child.signalCode}): ${d.logs.slice(-5).join('\n')}`);
      try {
        const res = await fetch(spec.readyUrl, { signal: AbortSignal.timeout(500) });
        if (res.ok) return d;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await d.stop();
    throw new Error(`${spec.name} was not ready within ${spec.startTimeoutMs} ms at ${spec.readyUrl}: ${d.logs.slice(-5).join('\n')}`);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM to its process group, SIGKILL after graceMs; resolves once it has exited. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!this.running) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), s);
      } catch {
        child.kill(s);
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
