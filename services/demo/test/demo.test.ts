import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, startTestService } from '../../common/testing.ts';
import { demo, demoFaults, parseDemoTag } from '../app.ts';

const start = (version: string) => startTestService(demo, { RATE_LIMIT_PER_MINUTE: '0', APP_VERSION: version });

test('GET /color answers the colour of the tag as a JSON string, like rollouts-demo', async (t) => {
  const s = await start('blue');
  t.after(s.stop);
  const r = await call(`${s.url}/color`);
  assert.equal(r.status, 200);
  assert.equal(r.text, '"blue"');
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(r.headers.get('x-app-version'), 'blue');
});

test('bad-<colour> fails half of /color and nothing else', async (t) => {
  const s = await start('bad-red');
  t.after(s.stop);
  const statuses = [];
  for (let i = 0; i < 20; i++) statuses.push((await call(`${s.url}/color`)).status);
  assert.equal(statuses.filter((x) => x >= 500).length, 10);
  for (let i = 0; i < 4; i++) assert.equal((await call(`${s.url}/`)).status, 200);
});

test('slow-<colour> adds high latency to /color only', async (t) => {
  const s = await start('slow-yellow');
  t.after(s.stop);
  let begin = performance.now();
  assert.equal((await call(`${s.url}/color`)).text, '"yellow"');
  assert.ok(performance.now() - begin >= 900);
  begin = performance.now();
  await call(`${s.url}/health`);
  assert.ok(performance.now() - begin < 500);
});

test('the page polls /color with a script from self', async (t) => {
  const s = await start('green');
  t.after(s.stop);
  const page = await call(`${s.url}/`);
  assert.match(page.text, /<script type="module" src="\/app.js">/);
  const script = await call(`${s.url}/app.js`);
  assert.match(script.text, /fetch\('\/color'/);
});

test('the version defaults to blue', async (t) => {
  const s = await startTestService(demo, { RATE_LIMIT_PER_MINUTE: '0' });
  t.after(s.stop);
  assert.equal((await call(`${s.url}/color`)).text, '"blue"');
});

test('tags: colours, bad- and slow- prefixes; anything else is refused with the accepted forms', () => {
  assert.deepEqual(parseDemoTag('purple'), { colour: 'purple', bad: false, slow: false });
  assert.deepEqual(parseDemoTag('bad-orange'), { colour: 'orange', bad: true, slow: false });
  assert.deepEqual(demoFaults('slow-blue'), { errorRate: 0, latencyMs: 1000 });
  assert.deepEqual(demoFaults('blue'), { errorRate: 0, latencyMs: 0 });
  for (const tag of ['v1', 'pink', 'bad-', 'BLUE', 'worse-red']) {
    assert.throws(() => parseDemoTag(tag), /expected one of red, orange, yellow, green, blue, purple/);
  }
});
