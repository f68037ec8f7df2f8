// Which pods each Service sends traffic to, as Argo Rollouts arranges it:
// the controller decides roles (stable/canary with a weight, or active/preview)
// and this maps them onto the Services that select the Rollout's pods.
import type { Service } from '../manifests/service.ts';
import type { Rollout } from './model.ts';
import type { Revision } from './revision.ts';

export type TrafficPlan =
  | { strategy: 'canary'; stable: Revision; canary?: Revision; canaryWeight: number }
  | { strategy: 'blueGreen'; active: Revision; preview: Revision };

export interface RouteGroup {
  /** The role: stable, canary, active or preview. */
  name: string;
  weight: number;
  revision: Revision;
}

/** A Service selects a Rollout's pods when every selector label is on the pod template. */
export function selectsRollout(service: Service, rollout: Rollout): boolean {
  const selector = Object.entries(service.spec.selector);
  const labels = rollout.spec.template.metadata.labels;
  return selector.length > 0 && selector.every(([k, v]) => labels[k] === v);
}

/** The groups each Service (by name) routes to under a plan. */
export function serviceRoutes(rollout: Rollout, plan: TrafficPlan, services: Service[]): Map<string, RouteGroup[]> {
  const routes = new Map<string, RouteGroup[]>();
  const canary = rollout.spec.strategy.canary;
  const blueGreen = rollout.spec.strategy.blueGreen;
  for (const service of services) {
    const name = service.metadata.name;
    const named = name === canary?.canaryService || name === canary?.stableService || name === blueGreen?.activeService || name === blueGreen?.previewService;
    if (!named && !selectsRollout(service, rollout)) continue;
    if (plan.strategy === 'canary') {
      // With no canary running, Argo points the canary Service at the stable pods.
      if (name === canary?.canaryService) routes.set(name, [{ name: 'canary', weight: 100, revision: plan.canary ?? plan.stable }]);
      else if (name === canary?.stableService || plan.canary === undefined || plan.canaryWeight === 0) routes.set(name, [{ name: 'stable', weight: 100, revision: plan.stable }]);
      else {
        routes.set(name, [
          { name: 'stable', weight: 100 - plan.canaryWeight, revision: plan.stable },
          { name: 'canary', weight: plan.canaryWeight, revision: plan.canary },
        ].filter((g) => g.weight > 0));
      }
    } else if (name === blueGreen?.previewService) {
      routes.set(name, [{ name: 'preview', weight: 100, revision: plan.preview }]);
    } else {
      routes.set(name, [{ name: 'active', weight: 100, revision: plan.active }]);
    }
  }
  return routes;
}
