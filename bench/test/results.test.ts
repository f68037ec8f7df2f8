// bench/results.json's schema and table (the figures themselves are measured by npm run bench, not here).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { type BenchResults, readResults, summaryLines, writeResults } from '../results.ts';

const sample: BenchResults = {
  schemaVersion: 1,
  machine: { cpus: 2, node: 'v20.20.2' },
  benchmarks: {
    router: { measuredAt: '2026-12-02T10:00:00Z', seconds: 10, saturation: { direct: 10_000, routed: 8_700, ratio: 0.87 }, addedAt1000: { p50Ms: 0.21, p99Ms: 0.9 }, failedAt1000: { direct: 0, routed: 0 } },
    features: {
      measuredAt: '2026-12-02T10:00:00Z',
      timeScale: 0.1,
      canary: { wallSeconds: 143, scenarios: 7, passed: 7, rollbacks: 3, rollbackMsMax: 12.5, rollbackMsMedian: 4 },
      blueGreen: { wallSeconds: 120, scenarios: 6, passed: 6, switches: 4, failedRequests: 0, requests: 52_000, longestGapMs: 41 },
    },
  },
};

test('results are written by the schema and read back; a damaged or outdated file starts afresh, said', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-bench-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'results.json');
  writeResults(sample, file);
  assert.deepEqual(readResults(file).benchmarks, sample.benchmarks);
  assert.throws(() => writeResults({ ...sample, benchmarks: { router: { ...sample.benchmarks.router, saturation: { direct: 1 } } } } as unknown as BenchResults, file));
  fs.writeFileSync(file, JSON.stringify({ schemaVersion: 0 }));
  assert.deepEqual(readResults(file).benchmarks, {});
});

test('the table: one line per figure, ratios as percentages, counts as counts', () => {
  const lines = summaryLines(sample);
  assert.equal(lines.length, 5);
  assert.match(lines[0] as string, /router: throughput through the router \/ direct \(saturation\) +87\.0%$/);
  assert.match(lines[1] as string, /added p50 \/ p99 at 1000 req\/s +0\.2 ms \/ 0\.9 ms$/);
  assert.match(lines.join('\n'), /canary abort \(analysis failure or operator\) to 100% stable traffic, max +12\.5 ms over 3 rollback\(s\)/);
  assert.match(lines.join('\n'), /blue-green switch: failed requests \/ longest gap between successes +0 of 52000 \/ 41\.0 ms/);
  assert.match(lines.join('\n'), /canary\.feature wall time at time scale 0\.1 +143 s \(7\/7 passed\)/);
});
