// `npm run bench -- [name...]`: runs benchmarks (all when none are named),
// writes their figures to bench/results.json (schema in bench/results.ts;
// the others' last figures are kept) and prints a short table. Benchmarks
// measure; tests assert.
import { type BenchName, readResults, RESULTS_FILE, summaryLines, writeResults } from './results.ts';

const BENCHMARKS: Record<BenchName, () => Promise<unknown>> = {
  router: async () => (await import('./router.ts')).benchRouter(),
  loadgen: async () => (await import('./loadgen.ts')).benchLoadgen(),
  memory: async () => (await import('./memory.ts')).benchMemory(),
  features: async () => (await import('./features.ts')).benchFeatures(),
  services: async () => (await import('./services.ts')).benchServices(),
};

const requested = process.argv.slice(2);
const names = (requested.length > 0 ? requested : Object.keys(BENCHMARKS)) as BenchName[];
const unknown = names.filter((n) => !(n in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ')}: expected some of ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}
const results = readResults();
for (const name of names) {
  const started = performance.now();
  const figures = await BENCHMARKS[name]();
  results.benchmarks = { ...results.benchmarks, [name]: { ...(figures as object), measuredAt: new Date().toISOString() } };
  // Written after each benchmark, so an interrupted run keeps what it measured.
  writeResults(results);
  console.log(`bench ${name}: done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
console.log(`\n${summaryLines(results).join('\n')}\n\nwritten ${RESULTS_FILE}`);
