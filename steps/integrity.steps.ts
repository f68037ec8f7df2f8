// Data integrity, counted: writes acknowledged while the scenario runs are
// kept in a ledger and read back afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { spawnServiceProcess } from '../services/common/testing.ts';
import { restoreDataDir } from '../support/backup/sqlite.ts';
import { integrityVerdict } from '../support/integrity/ledger.ts';
import { createLinkRequest, LinkLedger } from '../support/integrity/links.ts';
import { likeRequests, LikeLedger } from '../support/integrity/likes.ts';
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
  const verdict = integrityVerdict(check);
  await this.evidence.verify('every acknowledged short link resolves', verdict.passed, { expected: verdict.expected, measured: verdict.measured, details: check }, () => verdict.failure);
});

/** The ids of the articles Newsfeed ranks for a reader (its sources are polled once first when it has none yet). */
async function newsfeedArticles(base: string): Promise<string[]> {
  const read = async () => {
    const res = await fetch(`${base}/api/newsfeed?user=cutover-ledger&limit=100`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`GET /api/newsfeed: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return ((await res.json()) as { items: { id: string }[] }).items.map((a) => a.id);
  };
  const first = await read();
  if (first.length > 0) return first;
  const poll = await fetch(`${base}/api/sources/poll`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
  if (!poll.ok) throw new Error(`POST /api/sources/poll: HTTP ${poll.status}: ${(await poll.text()).slice(0, 300)}`);
  const articles = await read();
  if (articles.length === 0) throw new Error('Newsfeed has no articles to like, even after polling its sources: check FEED_SOURCES in the rollout');
  return articles;
}

/** Likes Newsfeed's articles in turn at a constant rate, each like by a new reader; every acknowledged one goes into the ledger. */
Given('articles are liked in {string} at {rate} for the whole scenario', async function (this: CutoverWorld, service: string, rate: number) {
  const articles = await newsfeedArticles(this.session.platform.serviceUrl(service));
  const ledger = new LikeLedger();
  const writer = `${service} (likes given)`;
  this.likes = { ledger, writer };
  this.session.startTrafficAs(writer, service, {
    ratePerSecond: rate,
    maxDurationMs: 30 * 60_000,
    requests: likeRequests(Math.random().toString(36).slice(2, 8), articles),
    observe: (r) => ledger.observe(r),
  });
});

/** Stops the likes and checks that every acknowledged like is among its reader's likes. */
Then('every like given during the scenario is still there', async function (this: CutoverWorld) {
  if (this.likes === undefined) throw new Error('no likes were given in this scenario: add "Given articles are liked in ..." first');
  const { ledger, writer } = this.likes;
  const run = await this.session.stopTraffic(writer);
  const check = await ledger.verify(run.spec.target);
  const verdict = integrityVerdict(check);
  await this.evidence.verify('every acknowledged like is kept', verdict.passed, { expected: verdict.expected, measured: { ...verdict.measured, notAcknowledged: ledger.rejected }, details: check }, () => verdict.failure);
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
  const verdict = integrityVerdict(check, ' before the backup (read from the restore)');
  await this.evidence.verify('every link acknowledged before the backup resolves from the restore', verdict.passed, { expected: verdict.expected, measured: verdict.measured, details: check }, () => verdict.failure);
});
