// The alerting policy of k8s/monitoring/alertmanager: amtool's checks, its
// routing, and the escalation run on a real Alertmanager (Debian's) that
// notifies receivers recorded here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AlertReceivers } from '../../fixtures/alert-receivers.ts';
import { ALERTMANAGER_INSTALL_HINT, alertmanagerBinary, amtoolBinary, checkAlertmanagerConfig, configForScenario, loadAlertmanagerConfig, LocalAlertmanager, receiversFor } from '../alertmanager.ts';

const missing = [alertmanagerBinary(), amtoolBinary()].filter((b) => !fs.existsSync(b));
const skip = missing.length > 0 && process.env.CI !== 'true' ? `${missing.join(' and ')} not installed: ${ALERTMANAGER_INSTALL_HINT}` : false;

const POLICY = 'k8s/monitoring/alertmanager/alertmanager.yml';

async function until<T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('amtool accepts the alerting policy, and routes critical alerts to the pager and the chat, the rest to the chat', { skip }, async () => {
  const check = await checkAlertmanagerConfig(POLICY);
  assert.ok(check.ok, check.output);
  assert.deepEqual(await receiversFor(POLICY, { alertname: 'HighErrorRate', service: 'tinyurl', severity: 'critical' }), ['oncall-pager', 'team-chat']);
  assert.deepEqual(await receiversFor(POLICY, { alertname: 'HighLatency', service: 'tinyurl', severity: 'warning' }), ['team-chat']);
  assert.deepEqual(await receiversFor(POLICY, { alertname: 'Unlabelled' }), ['team-chat']);
});

test('a broken policy names the file, the line and the field, or the receiver no one defined', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-am-test-'));
  try {
    const bad = path.join(dir, 'bad.yml');
    fs.writeFileSync(bad, 'route:\n  receiver: chat\n  group_wait: soon\nreceivers:\n  - name: chat\n');
    assert.throws(() => loadAlertmanagerConfig(bad), /bad\.yml:3 route\.group_wait: expected a duration such as 30s, 5m or 4h/);
    const unknown = path.join(dir, 'unknown.yml');
    fs.writeFileSync(unknown, 'route:\n  receiver: chat\n  routes:\n    - receiver: pager\nreceivers:\n  - name: chat\n');
    assert.throws(() => loadAlertmanagerConfig(unknown), /routes name receivers that are not defined: pager \(defined: chat\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the scenario config points every receiver at the recorder and scales the group timings, defaults included', () => {
  const text = configForScenario(loadAlertmanagerConfig(POLICY), 'http://127.0.0.1:9/r', 0.1);
  assert.match(text, /api_url: http:\/\/127\.0\.0\.1:9\/r\/team-chat/);
  assert.match(text, /url: http:\/\/127\.0\.0\.1:9\/r\/oncall-pager/);
  assert.doesNotMatch(text, /api_url_file|incident-relay/);
  assert.match(text, /group_wait: 3000ms/);
  assert.match(text, /repeat_interval: 1440000ms/);
});

test('escalation on a real Alertmanager: a critical alert pages and is told in the chat; its service’s warnings wait until it resolves', { skip }, async (t) => {
  const receivers = await AlertReceivers.start();
  t.after(() => receivers.close());
  // 1/100 of the policy's timings: the chat gathers for 300 ms, flushes every 3 s.
  const am = await LocalAlertmanager.start(configForScenario(loadAlertmanagerConfig(POLICY), receivers.url, 0.01));
  t.after(() => am.stop());
  const critical = { labels: { alertname: 'HighErrorRate', service: 'tinyurl', severity: 'critical' }, annotations: { summary: 'tinyurl answers 30% of its requests with 5xx' } };
  const warning = { labels: { alertname: 'HighLatency', service: 'tinyurl', severity: 'warning' } };
  const otherWarning = { labels: { alertname: 'HighLatency', service: 'newsfeed', severity: 'warning' } };
  await am.post([critical]);
  await until('the pager and the chat are told of the critical alert', () => (receivers.receiversTold('HighErrorRate', 'firing').length === 2 ? true : undefined), 10_000);
  await am.post([critical, warning, otherWarning]);
  await until('the chat is told of newsfeed’s warning', () => receivers.told('team-chat', 'HighLatency', 'firing', 'newsfeed')[0], 10_000);
  const tinyurlWarning = (await am.alerts()).find((a) => a.labels.alertname === 'HighLatency' && a.labels.service === 'tinyurl');
  assert.equal(tinyurlWarning?.status.state, 'suppressed');
  assert.ok((tinyurlWarning?.status.inhibitedBy.length ?? 0) > 0);
  assert.deepEqual(receivers.told('team-chat', 'HighLatency', 'firing', 'tinyurl'), []);
  assert.deepEqual(receivers.told('oncall-pager', 'HighLatency', 'firing'), [], 'a warning never pages');
  // The critical alert resolves: the pager and the chat are told, and the held warning comes out.
  await am.post([{ ...critical, endsAt: new Date().toISOString() }, warning, otherWarning]);
  await until('the pager is told the critical alert resolved', () => receivers.told('oncall-pager', 'HighErrorRate', 'resolved')[0], 15_000);
  await until('the chat is told the critical alert resolved', () => receivers.told('team-chat', 'HighErrorRate', 'resolved')[0], 15_000);
  await until('the chat is told of tinyurl’s warning once nothing holds it back', () => receivers.told('team-chat', 'HighLatency', 'firing', 'tinyurl')[0], 15_000);
  assert.deepEqual(receivers.told('oncall-pager', 'HighLatency', 'firing'), []);
});
