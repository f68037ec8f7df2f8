import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadManifestFiles, loadManifestText, ManifestError } from '../../manifests/load.ts';
import { bandwidthBytesPerSecond, CHAOS_KINDS, selectTargets, stressSizeBytes } from '../model.ts';

test("the project's experiments load as Chaos Mesh PodChaos", () => {
  const { documents } = loadManifestFiles(['chaos/tinyurl-pod-kill.yaml'], CHAOS_KINDS);
  assert.deepEqual(documents.map((d) => `${d.kind}/${d.name}`), ['PodChaos/tinyurl-pod-kill']);
});

test('a malformed experiment names the file, line and field', () => {
  const text = ['apiVersion: chaos-mesh.org/v1alpha1', 'kind: PodChaos', 'metadata: {name: x}', 'spec:', '  action: pod-failure', '  mode: fixed', '  selector: {labelSelectors: {app: web}}', ''].join('\n');
  try {
    loadManifestText(text, 'chaos/x.yaml', CHAOS_KINDS);
    assert.fail('expected a ManifestError');
  } catch (err) {
    assert.ok(err instanceof ManifestError, String(err));
    assert.match(err.message, /chaos\/x\.yaml.*spec\.value.*mode fixed needs a value/s);
    assert.match(err.message, /spec\.duration.*pod-failure needs a duration/s);
  }
});

test('modes pick as Chaos Mesh does: one, all, a fixed count, a fixed or a random share', () => {
  const pods = ['c', 'a', 'b', 'd'];
  const first = () => 0;
  assert.deepEqual(selectTargets('one', undefined, pods, first), ['a']);
  assert.deepEqual(selectTargets('all', undefined, pods, first), ['a', 'b', 'c', 'd']);
  assert.deepEqual(selectTargets('fixed', '2', pods, first), ['a', 'b']);
  assert.deepEqual(selectTargets('fixed', '9', pods, first), ['a', 'b', 'c', 'd']);
  assert.deepEqual(selectTargets('fixed-percent', '50', pods, first), ['a', 'b']);
  assert.deepEqual(selectTargets('random-max-percent', '50', pods, (n) => n - 1).length, 2);
  assert.deepEqual(selectTargets('random-max-percent', '50', pods, first), []);
});

test('NetworkChaos and StressChaos load with their fields checked, and malformed ones name the field', () => {
  const ok = loadManifestText(
    [
      'apiVersion: chaos-mesh.org/v1alpha1',
      'kind: NetworkChaos',
      'metadata: {name: slow}',
      'spec: {action: delay, mode: all, selector: {labelSelectors: {app: web}}, delay: {latency: 50ms, jitter: 10ms, correlation: "25"}, duration: 30s}',
      '---',
      'apiVersion: chaos-mesh.org/v1alpha1',
      'kind: StressChaos',
      'metadata: {name: burn}',
      'spec: {mode: one, selector: {labelSelectors: {app: web}}, stressors: {cpu: {workers: 2, load: 50}, memory: {size: 256MB}}}',
    ].join('\n'),
    'chaos/ok.yaml',
    CHAOS_KINDS,
  );
  assert.deepEqual(ok.documents.map((d) => d.kind), ['NetworkChaos', 'StressChaos']);
  const bad = [
    'apiVersion: chaos-mesh.org/v1alpha1',
    'kind: NetworkChaos',
    'metadata: {name: bad}',
    'spec:',
    '  action: bandwidth',
    '  mode: all',
    '  selector: {labelSelectors: {app: web}}',
    '  loss: {loss: "150"}',
    '',
  ].join('\n');
  assert.throws(() => loadManifestText(bad, 'chaos/bad.yaml', CHAOS_KINDS), (err: Error) => {
    assert.match(err.message, /chaos\/bad\.yaml:8.*spec\.loss\.loss.*percentage/s);
    assert.match(err.message, /spec\.bandwidth.*action bandwidth needs spec\.bandwidth/s);
    return true;
  });
  assert.throws(
    () => loadManifestText('apiVersion: chaos-mesh.org/v1alpha1\nkind: StressChaos\nmetadata: {name: s}\nspec: {mode: one, selector: {labelSelectors: {app: web}}, stressors: {}}\n', 'chaos/s.yaml', CHAOS_KINDS),
    /spec\.stressors.*expected a cpu or a memory stressor/s,
  );
});

test('rates and sizes read as Chaos Mesh writes them', () => {
  assert.equal(bandwidthBytesPerSecond('1mbps'), 125_000);
  assert.equal(bandwidthBytesPerSecond('800kbps'), 100_000);
  assert.equal(bandwidthBytesPerSecond('fast'), undefined);
  assert.equal(stressSizeBytes('256MB', 0), 256e6);
  assert.equal(stressSizeBytes('64MiB', 0), 64 * 2 ** 20);
  assert.equal(stressSizeBytes('25%', 1000), 250);
  assert.equal(stressSizeBytes('lots', 1000), undefined);
});
