// Chaos Mesh experiments on a Kubernetes cluster.
// - Where Chaos Mesh is installed (its CRDs are served), the experiment is
//   created as the resource it is, in the scenario's namespace, and Chaos
//   Mesh acts on it; deleting it at its duration or at teardown reverts it.
// - Where it is not, PodChaos runs through the Kubernetes API the way Chaos
//   Mesh does it: pod-kill deletes the pods (with the experiment's grace
//   period) and their controller makes new ones; pod-failure swaps each
//   container's image for the pause image for the duration (the kubelet
//   restarts the container as pause, its probes fail and the Service routes
//   around it), then swaps it back.
// - container-kill, NetworkChaos and StressChaos act on a node's runtime,
//   network namespaces and cgroups, which the API does not reach: they need
//   Chaos Mesh, and say so.
import * as k8s from '@kubernetes/client-node';
import type { KubeCluster } from '../platform/kubernetes/cluster.ts';
import { chaosTargets, trackInjection, type ChaosInjection, type ChaosPod } from './injection.ts';
import type { ChaosExperiment } from './model.ts';

export interface KubeChaosHost {
  readonly cluster: KubeCluster;
  readonly namespace: string;
  readonly timeScale: number;
  pods(): ChaosPod[];
  record(source: string, reason: string, message: string): void;
  log(line: string): void;
}

const CHAOS_MESH = { group: 'chaos-mesh.org', version: 'v1alpha1' };
const PLURALS: Record<ChaosExperiment['kind'], string> = { PodChaos: 'podchaos', NetworkChaos: 'networkchaos', StressChaos: 'stresschaos' };
const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);

/** What runs without Chaos Mesh, through the API. */
export function needsChaosMesh(experiment: ChaosExperiment): string | undefined {
  if (experiment.kind === 'PodChaos' && experiment.spec.action !== 'container-kill') return undefined;
  const what = experiment.kind === 'PodChaos' ? `PodChaos ${experiment.spec.action}` : experiment.kind;
  return `${what} (${experiment.metadata.name}) needs Chaos Mesh on the cluster: it acts on the node's container runtime, network or cgroups, which the Kubernetes API does not reach. Install Chaos Mesh, or run it on the local or docker profile. Without Chaos Mesh: PodChaos pod-kill and pod-failure.`;
}

export class KubernetesChaos {
  private readonly active = new Set<ChaosInjection>();
  private chaosMesh: Promise<boolean> | undefined;

  constructor(private readonly host: KubeChaosHost) {}

