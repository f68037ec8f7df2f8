// Chaos experiments as Chaos Mesh resources (chaos-mesh.org/v1alpha1), so the
// files in chaos/ apply unchanged to a cluster running Chaos Mesh: PodChaos
// (pod-kill, container-kill, pod-failure), NetworkChaos (delay, loss,
// partition, bandwidth; direction; external targets) and StressChaos (CPU
// and memory stressors). Each names its pods by selector and mode.
import { z } from 'zod';
import { Duration, parseDuration } from '../manifests/duration.ts';
import type { KindRegistry } from '../manifests/load.ts';

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a DNS-1123 name (lower case letters, digits, "-" and ".")');

export const ChaosSelector = z
  .object({
    namespaces: z.array(z.string()).optional(),
    labelSelectors: z.record(z.string(), z.string()).refine((l) => Object.keys(l).length > 0, { message: 'expected at least one label, e.g. {app: tinyurl}' }),
  })
  .strict();

/** How many of the selected pods: Chaos Mesh's modes; `value` is a count or a percentage for the last three. */
export const CHAOS_MODES = ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'] as const;

const selection = {
  mode: z.enum(CHAOS_MODES),
  value: z.string().regex(/^\d+$/, 'expected a whole number as a string, e.g. "1" or "50"').optional(),
  selector: ChaosSelector,
  duration: Duration.optional(),
};

function checkValue(s: { mode: string; value?: string | undefined }, ctx: z.RefinementCtx, at: (string | number)[] = []): void {
  if (s.mode !== 'one' && s.mode !== 'all' && s.value === undefined) ctx.addIssue({ code: 'custom', path: [...at, 'value'], message: `mode ${s.mode} needs a value` });
  if (s.mode.endsWith('percent') && s.value !== undefined && Number(s.value) > 100) ctx.addIssue({ code: 'custom', path: [...at, 'value'], message: 'a percentage is at most 100' });
}

/** The envelope every Chaos Mesh resource shares, around its own spec. */
function chaosResource<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return z.object({
    apiVersion: z.literal('chaos-mesh.org/v1alpha1', { message: 'expected apiVersion chaos-mesh.org/v1alpha1' }),
    kind: z.literal(kind),
    metadata: z.object({ name, namespace: z.string().optional() }),
    spec,
  });
}

export const PodChaosSchema = chaosResource(
  'PodChaos',
  z
    .object({
      ...selection,
      action: z.enum(['pod-kill', 'pod-failure', 'container-kill']),
      gracePeriod: z.number().int().min(0).default(0),
      containerNames: z.array(z.string()).optional(),
    })
    .strict()
    .superRefine((s, ctx) => {
      checkValue(s, ctx);
      if (s.action === 'pod-failure' && s.duration === undefined) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'pod-failure needs a duration (how long the pods stop answering)' });
    }),
);

export type PodChaos = z.output<typeof PodChaosSchema>;

const percentText = z.string().regex(/^(\d{1,2}(\.\d+)?|100)$/, 'expected a percentage from 0 to 100 as a string, e.g. "25"');

/** Chaos Mesh's bandwidth rates are bits per second: bps, kbps, mbps, gbps. Returns bytes per second. */
export function bandwidthBytesPerSecond(rate: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(bps|kbps|mbps|gbps)$/i.exec(rate.trim());
  if (m === null) return undefined;
  const bits = Number(m[1]) * { bps: 1, kbps: 1e3, mbps: 1e6, gbps: 1e9 }[(m[2] as string).toLowerCase() as 'bps'];
  return bits > 0 ? bits / 8 : undefined;
}

/** StressChaos memory sizes: "256MB", "1GB", "512KB", "64MiB" (a share of the machine, "25%", is Chaos Mesh's too). Returns bytes. */
export function stressSizeBytes(size: string, totalBytes: number): number | undefined {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(size.trim());
  if (pct) return Number(pct[1]) <= 100 ? Math.floor((Number(pct[1]) / 100) * totalBytes) : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/i.exec(size.trim());
  if (m === null) return undefined;
  const unit = (m[2] ?? 'B').toLowerCase();
  const factor = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 }[unit] as number;
  return Math.floor(Number(m[1]) * factor);
}

