// Reading Docker's pull and push progress messages (as the Engine API streams
// them), and which image names cutover may pull.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namesRegistry, splitImage, TransferProgress } from '../image-transfer.ts';

test('only a name that starts with a registry host is pulled: never a bare Docker Hub name', () => {
  assert.equal(namesRegistry('127.0.0.1:5000/cutover/tinyurl:v2'), true);
  assert.equal(namesRegistry('registry.example.com/team/api:1.2'), true);
  assert.equal(namesRegistry('localhost/cutover/docs:v1'), true);
  assert.equal(namesRegistry('cutover/tinyurl:v1'), false);
  assert.equal(namesRegistry('argoproj/rollouts-demo:blue'), false);
  assert.equal(namesRegistry('redis:7'), false);
  assert.deepEqual(splitImage('127.0.0.1:5000/cutover/tinyurl:v2'), { repo: '127.0.0.1:5000/cutover/tinyurl', tag: 'v2' });
  assert.deepEqual(splitImage('127.0.0.1:5000/cutover/tinyurl'), { repo: '127.0.0.1:5000/cutover/tinyurl', tag: 'latest' });
});

test('a pull is read layer by layer: bytes while downloading, layers already there not moved, the digest and Docker’s last words kept', () => {
  const lines: string[] = [];
  const p = new TransferProgress('127.0.0.1:5000/app:v2', 'pull', (l) => lines.push(l), 0);
  const messages = [
    { status: 'Pulling from app', id: 'v2' },
    { status: 'Already exists', id: 'aaaaaaaaaaaa' },
    { status: 'Pulling fs layer', id: 'bbbbbbbbbbbb' },
    { status: 'Downloading', id: 'bbbbbbbbbbbb', progressDetail: { current: 500_000, total: 2_000_000 } },
    { status: 'Downloading', id: 'bbbbbbbbbbbb', progressDetail: { current: 2_000_000, total: 2_000_000 } },
    { status: 'Download complete', id: 'bbbbbbbbbbbb' },
    { status: 'Extracting', id: 'bbbbbbbbbbbb', progressDetail: { current: 2_000_000, total: 2_000_000 } },
    { status: 'Pull complete', id: 'bbbbbbbbbbbb' },
    { status: `Digest: sha256:${'c'.repeat(64)}` },
    { status: 'Status: Downloaded newer image for 127.0.0.1:5000/app:v2' },
  ];
  for (const m of messages) p.add(m);
  const r = p.finish();
  assert.equal(r.transferred, 1);
  assert.equal(r.bytes, 2_000_000);
  assert.equal(r.digest, `sha256:${'c'.repeat(64)}`);
  assert.deepEqual(r.layers.map((l) => [l.id, l.status]), [['aaaaaaaaaaaa', 'Already exists'], ['bbbbbbbbbbbb', 'Pull complete']]);
  assert.deepEqual(r.statuses, ['v2: Pulling from app', `Digest: sha256:${'c'.repeat(64)}`, 'Status: Downloaded newer image for 127.0.0.1:5000/app:v2']);
  assert.ok(lines.includes('pulling 127.0.0.1:5000/app:v2: 1 of 2 layers done, 0.5 MB of 2.0 MB'), lines.join('\n'));
  assert.match(lines.at(-1) ?? '', /^pulling 127\.0\.0\.1:5000\/app:v2: 2 of 2 layers done, 2\.0 MB of 2\.0 MB in [\d.]+ s \(sha256:c{12}…\)$/);
});

test('a push counts layers pushed, already there or mounted, and takes the digest the registry gave', () => {
  const p = new TransferProgress('127.0.0.1:5000/app:v2', 'push');
  for (const m of [
    { status: 'The push refers to repository [127.0.0.1:5000/app]' },
    { status: 'Preparing', id: '111111111111' },
    { status: 'Pushing', id: '111111111111', progressDetail: { current: 10, total: 100 } },
    { status: 'Pushed', id: '111111111111' },
    { status: 'Layer already exists', id: '222222222222' },
    { status: 'Mounted from other/app', id: '333333333333' },
    { status: 'v2: digest: sha256:abc size: 1234' },
    { aux: { Tag: 'v2', Digest: `sha256:${'d'.repeat(64)}`, Size: 1234 } },
  ])
    p.add(m);
  const r = p.finish();
  assert.equal(r.transferred, 1);
  assert.equal(r.bytes, 100);
  assert.equal(r.digest, `sha256:${'d'.repeat(64)}`);
  assert.match(p.summary(), /^pushing 127\.0\.0\.1:5000\/app:v2: 3 of 3 layers done/);
});
