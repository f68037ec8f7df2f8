// `cutover up` started as a person starts it, for the CLI tests: a child
// process whose output is kept, ready once its control API listens.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/cutover.mjs', import.meta.url));

/**
 * The environment for a spawned `cutover`: bin/cutover.mjs loads TypeScript
 * itself, and an inherited `--import tsx` (cucumber-js sets it) would be
 * resolved from the test's temporary cwd, where there is no tsx.
 */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, NODE_OPTIONS: (process.env.NODE_OPTIONS ?? '').replace(/--import[= ]tsx\b/g, '').trim(), ...extra };
}

export interface UpProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts `cutover up ...` in cwd and waits (up to 60 s) until its control API is written, or it exits. */
export async function startUp(cwd: string, args: string[], env: NodeJS.ProcessEnv = cliEnv()): Promise<UpProcess> {
  const child = spawn(process.execPath, [BIN, 'up', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const file = path.join(cwd, '.cutover', 'control.json');
  const listening = () => {
    try {
      const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { url: string; pid: number };
      return state.pid === child.pid && state.url !== '';
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 600 && !listening() && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
  return { child, output: () => output, exited };
}

/** A request to the control API of the `cutover up` running in cwd, with its token. */
export async function controlFetch(cwd: string, route: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const { url, token } = JSON.parse(fs.readFileSync(path.join(cwd, '.cutover', 'control.json'), 'utf8')) as { url: string; token: string };
  return fetch(`${url}${route}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}
