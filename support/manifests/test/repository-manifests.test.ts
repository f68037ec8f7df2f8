// Every manifest shipped in k8s/ loads: no errors, and nothing ignored that
// the local platform would need.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CUTOVER_KINDS } from '../kinds.ts';
import { loadManifestFiles } from '../load.ts';

const K8S = fileURLToPath(new URL('../../../k8s/', import.meta.url));
const files = (dir: string) => fs.readdirSync(path.join(K8S, dir)).filter((f) => f.endsWith('.yaml')).map((f) => path.join(K8S, dir, f));

for (const dir of ['analysis', 'canary', 'blue-green', 'examples', 'security']) {
  test(`k8s/${dir} manifests load`, () => {
    const all = files(dir);
    assert.ok(all.length > 0);
    const { documents, ignored } = loadManifestFiles(dir === 'analysis' ? all : [...all, ...files('analysis')], CUTOVER_KINDS);
    assert.ok(documents.length >= all.length);
    const unexpected = ignored.filter((i) => !/imagePullPolicy/.test(i.path));
    assert.deepEqual(unexpected, []);
  });
}

test('every template a Rollout in k8s/ names is shipped', () => {
  const { documents } = loadManifestFiles([...files('canary'), ...files('blue-green'), ...files('analysis'), ...files('examples')], CUTOVER_KINDS);
  const templates = new Set(documents.filter((d) => d.kind === 'AnalysisTemplate').map((d) => d.name));
  const named = JSON.stringify(documents.filter((d) => d.kind === 'Rollout').map((d) => d.spec)).match(/"templateName":"[^"]+"/g) ?? [];
  for (const n of named) assert.ok(templates.has(n.split(':')[1]?.replace(/"/g, '') ?? ''), n);
});
