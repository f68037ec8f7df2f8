// cutover's router in front of a namespace's Services, in the part an ingress
// controller (or a service mesh) plays for Argo Rollouts on a cluster: the
// Service a Rollout's pods are reached by is split between its stableService
// and canaryService by the canary weight of the current step, exactly (smooth
// weighted round-robin), instead of by replica counts; the router's metrics are
// the client-side latency the service-latency analysis reads.
//
// Each group's backend is a Service's NodePort, and the router opens a new
// connection per request: kube-proxy picks a pod per connection, so a kept
// connection would stay on its pod through a blue-green switch or an abort.
import type * as k8s from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { ServiceRouter, type BackendGroup, type RouterStats } from '../../traffic/router.ts';
import type { RolloutStatus } from '../../rollout/controller.ts';
import { parseImageRef } from '../local/catalog.ts';
import { HASH_LABEL, type ArgoRollout } from './status.ts';

export interface IngressGroup {
  /** stable, canary, active, preview, or service for a Service no Rollout uses. */
  name: string;
  weight: number;
  /** The Service whose NodePort receives this group's requests. */
  target: string;
  /** The image tag it serves, for metrics ("mixed" when its pods run several). */
  version: string;
}

/** An image's tag, as the local platform reads it; "unknown" before a ReplicaSet has one (or for what is not an image reference). */
export function tagOf(image: string): string {
  try {
    return image === '' ? 'unknown' : parseImageRef(image).tag;
  } catch {
    return 'unknown';
  }
}

/** The Service an Ingress sends requests to: its first rule's first path, else its default backend. */
export function ingressBackend(ingress: k8s.V1Ingress): string | undefined {
  return ingress.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name ?? ingress.spec?.defaultBackend?.service?.name;
}

/** A Service selects a Rollout's pods when every selector label but the pod-template hash is on the pod template. */
export function selectsRollout(service: k8s.V1Service, rollout: ArgoRollout): boolean {
  const selector = Object.entries(service.spec?.selector ?? {}).filter(([k]) => k !== HASH_LABEL);
  const labels = rollout.spec.template.metadata?.labels ?? {};
  return selector.length > 0 && selector.every(([k, v]) => labels[k] === v);
}

/**
 * The groups each Service routes to, as Argo arranges it with a traffic router:
 * a canary's pods are split between stable and canary by the current weight
 * (all on stable before the first step, after an abort, and while no canary pod
 * is ready); a blue-green active Service reaches the active pods, the preview
 * Service the preview ones.
 *
 * `endpoints(service)` gives the pod-template hash of each ready endpoint of a
 * Service, as the EndpointSlices have them: what kube-proxy programs, which
 * follows a selector Argo moves a moment later. Pods of one hash are reached
 * through a Rollout Service whose endpoints are only those pods: once the
 * canary is stable, traffic goes on through the canary Service, which has
 * reached those pods all along, and a promoted preview is reached through the
 * preview Service, so a switch or an abort never passes through endpoints that
 * still lead to the pods of before.
 *
 * `settledSince(service)` gives when a Service's endpoints last changed: of the
 * Services that lead only to a hash, the one settled longest is taken, since
 * kube-proxy follows an endpoint change a moment later (after an abort the
 * stable Service, which never moved, rather than the canary Service Argo has
 * just pointed back at the stable pods).
 */
