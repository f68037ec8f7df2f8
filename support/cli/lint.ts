// `cutover lint`: validates manifests without running anything. Errors (a
// malformed manifest) fail; references a run would trip over (a Service or
// AnalysisTemplate not among the files, an image with no local runnable) are
// warnings, which --strict turns into failures.
import type { AnalysisTemplate } from '../analysis/model.ts';
import type { HorizontalPodAutoscaler } from '../autoscaling/model.ts';
import type { Certificate, Issuer, Secret } from '../ingress/certificates.ts';
import { ingressServiceOf, unservedOf, type Ingress } from '../ingress/model.ts';
import { CUTOVER_KINDS } from '../manifests/kinds.ts';
import { ManifestError, loadManifestFiles } from '../manifests/load.ts';
import type { Service } from '../manifests/service.ts';
import type { Rollout } from '../rollout/model.ts';
import type { ImageCatalog } from '../platform/local/catalog.ts';

export interface LintResult {
  errors: string[];
  warnings: string[];
  ignored: string[];
  documents: number;
}

export function lintManifests(files: string[], catalog?: ImageCatalog): LintResult {
  let loaded;
  try {
    loaded = loadManifestFiles(files, CUTOVER_KINDS);
  } catch (err) {
    if (err instanceof ManifestError) return { errors: err.message.split('\n'), warnings: [], ignored: [], documents: 0 };
    throw err;
  }
  const where = (d: { where: { file: string; line?: number } }) => `${d.where.file}${d.where.line ? `:${d.where.line}` : ''}`;
  const services = new Set(loaded.documents.filter((d) => d.kind === 'Service').map((d) => (d.spec as Service).metadata.name));
  const templates = new Set(loaded.documents.filter((d) => d.kind === 'AnalysisTemplate').map((d) => (d.spec as AnalysisTemplate).metadata.name));
  const clusterTemplates = new Set(loaded.documents.filter((d) => d.kind === 'ClusterAnalysisTemplate').map((d) => (d.spec as AnalysisTemplate).metadata.name));
  const warnings: string[] = [];
  for (const d of loaded.documents.filter((x) => x.kind === 'Rollout')) {
    const r = d.spec as Rollout;
    const { canary, blueGreen } = r.spec.strategy;
    const named = [
      ['canaryService', canary?.canaryService],
      ['stableService', canary?.stableService],
      ['activeService', blueGreen?.activeService],
      ['previewService', blueGreen?.previewService],
    ] as const;
    for (const [field, name] of named) {
      if (name !== undefined && !services.has(name)) warnings.push(`${where(d)} rollout ${r.metadata.name}: ${field} "${name}" is not a Service in these files`);
    }
    const refs = [
      ...(canary?.steps ?? []).flatMap((s) => s.analysis?.templates ?? []),
      ...(canary?.analysis?.templates ?? []),
      ...(blueGreen?.prePromotionAnalysis?.templates ?? []),
      ...(blueGreen?.postPromotionAnalysis?.templates ?? []),
    ];
    for (const t of refs) {
      const known = t.clusterScope ? clusterTemplates : templates;
      if (!known.has(t.templateName)) warnings.push(`${where(d)} rollout ${r.metadata.name}: ${t.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate'} "${t.templateName}" is not in these files`);
    }
    if (catalog) {
      for (const c of r.spec.template.spec.containers) {
        try {
          catalog.resolve(c.image);
        } catch (err) {
          warnings.push(`${where(d)} rollout ${r.metadata.name}: ${(err as Error).message}`);
        }
      }
    }
  }
  const rollouts = new Map(loaded.documents.filter((x) => x.kind === 'Rollout').map((d) => [(d.spec as Rollout).metadata.name, d.spec as Rollout]));
  for (const d of loaded.documents.filter((x) => x.kind === 'HorizontalPodAutoscaler')) {
    const h = d.spec as HorizontalPodAutoscaler;
    const target = rollouts.get(h.spec.scaleTargetRef.name);
    if (target === undefined) {
      warnings.push(`${where(d)} autoscaler ${h.metadata.name}: Rollout "${h.spec.scaleTargetRef.name}" is not in these files`);
      continue;
    }
    // A utilization target is a share of the request: without one the HPA cannot compute it (FailedGetResourceMetric).
    for (const m of h.spec.metrics.filter((x) => x.kind === 'utilization')) {
      const lacking = target.spec.template.spec.containers.filter((c) => c.resources.requests?.[m.resource] === undefined).map((c) => c.name);
      if (lacking.length > 0) warnings.push(`${where(d)} autoscaler ${h.metadata.name}: a ${m.resource} utilization target needs a ${m.resource} request, which container(s) ${lacking.join(', ')} of rollout ${target.metadata.name} lack`);
    }
  }
  // Ingresses and certificates: a backend, a TLS Secret or an issuer that nothing in these files provides.
  const ofKind = <T>(...kinds: string[]) => loaded.documents.filter((x) => kinds.includes(x.kind)).map((d) => ({ d, spec: d.spec as T }));
  const tlsSecrets = new Set([...ofKind<Secret>('Secret').map((x) => x.spec.metadata.name), ...ofKind<Certificate>('Certificate').map((x) => x.spec.spec.secretName)]);
  for (const { d, spec } of ofKind<Ingress>('Ingress')) {
    const backend = ingressServiceOf(spec);
    if (!services.has(backend)) warnings.push(`${where(d)} ingress ${spec.metadata.name}: backend Service "${backend}" is not in these files`);
    for (const what of unservedOf(spec)) warnings.push(`${where(d)} ingress ${spec.metadata.name}: not served by the local and docker platforms: ${what}`);
    for (const t of spec.spec.tls) if (!tlsSecrets.has(t.secretName)) warnings.push(`${where(d)} ingress ${spec.metadata.name}: TLS Secret "${t.secretName}" is neither a Secret nor a Certificate's secretName in these files`);
  }
  const issuers = new Set(ofKind<Issuer>('Issuer', 'ClusterIssuer').map((x) => `${x.spec.kind}/${x.spec.metadata.name}`));
  for (const { d, spec } of ofKind<Certificate>('Certificate')) {
    const ref = `${spec.spec.issuerRef.kind}/${spec.spec.issuerRef.name}`;
    if (!issuers.has(ref)) warnings.push(`${where(d)} certificate ${spec.metadata.name}: ${spec.spec.issuerRef.kind} "${spec.spec.issuerRef.name}" is not in these files`);
  }
  return {
    errors: [],
    warnings,
    ignored: loaded.ignored.map((i) => `${i.where.file}${i.where.line ? `:${i.where.line}` : ''} ${i.path}: ignored — ${i.reason}`),
    documents: loaded.documents.length,
  };
}
