// The kinds cutover reads, for the loader.
import { ANALYSIS_IGNORED_FIELDS, AnalysisTemplateSchema } from '../analysis/model.ts';
import { HorizontalPodAutoscalerSchema } from '../autoscaling/model.ts';
import { CertificateSchema, IssuerSchema, SecretSchema } from '../ingress/certificates.ts';
import { IngressSchema } from '../ingress/model.ts';
import { ROLLOUT_IGNORED_FIELDS, RolloutSchema } from '../rollout/model.ts';
import type { KindRegistry } from './load.ts';
import { ServiceSchema } from './service.ts';

export const CUTOVER_KINDS = {
  schemas: {
    Rollout: RolloutSchema,
    AnalysisTemplate: AnalysisTemplateSchema,
    ClusterAnalysisTemplate: AnalysisTemplateSchema,
    Service: ServiceSchema,
    HorizontalPodAutoscaler: HorizontalPodAutoscalerSchema,
    Ingress: IngressSchema,
    Secret: SecretSchema,
    Issuer: IssuerSchema,
    ClusterIssuer: IssuerSchema,
    Certificate: CertificateSchema,
  },
  ignoredFields: { ...ROLLOUT_IGNORED_FIELDS, ...ANALYSIS_IGNORED_FIELDS },
} satisfies KindRegistry;
