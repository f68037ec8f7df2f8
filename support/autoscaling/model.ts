// The HorizontalPodAutoscaler (autoscaling/v2), as much of it as the local
// and docker platforms run: Resource metrics (cpu, memory) against a
// utilization of the pods' requests or an average value, minReplicas and
// maxReplicas, and the scale-up and scale-down behavior (stabilization
// windows and rate policies), with Kubernetes' documented defaults.
import { z } from 'zod';
import { Metadata } from '../rollout/model.ts';
import { cpuMillicores, memoryBytes } from '../manifests/quantity.ts';

const ScaleTargetRef = z.object({
  apiVersion: z.string().optional(),
  // Argo Rollouts gives a Rollout the scale subresource, so an HPA may target it; the local platforms run Rollouts only.
  kind: z.literal('Rollout', { error: 'expected kind Rollout: the local platforms run Argo Rollouts (a Deployment is a Rollout with its default strategy)' }),
  name: z.string().min(1),
});

/** A target's value as written: a quantity of the resource (250m, 200Mi), read into millicores or bytes. */
const quantityOf = (resource: 'cpu' | 'memory', v: string | number) => (resource === 'cpu' ? cpuMillicores(v) : memoryBytes(v));

const MetricTarget = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Utilization'), averageUtilization: z.number().int().min(1, 'expected a percentage of the pods\' request, at least 1') }).strict(),
  z.object({ type: z.literal('AverageValue'), averageValue: z.union([z.string(), z.number()]) }).strict(),
], { error: 'expected type Utilization (with averageUtilization) or AverageValue (with averageValue)' });

const ResourceMetric = z
  .object({
    type: z.literal('Resource', { error: 'expected type Resource: the local platforms measure the pods\' cpu and memory (Pods, Object and External metrics need a metrics adapter)' }),
    resource: z.object({ name: z.enum(['cpu', 'memory'], { error: 'expected cpu or memory' }), target: MetricTarget }).strict(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const t = m.resource.target;
    if (t.type === 'AverageValue' && !((quantityOf(m.resource.name, t.averageValue) ?? 0) > 0)) {
      ctx.addIssue({ code: 'custom', path: ['resource', 'target', 'averageValue'], message: `"${t.averageValue}" is not a ${m.resource.name} quantity: expected ${m.resource.name === 'cpu' ? 'cores such as 0.5 or millicores such as 250m' : 'bytes with a unit such as 200Mi'}` });
    }
  })
  // One shape for both: the target is a percentage of the request, or a value per pod (millicores, bytes).
  .transform((m): { resource: 'cpu' | 'memory'; kind: 'utilization' | 'averageValue'; target: number } => {
    const t = m.resource.target;
    return t.type === 'Utilization'
      ? { resource: m.resource.name, kind: 'utilization', target: t.averageUtilization }
      : { resource: m.resource.name, kind: 'averageValue', target: quantityOf(m.resource.name, t.averageValue) as number };
  });

const Policy = z.object({
  type: z.enum(['Pods', 'Percent'], { error: 'expected Pods or Percent' }),
  value: z.number().int().min(1, 'expected a whole number, at least 1'),
  periodSeconds: z.number().int().min(1).max(1800, 'expected at most 1800 seconds (Kubernetes\' limit)'),
}).strict();

const Rules = z.object({
  stabilizationWindowSeconds: z.number().int().min(0).max(3600, 'expected at most 3600 seconds (Kubernetes\' limit)').optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).default('Max'),
  policies: z.array(Policy).min(1, 'expected at least one policy').optional(),
}).strict();

// Kubernetes' defaults: scale up at once by 100 % or 4 pods per 15 s (the larger), scale down by up to 100 % per 15 s after a 300 s window.
const DEFAULT_UP = { stabilizationWindowSeconds: 0, selectPolicy: 'Max' as const, policies: [{ type: 'Percent' as const, value: 100, periodSeconds: 15 }, { type: 'Pods' as const, value: 4, periodSeconds: 15 }] };
const DEFAULT_DOWN = { stabilizationWindowSeconds: 300, selectPolicy: 'Max' as const, policies: [{ type: 'Percent' as const, value: 100, periodSeconds: 15 }] };

export const HorizontalPodAutoscalerSchema = z
  .object({
    apiVersion: z.literal('autoscaling/v2', { error: 'expected apiVersion autoscaling/v2' }),
    kind: z.literal('HorizontalPodAutoscaler'),
    metadata: Metadata,
    spec: z
      .object({
        scaleTargetRef: ScaleTargetRef,
        minReplicas: z.number().int().min(1, 'expected at least 1 (scaling to zero is an alpha feature)').default(1),
        maxReplicas: z.number().int().min(1, 'expected at least 1'),
        // Without metrics, Kubernetes scales on 80 % of the pods' CPU request.
        metrics: z.array(ResourceMetric).min(1, 'expected at least one metric').default([{ resource: 'cpu', kind: 'utilization', target: 80 }]),
        behavior: z.object({ scaleUp: Rules.optional(), scaleDown: Rules.optional() }).strict().default({}),
      })
      .superRefine((s, ctx) => {
        if (s.maxReplicas < s.minReplicas) ctx.addIssue({ code: 'custom', path: ['maxReplicas'], message: `expected at least minReplicas (${s.minReplicas})` });
      }),
  })
  .transform((hpa) => {
    const { scaleUp, scaleDown } = hpa.spec.behavior;
    return {
      ...hpa,
      spec: {
        ...hpa.spec,
        behavior: {
          scaleUp: { ...DEFAULT_UP, ...scaleUp, policies: scaleUp?.policies ?? DEFAULT_UP.policies, stabilizationWindowSeconds: scaleUp?.stabilizationWindowSeconds ?? DEFAULT_UP.stabilizationWindowSeconds },
          scaleDown: { ...DEFAULT_DOWN, ...scaleDown, policies: scaleDown?.policies ?? DEFAULT_DOWN.policies, stabilizationWindowSeconds: scaleDown?.stabilizationWindowSeconds ?? DEFAULT_DOWN.stabilizationWindowSeconds },
        },
      },
    };
  });

export type HorizontalPodAutoscaler = z.output<typeof HorizontalPodAutoscalerSchema>;
export type MetricSpec = HorizontalPodAutoscaler['spec']['metrics'][number];
export type ScalingRules = HorizontalPodAutoscaler['spec']['behavior']['scaleUp'];