export function ingressRoutes(
  services: k8s.V1Service[],
  rollouts: { rollout: ArgoRollout; status: RolloutStatus }[],
  endpoints: (service: string) => string[],
  settledSince: (service: string) => number = () => 0,
): Map<string, IngressGroup[]> {
  /** Whether a Service's endpoints are pods of this hash and nothing else (at least one). */
  const leadsOnlyTo = (service: string | undefined, hash: string | undefined) => {
    const hashes = service === undefined ? [] : endpoints(service);
    return hash !== undefined && hash !== '' && hashes.length > 0 && hashes.every((h) => h === hash);
  };
  /** Of these Services, the one settled longest among those that lead only to the hash (in this order on a tie), else the fallback. */
  const reach = (hash: string | undefined, prefer: (string | undefined)[], fallback: string) =>
    prefer.filter((s): s is string => leadsOnlyTo(s, hash)).sort((a, b) => settledSince(a) - settledSince(b))[0] ?? fallback;
  const routes = new Map<string, IngressGroup[]>();
  for (const service of services) {
    const name = service.metadata?.name ?? '';
    const own = rollouts.find(({ rollout }) => {
      const { canary, blueGreen } = rollout.spec.strategy;
      return [canary?.canaryService, canary?.stableService, blueGreen?.activeService, blueGreen?.previewService].includes(name) || selectsRollout(service, rollout);
    });
    if (own === undefined) {
      routes.set(name, [{ name: 'service', weight: 100, target: name, version: 'unknown' }]);
      continue;
    }
    const { rollout, status } = own;
    const { canary, blueGreen } = rollout.spec.strategy;
    const imageOf = (hash: string | undefined, otherwise: string) => tagOf(status.replicaSets.find((rs) => rs.hash === hash)?.image ?? otherwise);
    if (blueGreen !== undefined) {
      if (name === blueGreen.previewService) {
        routes.set(name, [{ name: 'preview', weight: 100, target: name, version: imageOf(status.previewSelector, status.currentImage) }]);
      } else {
        const target = reach(status.activeSelector, [blueGreen.previewService, blueGreen.activeService], name);
        routes.set(name, [{ name: 'active', weight: 100, target, version: imageOf(status.activeSelector, status.stableImage) }]);
      }
      continue;
    }
    const named = [canary?.canaryService, canary?.stableService];
    const inProgress = status.currentPodHash !== status.stableRS;
    const stable = { name: 'stable', target: reach(status.stableRS, named, canary?.stableService ?? name), version: tagOf(status.stableImage) };
    const current = { name: 'canary', target: reach(status.currentPodHash, named, canary?.canaryService ?? name), version: tagOf(status.currentImage) };
    if (name === canary?.canaryService) {
      routes.set(name, [{ ...(inProgress ? current : { ...stable, name: 'canary' }), weight: 100 }]);
    } else if (name === canary?.stableService) {
      routes.set(name, [{ ...stable, weight: 100 }]);
    } else if (canary?.canaryService === undefined || canary.stableService === undefined) {
      // No Services to split between: kube-proxy spreads by replica count, as Argo's basic canary intends.
      routes.set(name, [{ name: 'stable', weight: 100, target: name, version: inProgress ? 'mixed' : tagOf(status.stableImage) }]);
    } else {
      // The canary's share goes to it only once a Service reaches nothing but canary pods.
      const weight = inProgress && !status.abort && current.target !== stable.target && leadsOnlyTo(current.target, status.currentPodHash) ? (status.canaryWeight ?? 0) : 0;
      routes.set(name, [{ ...stable, weight: 100 - weight }, { ...current, weight }].filter((g) => g.weight > 0));
    }
  }
  return routes;
}

/** One router per Service, each group sent to a Service's NodePort. */
export class ServiceIngress {
  private readonly routers = new Map<string, ServiceRouter>();
  private readonly applied = new Map<string, string>();

  constructor(
    private readonly registry: Registry,
    private readonly onError: (service: string, err: Error) => void,
  ) {}

  /** The router of a Service, started on a free loopback port the first time. */
  async open(service: string): Promise<string> {
    let router = this.routers.get(service);
    if (router === undefined) {
      router = new ServiceRouter({ service, registry: this.registry, drainTimeoutMs: 10_000, upstreamKeepAlive: false, retries: 4, connectTimeoutMs: 1000 });
      this.routers.set(service, router);
      await router.listen();
    }
    return router.url;
  }

  url(service: string): string | undefined {
    return this.routers.get(service)?.url;
  }

  /** Sets each open router's groups (only where they changed); `nodePortUrl` gives a Service's NodePort URL. */
  update(routes: Map<string, IngressGroup[]>, nodePortUrl: (service: string) => string | undefined): void {
    for (const [service, router] of this.routers) {
      const groups: BackendGroup[] = [];
      for (const g of routes.get(service) ?? []) {
        const url = nodePortUrl(g.target);
        if (url === undefined) continue;
        groups.push({ name: g.name, weight: g.weight, backends: [{ id: `${g.target}@${g.version}`, url, version: g.version }] });
      }
      const key = JSON.stringify(groups);
      if (this.applied.get(service) === key) continue;
      this.applied.set(service, key);
      router.setGroups(groups).catch((err: Error) => this.onError(service, err));
    }
  }

  stats(): RouterStats[] {
    return [...this.routers.values()].map((r) => r.stats());
  }

  async close(): Promise<void> {
    await Promise.all([...this.routers.values()].map((r) => r.close()));
  }
}
