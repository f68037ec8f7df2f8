// Pod health aggregated per rollout, and the platform's as the worst of them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { healthLines, summarizeHealth } from '../health.ts';
import type { PodHealth } from '../platform.ts';

const pod = (name: string, rollout: string, ready: boolean, extra: Partial<PodHealth> = {}): PodHealth => ({
  name,
  rollout,
  namespace: 'default',
  revision: 2,
  image: `cutover/${rollout}:v2`,
  role: 'stable',
  state: ready ? 'ready' : 'unready',
  ready,
  restarts: 0,
  health: { probes: 10, failed: ready ? 0 : 3, consecutiveFailures: ready ? 0 : 3, consecutiveSuccesses: ready ? 10 : 0, totalSeconds: 0.1, ...(ready ? {} : { last: { ok: false, result: 'HTTP 503', ms: 2, at: new Date(0).toISOString() } }) },
  ...extra,
});

test('each rollout is Healthy, Degraded or Down by its ready pods; the whole is the worst; what is not ready says why', () => {
  const summary = summarizeHealth([
    pod('tinyurl-2-1', 'tinyurl', true),
    pod('tinyurl-2-2', 'tinyurl', false, { restarts: 2 }),
    pod('newsfeed-1-1', 'newsfeed', true),
    pod('docs-3-1', 'docs', false, { state: 'starting', health: { probes: 0, failed: 0, consecutiveFailures: 0, consecutiveSuccesses: 0, totalSeconds: 0 } }),
  ]);
  assert.equal(summary.level, 'Down');
  assert.deepEqual(
    summary.rollouts.map((r) => [r.rollout, r.level, r.ready, r.total, r.restarts]),
    [
      ['docs', 'Down', 0, 1, 0],
      ['tinyurl', 'Degraded', 1, 2, 2],
      ['newsfeed', 'Healthy', 1, 1, 0],
    ],
  );
  assert.deepEqual(healthLines(summary), [
    'docs: Down, 0 of 1 pods ready: docs-3-1 starting (not probed yet)',
    'tinyurl: Degraded, 1 of 2 pods ready, 2 restart(s): tinyurl-2-2 unready (failed: HTTP 503)',
    'newsfeed: Healthy, 1 of 1 pods ready',
  ]);
  assert.deepEqual(summarizeHealth([pod('a-1', 'a', true)]).level, 'Healthy');
  assert.deepEqual(summarizeHealth([]), { level: 'Healthy', rollouts: [] });
});
