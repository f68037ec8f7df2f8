// Kubernetes resource quantities: memory in bytes ("128Mi", "1G", "512k") and
// CPU in millicores ("250m", "0.5", "2"), as a pod's requests and limits
// give them.
import { z } from 'zod';

const MEMORY_UNITS: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** Bytes, or undefined when the text is not a memory quantity. */
export function memoryBytes(text: string | number): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kKMGT]i?)?$/.exec(String(text).trim());
  if (m === null) return undefined;
  const unit = MEMORY_UNITS[m[2] ?? ''];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

/** Millicores, or undefined when the text is not a CPU quantity. */
export function cpuMillicores(text: string | number): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(String(text).trim());
  if (m === null) return undefined;
  return Math.round(m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000);
}

const MemoryQuantity = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const bytes = memoryBytes(v);
  if (bytes === undefined || bytes <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a memory quantity: expected a number of bytes with a unit such as 128Mi, 1Gi or 500M` });
    return z.NEVER;
  }
  return bytes;
});

const CpuQuantity = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const millicores = cpuMillicores(v);
  if (millicores === undefined || millicores <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a CPU quantity: expected cores such as 0.5 or 2, or millicores such as 250m` });
    return z.NEVER;
  }
  return millicores;
});

const ResourceList = z.object({ cpu: CpuQuantity.optional(), memory: MemoryQuantity.optional() }).strict();

/** A container's requests and limits (memory in bytes, CPU in millicores); a request above its limit is refused, as the API server refuses it. */
export const Resources = z
  .object({ requests: ResourceList.optional(), limits: ResourceList.optional() })
  .strict()
  .superRefine((r, ctx) => {
    for (const k of ['cpu', 'memory'] as const) {
      const request = r.requests?.[k];
      const limit = r.limits?.[k];
      if (request !== undefined && limit !== undefined && request > limit) {
        ctx.addIssue({ code: 'custom', path: ['requests', k], message: `the ${k} request is above its limit (${k === 'memory' ? `${request} > ${limit} bytes` : `${request}m > ${limit}m`})` });
      }
    }
  });

export type ContainerResources = z.output<typeof Resources>;
