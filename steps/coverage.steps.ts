// Coverage SLOs: the share of a service's code its own tests run, from the c8
// summary (re-run when stale), with every uncovered line attached.
import { Then } from '@cucumber/cucumber';
import { serviceCoverage, type CoverageMetric } from '../support/coverage/coverage.ts';
import type { CutoverWorld } from '../support/world/world.ts';

async function assertCoverage(world: CutoverWorld, service: string, percent: number, metrics: CoverageMetric[]): Promise<void> {
  const report = await serviceCoverage(service, { root: process.cwd(), log: (line) => world.progress(line) });
  const short = metrics.filter((m) => report.pct[m] < percent);
  const uncovered = [...(metrics.includes('lines') ? report.uncoveredLines.map((l) => `line   ${l}`) : []), ...(metrics.includes('branches') ? report.uncoveredBranches.map((b) => `branch ${b}`) : [])];
  if (uncovered.length > 0) await world.evidence.text(`uncovered in ${service}`, uncovered.join('\n'));
  const measured = Object.fromEntries(metrics.map((m) => [m, `${report.pct[m]}% (${report.totals[m].covered}/${report.totals[m].total})`]));
  await world.evidence.verify(`test coverage of ${service}: ${metrics.join(' and ')} at least ${percent}%`, short.length === 0, { expected: `≥ ${percent}%`, measured, details: report }, () =>
    `the tests of ${service} cover ${short.map((m) => `${report.pct[m]}% of ${m}`).join(' and ')}, expected at least ${percent}%` +
      `${uncovered.length > 0 ? `; uncovered: ${uncovered.slice(0, 10).join(', ')}${uncovered.length > 10 ? `, … (${uncovered.length} in all, attached)` : ''}` : ''}`,
  );
}

/** Lines and branches covered by the service's tests (`npm run coverage -- <service>`, re-run when the summary is older than the sources). */
Then('the test coverage of service {string} is at least {percent} of lines and branches', async function (this: CutoverWorld, service: string, percent: number) {
  await assertCoverage(this, service, percent, ['lines', 'branches']);
});

/** Lines covered by the service's tests. */
Then('the test coverage of service {string} is at least {percent} of lines', async function (this: CutoverWorld, service: string, percent: number) {
  await assertCoverage(this, service, percent, ['lines']);
});
