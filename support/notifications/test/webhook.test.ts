// Webhook notifications against a real receiver on 127.0.0.1: the
// subscribed triggers only, in order, retried with backoff through failures,
// given up and said when the receiver stays down, bounded queue and close;
// and from a real platform, a rollout's completion arrives with its status.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { tempDataDir } from '../../../services/common/testing.ts';
import { ManifestError } from '../../manifests/load.ts';
import { readCutoverConfig, secretsReadableByOthers } from '../../platform/local/catalog.ts';
import { LocalPlatform } from '../../platform/local/platform.ts';
import { demoCanary } from '../../platform/local/test/demo-manifests.ts';
import type { RolloutEvent, RolloutStatus } from '../../rollout/controller.ts';
import { WebhookNotifier, WebhookSchema, type Notification } from '../webhook.ts';

/** A receiver that answers the given statuses in turn (then 200), keeping what it got. */
async function receiver(statuses: number[] = []) {
  const got: { body: Notification; headers: http.IncomingHttpHeaders; at: number }[] = [];
  let attempts = 0;
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const status = statuses[attempts++] ?? 200;
      if (status === 200) got.push({ body: JSON.parse(text) as Notification, headers: req.headers, at: Date.now() });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, attempts: () => attempts, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const status = { phase: 'Healthy', message: '', revision: 2, currentImage: 'app:v2', stableImage: 'app:v2', abort: false, canaryWeight: 0 } as RolloutStatus;
const event = (reason: string, message = reason): RolloutEvent => ({ at: new Date().toISOString(), reason, message });

test('only the subscribed triggers go out, in order, with the rollout status and the configured headers', async (t) => {
  const r = await receiver();
  t.after(r.close);
  const n = new WebhookNotifier([WebhookSchema.parse({ url: r.url, headers: { authorization: 'Bearer s3cret' } })]);
  for (const reason of ['RolloutUpdated', 'ScalingReplicaSet', 'AnalysisRunFailed', 'RolloutAborted', 'RolloutCompleted', 'PhaseChanged']) n.rolloutEvent('app', event(reason), status);
  await n.close();
  assert.deepEqual(r.got.map((g) => g.body.trigger), ['on-analysis-run-failed', 'on-rollout-aborted', 'on-rollout-completed'], 'the default triggers');
  assert.deepEqual(r.got[2]?.body.status, { phase: 'Healthy', message: '', revision: 2, currentImage: 'app:v2', stableImage: 'app:v2', abort: false, canaryWeight: 0 });
  assert.equal(r.got[0]?.headers.authorization, 'Bearer s3cret');
  assert.equal(r.got[0]?.headers['content-type'], 'application/json');
  assert.deepEqual(n.stats(), [{ url: r.url, delivered: 3, failed: 0, dropped: 0, queued: 0 }]);
});

test('a failing receiver is tried again with exponential backoff; one that stays down is given up and said, a 4xx at once', async (t) => {
  const flaky = await receiver([503, 503]);
  t.after(flaky.close);
  const lines: string[] = [];
  const n = new WebhookNotifier([WebhookSchema.parse({ url: flaky.url, triggers: ['on-rollout-completed'] })], { backoffMs: 50, log: (l) => lines.push(l) });
  const started = Date.now();
  n.rolloutEvent('app', event('RolloutCompleted'), status);
  await n.close();
  assert.equal(flaky.attempts(), 3);
  assert.equal(flaky.got.length, 1);
  // 50 ms, then 100 ms between the tries.
  assert.ok(flaky.got[0] !== undefined && flaky.got[0].at - started >= 150, `delivered after ${(flaky.got[0]?.at ?? 0) - started} ms`);

  const down = await receiver([503, 503, 503, 503, 503]);
  const refusing = await receiver([403]);
  t.after(down.close);
  t.after(refusing.close);
  const m = new WebhookNotifier(
    [WebhookSchema.parse({ url: down.url, triggers: ['on-rollout-aborted'] }), WebhookSchema.parse({ url: refusing.url, triggers: ['on-rollout-aborted'] })],
    { backoffMs: 10, attempts: 3, log: (l) => lines.push(l) },
  );
  m.rolloutEvent('app', event('RolloutAborted'), status);
  await m.close();
  assert.equal(down.attempts(), 3);
  assert.equal(refusing.attempts(), 1, 'a 403 is not asked again');
  assert.deepEqual(m.stats().map((s) => s.failed), [1, 1]);
  assert.ok(lines.includes(`notification on-rollout-aborted for app not delivered to ${down.url}: HTTP 503`), lines.join('\n'));
  assert.ok(lines.includes(`notification on-rollout-aborted for app not delivered to ${refusing.url}: HTTP 403`), lines.join('\n'));
});

test('a receiver that never answers: each try bounded, the queue bounded, close bounded', async (t) => {
  const held: http.ServerResponse[] = [];
  const server = http.createServer((_req, res) => held.push(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const h of held) h.destroy();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const lines: string[] = [];
  const n = new WebhookNotifier([WebhookSchema.parse({ url, triggers: ['on-rollout-step-completed'] })], { timeoutMs: 100, attempts: 1, maxQueue: 3, log: (l) => lines.push(l) });
  for (let i = 0; i < 5; i++) n.rolloutEvent('app', event('RolloutStepCompleted'), status);
  assert.equal(n.stats()[0]?.dropped, 2);
  const started = Date.now();
  await n.close(2000);
  assert.ok(Date.now() - started < 1500, `close took ${Date.now() - started} ms`);
  assert.ok(lines.some((l) => /not delivered to .*: no answer within 100 ms/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /dropped: 3 are still waiting/.test(l)), lines.join('\n'));
});

test('cutover.config.yaml: webhooks are read with their triggers, headers only from an owner-only file; a wrong trigger or URL names the file, line and field', () => {
  const dir = tempDataDir('notify-config');
  const good = path.join(dir, 'good.yaml');
  fs.writeFileSync(good, 'notifications:\n  webhooks:\n  - url: http://127.0.0.1:9/hook\n    triggers: [on-rollout-aborted]\n    rollouts: [tinyurl]\n');
  assert.deepEqual(readCutoverConfig(good).notifications.webhooks, [{ url: 'http://127.0.0.1:9/hook', triggers: ['on-rollout-aborted'], headers: {}, rollouts: ['tinyurl'] }]);
  assert.equal(secretsReadableByOthers(good, readCutoverConfig(good).notifications.webhooks), undefined, 'no headers, nothing secret');
  const secret = path.join(dir, 'secret.yaml');
  fs.writeFileSync(secret, 'notifications:\n  webhooks:\n  - url: http://127.0.0.1:9/hook\n    headers: {Authorization: Bearer x}\n', { mode: 0o644 });
  fs.chmodSync(secret, 0o644);
  assert.match(secretsReadableByOthers(secret, readCutoverConfig(secret).notifications.webhooks) ?? '', /secret\.yaml holds webhook headers and others can read it \(mode 644\): chmod 600 /);
  fs.chmodSync(secret, 0o600);
  assert.equal(secretsReadableByOthers(secret, readCutoverConfig(secret).notifications.webhooks), undefined);
  const bad = path.join(dir, 'bad.yaml');
  fs.writeFileSync(bad, 'notifications:\n  webhooks:\n  - url: not a url\n    triggers: [on-rollout-exploded]\n');
  assert.throws(() => readCutoverConfig(bad), (err: Error) => {
    assert.ok(err instanceof ManifestError);
    assert.match(err.message, /bad\.yaml:3.*notifications\.webhooks\[0\]\.url: expected the URL to POST to/);
    assert.match(err.message, /bad\.yaml:4.*notifications\.webhooks\[0\]\.triggers\[0\]: expected one of on-rollout-updated/);
    return true;
  });
});

test('from a real platform: a canary that completes notifies on-rollout-completed with the new stable image; another rollout is not sent', async (t) => {
  const r = await receiver();
  t.after(r.close);
  const dir = tempDataDir('notify-platform');
  const file = path.join(dir, 'demo.yaml');
  fs.writeFileSync(file, ['demo', 'other'].map((name) => demoCanary(name, { steps: '[{setWeight: 50}, {pause: {duration: 1}}]' })).join('---\n'));
  const notifier = new WebhookNotifier([WebhookSchema.parse({ url: r.url, triggers: ['on-rollout-updated', 'on-rollout-completed'], rollouts: ['demo'] })]);
  const platform = new LocalPlatform({ timeScale: 0.05, dataDir: path.join(dir, 'data'), notifier });
  t.after(() => platform.close());
  await platform.applyFiles([file]);
  await platform.rollout('demo').setImage('argoproj/rollouts-demo:green');
  await platform.rollout('other').setImage('argoproj/rollouts-demo:green');
  await platform.rollout('demo').waitFor((s) => s.phase === 'Healthy' && s.stableImage.endsWith(':green'), 30_000, 'demo Healthy on green');
  await platform.rollout('other').waitFor((s) => s.phase === 'Healthy' && s.stableImage.endsWith(':green'), 30_000, 'other Healthy on green');
  await notifier.close();
  assert.deepEqual(
    r.got.map((g) => [g.body.rollout, g.body.trigger, g.body.status.stableImage]),
    [
      // The first deployment: nothing is stable yet when it starts.
      ['demo', 'on-rollout-updated', ''],
      ['demo', 'on-rollout-completed', 'argoproj/rollouts-demo:blue'],
      ['demo', 'on-rollout-updated', 'argoproj/rollouts-demo:blue'],
      ['demo', 'on-rollout-completed', 'argoproj/rollouts-demo:green'],
    ],
  );
});
