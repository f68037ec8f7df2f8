// Scenario lifecycle: the platform starts on first use; at the end, a failed
// scenario's diagnostics are collected first, then charts and summaries are
// attached, then everything is stopped newest first. Ctrl-C or SIGTERM stops
// every live scenario the same way before the process exits.
import 'allure-cucumberjs';
import { After, AfterAll, Before, BeforeAll, setDefaultTimeout, Status } from '@cucumber/cucumber';
import { ArgoCdEnvironment } from '../gitops/gitops.ts';
import * as allure from 'allure-js-commons';
import { pathToFileURL } from 'node:url';
import { defaultPrdDir, prdIndex } from '../prd/parse.ts';
import type { VerificationSession } from '../scenario/session.ts';
import type { CutoverWorld } from './world.ts';

// Every wait in the step library has its own, shorter bound that explains
// itself; this only catches a step that forgot one.
setDefaultTimeout(20 * 60_000);

const live = new Set<VerificationSession>();
let stopping = false;

async function stopAll(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\ncutover: ${signal}: stopping ${live.size} running scenario(s) (traffic, replicas, routers, Prometheus)...\n`);
  await Promise.allSettled([...live].map((s) => s.teardown()));
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

BeforeAll(function () {
  process.once('SIGINT', () => void stopAll('SIGINT'));
  process.once('SIGTERM', () => void stopAll('SIGTERM'));
});

Before(async function (this: CutoverWorld, { pickle }) {
  live.add(this.session);
  this.tags = pickle.tags.map((t) => t.name);
  // Links to the requirements the scenario proves, from its tags at every level
  // (allure-cucumberjs reads only Feature and Scenario tags), named by the item's text.
  for (const tag of pickle.tags.filter((t) => t.name.startsWith('@prd='))) {
    const id = tag.name.slice('@prd='.length);
    const item = prdIndex(defaultPrdDir()).get(id);
    await allure.link(item ? `${pathToFileURL(item.file).href}#L${item.line}` : `${pathToFileURL(defaultPrdDir()).href}/${id.split('/')[0]}.md`, item ? `${item.text} (${id})` : id, 'prd');
  }
  // Part of the test's identity: the same scenario on local and on docker are two results in one report, not retries.
  await allure.parameter('platform', this.settings.platform);
  await allure.parameter('time scale', String(this.settings.timeScale), { excluded: true });
  await this.evidence.evidence('scenario context', { cutover: 'context', platform: this.settings.platform, timeScale: this.settings.timeScale });
});

After(async function (this: CutoverWorld, { result }) {
  try {
    if (result?.status === Status.FAILED) await this.session.collectDiagnostics();
    await this.session.recordOutcome();
  } finally {
    await this.session.teardown();
    live.delete(this.session);
  }
});

AfterAll(async function () {
  await Promise.allSettled([...live].map((s) => s.teardown()));
  // Argo CD, shared by the run's GitOps scenarios: removed if this run installed it.
  await ArgoCdEnvironment.close((line) => process.stderr.write(`  · ${line}\n`)).catch((err: Error) => process.stderr.write(`cutover: removing Argo CD: ${err.message}\n`));
});
