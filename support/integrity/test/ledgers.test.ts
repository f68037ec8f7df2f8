import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DocEditLedger, type AcknowledgedEdit, type LoggedOp } from '../doc-edits.ts';
import { emptyCheck, integrityVerdict } from '../ledger.ts';

test('the verdict passes only when something was acknowledged and all of it read back intact', () => {
  assert.equal(integrityVerdict(emptyCheck('likes', 0)).passed, false);
  assert.match(integrityVerdict(emptyCheck('likes', 0)).failure, /no likes were acknowledged, so nothing was proven/);
  assert.equal(integrityVerdict({ ...emptyCheck('likes', 2), checked: 2, intact: 2 }).passed, true);
  const lost = integrityVerdict({ ...emptyCheck('short links', 3), checked: 3, intact: 1, missing: [{ key: 'ab', expected: 'u1', found: 'HTTP 404' }], wrong: [{ key: 'cd', expected: 'u2', found: 'u3' }] }, ' before the backup');
  assert.equal(lost.passed, false);
  assert.equal(lost.failure, '2 of 3 acknowledged short links before the backup are lost or wrong: ab → HTTP 404, cd: expected u2, found u3');
  assert.deepEqual(lost.measured, { acknowledged: 3, checked: 3, intact: 1, missing: 1, wrong: 1 });
  // Reads that failed before a verdict: said, not hidden.
  assert.match(integrityVerdict({ ...emptyCheck('likes', 2), checked: 1, intact: 1 }).failure, /1 could not be read back/);
});

const edit = (version: number, seq: number, op: unknown, clientId = 'c1'): AcknowledgedEdit => ({ docId: 'd', clientId, seq, version, op, user: 'ann', ackAt: 0 });
const logged = (version: number, seq: number, op: unknown, clientId: string | null = 'c1'): LoggedOp => ({ version, op, clientId, seq });

/** An op log read in pages of `pageSize`, as the service's limit does. */
function reader(log: LoggedOp[], pageSize: number) {
  const calls: number[] = [];
  return {
    calls,
    read: async (_doc: string, since: number) => {
      calls.push(since);
      return { version: log.length, ops: log.filter((o) => o.version > since).slice(0, pageSize) };
    },
  };
}

test('every acknowledged edit is found at its version with the same client, sequence and op; replays count once', async () => {
  const ledger = new DocEditLedger();
  ledger.record(edit(1, 1, ['a']));
  ledger.record(edit(1, 1, ['a'])); // replayed after a reconnect
  ledger.record(edit(3, 2, [1, 'b']));
  const log = reader([logged(1, 1, ['a']), logged(2, 1, ['x'], 'c2'), logged(3, 2, [1, 'b'])], 2);
  const check = await ledger.verify(log.read);
  assert.deepEqual({ acknowledged: check.acknowledged, checked: check.checked, intact: check.intact }, { acknowledged: 2, checked: 2, intact: 2 });
  assert.deepEqual(log.calls, [0, 2], 'the log is read to its end, page by page');
});

test('an edit missing from the log, changed in it, or a version acknowledged twice is lost', async () => {
  const ledger = new DocEditLedger();
  ledger.record(edit(1, 1, ['a']));
  ledger.record(edit(2, 2, ['b']));
  ledger.record(edit(3, 3, ['c']));
  ledger.record(edit(1, 7, ['z'], 'c2')); // the same version acknowledged to another client's edit
  const check = await ledger.verify(reader([logged(1, 1, ['a']), logged(2, 2, ['B'])], 1000).read);
  assert.equal(check.acknowledged, 4);
  assert.equal(check.intact, 1);
  assert.deepEqual(check.missing, [{ key: 'd v3 (ann)', expected: 'c1#3 ["c"]', found: 'no such version in the op log' }]);
  assert.deepEqual(check.wrong, [
    { key: 'd v2 (ann)', expected: 'c1#2 ["b"]', found: 'c1#2 ["B"]' },
    { key: 'd v1', expected: 'c1#1 ["a"]', found: 'also acknowledged as c2#7 ["z"]' },
  ]);
  assert.equal(integrityVerdict(check).passed, false);
});
