// A benchmark as a scenario step: it runs briefly and records its figures.
// Nothing is asserted about speed (benchmarks measure, tests assert): the
// step proves the benchmark runs end to end and writes what the schema asks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Then } from '@cucumber/cucumber';
import { BenchResultsSchema, type BenchName, summaryLines } from '../bench/results.ts';
import { runBounded } from '../support/process/bounded.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** Runs `npm run bench -- <name>` with loads of the given seconds into a results file of its own; the figures must be there and fit the schema. */
Then('the benchmark {string} runs with {int}-second loads and records its figures', async function (this: CutoverWorld, name: string, seconds: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-bench-step-'));
  try {
    const file = path.join(dir, 'results.json');
    const outcome = await runBounded({
      command: process.execPath,
      args: ['--import', 'tsx', path.join('bench', 'run.ts'), name],
      cwd: process.cwd(),
      env: { BENCH_DURATION_S: String(seconds), BENCH_RESULTS: file },
      timeoutMs: 5 * 60_000,
      what: `npm run bench -- ${name}`,
      onLine: (line) => this.progress(line),
    });
    await this.evidence.text(`npm run bench -- ${name}`, outcome.output);
    if (outcome.status !== 0) throw new Error(`npm run bench -- ${name} exited ${outcome.status}:\n${outcome.output.slice(-2000)}`);
    const results = BenchResultsSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    const figures = results.benchmarks[name as BenchName];
    await this.evidence.verify(`benchmark ${name} recorded its figures`, figures !== undefined, { expected: `a "${name}" section in the results`, measured: summaryLines(results) }, () => `npm run bench -- ${name} wrote no "${name}" figures to ${file}`);
    await this.evidence.json(`benchmark ${name} figures`, figures);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
