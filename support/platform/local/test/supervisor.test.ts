import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDataDir } from '../../../../services/common/testing.ts';
import { ImageCatalog, type Runnable } from '../catalog.ts';
import { PortConflictError, processRuntime, Supervisor, type ReplicaRuntime } from '../supervisor.ts';

const catalog = new ImageCatalog();
const demo = (tag = 'blue') => catalog.resolve(`argoproj/rollouts-demo:${tag}`);
const script = (code: string): Runnable => ({ image: 'test', command: [process.execPath, '-e', code], env: {}, cwd: process.cwd(), portEnv: 'PORT', source: 'test' });
/** Running, and not a zombie waiting for a parent that does not reap it. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

test('a replica starts on a free port, becomes ready by its probe, and its output is kept', async (t) => {
  const supervisor = new Supervisor();
  t.after(() => supervisor.stopAll());
  const r = await supervisor.start({ name: 'demo-1', runnable: demo(), env: { DATA_DIR: tempDataDir('sup'), RATE_LIMIT_PER_MINUTE: '0' }, readiness: { periodMs: 100 } });
  assert.equal(r.state, 'ready');
  assert.equal(await (await fetch(`${r.url}/color`)).text(), '"blue"');
  assert.ok(r.logs.some((l) => /stdout \[demo blue\] listening on/.test(l)), r.logs.join('\n'));
  assert.deepEqual(supervisor.events.map((e) => e.type), ['Started', 'Ready']);
  assert.deepEqual(await supervisor.stop('demo-1'), { killed: false });
  assert.equal(r.state, 'stopped');
  assert.ok(!alive(r.pid as number));
  await assert.rejects(fetch(`${r.url}/color`));
});

test('a replica that dies is restarted, on a new port, and becomes ready again', async (t) => {
  const supervisor = new Supervisor();
  t.after(() => supervisor.stopAll());
  const r = await supervisor.start({ name: 'demo-2', runnable: demo('green'), env: { DATA_DIR: tempDataDir('sup') }, readiness: { periodMs: 100 } });
  const firstPid = r.pid as number;
  process.kill(firstPid, 'SIGKILL');
  await once(r, 'event'); // Exited
  await r.waitReady(15_000);
  assert.equal(r.restarts, 1);
  assert.notEqual(r.pid, firstPid);
  assert.deepEqual(supervisor.events.map((e) => e.type), ['Started', 'Ready', 'Exited', 'Restarting', 'Started', 'Ready']);
  assert.match(supervisor.events[2]?.message ?? '', /exited unexpectedly with signal SIGKILL/);
});

test('SIGTERM first; a process that ignores it is killed after the grace period', async (t) => {
  const supervisor = new Supervisor();
  t.after(() => supervisor.stopAll());
  const stubborn = script(
    "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')",
  );
  const r = await supervisor.start({ name: 'stubborn', runnable: stubborn, readiness: { path: '/' }, terminationGraceMs: 300 });
  const started = performance.now();
  assert.deepEqual(await supervisor.stop('stubborn'), { killed: true });
  assert.ok(performance.now() - started >= 250);
  assert.ok(r.logs.some((l) => l.includes('ignoring SIGTERM')));
  assert.equal(supervisor.events.at(-2)?.type, 'Killed');
  assert.ok(!alive(r.pid as number));
});

test('not ready in time, or exiting before ready: a clear error with the last output, and nothing left running', async (t) => {
  const supervisor = new Supervisor();
  t.after(() => supervisor.stopAll());
  const never = script("require('http').createServer((q, s) => { s.statusCode = 503; s.end() }).listen(process.env.PORT, '127.0.0.1'); console.log('up but never ready')");
  await assert.rejects(
    supervisor.start({ name: 'never', runnable: never, startTimeoutMs: 500, terminationGraceMs: 200 }),
    /replica never was not ready within 500 ms \(state starting, probe GET http:\/\/127\.0\.0\.1:\d+\/ready\); last output:\n.*up but never ready/,
  );
  assert.equal(supervisor.replicas.size, 0);
  const broken = script("console.error('config missing'); process.exit(3)");
  await assert.rejects(supervisor.start({ name: 'broken', runnable: broken, restartPolicy: 'Never' }), /replica broken exited before it was ready; last output:\n.*stderr config missing/);
});

test('an unready replica is noticed by its probe', async (t) => {
  const supervisor = new Supervisor();
  t.after(() => supervisor.stopAll());
  const flaky = script(
    "let ok = true; require('http').createServer((q, s) => { if (q.url === '/toggle') { ok = !ok; return s.end() } s.statusCode = ok ? 200 : 500; s.end() }).listen(process.env.PORT, '127.0.0.1')",
  );
  const r = await supervisor.start({ name: 'flaky', runnable: flaky, readiness: { path: '/ready', periodMs: 50, failureThreshold: 2 } });
  await fetch(`${r.url}/toggle`);
  await once(r, 'state');
  assert.equal(r.state, 'unready');
  await fetch(`${r.url}/toggle`);
  await once(r, 'state');
  assert.equal(r.state, 'ready');
  // The first failed probe is told at once; Unready comes with the last result.
  assert.deepEqual(supervisor.events.map((e) => e.type), ['Started', 'Ready', 'ProbeFailed', 'Unready', 'Ready']);
  assert.match(supervisor.events[2]?.message ?? '', /^readiness probe GET \/ready failed: HTTP 500 \([\d.]+ ms\); unready after 2 failures in a row$/);
  assert.match(supervisor.events[3]?.message ?? '', /failed 2 times in a row \(last: HTTP 500, [\d.]+ ms\)$/);
  const h = r.health;
  assert.ok(h.probes >= 4 && h.failed >= 2, JSON.stringify(h));
  assert.equal(h.consecutiveFailures, 0);
  assert.ok(h.consecutiveSuccesses >= 1);
  assert.deepEqual({ ok: h.last?.ok, result: h.last?.result }, { ok: true, result: 'HTTP 200' });
  assert.ok(h.totalSeconds > 0);
  await assert.rejects(supervisor.start({ name: 'flaky', runnable: flaky }), /a replica named flaky already runs/);
});

test('a probe that gets no answer, or no connection, says which', async (t) => {
  const supervisor = new Supervisor();
  t.after(() => supervisor.stopAll());
  const hanging = script(
    "let hang = false; require('http').createServer((q, s) => { if (q.url === '/hang') { hang = true; return s.end() } if (!hang) s.end() }).listen(process.env.PORT, '127.0.0.1')",
  );
  const r = await supervisor.start({ name: 'hanging', runnable: hanging, readiness: { path: '/ready', periodMs: 50, timeoutMs: 100, failureThreshold: 2 } });
  await fetch(`${r.url}/hang`);
  await once(r, 'state');
  assert.equal(r.state, 'unready');
  assert.equal(r.health.last?.result, 'no answer within 100 ms');
  assert.ok((r.health.last?.ms ?? 0) >= 100);
});

test('when the run itself exits, its replicas go with it', async () => {
  const runner = fileURLToPath(new URL('./fixtures/exiting-runner.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', runner], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await once(child, 'exit');
  const pid = Number(/replica pid (\d+)/.exec(out)?.[1]);
  assert.ok(pid > 0, out);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(alive(pid), false, `replica ${pid} outlived its runner`);
});

test('output lines are whole: a line written in pieces is one line, and a last line without a newline is kept', async (t) => {
  const supervisor = new Supervisor();
  t.after(() => supervisor.stopAll());
  const lines: string[] = [];
  supervisor.onLog = (l) => lines.push(`${l.replica} ${l.stream} ${l.line}`);
  // Listens so it becomes ready, writes a line in three pieces with pauses, then a last line with no newline, then exits.
  const code = `
    const http = require('node:http');
    http.createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
    setTimeout(() => process.stdout.write('{"level":50,'), 300);
    setTimeout(() => process.stdout.write('"msg":"in pieces"'), 400);
    setTimeout(() => process.stdout.write('}\\nlast words'), 500);
    setTimeout(() => process.exit(0), 700);`;
  await supervisor.start({ name: 'talker', runnable: script(code), env: {}, readiness: { periodMs: 100, path: '/' }, restartPolicy: 'Never' });
  const until = Date.now() + 5000;
  while (!lines.includes('talker stdout last words') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.ok(lines.includes('talker stdout {"level":50,"msg":"in pieces"}'), lines.join('\n'));
  assert.ok(lines.includes('talker stdout last words'), lines.join('\n'));
});

test('a replica over its memory limit is OOM-killed and restarted; one within it is left alone', async (t) => {
  const supervisor = new Supervisor();
  t.after(() => supervisor.stopAll());
  // Serves at once, then holds 64 MiB more a little later.
  const code = `
    const http = require('node:http');
    http.createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
    setTimeout(() => { globalThis.hog = Buffer.alloc(64 * 1024 * 1024, 1); }, 300);
    setInterval(() => {}, 1000);`;
  // A plain node: under cucumber-js, NODE_OPTIONS would load tsx into it too, and its baseline alone could pass 48 MiB.
  const env = { NODE_OPTIONS: '' };
  const hog = await supervisor.start({ name: 'hog', runnable: script(code), env, readiness: { periodMs: 100, path: '/' }, memoryLimitBytes: 48 * 2 ** 20, memoryCheckMs: 50 });
  const roomy = await supervisor.start({ name: 'roomy', runnable: script(code), env, readiness: { periodMs: 100, path: '/' }, memoryLimitBytes: 1024 * 2 ** 20, memoryCheckMs: 50 });
  const until = Date.now() + 10_000;
  while (hog.restarts < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  const events = supervisor.events.filter((e) => e.replica === 'hog').map((e) => e.type);
  assert.ok(events.includes('OOMKilled'), events.join(', '));
  assert.ok(hog.restarts >= 1);
  assert.match(supervisor.events.find((e) => e.type === 'OOMKilled')?.message ?? '', /resident memory [\d.]+ MiB went over its limit of 48 MiB/);
  assert.equal(roomy.restarts, 0);
  assert.ok(!supervisor.events.some((e) => e.replica === 'roomy' && e.type === 'OOMKilled'));
});

test('a port taken between picking and binding it: the run tries another port, and says so', async (t) => {
  let conflicts = 0;
  // The real process runtime, after one start whose port someone else took meanwhile.
  const runtime: ReplicaRuntime = {
    start: async (spec, port, output) => {
      if (conflicts++ === 0) throw new PortConflictError(port, 'bind: address already in use');
      return processRuntime.start(spec, port, output);
    },
  };
  const supervisor = new Supervisor(runtime);
  t.after(() => supervisor.stopAll());
  const r = await supervisor.start({ name: 'demo-port', runnable: demo(), env: { DATA_DIR: tempDataDir('sup') }, readiness: { periodMs: 100 } });
  assert.equal(r.state, 'ready');
  assert.deepEqual(supervisor.events.map((e) => e.type), ['PortConflict', 'Started', 'Ready']);
  assert.match(supervisor.events[0]?.message ?? '', /^port \d+ on 127\.0\.0\.1 was taken by another process: bind: address already in use: trying another port$/);
});

test('a replica that keeps exiting is restarted after waits that double up to the cap, as configured', async (t) => {
  // The supervisor's timers do not hold the process open (unref): this test does, while it waits on them.
  const keepAlive = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(keepAlive));
  const supervisor = new Supervisor();
  t.after(() => supervisor.stopAll());
  // Ready at once, then gone 30 ms later, every time it starts.
  const shortLived = script("require('http').createServer((q, s) => s.end()).listen(process.env.PORT, '127.0.0.1', () => setTimeout(() => process.exit(1), 30))");
  const r = await supervisor.start({ name: 'crashy', runnable: shortLived, readiness: { periodMs: 10 }, restartBackoff: { initialMs: 40, maxMs: 200 } });
  while (r.restarts < 5) await once(r, 'event');
  const waits = supervisor.events.filter((e) => e.type === 'Restarting').map((e) => Number(/in (\d+) ms/.exec(e.message)?.[1]));
  assert.deepEqual(waits.slice(0, 5), [40, 80, 160, 200, 200]);
  // Each restart came no sooner than its wait after the exit before it.
  const at = (e: { at: string }) => Date.parse(e.at);
  const events = supervisor.events;
  for (let i = 0; i < events.length; i++) {
    if (events[i]?.type !== 'Restarting') continue;
    const next = events.slice(i).find((e) => e.type === 'Started');
    if (next) assert.ok(at(next) - at(events[i] as { at: string }) >= (waits[events.slice(0, i).filter((e) => e.type === 'Restarting').length] as number) - 5);
  }
});

test('probes run on their own: a replica whose probe hangs holds back neither the probes nor the readiness of the others', async (t) => {
  // The supervisor's timers do not hold the process open (unref): this test does, while it waits on them.
  const keepAlive = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(keepAlive));
  const supervisor = new Supervisor();
  t.after(() => supervisor.stopAll());
  const server = (hang: boolean) => script(`require('http').createServer((q, s) => { if (${hang} && q.url === '/ready') return; s.end() }).listen(process.env.PORT, '127.0.0.1')`);
  const probe = { path: '/ready', periodMs: 50, timeoutMs: 2000, failureThreshold: 1 };
  const hung = supervisor.start({ name: 'hung', runnable: server(true), readiness: probe, startTimeoutMs: 3000 });
  hung.catch(() => undefined);
  const started = Date.now();
  const others = await Promise.all(['one', 'two', 'three'].map((name) => supervisor.start({ name, runnable: server(false), readiness: probe })));
  const readyAfter = Date.now() - started;
  assert.ok(others.every((r) => r.state === 'ready'));
  assert.ok(readyAfter < 1500, `the others were ready after ${readyAfter} ms, while the hung probe waits 2000 ms`);
  // Meanwhile each of them went on being probed, many times, within the hung probe's one timeout.
  await new Promise((r) => setTimeout(r, 500));
  for (const r of others) assert.ok(r.health.probes >= 5, `${r.spec.name}: ${r.health.probes} probes`);
  await assert.rejects(hung, /replica hung was not ready within 3000 ms/);
});
