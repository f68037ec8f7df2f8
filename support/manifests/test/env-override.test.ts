import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { withRolloutEnv } from '../env-override.ts';

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
