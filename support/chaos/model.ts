// Chaos experiments as Chaos Mesh resources (chaos-mesh.org/v1alpha1), so the
// files in chaos/ apply unchanged to a cluster running Chaos Mesh. This first
// slice reads PodChaos: which pods (selector and mode) and what happens to
// them (pod-kill, container-kill, pod-failure for a duration).
import { z } from 'zod';
import { Duration } from '../manifests/duration.ts';
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

export const PodChaosSchema = z
  .object({
    apiVersion: z.literal('chaos-mesh.org/v1alpha1', { message: 'expected apiVersion chaos-mesh.org/v1alpha1' }),
    kind: z.literal('PodChaos'),
    metadata: z.object({ name, namespace: z.string().optional() }),
    spec: z
      .object({
        action: z.enum(['pod-kill', 'pod-failure', 'container-kill']),
        mode: z.enum(CHAOS_MODES),
        value: z.string().regex(/^\d+$/, 'expected a whole number as a string, e.g. "1" or "50"').optional(),
        selector: ChaosSelector,
        duration: Duration.optional(),
        gracePeriod: z.number().int().min(0).default(0),
        containerNames: z.array(z.string()).optional(),
      })
      .strict()
      .superRefine((s, ctx) => {
        if (s.mode !== 'one' && s.mode !== 'all' && s.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `mode ${s.mode} needs a value` });
        if (s.mode.endsWith('percent') && s.value !== undefined && Number(s.value) > 100) ctx.addIssue({ code: 'custom', path: ['value'], message: 'a percentage is at most 100' });
        if (s.action === 'pod-failure' && s.duration === undefined) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'pod-failure needs a duration (how long the pods stop answering)' });
      }),
  });

export type PodChaos = z.output<typeof PodChaosSchema>;

export const CHAOS_KINDS = { schemas: { PodChaos: PodChaosSchema } } satisfies KindRegistry;

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
