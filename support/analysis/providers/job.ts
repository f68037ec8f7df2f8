// The job metric provider: the Job's container runs here as a process. A
// container with a command runs that command (so busybox/alpine-style
// `sh -c "..."` jobs work); one without runs its image's program from the
// image catalog with the container's args. Exit 0 is Successful; a failed
// attempt is retried up to backoffLimit times; activeDeadlineSeconds bounds
// the whole job. Service URLs in the command reach the local Services.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { killOnExit } from '../../platform/local/supervisor.ts';
import type { MetricSpec } from '../model.ts';
import type { MetricProvider } from '../run.ts';

export interface JobProviderOptions {
  /** The program an image runs when the container gives no command. */
  resolveImage?: (image: string) => { command: string[]; env: Record<string, string>; cwd: string };
  /** Rewrites in-cluster Service URLs in a command line to where they listen here. */
  rewriteText?: (text: string) => string;
  /** Multiplies activeDeadlineSeconds. */
  timeScale?: number;
  /** Lines of output kept in the measurement message. */
  outputLines?: number;
}

interface Attempt {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string[];
  timedOut: boolean;
}

function runOnce(command: string[], env: Record<string, string>, cwd: string, deadlineMs: number, signal: AbortSignal, keep: number): Promise<Attempt> {
  return new Promise((resolve) => {
    const [file, ...args] = command as [string, ...string[]];
    const child = spawn(file, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    killOnExit(child);
    const output: string[] = [];
    const collect = (chunk: Buffer) => {
      output.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      if (output.length > keep) output.splice(0, output.length - keep);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const kill = () => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, deadlineMs);
    signal.addEventListener('abort', kill, { once: true });
    child.once('error', (err) => output.push(`cannot start ${file}: ${err.message}`));
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
      resolve({ code, signal: sig, output, timedOut });
    });
  });
}

export function jobProvider(options: JobProviderOptions = {}): MetricProvider {
  return async (metric: MetricSpec, signal: AbortSignal) => {
    const job = metric.provider.job;
    if (job === undefined) throw new Error(`metric ${metric.name} has no job provider`);
    const container = job.spec.template.spec.containers[0] as (typeof job.spec.template.spec.containers)[number];
    const rewrite = options.rewriteText ?? ((t: string) => t);
    let command: string[];
    let env: Record<string, string> = {};
    let cwd = process.cwd();
    if (container.command && container.command.length > 0) {
      command = [...container.command, ...(container.args ?? [])];
    } else {
      if (options.resolveImage === undefined) throw new Error(`job container ${container.name} has no command, and no image catalog to run ${container.image}`);
      const runnable = options.resolveImage(container.image);
      command = [...runnable.command, ...(container.args ?? [])];
      env = runnable.env;
      cwd = runnable.cwd;
    }
    command = command.map(rewrite);
    // busybox and alpine images' sh is ash, which has $RANDOM and friends; Debian's sh (dash) does not, bash does.
    if ((command[0] === 'sh' || command[0] === '/bin/sh') && fs.existsSync('/bin/bash')) command[0] = '/bin/bash';
    for (const e of container.env) env[e.name] = rewrite(e.value);
    const deadlineMs = (job.spec.activeDeadlineSeconds ?? 600) * 1000 * (options.timeScale ?? 1);
    const started = Date.now();
    const attempts = job.spec.backoffLimit + 1;
    let last: Attempt | undefined;
    let tried = 0;
    for (let i = 1; i <= attempts; i++) {
      const left = deadlineMs - (Date.now() - started);
      if (left <= 0 || signal.aborted) break;
      tried = i;
      last = await runOnce(command, env, cwd, left, signal, options.outputLines ?? 20);
      if (last.code === 0) return { phase: 'Successful', message: `job ${container.name} succeeded (attempt ${i})${last.output.length ? `: ${last.output.join('\n')}` : ''}` };
    }
    const how = last === undefined ? 'did not run' : last.timedOut ? `was stopped at its deadline of ${job.spec.activeDeadlineSeconds ?? 600} s` : last.signal ? `was killed by ${last.signal}` : `exited with ${last.code}`;
    return { phase: 'Failed', message: `job ${container.name} failed after ${tried} attempt(s): the last ${how}${last?.output.length ? `; output:\n${last.output.join('\n')}` : ''}` };
  };
}
