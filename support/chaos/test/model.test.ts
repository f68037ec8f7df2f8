import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadManifestFiles, loadManifestText, ManifestError } from '../../manifests/load.ts';
import { CHAOS_KINDS, selectTargets } from '../model.ts';

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
