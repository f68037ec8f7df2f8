import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogAggregator, parseLevel, parseLogLine } from '../aggregate.ts';

test('pino lines are read for level, message and trace id; anything else is plain text', () => {
  assert.deepEqual(parseLogLine('{"level":50,"time":1,"reqId":"4bf92f3577b34da6a3ce929d0e0e4736","msg":"answered with a server error"}'), {
    level: 'error',
    message: 'answered with a server error',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  });
  assert.deepEqual(parseLogLine('{"level":"warn","reqId":"req-1"}'), { level: 'warn' });
  assert.deepEqual(parseLogLine('[tinyurl v1] listening on http://127.0.0.1:5000'), {});
  assert.deepEqual(parseLogLine('{not json'), {});
  assert.throws(() => parseLevel('loud'), /log level "loud": expected one of trace, debug, info, warn, error, fatal/);
});

test('queries by rollout, time, level and trace id; the oldest lines go first past the bound', () => {
  const logs = new LogAggregator(3);
  const add = (at: string, rollout: string, line: string) => logs.add({ at, pod: `${rollout}-1`, rollout, image: `cutover/${rollout}:v1`, stream: 'stdout', line });
  add('2026-01-01T00:00:00.000Z', 'a', 'plain');
  add('2026-01-01T00:00:01.000Z', 'a', '{"level":40,"msg":"slow"}');
  add('2026-01-01T00:00:02.000Z', 'b', '{"level":50,"msg":"boom","reqId":"4bf92f3577b34da6a3ce929d0e0e4736"}');
  add('2026-01-01T00:00:03.000Z', 'a', '{"level":60,"msg":"dead"}');
  assert.equal(logs.dropped, 1);
  assert.deepEqual(logs.query({ rollout: 'a' }).map((e) => e.message), ['slow', 'dead']);
  assert.deepEqual(logs.query({ minLevel: 'error' }).map((e) => e.message), ['boom', 'dead']);
  assert.deepEqual(logs.query({ since: Date.parse('2026-01-01T00:00:02.500Z') }).map((e) => e.message), ['dead']);
  assert.deepEqual(logs.query({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }).map((e) => e.rollout), ['b']);
});
