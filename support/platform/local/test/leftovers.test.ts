import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { processAlive as alive, sweepLeftovers } from '../leftovers.ts';

test("a run killed with SIGKILL leaves children behind; the next run's sweep stops them", async () => {
  const owner = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/orphaning-owner.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(owner.stdout, 'data')) as [Buffer];
  const orphan = Number(line.toString().trim());
  assert.ok(orphan > 0 && alive(orphan));
  owner.kill('SIGKILL');
  await once(owner, 'exit');
  assert.ok(alive(orphan), 'no exit hook ran: the child is still there');
  const killed = sweepLeftovers();
  assert.ok(killed.includes(orphan), `swept ${killed.join(', ')}`);
  for (let i = 0; i < 50 && alive(orphan); i++) await new Promise((r) => setTimeout(r, 20));
  // A zombie until its (dead) parent is reaped by init; either way it no longer runs sleep.
  assert.ok(!alive(orphan) || !cmdline(orphan).includes('sleep'));
  assert.deepEqual(sweepLeftovers().filter((p) => p === orphan), [], 'nothing left to sweep');
});

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
