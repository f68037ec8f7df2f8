import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { escapeHtml } from '../../../services/common/html.ts';
import { launchChromium } from '../chromium.ts';
import { INJECTION_MARKER, submitForm } from '../web-form.ts';

const PAYLOAD = `<img src=x onerror="window.${INJECTION_MARKER}=1">`;

test('a form answer that echoes input raw runs the injected script; an encoded one does not', async (t) => {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<form method="post" action="/raw"><input name="q" type="url" required><button>go</button></form><form method="post" action="/safe"><input name="s"></form>');
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const [, value] = body.split('=');
      const input = decodeURIComponent((value ?? '').replace(/\+/g, ' '));
      res.writeHead(req.url === '/raw' ? 201 : 200, { 'content-type': 'text/html' }).end(`<p>you sent ${req.url === '/raw' ? input : escapeHtml(input)}</p>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await launchChromium();
  t.after(async () => {
    await browser.close();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const raw = await submitForm(browser, base, { q: `not a url ${PAYLOAD}` });
  assert.equal(raw.status, 201, 'submitted past the browser-side url check');
  assert.equal(raw.injectedScriptRan, true);

  const safe = await submitForm(browser, base, { s: PAYLOAD });
  assert.equal(safe.status, 200);
  assert.equal(safe.injectedScriptRan, false);
  assert.ok(safe.text.includes(PAYLOAD), 'the input is shown as text');

  await assert.rejects(submitForm(browser, base, { nosuch: 'x' }), /has no field "nosuch" \(it has q, s\)/);
});
