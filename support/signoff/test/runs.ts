// Run summaries as cutover's runs write them, for the sign-off's and the
// failure issue's tests: a scenario (passed, with an SLO and a rollout,
// unless told otherwise) and a run folder holding them.
import fs from 'node:fs';
import path from 'node:path';
import type { RunSummary } from '../../evidence/summary.ts';

export function scenario(name: string, prd: string, over: Partial<RunSummary['scenarios'][number]> = {}): RunSummary['scenarios'][number] {
  return {
    id: name,
    name,
    feature: 'Release',
    uri: 'features/release.feature',
    tags: [`@prd=${prd}`, ...(over.tags ?? [])],
    prd: [prd],
    status: 'passed',
    durationMs: 1000,
    platform: 'local',
    slos: [{ threshold: 'http_req_failed: rate==0', window: { name: 'the whole scenario', from: '2026-12-01T00:00:00Z', to: '2026-12-01T00:01:00Z', seconds: 60 }, measured: 0, unit: 'rate', passed: true, traffic: 'tinyurl', engine: 'cutover' }],
    assertions: [],
    rollouts: [{ rollout: 'tinyurl', strategy: 'canary', fromImage: 'cutover/tinyurl:v1', toImage: 'cutover/tinyurl:v2', phase: 'Healthy', rolloutMs: 42_000, weights: [10, 50, 100], analysisRuns: [] }],
    chaos: [],
    ...over,
    ...(over.tags ? { tags: [`@prd=${prd}`, ...over.tags] } : {}),
  };
}

export function writeRun(dir: string, scenarios: RunSummary['scenarios'], platform = 'local'): void {
  fs.mkdirSync(path.join(dir, 'allure-results'), { recursive: true });
  const failed = scenarios.filter((s) => s.status === 'failed').length;
  const summary: RunSummary = {
    schemaVersion: 1,
    startedAt: '2026-12-01T00:00:00Z',
    finishedAt: '2026-12-01T00:10:00Z',
    verdict: failed > 0 ? 'failed' : 'passed',
    profile: 'fast',
    platform,
    timeScale: 0.1,
    gitCommit: 'abc1234',
    counts: { scenarios: scenarios.length, passed: scenarios.length - failed, failed, other: 0 },
    scenarios,
  };
  fs.writeFileSync(path.join(dir, 'run-summary.json'), JSON.stringify(summary));
  fs.writeFileSync(path.join(dir, 'allure-results', `${platform}-result.json`), '{"status":"passed"}');
}
