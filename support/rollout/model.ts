// The Argo Rollouts `Rollout` resource (argoproj.io/v1alpha1), as much of it
// as cutover runs, with Argo's documented defaults.
import { z } from 'zod';
import { Duration } from '../manifests/duration.ts';
import { Resources } from '../manifests/quantity.ts';

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a DNS-1123 name (lower case letters, digits, "-" and ".")');

export const Metadata = z.object({
  name,
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).default({}),
  annotations: z.record(z.string(), z.string()).default({}),
});

/** An integer or a percentage string ("25%"), as maxSurge and maxUnavailable take. */
export const IntOrPercent = z.union([
  z.number().int().min(0),
  z.string().regex(/^\d+%$/, 'expected an integer or a percentage such as "25%"'),
]);

export const EnvVar = z.object({ name: z.string().min(1), value: z.string().default('') });

export const Probe = z.object({
  httpGet: z.object({ path: z.string().default('/'), port: z.union([z.number().int(), z.string()]).optional(), scheme: z.enum(['HTTP', 'HTTPS']).default('HTTP') }).optional(),
  exec: z.object({ command: z.array(z.string()) }).optional(),
  tcpSocket: z.object({ port: z.union([z.number().int(), z.string()]) }).optional(),
  initialDelaySeconds: z.number().int().min(0).default(0),
  periodSeconds: z.number().int().min(1).default(10),
  timeoutSeconds: z.number().int().min(1).default(1),
  successThreshold: z.number().int().min(1).default(1),
  failureThreshold: z.number().int().min(1).default(3),
});

