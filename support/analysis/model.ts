// The Argo Rollouts AnalysisTemplate and ClusterAnalysisTemplate, with the
// providers cutover runs: web, prometheus and job.
import { z } from 'zod';
import { Duration } from '../manifests/duration.ts';
import { AnalysisArg, Container, Metadata } from '../rollout/model.ts';

/** Argo lets count and the limits be strings so that args can fill them in. */
const IntOrArg = z.union([z.number().int(), z.string().regex(/^(-?\d+|\{\{\s*args\.[\w.-]+\s*\}\})$/, 'expected an integer or "{{args.name}}"')]);

export const WebProvider = z.object({
  url: z.string().min(1),
  method: z.enum(['GET', 'POST', 'PUT']).default('GET'),
  headers: z.array(z.object({ key: z.string().min(1), value: z.string() })).default([]),
  body: z.string().optional(),
  jsonBody: z.unknown().optional(),
  jsonPath: z.string().optional(),
  timeoutSeconds: z.number().int().min(1).default(10),
  insecure: z.boolean().default(false),
});

export const PrometheusProvider = z.object({
  address: z.string().min(1),
  query: z.string().min(1),
  timeout: z.number().int().min(1).optional(),
});

export const JobProvider = z.object({
  metadata: z.object({ labels: z.record(z.string(), z.string()).default({}), annotations: z.record(z.string(), z.string()).default({}) }).optional(),
  spec: z.object({
    backoffLimit: z.number().int().min(0).default(6),
    activeDeadlineSeconds: z.number().int().min(1).optional(),
    template: z.object({
      spec: z.object({
        containers: z.array(Container).min(1),
        restartPolicy: z.enum(['Never', 'OnFailure']).default('Never'),
      }),
    }),
  }),
});

export const Metric = z
  .object({
    name: z.string().min(1),
    interval: Duration.optional(),
    initialDelay: Duration.optional(),
    count: IntOrArg.optional(),
    successCondition: z.string().optional(),
    failureCondition: z.string().optional(),
    failureLimit: IntOrArg.default(0),
    inconclusiveLimit: IntOrArg.default(0),
    consecutiveErrorLimit: IntOrArg.default(4),
    provider: z
      .object({ web: WebProvider.optional(), prometheus: PrometheusProvider.optional(), job: JobProvider.optional() })
      .catchall(z.unknown())
      .superRefine((p, ctx) => {
        const keys = Object.keys(p).filter((k) => p[k] !== undefined);
        const unsupported = keys.filter((k) => !['web', 'prometheus', 'job'].includes(k));
        if (unsupported.length > 0) {
          ctx.addIssue({ code: 'custom', message: `provider ${unsupported.join(', ')} is not supported by cutover: use web, prometheus or job` });
        } else if (keys.length !== 1) {
          ctx.addIssue({ code: 'custom', message: 'expected exactly one provider: web, prometheus or job' });
        }
      }),
  });

export const AnalysisTemplateSchema = z.object({
  apiVersion: z.literal('argoproj.io/v1alpha1', { error: 'expected apiVersion argoproj.io/v1alpha1' }),
  kind: z.enum(['AnalysisTemplate', 'ClusterAnalysisTemplate']),
  metadata: Metadata,
  spec: z.object({
    args: z.array(AnalysisArg).default([]),
    metrics: z.array(Metric).min(1, 'expected at least one metric'),
    dryRun: z.array(z.object({ metricName: z.string().min(1) })).default([]),
    measurementRetention: z.unknown().optional(),
  }),
});

export type AnalysisTemplate = z.output<typeof AnalysisTemplateSchema>;
export type MetricSpec = z.output<typeof Metric>;

export const ANALYSIS_IGNORED_FIELDS: Record<string, string> = {
  'spec.measurementRetention': 'every measurement is kept as evidence',
};
