// The rollout figures, from the features themselves run at time scale 0.1
// (the fast profile's): canary.feature's wall time and, for each rollback in
// it, the time from the abort (an analysis failing, or an operator) to all
// traffic on stable; blue-green.feature's failed requests and the longest
// gap between successful answers around its switches. Read from the run
// summaries those runs write.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { RunSummarySchema, type RunSummary } from '../support/evidence/summary.ts';
import { runFeature } from '../support/evidence/report.ts';
import type { FeaturesFiguresSchema } from './results.ts';

const TIME_SCALE = 0.1;

async function runTimed(feature: string): Promise<{ summary: RunSummary; wallSeconds: number }> {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-bench-features-'));
  try {
    console.log(`bench features: ${feature} at time scale ${TIME_SCALE}`);
    const started = performance.now();
    const outcome = await runFeature(process.cwd(), feature, reports, { timeScale: TIME_SCALE, timeoutMs: 20 * 60_000 });
    const wallSeconds = (performance.now() - started) / 1000;
    const file = path.join(reports, 'run-summary.json');
    if (!fs.existsSync(file)) throw new Error(`${feature} wrote no run summary (exit ${outcome.status}):\n${outcome.output.slice(-2000)}`);
    return { summary: RunSummarySchema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))), wallSeconds };
  } finally {
    fs.rmSync(reports, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchFeatures(): Promise<z.infer<typeof FeaturesFiguresSchema>> {
  const canary = await runTimed('features/canary.feature');
  const rollbacks = canary.summary.scenarios.flatMap((s) => s.rollouts.map((r) => r.rollbackMs)).filter((ms): ms is number => ms !== undefined);
  const blueGreen = await runTimed('features/blue-green.feature');
  const bg = blueGreen.summary.scenarios;
  // Every request of every blue-green scenario's traffic, failed ones counted (the whole-scenario SLO evidence).
  const wholeScenario = bg.flatMap((s) => s.slos.filter((x) => x.threshold.startsWith('http_req_failed') && x.window.name === 'the whole scenario'));
  const gaps = bg.flatMap((s) => s.assertions.filter((a) => a.name.startsWith('the longest gap between successful answers'))).map((a) => (a.measured as { ms?: number } | undefined)?.ms).filter((ms): ms is number => typeof ms === 'number');
  const counts = (s: RunSummary) => ({ scenarios: s.counts.scenarios, passed: s.counts.passed });
  return {
    timeScale: TIME_SCALE,
    canary: { wallSeconds: canary.wallSeconds, ...counts(canary.summary), rollbacks: rollbacks.length, ...(rollbacks.length > 0 ? { rollbackMsMax: Math.max(...rollbacks), rollbackMsMedian: median(rollbacks) } : {}) },
    blueGreen: {
      wallSeconds: blueGreen.wallSeconds,
      ...counts(blueGreen.summary),
      switches: bg.flatMap((s) => s.rollouts).filter((r) => r.strategy === 'blueGreen' && r.phase === 'Healthy').length,
      failedRequests: wholeScenario.reduce((n, x) => n + (x.failed ?? 0), 0),
      requests: wholeScenario.reduce((n, x) => n + (x.requests ?? 0), 0),
      ...(gaps.length > 0 ? { longestGapMs: Math.max(...gaps) } : {}),
    },
  };
}
