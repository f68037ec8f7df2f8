// Data integrity, counted: writes acknowledged while the scenario runs are
// kept in a ledger and read back afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { spawnServiceProcess } from '../services/common/testing.ts';
import { restoreDataDir } from '../support/backup/sqlite.ts';
import { createLinkRequest, LinkLedger } from '../support/integrity/links.ts';
import { killOnExit } from '../support/platform/local/supervisor.ts';
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

/** Online backup of the rollout's databases while the scenario's traffic goes on; each backup must pass SQLite's integrity check. */
When('the data of rollout {string} is backed up', async function (this: CutoverWorld, rollout: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-backup-'));
  this.session.onCleanup(`backup ${dir}`, async () => fs.rmSync(dir, { recursive: true, force: true }));
  const startedAt = Date.now();
  const backups = await this.session.platform.backupData(rollout, dir);
  this.backup = { rollout, startedAt, endedAt: Date.now(), backups };
  await this.evidence.json(`backup of ${rollout}`, this.backup);
  const bad = backups.filter((b) => b.integrity !== 'ok');
  await this.evidence.verify(`backup of ${rollout} passes integrity_check`, bad.length === 0, { expected: 'ok', measured: backups.map((b) => `${path.basename(b.file)}: ${b.integrity}, ${b.bytes} bytes, rows ${JSON.stringify(b.rows)}`) }, () =>
    `the backup of ${bad.map((b) => path.basename(b.source)).join(', ')} fails SQLite's integrity check: ${bad.map((b) => b.integrity).join('; ')}`,
  );
});

/** Restores the backup into a new data folder, starts the service on it, and follows every short link acknowledged before the backup started. */
Then('a {string} started on a restore of the backup resolves every short link acknowledged before the backup', async function (this: CutoverWorld, service: string) {
  if (this.backup === undefined) throw new Error('nothing was backed up in this scenario: add "When the data of rollout … is backed up" first');
  if (this.links === undefined) throw new Error('no short links were created in this scenario: add "Given short links are created in ..." first');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-restore-'));
  this.session.onCleanup(`restore ${dataDir}`, async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  restoreDataDir(this.backup.backups, dataDir);
  const restored = await spawnServiceProcess(service, { DATA_DIR: dataDir, APP_VERSION: 'restored' });
  killOnExit(restored.child);
  this.session.onCleanup(`restored ${service}`, async () => {
    restored.child.kill('SIGTERM');
    await restored.exited;
  });
  this.progress(`restored ${service} from the backup of ${this.backup.rollout} at ${restored.url}`);
  const check = await this.links.ledger.verify(restored.url, { ackedBefore: this.backup.startedAt });
  const passed = check.acknowledged > 0 && check.intact === check.acknowledged;
  await this.evidence.verify('every link acknowledged before the backup resolves from the restore', passed, { expected: `${check.acknowledged} intact`, measured: { ...check, missing: check.missing.length, wrong: check.wrong.length }, details: check }, () =>
    check.acknowledged === 0
      ? 'no short link was acknowledged before the backup, so the restore proved nothing'
      : `${check.acknowledged - check.intact} of ${check.acknowledged} links acknowledged before the backup are lost or wrong in the restore: ${[...check.missing.slice(0, 5).map((m) => `${m.code} → ${m.status}`), ...check.wrong.slice(0, 5).map((w) => `${w.code} → ${w.location}`)].join(', ')}`,
  );
});
