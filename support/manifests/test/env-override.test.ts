import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { withPullPolicy, withRolloutEnv, withRolloutImage } from '../env-override.ts';

const manifest = `# kept
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: newsfeed}
spec:
  template:
    spec:
      containers:
      - name: newsfeed
        image: cutover/newsfeed:v1
        env:
        # the feeds
        - {name: FEED_SOURCES, value: "a.xml"}
        - {name: KEEP, value: "1"}
---
apiVersion: v1
kind: Service
metadata: {name: newsfeed}
`;

test('sets and replaces variables on the named Rollout only, keeping the rest', () => {
  const out = withRolloutEnv(manifest, 'm.yaml', 'newsfeed', { FEED_SOURCES: 'http://127.0.0.1:1/feed.xml', EXTRA: 'x' });
  const docs = parseAllDocuments(out).map((d) => d.toJSON() as { kind: string; spec?: { template: { spec: { containers: { env: unknown }[] } } } });
  assert.equal(docs.length, 2);
  assert.deepEqual(docs[0]?.spec?.template.spec.containers[0]?.env, [
    { name: 'KEEP', value: '1' },
    { name: 'FEED_SOURCES', value: 'http://127.0.0.1:1/feed.xml' },
    { name: 'EXTRA', value: 'x' },
  ]);
  assert.equal(docs[1]?.kind, 'Service');
  assert.match(out, /^# kept/);
});

test('a missing Rollout or containers is a clear error naming the file', () => {
  assert.throws(() => withRolloutEnv(manifest, 'm.yaml', 'tinyurl', {}), /m\.yaml: no Rollout named "tinyurl" \(it has "newsfeed"\)/);
  assert.throws(() => withRolloutEnv('kind: Rollout\nmetadata: {name: a}\nspec: {}\n', 'n.yaml', 'a', {}), /n\.yaml: Rollout "a" has no spec.template.spec.containers/);
});

test('sets the image of every container of every Rollout (or of the named one), keeping comments and the rest', () => {
  const out = withRolloutImage(manifest, 'm.yaml', 'cutover/newsfeed:v2');
  const docs = parseAllDocuments(out).map((d) => d.toJSON() as { kind: string; spec?: { template: { spec: { containers: { image: string; env: unknown }[] } } } });
  assert.equal(docs[0]?.spec?.template.spec.containers[0]?.image, 'cutover/newsfeed:v2');
  assert.deepEqual(docs[0]?.spec?.template.spec.containers[0]?.env, [{ name: 'FEED_SOURCES', value: 'a.xml' }, { name: 'KEEP', value: '1' }]);
  assert.equal(docs[1]?.kind, 'Service');
  assert.match(out, /^# kept/);
  assert.throws(() => withRolloutImage('kind: Service\nmetadata: {name: s}\n', 's.yaml', 'x/y:1'), /s\.yaml: no Rollout \(it has none\)/);
});

test('sets the pull policy of every Rollout container; a file without a Rollout is left as it is', () => {
  const out = withPullPolicy(manifest, 'm.yaml', 'IfNotPresent');
  const docs = parseAllDocuments(out).map((d) => d.toJSON() as { spec?: { template: { spec: { containers: { imagePullPolicy: string }[] } } } });
  assert.equal(docs[0]?.spec?.template.spec.containers[0]?.imagePullPolicy, 'IfNotPresent');
  const service = 'kind: Service\nmetadata: {name: s}\n';
  assert.equal(withPullPolicy(service, 's.yaml', 'IfNotPresent'), service);
});
