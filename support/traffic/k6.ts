// k6 as a second load engine with the same threshold syntax: cutover writes
// the script (constant-arrival-rate, the thresholds from the step), runs the
// k6 binary, reads its end-of-test summary, and maps exit code 99
// (thresholds crossed) to an SLO failure naming each breached threshold.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Threshold } from '../slo/threshold.ts';
import type { LoadRequest } from './load.ts';

/** k6's exit code when thresholds were crossed. */
export const K6_THRESHOLDS_CROSSED = 99;

/** K6_BIN, or k6 on PATH; undefined when neither runs. */
export function k6Binary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidate = env.K6_BIN ?? 'k6';
  const r = spawnSync(candidate, ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  return r.status === 0 ? candidate : undefined;
}

export interface K6Spec {
  target: string;
  ratePerSecond: number;
  durationMs: number;
  requests: LoadRequest[];
  thresholds: Threshold[];
}

/** The metric key k6 uses for a threshold (a submetric for a status filter). */
export function k6MetricKey(t: Threshold): string {
  if (t.filter.version !== undefined) {
    throw new Error(`${t.source}: k6 cannot filter by version (X-App-Version is a response header, not a k6 tag); use the built-in generator for per-version thresholds`);
  }
  return t.filter.status !== undefined ? `${t.metric}{status:${t.filter.status}}` : t.metric;
}

/** The k6 expression of a threshold ("p(95)<50", "rate<0.01"). */
export const k6Expression = (t: Threshold) => `${t.aggregation.kind === 'p' ? `p(${t.aggregation.percentile})` : t.aggregation.kind}${t.operator}${t.value}`;

export function k6Script(spec: K6Spec, summaryFile: string): string {
  const thresholds: Record<string, string[]> = {};
  for (const t of spec.thresholds) (thresholds[k6MetricKey(t)] ??= []).push(k6Expression(t));
  // k6 wants a whole number of iterations per time unit.
  const perSecond = Number.isInteger(spec.ratePerSecond);
  const rate = perSecond ? spec.ratePerSecond : Math.round(spec.ratePerSecond * 60);
  const vus = Math.max(10, Math.ceil(spec.ratePerSecond * 0.5));
  const options = {
    discardResponseBodies: true,
    scenarios: {
      load: {
        executor: 'constant-arrival-rate',
        rate,
        timeUnit: perSecond ? '1s' : '1m',
        duration: `${Math.max(1, Math.round(spec.durationMs / 1000))}s`,
        preAllocatedVUs: vus,
        maxVUs: vus * 10,
      },
    },
    thresholds,
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  };
  const requests = spec.requests.map((r) => ({ method: r.method ?? 'GET', path: r.path, body: r.body ?? null, headers: r.headers ?? {} }));
  return `// Written by cutover for one step; thresholds use the same syntax as the step.
import http from 'k6/http';
import exec from 'k6/execution';

export const options = ${JSON.stringify(options, null, 2)};
const target = ${JSON.stringify(spec.target)};
const requests = ${JSON.stringify(requests)};

export default function () {
  const i = exec.scenario.iterationInTest;
  const r = requests[i % requests.length];
  const fill = (s) => (s === null ? null : s.split('{{i}}').join(String(i)));
  http.request(r.method, target + fill(r.path), fill(r.body), { headers: r.headers, redirects: 0 });
}

export function handleSummary(data) {
  return { ${JSON.stringify(summaryFile)}: JSON.stringify(data) };
}
`;
}

export interface K6Verdict {
  threshold: string;
  metric: string;
  expression: string;
  /** The value k6 measured for the aggregation (ms for durations, 0-1 for rates). */
  measured: number | undefined;
  passed: boolean;
}

export interface K6Result {
  exitCode: number;
  verdicts: K6Verdict[];
  requests: number;
  failedRate: number;
  durationMs: Record<string, number>;
  /** k6's own summary, as evidence. */
  summary: unknown;
  output: string;
}

interface K6Summary {
  metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
}

export function parseK6Summary(summary: K6Summary, thresholds: Threshold[]): Pick<K6Result, 'verdicts' | 'requests' | 'failedRate' | 'durationMs'> {
  const verdicts = thresholds.map((t): K6Verdict => {
    const metric = k6MetricKey(t);
    const expression = k6Expression(t);
    const m = summary.metrics[metric];
    const key = t.aggregation.kind === 'p' ? `p(${t.aggregation.percentile})` : t.aggregation.kind;
    return { threshold: t.source, metric, expression, measured: m?.values[key], passed: m?.thresholds?.[expression]?.ok ?? false };
  });
  return {
    verdicts,
    requests: summary.metrics.http_reqs?.values.count ?? 0,
    failedRate: summary.metrics.http_req_failed?.values.rate ?? 0,
    durationMs: summary.metrics.http_req_duration?.values ?? {},
  };
}

/** Runs k6; resolves with its verdicts (a crossed threshold is a result, not an error). */
export async function runK6(binary: string, spec: K6Spec, options: { timeoutMs?: number; onLine?: (line: string) => void } = {}): Promise<K6Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-k6-'));
  try {
    const summaryFile = path.join(dir, 'summary.json');
    const script = path.join(dir, 'script.js');
    fs.writeFileSync(script, k6Script(spec, summaryFile));
    const child = spawn(binary, ['run', '--quiet', '--no-color', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, K6_NO_USAGE_REPORT: 'true' },
    });
    let output = '';
    const collect = (c: Buffer) => {
      output += c.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
      for (const line of c.toString().split('\n')) if (line.trim()) options.onLine?.(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timeoutMs = options.timeoutMs ?? spec.durationMs + 60_000;
    const exitCode = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`k6 did not finish within ${timeoutMs} ms (the test was ${spec.durationMs} ms); last output:\n${output.slice(-2000)}`));
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`could not start k6 (${binary}): ${err.message}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code ?? 1);
      });
    });
    if (exitCode !== 0 && exitCode !== K6_THRESHOLDS_CROSSED) {
      throw new Error(`k6 failed with exit code ${exitCode}; output:\n${output.slice(-3000)}`);
    }
    if (!fs.existsSync(summaryFile)) throw new Error(`k6 exited ${exitCode} without writing its summary; output:\n${output.slice(-3000)}`);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as K6Summary;
    return { exitCode, ...parseK6Summary(summary, spec.thresholds), summary, output };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
