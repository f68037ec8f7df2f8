// A child program run to its end with a bound: its own process group (so a
// timeout kills what it started too), the tail of its output kept for the
// error message, and each output line offered to a progress callback.
import { spawn } from 'node:child_process';

export interface BoundedRun {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** What is running, for the timeout message. */
  what: string;
  onLine?: (line: string) => void;
}

export interface ProcessOutcome {
  status: number | null;
  /** The last 200 000 characters of stdout and stderr, interleaved. */
  output: string;
}

/** Resolves with the exit status (whatever it is); rejects when the program cannot start or outlives its bound. */
export function runBounded(run: BoundedRun): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(run.command, run.args, { cwd: run.cwd, env: { ...process.env, ...run.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-200_000);
      if (run.onLine) for (const line of text.split('\n')) if (line.trim() !== '') run.onLine(line);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      reject(new Error(`${run.what} did not finish within ${Math.round(run.timeoutMs / 1000)} s; last output:\n${output.slice(-3000)}`));
    }, run.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}
