// Test support: start a service in this process on a free port with its own
// data directory, the way the entry point would, and stop it afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readServiceConfig, type ServiceConfig } from './config.ts';
import { startService } from './lifecycle.ts';

export { freePort } from './ports.ts';
import type { BuiltService, ServiceDefinition } from './service.ts';

export interface TestService {
  url: string;
  config: ServiceConfig;
  built: BuiltService;
  dataDir: string;
  stop(): Promise<void>;
}

const tempDirs: string[] = [];

/** A fresh directory under the system temp dir, removed when this process exits. */
export function tempDataDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cutover-${label}-`));
  if (tempDirs.length === 0) {
    process.on('exit', () => {
      for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
    });
  }
  tempDirs.push(dir);
  return dir;
}

export async function startTestService(
  definition: ServiceDefinition,
  env: Record<string, string> = {},
): Promise<TestService> {
  const dataDir = env.DATA_DIR ?? tempDataDir(definition.name);
  const fullEnv = { PORT: '0', LOG_LEVEL: 'silent', DRAIN_TIMEOUT_MS: '2000', ...env, DATA_DIR: dataDir };
  const config = readServiceConfig(definition.name, definition.defaultPort, fullEnv, definition);
  const built = await definition.build(config, fullEnv);
  const running = await startService(built.service, config, built.close);
  return {
    url: running.url,
    config,
    built,
    dataDir,
    stop: async () => {
      await running.stop();
    },
  };
}

/** fetch with JSON in and out, for brevity in tests. */
export async function call(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; redirect?: RequestRedirect } = {},
): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    redirect: init.redirect ?? 'manual',
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** Resolves with [exit code, signal] when the process has exited. */
  exited: Promise<unknown[]>;
}

/** Runs `services/run.ts <name>` as a real process and waits until it listens (15 s at most). */
export async function spawnServiceProcess(name: string, env: Record<string, string>): Promise<ServiceProcess> {
  const entry = fileURLToPath(new URL('../run.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry, name], {
    env: { ...process.env, PORT: '0', DATA_DIR: tempDataDir(name), RATE_LIMIT_PER_MINUTE: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service ${name} did not start within 15 s; output: ${output}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service ${name} exited with ${code} before listening: ${output}`));
    });
  });
  return { child, url, exited };
}
