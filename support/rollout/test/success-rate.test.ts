// Repeated deployments on the local platform: real demo processes, the real
// controller. A series counts what became Healthy; an update that never ends
// stops the series and the updates not made count as failed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDataDir } from '../../../services/common/testing.ts';
import { LocalPlatform } from '../../platform/local/platform.ts';
import { demoCanary } from '../../platform/local/test/demo-manifests.ts';
import { deployRepeatedly } from '../success-rate.ts';

const dir = tempDataDir('success-rate');
const BLUE = 'argoproj/rollouts-demo:blue';
const GREEN = 'argoproj/rollouts-demo:green';

async function deployed(t: { after: (fn: () => unknown) => void }, name: string, steps: string): Promise<LocalPlatform> {
  const platform = new LocalPlatform({ timeScale: 0.05, drainTimeoutMs: 2000 });
  t.after(() => platform.close());
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, demoCanary(name, { replicas: 1, steps }));
  await platform.applyFiles([file]);
  await platform.rollout(name).waitFor((s) => s.phase === 'Healthy', 30_000, 'Healthy');
  return platform;
}

test('repeated deployments: each update that becomes Healthy at its image counts, alternating from the stable one', async (t) => {
  const platform = await deployed(t, 'series-ok', '[{setWeight: 50}]');
  const seen: string[] = [];
  const series = await deployRepeatedly(platform.rollout('series-ok'), { images: [BLUE, GREEN], count: 3, boundMs: 30_000, onAttempt: (a) => seen.push(`${a.n} ${a.to} ${a.outcome}`) });
  assert.deepEqual(seen, [`1 ${GREEN} Healthy`, `2 ${BLUE} Healthy`, `3 ${GREEN} Healthy`]);
  assert.equal(series.successRate, 1);
  assert.equal(series.stoppedEarly, undefined);
  assert.equal(platform.rollout('series-ok').status().stableImage, GREEN);
});

test('repeated deployments: an update that never becomes Healthy (an indefinite pause) fails, ends the series, and the updates not made count as failed', async (t) => {
  const platform = await deployed(t, 'series-stuck', '[{setWeight: 50}, {pause: {}}]');
  const series = await deployRepeatedly(platform.rollout('series-stuck'), { images: [BLUE, GREEN], count: 4, boundMs: 1500 });
  assert.equal(series.attempts.length, 1);
  assert.equal(series.attempts[0]?.outcome, 'timed out');
  assert.equal(series.successRate, 0);
  assert.match(series.stoppedEarly ?? '', /update 1 \(argoproj\/rollouts-demo:blue → argoproj\/rollouts-demo:green\) was neither Healthy nor Degraded within 1500 ms/);
  await assert.rejects(deployRepeatedly(platform.rollout('series-stuck'), { images: [BLUE], count: 1, boundMs: 1000 }), /need at least two images/);
});
