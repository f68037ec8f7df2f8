import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBounded } from '../bounded.ts';

test('a bounded run gives the exit status and the output, line by line', async () => {
  const lines: string[] = [];
  const r = await runBounded({ command: 'sh', args: ['-c', 'echo one; echo two >&2; exit 3'], cwd: '.', timeoutMs: 10_000, what: 'sh', onLine: (l) => lines.push(l) });
  assert.equal(r.status, 3);
  assert.match(r.output, /one/);
  assert.deepEqual(lines.sort(), ['one', 'two']);
});

test('a run past its bound is killed with what it started, and says so', async () => {
  const started = Date.now();
  await assert.rejects(runBounded({ command: 'sh', args: ['-c', 'echo waiting; sleep 30 & wait'], cwd: '.', timeoutMs: 300, what: 'a sleeper' }), /a sleeper did not finish within 0 s; last output:\nwaiting/);
  assert.ok(Date.now() - started < 5000);
});