  /** Whether Chaos Mesh's CRD for this kind is served (asked once per kind set). */
  private hasChaosMesh(): Promise<boolean> {
    this.chaosMesh ??= this.host.cluster.config
      .makeApiClient(k8s.ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: `podchaos.${CHAOS_MESH.group}` })
      .then(
        () => true,
        () => false,
      );
    return this.chaosMesh;
  }

  async inject(experiment: ChaosExperiment, pick?: (n: number) => number): Promise<ChaosInjection> {
    const name = experiment.metadata.name;
    const chaosMesh = await this.hasChaosMesh();
    let targets: string[];
    let undo: () => Promise<void>;
    const action = experiment.kind === 'StressChaos' ? Object.keys(experiment.spec.stressors).join('+') : experiment.spec.action;
    if (chaosMesh) {
      // Chaos Mesh picks the pods itself; these are the ones its selector matches.
      targets = this.host.pods().filter((p) => Object.entries(experiment.spec.selector.labelSelectors).every(([k, v]) => p.labels[k] === v)).map((p) => p.name);
      undo = await this.createResource(experiment);
    } else {
      const missing = needsChaosMesh(experiment);
      if (missing !== undefined) throw new Error(missing);
      targets = chaosTargets(experiment, this.host.pods(), pick);
      undo = action === 'pod-kill' ? await this.deletePods(name, targets, experiment.kind === 'PodChaos' ? experiment.spec.gracePeriod : 0) : await this.pauseContainers(name, targets);
    }
    return trackInjection({ experiment, action, targets, undo, host: this.host, active: this.active });
  }

  /** The experiment as a Chaos Mesh resource in the namespace (its selector kept to it); deleting it reverts. */
  private async createResource(experiment: ChaosExperiment): Promise<() => Promise<void>> {
    const plural = PLURALS[experiment.kind];
    const name = experiment.metadata.name;
    const custom = this.host.cluster.custom;
    const body = { ...experiment, metadata: { name, namespace: this.host.namespace }, spec: { ...experiment.spec, selector: { ...experiment.spec.selector, namespaces: [this.host.namespace] } } };
    await this.host.cluster.call(`create ${experiment.kind} ${name}`, () => custom.createNamespacedCustomObject({ ...CHAOS_MESH, namespace: this.host.namespace, plural, body }));
    this.host.record(`chaos/${name}`, 'ChaosMesh', `${experiment.kind} created; Chaos Mesh injects it`);
    return async () => {
      await custom.deleteNamespacedCustomObject({ ...CHAOS_MESH, namespace: this.host.namespace, plural, name }).catch((err: Error) => this.host.log(`chaos ${name}: delete: ${err.message}`));
    };
  }

  private async deletePods(name: string, pods: string[], gracePeriodSeconds: number): Promise<() => Promise<void>> {
    for (const pod of pods) {
      await this.host.cluster.call(`delete pod ${pod}`, () => this.host.cluster.core.deleteNamespacedPod({ name: pod, namespace: this.host.namespace, gracePeriodSeconds }));
      this.host.record(pod, 'ChaosInjected', `${name}: pod-kill (deleted, grace period ${gracePeriodSeconds} s)`);
    }
    return async () => undefined;
  }

  /** pod-failure as Chaos Mesh does it: each container's image swapped for the pause image; the undo swaps them back. */
  private async pauseContainers(name: string, pods: string[]): Promise<() => Promise<void>> {
    const pause = await this.pauseImage();
    const swapped: { pod: string; containers: { name: string; image: string }[] }[] = [];
    for (const pod of pods) {
      const current = await this.host.cluster.call(`read pod ${pod}`, () => this.host.cluster.core.readNamespacedPod({ name: pod, namespace: this.host.namespace }));
      const containers = (current.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '' }));
      await this.setImages(pod, containers.map((c) => ({ name: c.name, image: pause })));
      swapped.push({ pod, containers });
      this.host.record(pod, 'ChaosInjected', `${name}: pod-failure (containers run ${pause})`);
    }
    return async () => {
      for (const { pod, containers } of swapped) {
        await this.setImages(pod, containers).catch((err: Error) => this.host.log(`chaos ${name}: ${pod} not restored (${err.message}); its controller replaces it when it is deleted`));
      }
    };
  }

  private async setImages(pod: string, containers: { name: string; image: string }[]): Promise<void> {
    await this.host.cluster.call(`patch pod ${pod}`, () => this.host.cluster.core.patchNamespacedPod({ name: pod, namespace: this.host.namespace, body: { spec: { containers } } }, MERGE));
  }

  /** CUTOVER_PAUSE_IMAGE, else the pause image a node already has (its sandbox image), else the upstream one. */
  private async pauseImage(): Promise<string> {
    if (process.env.CUTOVER_PAUSE_IMAGE) return process.env.CUTOVER_PAUSE_IMAGE;
    const nodes = await this.host.cluster.call('list nodes', () => this.host.cluster.core.listNode());
    const names = nodes.items.flatMap((n) => (n.status?.images ?? []).flatMap((i) => i.names ?? []));
    return names.find((n) => /\/pause:[^@]+$/.test(n)) ?? 'registry.k8s.io/pause:3.10';
  }

  /** Reverts everything still active (at teardown). */
  async close(): Promise<void> {
    for (const i of [...this.active].reverse()) await i.revert();
  }
}