export const Container = z.object({
  name: z.string().min(1),
  image: z.string().min(1, 'expected an image reference such as cutover/tinyurl:v1'),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(EnvVar).default([]),
  ports: z.array(z.object({ containerPort: z.number().int().min(1).max(65535), name: z.string().optional(), protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP') })).default([]),
  readinessProbe: Probe.optional(),
  livenessProbe: Probe.optional(),
  // Memory limits are enforced on local processes (OOM-killed like the kubelet does); CPU is not limited locally.
  resources: Resources.default({}),
});

export const PodTemplate = z.object({
  metadata: z.object({ labels: z.record(z.string(), z.string()).default({}), annotations: z.record(z.string(), z.string()).default({}) }).default({ labels: {}, annotations: {} }),
  spec: z.object({
    containers: z.array(Container).min(1, 'expected at least one container'),
    terminationGracePeriodSeconds: z.number().int().min(0).default(30),
  }),
});

export const AnalysisArg = z.object({
  name: z.string().min(1),
  value: z.string().optional(),
  valueFrom: z
    .object({
      podTemplateHashValue: z.enum(['Stable', 'Latest']).optional(),
      fieldRef: z.object({ fieldPath: z.string() }).optional(),
    })
    .optional(),
});

export const RolloutAnalysis = z.object({
  templates: z.array(z.object({ templateName: z.string().min(1), clusterScope: z.boolean().default(false) })).min(1, 'expected at least one template'),
  args: z.array(AnalysisArg).default([]),
});

const exactlyOne = (keys: string[]) => (step: Record<string, unknown>) => keys.filter((k) => step[k] !== undefined).length === 1;

export const CanaryStep = z
  .object({
    setWeight: z.number().int().min(0).max(100).optional(),
    pause: z.object({ duration: Duration.optional() }).optional(),
    analysis: RolloutAnalysis.optional(),
    setCanaryScale: z
      .object({ replicas: z.number().int().min(0).optional(), weight: z.number().int().min(0).max(100).optional(), matchTrafficWeight: z.boolean().optional() })
      .optional(),
    experiment: z.unknown().optional(),
    setHeaderRoute: z.unknown().optional(),
    setMirrorRoute: z.unknown().optional(),
  })
  .refine(exactlyOne(['setWeight', 'pause', 'analysis', 'setCanaryScale', 'experiment', 'setHeaderRoute', 'setMirrorRoute']), {
    message: 'expected exactly one of setWeight, pause, analysis, setCanaryScale (experiment, setHeaderRoute and setMirrorRoute are recognised but not run locally)',
  });

/** Ephemeral metadata: labels Argo puts on a ReplicaSet's pods while it has a role (canary, stable, preview, active), e.g. for chaos selectors. */
const EphemeralMetadata = z.object({ labels: z.record(z.string(), z.string()).default({}), annotations: z.record(z.string(), z.string()).default({}) }).optional();

export const CanaryStrategy = z.object({
  canaryMetadata: EphemeralMetadata,
  stableMetadata: EphemeralMetadata,
  steps: z.array(CanaryStep).default([]),
  canaryService: z.string().optional(),
  stableService: z.string().optional(),
  analysis: RolloutAnalysis.extend({ startingStep: z.number().int().min(0).optional() }).optional(),
  maxSurge: IntOrPercent.default('25%'),
  maxUnavailable: IntOrPercent.default('25%'),
  abortScaleDownDelaySeconds: z.number().int().min(0).default(30),
  scaleDownDelaySeconds: z.number().int().min(0).optional(),
  trafficRouting: z.unknown().optional(),
  dynamicStableScale: z.boolean().default(false),
});

export const BlueGreenStrategy = z.object({
  activeService: z.string().min(1, 'expected the name of the Service that receives production traffic'),
  previewService: z.string().optional(),
  autoPromotionEnabled: z.boolean().default(true),
  autoPromotionSeconds: z.number().int().min(0).optional(),
  scaleDownDelaySeconds: z.number().int().min(0).default(30),
  scaleDownDelayRevisionLimit: z.number().int().min(0).optional(),
  previewReplicaCount: z.number().int().min(0).optional(),
  prePromotionAnalysis: RolloutAnalysis.optional(),
  postPromotionAnalysis: RolloutAnalysis.optional(),
  abortScaleDownDelaySeconds: z.number().int().min(0).default(30),
  previewMetadata: EphemeralMetadata,
  activeMetadata: EphemeralMetadata,
});

export const RolloutSchema = z.object({
  apiVersion: z.literal('argoproj.io/v1alpha1', { error: 'expected apiVersion argoproj.io/v1alpha1' }),
  kind: z.literal('Rollout'),
  metadata: Metadata,
  spec: z.object({
    replicas: z.number().int().min(0).default(1),
    selector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
    template: PodTemplate,
    workloadRef: z.unknown().optional().refine((v) => v === undefined, { message: 'workloadRef is not supported: put the pod template in the Rollout' }),
    minReadySeconds: z.number().int().min(0).default(0),
    revisionHistoryLimit: z.number().int().min(0).default(10),
    progressDeadlineSeconds: z.number().int().min(1).default(600),
    progressDeadlineAbort: z.boolean().default(false),
    paused: z.boolean().default(false),
    strategy: z
      .object({ canary: CanaryStrategy.optional(), blueGreen: BlueGreenStrategy.optional() })
      .refine((s) => (s.canary === undefined) !== (s.blueGreen === undefined), { message: 'expected exactly one of strategy.canary or strategy.blueGreen' }),
  }),
});

export type Rollout = z.output<typeof RolloutSchema>;
export type RolloutAnalysisSpec = z.output<typeof RolloutAnalysis>;

/** Fields cutover recognises but does not act on locally, with the reason given to the user. */
export const ROLLOUT_IGNORED_FIELDS: Record<string, string> = {
  'spec.strategy.canary.trafficRouting': 'traffic is split by the cutover router by weight; mesh and ingress routing are not run locally',
  'spec.strategy.canary.steps[].experiment': 'experiment steps are not run locally',
  'spec.strategy.canary.steps[].setHeaderRoute': 'header routes need a traffic router plugin',
  'spec.strategy.canary.steps[].setMirrorRoute': 'mirror routes need a traffic router plugin',
  'spec.template.spec.containers[].imagePullPolicy': 'images come from the local image catalog, never pulled',
  'spec.strategy.blueGreen.previewMetadata': 'pod metadata has no effect on local processes',
  'spec.strategy.blueGreen.activeMetadata': 'pod metadata has no effect on local processes',
};
