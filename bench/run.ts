// `npm run bench -- [name...]`: runs benchmarks (all when none are named).
// Benchmarks measure; tests assert. Figures go to the terminal and to
// reports/bench/<name>.json.
const BENCHMARKS: Record<string, () => Promise<void>> = {
  services: async () => (await import('./services.ts')).benchServices(),
  router: async () => (await import('./router.ts')).benchRouter(),
};

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : Object.keys(BENCHMARKS);
for (const name of names) {
  const run = BENCHMARKS[name];
  if (run === undefined) {
    console.error(`unknown benchmark "${name}": expected one of ${Object.keys(BENCHMARKS).join(', ')}`);
    process.exit(2);
  }
  await run();
}
