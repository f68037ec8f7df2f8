import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { GitServer } from '../git-server.ts';

test('the Git server serves clones and pushes over smart HTTP, and tells a webhook of each push as GitHub would', async (t) => {
  const received: { headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  const hook = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const server = await GitServer.start();
  t.after(async () => {
    await server.close();
    await new Promise((r) => hook.close(r));
  });
  server.addWebhook(`http://127.0.0.1:${(hook.address() as AddressInfo).port}/api/webhook`);
  const url = await server.create('apps');
  assert.equal(server.head('apps'), undefined, 'no commit before the first push');
  const first = await server.commit('apps', { 'guestbook/app.yaml': 'image: v1\n', 'README.md': 'apps\n' }, 'first');
  const second = await server.commit('apps', { 'guestbook/app.yaml': 'image: v2\n', 'README.md': null }, 'second');
  assert.equal(server.head('apps'), second);
  assert.equal(await server.read('apps', 'guestbook/app.yaml'), 'image: v2\n');
  await assert.rejects(server.read('apps', 'README.md'), /does not exist in 'refs\/heads\/main'|exists on disk, but not in/);
  await server.settled();

  // A clone by plain git over HTTP sees the second commit, its parent the first.
  const clone = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-git-clone-'));
  t.after(() => fs.rmSync(clone, { recursive: true, force: true }));
  // Asynchronously: the server answering is this process.
  await promisify(execFile)('git', ['clone', '--quiet', '--branch', 'main', url, clone], { timeout: 30_000 });
  assert.equal(fs.readFileSync(path.join(clone, 'guestbook/app.yaml'), 'utf8'), 'image: v2\n');
  assert.equal(fs.existsSync(path.join(clone, 'README.md')), false);
  assert.equal((await promisify(execFile)('git', ['rev-parse', 'HEAD~1'], { cwd: clone })).stdout.trim(), first);

  assert.deepEqual(server.pushes.map((p) => [p.ref, p.after]), [['refs/heads/main', first], ['refs/heads/main', second]]);
  assert.equal(received.length, 2);
  assert.equal(received[1]?.headers['x-github-event'], 'push');
  const body = received[1]?.body as { ref: string; before: string; after: string; repository: { html_url: string }; commits: { modified: string[]; removed: string[] }[] };
  assert.deepEqual([body.ref, body.before, body.after, body.repository.html_url], ['refs/heads/main', first, second, url]);
  assert.deepEqual([body.commits[0]?.modified, body.commits[0]?.removed], [['guestbook/app.yaml'], ['README.md']]);
  assert.ok(server.deliveries.every((d) => d.status === 200));

  // Unknown repositories and bad names are said.
  assert.equal((await fetch(`${server.url}/nope.git/info/refs?service=git-upload-pack`)).status, 404);
  await assert.rejects(server.create('Bad Name'), /expected lower-case/);
  await assert.rejects(server.create('apps'), /exists already/);
});
