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
          // Kubernetes' default node port range; on the local platform the Service listens there on 127.0.0.1.
          nodePort: z.number().int().min(30000, 'expected a node port in 30000-32767').max(32767, 'expected a node port in 30000-32767').optional(),
        }),
      )
      .min(1, 'expected at least one port'),
  }),
});

export type Service = z.output<typeof ServiceSchema>;
