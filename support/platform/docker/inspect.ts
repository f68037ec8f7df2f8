// The docker platform as Docker itself sees it: the containers behind pods,
// and what a run has left behind. For checks and diagnostics, not for driving.
import type { ChaosPod } from '../../chaos/injection.ts';
import { DockerEngine, type ContainerSummary, type DaemonInfo } from './engine.ts';
import { LABEL_OWNER_PID, LABEL_POD } from './runtime.ts';

export interface PodContainers {
  pod: string;
  image: string;
  containers: ContainerSummary[];
}

/** For each pod, the containers Docker holds for it (by the pod label). */
export async function containersOfPods(pods: ChaosPod[], engine = new DockerEngine()): Promise<PodContainers[]> {
  try {
    return await Promise.all(pods.map(async (p) => ({ pod: p.name, image: p.image, containers: await engine.containers(`${LABEL_POD}=${p.name}`) })));
  } finally {
    await engine.close();
  }
}

/** Containers and networks this process created and has not removed. */
export async function leftBehind(engine = new DockerEngine()): Promise<{ containers: string[]; networks: string[] }> {
  try {
    const label = `${LABEL_OWNER_PID}=${process.pid}`;
    return {
      containers: (await engine.containers(label)).map((c) => `${c.names[0] ?? c.id.slice(0, 12)} (${c.state})`),
      networks: (await engine.networks(label)).map((n) => n.name),
    };
  } finally {
    await engine.close();
  }
}

/** The daemon's status: it answers /_ping and /info, with the API version the client speaks. */
export async function daemonStatus(engine = new DockerEngine()): Promise<DaemonInfo & { apiVersion: string }> {
  try {
    await engine.ping();
    const [version, info] = await Promise.all([engine.version(), engine.info()]);
    return { ...info, apiVersion: version.ApiVersion };
  } finally {
    await engine.close();
  }
}
