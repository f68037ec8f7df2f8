// The operations guide's dependency table against the services' code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkDependencyTable, dependencyRows } from '../service-dependencies.ts';

test('docs/operations.md lists every service, and only settings their code reads', () => {
  const r = checkDependencyTable(process.cwd(), 'docs/operations.md');
  assert.deepEqual(r.problems, []);
  assert.deepEqual([...new Set(r.rows.map((x) => x.service))].sort(), r.services);
  assert.ok(r.rows.some((x) => x.service === 'tinyurl' && x.setting === 'REDIS_URL'));
});

test('a stale setting, a missing service or a malformed row is named with its line', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-deps-'));
  try {
    for (const s of ['common', 'alpha', 'beta']) fs.mkdirSync(path.join(root, 'services', s), { recursive: true });
    fs.writeFileSync(path.join(root, 'services', 'common', 'config.ts'), 'DATA_DIR');
    fs.writeFileSync(path.join(root, 'services', 'alpha', 'app.ts'), 'env.CACHE_URL');
    fs.writeFileSync(path.join(root, 'services', 'beta', 'app.ts'), '');
    fs.mkdirSync(path.join(root, 'docs'));
    const doc = '# Ops\n\n## Service dependencies\n\n| service | depends on | setting | away |\n|---|---|---|---|\n| alpha | a cache | `REDIS_URL` | x |\n| alpha | its db | `DATA_DIR` | x |\n| gamma | — | — | — |\n';
    fs.writeFileSync(path.join(root, 'docs', 'ops.md'), doc);
    assert.deepEqual(checkDependencyTable(root, 'docs/ops.md').problems, ['service beta has no row', 'docs/ops.md:7: alpha never reads REDIS_URL', 'docs/ops.md:9: "gamma" is not a service in services/ (alpha, beta)']);
    assert.throws(() => dependencyRows('## Service dependencies\n| service | d | s |\n| alpha | db | DATA_DIR |\n', 'x.md'), /x\.md:3: the setting column holds `NAME` or —, not "DATA_DIR"/);
    assert.throws(() => dependencyRows('# nothing\n', 'y.md'), /y\.md: no "Service dependencies" section/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
