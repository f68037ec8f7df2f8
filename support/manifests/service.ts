// The core v1 Service: on the local platform each one is a listener of the
// cutover router, sending traffic to the pods its selector picks.
import { z } from 'zod';
import { Metadata } from '../rollout/model.ts';

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
          nodePort: z.number().int().optional(),
        }),
      )
      .min(1, 'expected at least one port'),
  }),
});

export type Service = z.output<typeof ServiceSchema>;
