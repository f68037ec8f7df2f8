// SLO assertions in k6's threshold syntax, over the whole scenario or a named
// window. Every verdict is attached with what was measured, breached or not.
import { Then, When, type DataTable } from '@cucumber/cucumber';
import { longestAnswerGap } from '../support/rollout/observations.ts';
import { parseThreshold, type Threshold } from '../support/slo/threshold.ts';
import type { WindowPhrase } from '../support/slo/windows.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** The scenario's only traffic met a threshold over the whole scenario. */
Then('the traffic met {threshold}', async function (this: CutoverWorld, t: Threshold) {
  await this.session.assertThresholds(this.session.soleTraffic(), 'during the whole scenario', [t]);
});

/** Two thresholds over the whole scenario. */
Then('the traffic met {threshold} and {threshold}', async function (this: CutoverWorld, a: Threshold, b: Threshold) {
  await this.session.assertThresholds(this.session.soleTraffic(), 'during the whole scenario', [a, b]);
});

/** A threshold over a window: during the whole scenario, during the rollout, before the rollout, after the switch, after the abort, after the rollout. */
Then('the traffic {window} met {threshold}', async function (this: CutoverWorld, phrase: WindowPhrase, t: Threshold) {
  await this.session.assertThresholds(this.session.soleTraffic(), phrase, [t]);
});

/** Thresholds, one per row, over a window of the traffic to a service. */
Then('the traffic to {string} {window} met these thresholds:', async function (this: CutoverWorld, service: string, phrase: WindowPhrase, table: DataTable) {
  const thresholds = table.raw().map((row) => parseThreshold(row.join(' ').trim()));
  await this.session.assertThresholds(this.session.trafficTo(service), phrase, thresholds);
});

/** A threshold over the whole scenario for the traffic to one service. */
Then('the traffic to {string} met {threshold}', async function (this: CutoverWorld, service: string, t: Threshold) {
  await this.session.assertThresholds(this.session.trafficTo(service), 'during the whole scenario', [t]);
});

/** Load on k6 (K6_BIN or PATH; the built-in generator when k6 is absent) with k6 thresholds, for a while (scaled). */
When('k6 sends {rate} to {string} for {duration}, expecting {threshold}', async function (this: CutoverWorld, rate: number, service: string, ms: number, t: Threshold) {
  await this.session.loadWithThresholds(service, rate, this.session.scaledTraffic(ms), [{ path: '/' }], [t]);
});

/** Load on k6 with several thresholds, one per row; requests to "/" unless a path is given. */
When('k6 sends {rate} to {string} {string} for {duration} with these thresholds:', async function (this: CutoverWorld, rate: number, service: string, pathText: string, ms: number, table: DataTable) {
  if (!pathText.startsWith('/')) throw new Error(`"${pathText}" is not a path: it must start with "/"`);
  const thresholds = table.raw().map((row) => parseThreshold(row.join(' ').trim()));
  await this.session.loadWithThresholds(service, rate, this.session.scaledTraffic(ms), [{ path: pathText }], thresholds);
});

/** No downtime, measured: the longest time between two successful answers (by completion) over a window stayed under the bound. */
Then('the traffic {window} never went {duration} without a successful answer', async function (this: CutoverWorld, phrase: WindowPhrase, boundMs: number) {
  const run = this.session.soleTraffic();
  const window = this.session.window(phrase, run);
  const gap = longestAnswerGap(run.recording.select(window));
  const holds = gap.successful > 1 && gap.ms < boundMs;
  await this.evidence.verify(`the longest gap between successful answers ${phrase}`, holds, { expected: `< ${boundMs} ms`, measured: { ...gap, window } }, () =>
    gap.successful <= 1
      ? `${gap.successful} successful answers ${phrase}: no gap can be measured`
      : `users went ${gap.ms} ms without a successful answer ${phrase} (from ${new Date(gap.from ?? 0).toISOString()}), bound ${boundMs} ms`,
  );
});
