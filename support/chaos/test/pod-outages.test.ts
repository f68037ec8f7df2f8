import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podOutages, recoveredFromHit, weightRaisesDuring } from '../pod-outages.ts';

const at = (s: number) => new Date(1_000_000 + s * 1000).toISOString();
const t = (s: number) => 1_000_000 + s * 1000;

test('a killed pod is down from the injection until it is ready again; a later crash opens another outage', () => {
  const events = [
    { at: at(1), source: 'web-a', reason: 'Exited', message: '' },
    { at: at(3), source: 'web-a', reason: 'Ready', message: '' },
    { at: at(5), source: 'web-a', reason: 'Unready', message: '' },
    { at: at(2), source: 'web-b', reason: 'Ready', message: '' },
  ];
  assert.deepEqual(podOutages(events, ['web-a'], t(1)), [
    { pod: 'web-a', from: t(1), to: t(3) },
    { pod: 'web-a', from: t(5), to: undefined },
  ]);
});

test('a weight raised while a hit pod was down is reported; raises after it was back, and lowerings, are not', () => {
  const outages = [{ pod: 'web-a', from: t(1), to: t(3) }];
  const weights = [
    { at: t(0), weight: 25 },
    { at: t(2), weight: 50 },
    { at: t(2.5), weight: 0 },
    { at: t(4), weight: 75 },
  ];
  assert.deepEqual(weightRaisesDuring(weights, outages), [{ at: t(2), from: 25, to: 50, pods: ['web-a'] }]);
});

test('on a cluster a killed pod is deleted: it is down until a pod of its ReplicaSet replaced it', () => {
  const events = [
    { at: at(1), source: 'web-a', reason: 'Unready', message: 'stopping' },
    { at: at(4), source: 'web-a', reason: 'Replaced', message: 'by web-c, ready' },
  ];
  assert.deepEqual(podOutages(events, ['web-a'], t(1)), [{ pod: 'web-a', from: t(1), to: t(4) }]);
});

test('a rollout is whole again when every pod is ready and each hit pod restarted or was replaced', () => {
  const replaced = [{ at: at(4), source: 'web-a', reason: 'Replaced', message: '' }];
  const pods = [
    { name: 'web-b', ready: true, restarts: 0 },
    { name: 'web-c', ready: true, restarts: 0 },
  ];
  assert.equal(recoveredFromHit(pods, ['web-a'], replaced, t(1)), true, 'replaced');
  assert.equal(recoveredFromHit(pods, ['web-a'], [], t(1)), false, 'neither restarted nor replaced');
  assert.equal(recoveredFromHit(pods, ['web-a'], replaced, t(5)), false, 'replaced before this injection');
  assert.equal(recoveredFromHit([{ name: 'web-a', ready: true, restarts: 1 }], ['web-a'], [], t(1)), true, 'restarted in place');
  assert.equal(recoveredFromHit([{ name: 'web-a', ready: false, restarts: 1 }], ['web-a'], [], t(1)), false, 'not ready yet');
});
