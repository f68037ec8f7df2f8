// The core v1 Service: on the local platform each one is a listener of the
// cutover router, sending traffic to the pods its selector picks.
import { parse } from 'yaml';
import { z } from 'zod';
import { Metadata } from '../rollout/model.ts';
import { OUTLIER_DETECTION_ANNOTATION, OutlierDetectionSchema, type OutlierDetection } from '../traffic/outlier-detection.ts';

export const ServiceSchema = z.object({
  apiVersion: z.literal('v1', { error: 'expected apiVersion v1' }),
  kind: z.literal('Service'),
  metadata: Metadata,
  spec: z.object({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
    selector: z.record(z.string(), z.string()).default({}),
    ports: z
      .array(
        z.object({
          name: z.string().optional(),
          port: z.number().int().min(1).max(65535),
          targetPort: z.union([z.number().int().min(1).max(65535), z.string()]).optional(),
          protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
          // Kubernetes' default node port range; on the local platform the Service listens there on 127.0.0.1.
          nodePort: z.number().int().min(30000, 'expected a node port in 30000-32767').max(32767, 'expected a node port in 30000-32767').optional(),
        }),
      )
      .min(1, 'expected at least one port'),
  }),
}).superRefine((service, ctx) => {
  const path = ['metadata', 'annotations', OUTLIER_DETECTION_ANNOTATION];
  const result = readOutlierDetection(service.metadata.annotations[OUTLIER_DETECTION_ANNOTATION]);
  if (typeof result === 'string') ctx.addIssue({ code: 'custom', path, message: result });
});

export type Service = z.output<typeof ServiceSchema>;

const POLICY_FORM = 'a YAML mapping such as "{consecutive5xxErrors: 5, baseEjectionTime: 30s, maxEjectionTime: 5m, maxEjectionPercent: 50}"';

/** The annotation's policy; undefined when absent, the problem as text when it is not one. */
export function readOutlierDetection(text: string | undefined): OutlierDetection | undefined | string {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : parse(text);
  } catch (err) {
    return `expected ${POLICY_FORM}: ${(err as Error).message.split('\n')[0]}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `expected ${POLICY_FORM}`;
  const parsed = OutlierDetectionSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  return parsed.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}: expected ${POLICY_FORM}` : `${i.path.join('.')}: ${i.message}`)).join('; ');
}

/** The outlier detection a (validated) Service asks its router for, if any. */
export function outlierDetectionOf(service: Service): OutlierDetection | undefined {
  const policy = readOutlierDetection(service.metadata.annotations[OUTLIER_DETECTION_ANNOTATION]);
  return typeof policy === 'string' ? undefined : policy;
}
