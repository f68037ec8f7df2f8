// The networking.k8s.io/v1 Ingress as the local and docker platforms serve
// it: its backend (the first rule's first path, or the default backend, as
// the kubernetes platform's router reads it too) and the ingress-nginx canary
// annotations: an Ingress with `canary: "true"` for the same host sends
// `canary-weight` of `canary-weight-total` (default 100) of its requests to
// its own backend instead of the main Ingress's.
import { z } from 'zod';
import { Metadata } from '../rollout/model.ts';

export const NGINX = 'nginx.ingress.kubernetes.io';

const Backend = z.object({
  service: z.object({
    name: z.string().min(1),
    port: z.union([z.object({ number: z.number().int().min(1).max(65535) }).strict(), z.object({ name: z.string().min(1) }).strict()], { error: 'expected {number: <port>} or {name: <port name>}' }),
  }, { error: 'expected a service backend: {name, port: {number}}' }),
});

const Path = z.object({
  path: z.string().startsWith('/', 'expected a path starting with "/"').default('/'),
  pathType: z.enum(['Prefix', 'Exact', 'ImplementationSpecific'], { error: 'expected Prefix, Exact or ImplementationSpecific' }),
  backend: Backend,
});

/** A DNS name as Ingress hosts and certificates take it. */
export const DnsName = z.string().regex(/^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a DNS name such as shop.example.com (a leading "*." for a wildcard), without a port');

export const IngressSchema = z
  .object({
    apiVersion: z.literal('networking.k8s.io/v1', { error: 'expected apiVersion networking.k8s.io/v1' }),
    kind: z.literal('Ingress'),
    metadata: Metadata,
    spec: z.object({
      ingressClassName: z.string().optional(),
      defaultBackend: Backend.optional(),
      tls: z.array(z.object({ hosts: z.array(DnsName).default([]), secretName: z.string().min(1, 'expected the name of a kubernetes.io/tls Secret') })).default([]),
      rules: z.array(z.object({ host: DnsName.optional(), http: z.object({ paths: z.array(Path).min(1, 'expected at least one path') }) })).default([]),
    }),
  })
  .superRefine((ingress, ctx) => {
    if (ingress.spec.rules.length === 0 && ingress.spec.defaultBackend === undefined) ctx.addIssue({ code: 'custom', path: ['spec'], message: 'expected rules or a defaultBackend: the Ingress sends requests nowhere' });
    const a = ingress.metadata.annotations;
    const canary = a[`${NGINX}/canary`];
    if (canary !== undefined && canary !== 'true' && canary !== 'false') ctx.addIssue({ code: 'custom', path: ['metadata', 'annotations', `${NGINX}/canary`], message: `expected "true" or "false", got "${canary}"` });
    const total = a[`${NGINX}/canary-weight-total`] ?? '100';
    if (!/^\d+$/.test(total) || Number(total) < 1) ctx.addIssue({ code: 'custom', path: ['metadata', 'annotations', `${NGINX}/canary-weight-total`], message: `expected a whole number above 0, got "${total}"` });
    const weight = a[`${NGINX}/canary-weight`];
    if (weight !== undefined && (!/^\d+$/.test(weight) || Number(weight) > Number(total))) ctx.addIssue({ code: 'custom', path: ['metadata', 'annotations', `${NGINX}/canary-weight`], message: `expected a whole number from 0 to ${total} (the canary-weight-total), got "${weight}"` });
  });

export type Ingress = z.output<typeof IngressSchema>;

/** The Service an Ingress sends requests to: its first rule's first path, else its default backend. */
export function ingressServiceOf(ingress: Ingress): string {
  return (ingress.spec.rules[0]?.http.paths[0]?.backend ?? ingress.spec.defaultBackend)?.service.name as string;
}

/** The host an Ingress serves (its first rule's), if it names one. */
export function ingressHostOf(ingress: Ingress): string | undefined {
  return ingress.spec.rules[0]?.host;
}

/** An ingress-nginx canary Ingress's share of its host's requests (0..1), or undefined when it is not a canary. */
export function canaryShareOf(ingress: Ingress): number | undefined {
  const a = ingress.metadata.annotations;
  if (a[`${NGINX}/canary`] !== 'true') return undefined;
  return Number(a[`${NGINX}/canary-weight`] ?? '0') / Number(a[`${NGINX}/canary-weight-total`] ?? '100');
}

/** ingress-nginx's ssl-redirect: with TLS configured, plain HTTP is redirected to HTTPS unless the annotation says "false". */
export function sslRedirectOf(ingress: Ingress): boolean {
  return ingress.spec.tls.length > 0 && ingress.metadata.annotations[`${NGINX}/ssl-redirect`] !== 'false';
}

/** ingress-nginx's default HSTS header on HTTPS answers (its ConfigMap's hsts, hsts-max-age, hsts-include-subdomains). */
export const NGINX_HSTS = 'max-age=31536000; includeSubDomains';

/**
 * What of an Ingress the local and docker platforms do not serve, said at
 * apply and by lint: routing is by the first rule's first path (as the
 * kubernetes platform's router reads it), and of ingress-nginx's canary
 * annotations only the weight is honoured.
 */
export function unservedOf(ingress: Ingress): string[] {
  const out: string[] = [];
  const paths = ingress.spec.rules.flatMap((r, i) => r.http.paths.map((p, j) => ({ i, j, p })));
  for (const { i, j, p } of paths.slice(1)) out.push(`spec.rules[${i}].http.paths[${j}] (${p.path} → ${p.backend.service.name}): only the first rule's first path is routed; every request goes to ${ingressServiceOf(ingress)}`);
  const first = paths[0]?.p;
  if (first && first.path !== '/') out.push(`spec.rules[0].http.paths[0].path ${first.path}: every path is routed, not only ${first.path}`);
  for (const key of Object.keys(ingress.metadata.annotations)) {
    if (/^nginx\.ingress\.kubernetes\.io\/canary-by-(header|header-value|header-pattern|cookie)$/.test(key)) out.push(`metadata.annotations.${key}: canary by header or cookie is not served; the canary takes its weight only`);
  }
  return out;
}
