import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { cpuSecondsFromStat, readProcessUsage, registerPodMetrics } from '../pod-metrics.ts';
import { RolloutMetrics } from '../rollout-metrics.ts';

test('CPU time is read after the command, whatever the command holds', () => {
  // pid (comm) state ppid ... utime(14) stime(15): a command with spaces and a ")" in it.
  const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 0 0';
  assert.equal(cpuSecondsFromStat(stat), 3);
  assert.throws(() => cpuSecondsFromStat('garbage'), /unexpected \/proc\/<pid>\/stat/);
});

test("this process's usage is read from /proc, and a process that is gone has none", () => {
  const before = readProcessUsage(process.pid) ?? assert.fail('no usage for this process');
  const until = performance.now() + 300;
  while (performance.now() < until) Math.sqrt(Math.random());
  const after = readProcessUsage(process.pid) ?? assert.fail('no usage for this process');
  assert.ok(after.cpuSeconds > before.cpuSeconds, `${after.cpuSeconds} after burning 300 ms, ${before.cpuSeconds} before`);
  assert.ok(after.memoryBytes > 10 * 1024 * 1024);
  assert.equal(typeof after.writeBytes, 'number');
  assert.equal(readProcessUsage(2 ** 22 + 1), undefined);
});

test('per-pod series under cAdvisor and kube-state-metrics names; a pod without a process has only its restarts', async () => {
  const registry = new Registry();
  registerPodMetrics(registry, {
    pods: () => [
      { namespace: 'default', pod: 'web-abc-1', container: 'web', usage: () => readProcessUsage(process.pid), restarts: 2, ready: true, probes: { probes: 10, failed: 3, consecutiveFailures: 0, consecutiveSuccesses: 4, totalSeconds: 0.025 } },
      { namespace: 'default', pod: 'web-abc-2', container: 'web', usage: () => undefined, restarts: 0, ready: false },
    ],
  });
  const text = await registry.metrics();
  for (const name of ['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes', 'container_fs_reads_bytes_total', 'container_fs_writes_bytes_total']) {
    assert.match(text, new RegExp(`${name}\\{namespace="default",pod="web-abc-1",container="web"\\} \\d`));
    assert.doesNotMatch(text, new RegExp(`${name}\\{[^}]*web-abc-2`));
  }
  assert.match(text, /kube_pod_container_status_restarts_total\{namespace="default",pod="web-abc-1",container="web"\} 2/);
  assert.match(text, /kube_pod_container_status_restarts_total\{namespace="default",pod="web-abc-2",container="web"\} 0/);
  // Readiness as kube-state-metrics has it, and what the probes saw.
  assert.match(text, /kube_pod_status_ready\{namespace="default",pod="web-abc-1",condition="true"\} 1/);
  assert.match(text, /kube_pod_status_ready\{namespace="default",pod="web-abc-2",condition="false"\} 1/);
  assert.match(text, /cutover_pod_readiness_probes_total\{namespace="default",pod="web-abc-1",result="success"\} 7/);
  assert.match(text, /cutover_pod_readiness_probes_total\{namespace="default",pod="web-abc-1",result="failure"\} 3/);
  assert.match(text, /cutover_pod_readiness_probe_seconds_total\{namespace="default",pod="web-abc-1"\} 0\.025/);
});

test('rollout durations are observed from each update to its completion or abort', async () => {
  const registry = new Registry();
  const metrics = new RolloutMetrics(registry, { rollouts: () => [], analysisRuns: () => [] });
  metrics.event('web', 'default', 'RolloutUpdated');
  metrics.event('web', 'default', 'RolloutCompleted');
  metrics.event('web', 'default', 'RolloutUpdated');
  metrics.event('web', 'default', 'RolloutPaused');
  metrics.event('web', 'default', 'RolloutAborted');
  // A completion with no update in progress is not a duration; a retried update's is.
  metrics.event('web', 'default', 'RolloutCompleted');
  metrics.event('web', 'default', 'RolloutRetried');
  metrics.event('web', 'default', 'RolloutCompleted');
  const text = await registry.metrics();
  assert.match(text, /cutover_rollout_duration_seconds_count\{name="web",namespace="default",outcome="completed"\} 2\n/);
  assert.match(text, /cutover_rollout_duration_seconds_count\{name="web",namespace="default",outcome="aborted"\} 1\n/);
  assert.match(text, /rollout_events_total\{name="web",namespace="default",reason="RolloutAborted",type="Warning"\} 1/);
});
