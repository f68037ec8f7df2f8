import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuMillicores, memoryBytes, Resources } from '../quantity.ts';

test('memory and CPU quantities as Kubernetes writes them', () => {
  assert.equal(memoryBytes('128Mi'), 128 * 2 ** 20);
  assert.equal(memoryBytes('1Gi'), 2 ** 30);
  assert.equal(memoryBytes('500M'), 500e6);
  assert.equal(memoryBytes('64k'), 64_000);
  assert.equal(memoryBytes(1024), 1024);
  assert.equal(memoryBytes('1.5Gi'), 1.5 * 2 ** 30);
  assert.equal(memoryBytes('12 bananas'), undefined);
  assert.equal(cpuMillicores('250m'), 250);
  assert.equal(cpuMillicores('0.5'), 500);
  assert.equal(cpuMillicores(2), 2000);
  assert.equal(cpuMillicores('1Gi'), undefined);
});

test('a request above its limit, or a bad quantity, is refused with the field', () => {
  const over = Resources.safeParse({ requests: { memory: '512Mi' }, limits: { memory: '256Mi' } });
  assert.equal(over.success, false);
  assert.deepEqual(over.error?.issues.map((i) => [i.path.join('.'), i.message]), [['requests.memory', 'the memory request is above its limit (536870912 > 268435456 bytes)']]);
  const bad = Resources.safeParse({ limits: { cpu: 'lots' } });
  assert.match(bad.error?.issues[0]?.message ?? '', /"lots" is not a CPU quantity/);
  const typo = Resources.safeParse({ limit: { cpu: '1' } });
  assert.equal(typo.success, false);
  assert.deepEqual(Resources.parse({ requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: 1, memory: '256Mi' } }), { requests: { cpu: 50, memory: 96 * 2 ** 20 }, limits: { cpu: 1000, memory: 256 * 2 ** 20 } });
});
