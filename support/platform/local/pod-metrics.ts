// Per-pod resource metrics of the local platform's replicas, under the names
// the kubelet's cAdvisor and kube-state-metrics give them on a cluster
// (container_cpu_usage_seconds_total, container_memory_working_set_bytes,
// container_fs_{reads,writes}_bytes_total, kube_pod_container_status_restarts_total),
// so the same queries and dashboards read both. Read from /proc at scrape time.
import fs from 'node:fs';
import type { ProbeHealth } from './supervisor.ts';
import { Gauge, type Registry } from 'prom-client';

/** Linux reports CPU time in USER_HZ ticks, which is 100 on every architecture Node runs on. */
const USER_HZ = 100;

export interface ProcessUsage {
  cpuSeconds: number;
  /** Resident memory: what cAdvisor's working set approximates for a process. */
  memoryBytes: number;
  /** Bytes read from and written to storage (not the page cache), when /proc/<pid>/io is readable. */
  readBytes: number | undefined;
  writeBytes: number | undefined;
}

/** Parses /proc/<pid>/stat (the command may hold spaces and parentheses: fields count from the last ")"). */
export function cpuSecondsFromStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, utime 14 and stime 15 (1-based, as in proc(5)).
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unexpected /proc/<pid>/stat: ${stat.slice(0, 200)}`);
  return (utime + stime) / USER_HZ;
}

function field(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The usage of one process, or undefined when it is gone. */
export function readProcessUsage(pid: number): ProcessUsage | undefined {
  try {
    const cpuSeconds = cpuSecondsFromStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const rssKb = field(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS') ?? 0;
    let io: string | undefined;
    try {
      io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    } catch {
      // Another user's process, or a kernel without task I/O accounting.
    }
    return { cpuSeconds, memoryBytes: rssKb * 1024, readBytes: io === undefined ? undefined : field(io, 'read_bytes'), writeBytes: io === undefined ? undefined : field(io, 'write_bytes') };
  } catch {
    return undefined;
  }
}

export interface PodMetricsSource {
  pods(): { namespace: string; pod: string; container: string; usage: () => ProcessUsage | undefined; restarts: number; ready?: boolean; probes?: ProbeHealth }[];
}

type Labels = 'namespace' | 'pod' | 'container';

export function registerPodMetrics(registry: Registry, source: PodMetricsSource): void {
  const labelNames: Labels[] = ['namespace', 'pod', 'container'];
  // Counters by nature, exported as gauges because their value is read, not counted, here.
  const perPod = (name: string, help: string, value: (u: ProcessUsage) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const p of source.pods()) {
          const usage = p.usage();
          const v = usage === undefined ? undefined : value(usage);
          if (v !== undefined) this.set({ namespace: p.namespace, pod: p.pod, container: p.container }, v);
        }
      },
    });
  perPod('container_cpu_usage_seconds_total', 'CPU time used by the pod\'s process, in seconds (cAdvisor\'s name)', (u) => u.cpuSeconds);
  perPod('container_memory_working_set_bytes', 'Resident memory of the pod\'s process, in bytes (cAdvisor\'s name)', (u) => u.memoryBytes);
  perPod('container_fs_reads_bytes_total', 'Bytes the pod\'s process read from storage (cAdvisor\'s name)', (u) => u.readBytes);
  perPod('container_fs_writes_bytes_total', 'Bytes the pod\'s process wrote to storage (cAdvisor\'s name)', (u) => u.writeBytes);
  new Gauge({
    name: 'kube_pod_container_status_restarts_total',
    help: 'Restarts of the pod\'s container (kube-state-metrics\' name)',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const p of source.pods()) this.set({ namespace: p.namespace, pod: p.pod, container: p.container }, p.restarts);
    },
  });
  new Gauge({
    name: 'kube_pod_status_ready',
    help: 'Whether the pod passes its readiness probe (kube-state-metrics\' name): 1 on the condition that holds',
    labelNames: ['namespace', 'pod', 'condition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of source.pods()) {
        if (p.ready === undefined) continue;
        this.set({ namespace: p.namespace, pod: p.pod, condition: 'true' }, p.ready ? 1 : 0);
        this.set({ namespace: p.namespace, pod: p.pod, condition: 'false' }, p.ready ? 0 : 1);
      }
    },
  });
  // cutover's own: what each readiness probe saw and how long probing took (the kubelet keeps these to itself).
  new Gauge({
    name: 'cutover_pod_readiness_probes_total',
    help: 'Readiness probes of the pod, by result',
    labelNames: ['namespace', 'pod', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of source.pods()) {
        if (p.probes === undefined) continue;
        this.set({ namespace: p.namespace, pod: p.pod, result: 'success' }, p.probes.probes - p.probes.failed);
        this.set({ namespace: p.namespace, pod: p.pod, result: 'failure' }, p.probes.failed);
      }
    },
  });
  new Gauge({
    name: 'cutover_pod_readiness_probe_seconds_total',
    help: 'Time spent in the pod\'s readiness probes, in seconds (divide by the probes for the mean)',
    labelNames: ['namespace', 'pod'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of source.pods()) if (p.probes !== undefined) this.set({ namespace: p.namespace, pod: p.pod }, p.probes.totalSeconds);
    },
  });
}