export const NETWORK_ACTIONS = ['delay', 'loss', 'partition', 'bandwidth'] as const;

export const NetworkChaosSchema = chaosResource(
  'NetworkChaos',
  z
    .object({
      ...selection,
      action: z.enum(NETWORK_ACTIONS, { message: `expected one of ${NETWORK_ACTIONS.join(', ')} (netem, duplicate and corrupt are not injected by cutover)` }),
      /** Relative to the selected pods: to = what they send, from = what they receive. */
      direction: z.enum(['to', 'from', 'both']).default('to'),
      target: z.object({ mode: z.enum(CHAOS_MODES), value: z.string().optional(), selector: ChaosSelector }).strict().optional(),
      externalTargets: z.array(z.string().min(1)).min(1).optional(),
      delay: z
        .object({
          latency: Duration.refine((v) => (parseDuration(v) ?? 0) > 0, { message: 'expected a latency above zero, e.g. 100ms' }),
          jitter: Duration.default('0ms'),
          correlation: percentText.default('0'),
        })
        .strict()
        .optional(),
      loss: z.object({ loss: percentText, correlation: percentText.default('0') }).strict().optional(),
      bandwidth: z
        .object({
          rate: z.string().refine((r) => bandwidthBytesPerSecond(r) !== undefined, { message: 'expected a rate in bits per second, e.g. 1mbps, 500kbps, 10gbps' }),
          limit: z.number().int().positive().optional(),
          buffer: z.number().int().positive().optional(),
        })
        .strict()
        .optional(),
    })
    .strict()
    .superRefine((s, ctx) => {
      checkValue(s, ctx);
      if (s.action !== 'partition' && s[s.action] === undefined) ctx.addIssue({ code: 'custom', path: [s.action], message: `action ${s.action} needs spec.${s.action}` });
      if (s.target !== undefined) checkValue(s.target, ctx, ['target']);
    }),
);

export type NetworkChaos = z.output<typeof NetworkChaosSchema>;

export const StressChaosSchema = chaosResource(
  'StressChaos',
  z
    .object({
      ...selection,
      stressors: z
        .object({
          cpu: z.object({ workers: z.number().int().min(1).max(64), load: z.number().int().min(0).max(100).default(100) }).strict().optional(),
          memory: z
            .object({
              workers: z.number().int().min(1).max(64).default(1),
              size: z.string().refine((v) => stressSizeBytes(v, 1) !== undefined, { message: 'expected a size such as 256MB, 1GB or 25%' }),
            })
            .strict()
            .optional(),
        })
        .strict()
        .refine((s) => s.cpu !== undefined || s.memory !== undefined, { message: 'expected a cpu or a memory stressor' }),
      containerNames: z.array(z.string()).optional(),
    })
    .strict()
    .superRefine((s, ctx) => checkValue(s, ctx)),
);

export type StressChaos = z.output<typeof StressChaosSchema>;

export type ChaosExperiment = PodChaos | NetworkChaos | StressChaos;

export const CHAOS_KINDS = { schemas: { PodChaos: PodChaosSchema, NetworkChaos: NetworkChaosSchema, StressChaos: StressChaosSchema } } satisfies KindRegistry;

/** Which of the matching pods (by name, sorted) an experiment hits; `pick` chooses at random for the random modes. */
export function selectTargets(mode: PodChaos['spec']['mode'], value: string | undefined, pods: string[], pick: (n: number) => number = (n) => Math.floor(Math.random() * n)): string[] {
  const pool = [...pods].sort();
  const take = (count: number) => {
    const chosen: string[] = [];
    const left = [...pool];
    while (chosen.length < count && left.length > 0) chosen.push(left.splice(pick(left.length), 1)[0] as string);
    return chosen;
  };
  const n = Number(value ?? 0);
  switch (mode) {
    case 'one':
      return take(1);
    case 'all':
      return pool;
    case 'fixed':
      return take(n);
    case 'fixed-percent':
      return take(Math.floor((pool.length * n) / 100));
    case 'random-max-percent':
      return take(pick(Math.floor((pool.length * n) / 100) + 1));
  }
}
