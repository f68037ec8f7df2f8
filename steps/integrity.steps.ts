// Data integrity, counted: writes acknowledged while the scenario runs are
// kept in a ledger and read back afterwards.
import { Given, Then } from '@cucumber/cucumber';
import { createLinkRequest, LinkLedger } from '../support/integrity/links.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** Creates short links (POST /shorten) at a constant rate; every acknowledged one goes into the ledger. */
Given('short links are created in {string} at {rate} for the whole scenario', function (this: CutoverWorld, service: string, rate: number) {
  const ledger = new LinkLedger();
  const writer = `${service} (short links created)`;
  this.links = { ledger, writer };
  this.session.startTrafficAs(writer, service, {
    ratePerSecond: rate,
    maxDurationMs: 30 * 60_000,
    requests: [createLinkRequest(Math.random().toString(36).slice(2, 8))],
    observe: (r) => ledger.observe(r),
  });
});

/** Stops the link creation and checks that every acknowledged link redirects to exactly its URL. */
Then('every short link created during the scenario still resolves', async function (this: CutoverWorld) {
  if (this.links === undefined) throw new Error('no short links were created in this scenario: add "Given short links are created in ..." first');
  const { ledger, writer } = this.links;
  const run = await this.session.stopTraffic(writer);
  const check = await ledger.verify(run.spec.target);
  const passed = check.acknowledged > 0 && check.intact === check.acknowledged;
  await this.evidence.verify('every acknowledged short link resolves', passed, { expected: `${check.acknowledged} intact`, measured: { ...check, missing: check.missing.length, wrong: check.wrong.length }, details: check }, () =>
    check.acknowledged === 0
      ? 'no short link creation was acknowledged, so nothing was proven'
      : `${check.acknowledged - check.intact} of ${check.acknowledged} acknowledged short links are lost or wrong: ${[...check.missing.slice(0, 5).map((m) => `${m.code} → ${m.status}`), ...check.wrong.slice(0, 5).map((w) => `${w.code} → ${w.location}`)].join(', ')}`,
  );
});
