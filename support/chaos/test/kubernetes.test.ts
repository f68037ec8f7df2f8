import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadManifestText } from '../../manifests/load.ts';
import { needsChaosMesh } from '../kubernetes.ts';
import { CHAOS_KINDS, type ChaosExperiment } from '../model.ts';

const parseChaos = (yaml: string) => loadManifestText(yaml, 'chaos/test.yaml', CHAOS_KINDS).documents[0]?.spec as ChaosExperiment;

test('without Chaos Mesh, pod-kill and pod-failure run through the API; the rest say they need it, and why', () => {
  const pod = (action: string) => parseChaos(`apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: x}\nspec: {action: ${action}, mode: one, selector: {labelSelectors: {app: a}}, duration: 10s}\n`);
  assert.equal(needsChaosMesh(pod('pod-kill')), undefined);
  assert.equal(needsChaosMesh(pod('pod-failure')), undefined);
  assert.match(needsChaosMesh(pod('container-kill')) ?? '', /^PodChaos container-kill \(x\) needs Chaos Mesh on the cluster/);
  const network = parseChaos('apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: n}\nspec: {action: delay, mode: all, selector: {labelSelectors: {app: a}}, delay: {latency: 10ms}}\n');
  assert.match(needsChaosMesh(network) ?? '', /^NetworkChaos \(n\) needs Chaos Mesh.*Without Chaos Mesh: PodChaos pod-kill and pod-failure\.$/);
});
