import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkDocs, docClaims, formatDocProblem } from '../doc-check.ts';

const DOC = [
  'See `k8s/canary/tinyurl.yaml` and `k8s/nowhere.yaml`, but not `k8s/<service>.yaml`; run `npx cutover lint --strict k8s/canary`.',
  '',
  '    npx cutover rollout promote tinyurl --full   # the rest of the steps',
  '    npx cutover rollout launch tinyurl',
  '    CUTOVER_TIME_SCALE=0.1 npx cutover up k8s/canary --port 8080 --colour',
  '    npm install && npm test',
  '    npm run bench',
  '    npm run deploy-everything',
  '',
  '```gherkin',
  'When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"',
  'Then the moon is made of cheese',
  '```',
].join('\n');

test('claims are found where a reader would run or open them', () => {
  const claims = docClaims('doc.md', DOC).map((c) => `${c.line} ${c.kind} ${c.text}`);
  assert.deepEqual(claims, [
    '1 path k8s/canary/tinyurl.yaml',
    '1 path k8s/nowhere.yaml',
    '1 command lint --strict k8s/canary',
    '3 command rollout promote tinyurl --full',
    '4 command rollout launch tinyurl',
    '5 command up k8s/canary --port 8080 --colour',
    '6 script test',
    '7 script bench',
    '8 script deploy-everything',
    '11 step the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"',
    '12 step the moon is made of cheese',
  ]);
});

test('each false claim is a problem with its line; true ones are not', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-doc-check-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'doc.md');
  fs.writeFileSync(file, DOC);
  const { problems } = await checkDocs(process.cwd(), [file]);
  assert.deepEqual(problems.map((p) => formatDocProblem(p).replace(file, 'doc.md').replace(/ \(it has .*\)$/, '').replace(/: expected one of .*$/, '')), [
    'doc.md:1 path k8s/nowhere.yaml: no such file or folder',
    'doc.md:4 command rollout launch tinyurl: cutover rollout: unknown action "launch"',
    'doc.md:5 command up k8s/canary --port 8080 --colour: cutover up: unknown flag --colour',
    'doc.md:8 script deploy-everything: package.json has no script "deploy-everything"',
    'doc.md:12 step the moon is made of cheese: no step definition matches it (or more than one does)',
  ]);
});

test('usage notation stands for each command line it allows', async () => {
  const { usageAlternatives } = await import('../doc-check.ts');
  assert.deepEqual(usageAlternatives('rollout abort|retry tinyurl [--full]'), [
    ['rollout', 'abort', 'tinyurl', '--full'],
    ['rollout', 'retry', 'tinyurl', '--full'],
  ]);
});
