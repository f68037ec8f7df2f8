// The editor page in a real browser: two pages typing into one document at
// the same time end with the same text, which is the server's; a page whose
// connection goes silent replaces it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../../../support/browser/chromium.ts';
import { FaultProxy } from '../../../support/chaos/fault-proxy.ts';
import { call, startTestService } from '../../common/testing.ts';
import { docs } from '../app.ts';

const skip = !fs.existsSync(CHROMIUM) && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : false;

async function textOf(page: Page) {
  return page.locator('#text').inputValue();
}

test('two browser pages typing at once converge on the server text', { skip, timeout: 60_000 }, async (t) => {
  const s = await startTestService(docs, { RATE_LIMIT_PER_MINUTE: '0', DOCS_PUSH_INTERVAL_MS: '50' });
  t.after(s.stop);
  const { id } = (await call(`${s.url}/api/documents`, { body: { title: 'Pair', content: '' }, headers: { 'x-user-id': 'ann' } })).json;
  await call(`${s.url}/api/documents/${id}/share`, { body: { user: 'bob', role: 'editor' }, headers: { 'x-user-id': 'ann' } });

  const browser = await launchChromium();
  t.after(() => browser.close());
  const open = async (user: string) => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(`${s.url}/?user=${user}&doc=${id}`);
    await page.locator('#text[data-connected="true"]').waitFor({ timeout: 10_000 });
    return { page, problems };
  };
  const ann = await open('ann');
  const bob = await open('bob');

  await Promise.all([
    ann.page.locator('#text').pressSequentially('ann types here. ', { delay: 5 }),
    bob.page.locator('#text').pressSequentially('bob writes too! ', { delay: 5 }),
  ]);
  const settled = async () => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [a, b] = await Promise.all([textOf(ann.page), textOf(bob.page)]);
      const idle = await Promise.all([ann, bob].map((p) => p.page.locator('#text').getAttribute('data-idle')));
      if (a === b && idle.every((x) => x === 'true')) return a;
      if (Date.now() > deadline) throw new Error(`pages did not converge within 10 s: ${JSON.stringify({ a, b, idle })}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const text = await settled();
  const server = (await call(`${s.url}/api/documents/${id}`, { headers: { 'x-user-id': 'ann' } })).json;
  assert.equal(text, server.content);
  const sorted = (x: string) => [...x].sort().join('');
  assert.equal(sorted(text), sorted('ann types here. bob writes too! '), 'every typed character, once');
  assert.deepEqual([...ann.problems, ...bob.problems], [], 'no script or CSP errors in the pages');
  await ann.page.screenshot({ path: `${s.dataDir}/editor.png` });
});

test('an editor whose connection goes silent says so, reconnects once the network heals, and loses no edit', { skip, timeout: 60_000 }, async (t) => {
  const s = await startTestService(docs, { RATE_LIMIT_PER_MINUTE: '0', DOCS_PUSH_INTERVAL_MS: '50' });
  t.after(s.stop);
  // Between the page and the service, a proxy that can blackhole the network:
  // the page's connection stays open but nothing crosses it, as when the pod
  // at its other end vanished without closing it.
  const proxy = new FaultProxy({ name: 'docs', target: () => ({ host: '127.0.0.1', port: Number(new URL(s.url).port) }), podSide: 'server' });
  const port = await proxy.listen();
  t.after(() => proxy.close());
  const { id } = (await call(`${s.url}/api/documents`, { body: { title: 'Cut', content: '' }, headers: { 'x-user-id': 'ann' } })).json;

  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  let sockets = 0;
  page.on('websocket', () => sockets++);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/?user=ann&doc=${id}`);
  const box = page.locator('#text');
  await page.locator('#text[data-connected="true"]').waitFor({ timeout: 10_000 });

  proxy.setFault('blackhole', { action: 'partition', direction: 'both' });
  await box.pressSequentially('typed while cut off. ', { delay: 5 });
  // Heartbeat every 2 s, silence of 5 s: the page gives the connection up within about 7 s.
  await page.locator('#text[data-connected="false"]').waitFor({ timeout: 10_000 });
  proxy.clearFault('blackhole');

  await page.locator('#text[data-connected="true"][data-idle="true"]').waitFor({ timeout: 15_000 });
  const server = (await call(`${s.url}/api/documents/${id}`, { headers: { 'x-user-id': 'ann' } })).json;
  assert.equal(server.content, 'typed while cut off. ', 'the edit made while cut off, once');
  assert.equal(await textOf(page), server.content);
  assert.ok(sockets >= 2, `the page opened a new connection (${sockets} in all)`);
  assert.deepEqual(problems, []);
});
