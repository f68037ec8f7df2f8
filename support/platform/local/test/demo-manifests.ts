// The manifests tests apply: a Rollout of argoproj/rollouts-demo with the
// Service (canary) or the active and preview Services (blue-green) it names.
// The demo image runs as a process on the local platform and as a container
// on docker, so one text serves both.

export interface DemoRollout {
  image?: string;
  replicas?: number;
  /** The canary's steps, in YAML flow style. */
  steps?: string;
  /** The blue-green strategy's fields besides the Services, in YAML flow style. */
  blueGreen?: string;
}

const rollout = (name: string, o: DemoRollout, strategy: string) => `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: ${name}}
spec:
  replicas: ${o.replicas ?? 1}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: demo, image: "${o.image ?? 'argoproj/rollouts-demo:blue'}"}]
  strategy:
    ${strategy}
`;

const service = (name: string, app: string) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec: {selector: {app: ${app}}, ports: [{port: 80}]}
`;

/** A canary Rollout and its Service, both named `name`. */
export function demoCanary(name: string, o: DemoRollout = {}): string {
  return rollout(name, o, `canary:\n      steps: ${o.steps ?? '[{setWeight: 50}, {pause: {}}]'}`) + service(name, name);
}

/** A blue-green Rollout with its active Service `name` and preview Service `name-preview`; manual promotion, no scale-down delay by default. */
export function demoBlueGreen(name: string, o: DemoRollout = {}): string {
  return rollout(name, o, `blueGreen: {activeService: ${name}, previewService: ${name}-preview, ${o.blueGreen ?? 'autoPromotionEnabled: false, scaleDownDelaySeconds: 0'}}`) + service(name, name) + service(`${name}-preview`, name);
}
