// When the pods a chaos experiment hit were out of service, from the
// platform's events (a pod is down from the injection, or from Exited /
// Unready, until its next Ready, or on a cluster, where a killed pod is
// deleted, until a pod of its ReplicaSet replaced it: Replaced), and whether
// a rollout raised its canary weight during such an outage: Argo must not
// move more traffic to a ReplicaSet that is not fully available.

export interface PlatformEventLike {
  at: string;
  source: string;
  reason: string;
  message: string;
}

export interface Outage {
  pod: string;
  from: number;
  /** Undefined: still down at the end of the events. */
  to: number | undefined;
}

/** Outages of the given pods from `since` on; a pod hit at `since` is down from then until it is Ready again. */
export function podOutages(events: PlatformEventLike[], pods: string[], since: number): Outage[] {
  const out: Outage[] = [];
  for (const pod of pods) {
    let down: number | undefined = since;
    for (const e of events.filter((x) => x.source === pod && Date.parse(x.at) >= since).sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
      const at = Date.parse(e.at);
      if ((e.reason === 'Exited' || e.reason === 'Unready' || e.reason === 'OOMKilled') && down === undefined) down = at;
      if ((e.reason === 'Ready' || e.reason === 'Replaced') && down !== undefined) {
        out.push({ pod, from: down, to: at });
        down = undefined;
      }
    }
    if (down !== undefined) out.push({ pod, from: down, to: undefined });
  }
  return out;
}

/** Weight increases (TrafficWeightUpdated to a higher weight) that happened while one of the outages lasted. */
export function weightRaisesDuring(weights: { at: number; weight: number }[], outages: Outage[]): { at: number; from: number; to: number; pods: string[] }[] {
  const raises: { at: number; from: number; to: number; pods: string[] }[] = [];
  let previous: number | undefined;
  for (const w of [...weights].sort((a, b) => a.at - b.at)) {
    if (previous !== undefined && w.weight > previous) {
      const down = outages.filter((o) => o.from <= w.at && (o.to === undefined || o.to > w.at)).map((o) => o.pod);
      if (down.length > 0) raises.push({ at: w.at, from: previous, to: w.weight, pods: down });
    }
    previous = w.weight;
  }
  return raises;
}

/**
 * Whether a rollout is whole again after pods were hit: every pod of it ready,
 * and each hit pod restarted (a process or container restarted in place) or
 * replaced by a ready pod of its ReplicaSet (a deleted pod on a cluster).
 */
export function recoveredFromHit(pods: { name: string; ready: boolean; restarts: number }[], targets: string[], events: PlatformEventLike[], since: number): boolean {
  const replaced = new Set(events.filter((e) => e.reason === 'Replaced' && Date.parse(e.at) >= since).map((e) => e.source));
  return (
    pods.length > 0 &&
    pods.every((p) => p.ready) &&
    targets.every((t) => replaced.has(t) || pods.some((p) => p.name === t && p.restarts > 0))
  );
}
