// What a chaos experiment did, for the timeline, the run summary and the
// revert at teardown; which pods it hits, and the lifecycle every platform's
// injector shares (instant kills end as injected, the others at their scaled
// duration or when reverted, once).
import { parseDuration } from '../manifests/duration.ts';
import { selectTargets, type ChaosExperiment } from './model.ts';

export interface ChaosInjection {
  experiment: string;
  kind: 'PodChaos' | 'NetworkChaos' | 'StressChaos';
  action: string;
  /** The pods it hit. */
  targets: string[];
  injectedAt: number;
  /** When it was reverted (its duration ran out, or it was removed); undefined while active. Instant actions (pod-kill) end as they are injected. */
  revertedAt?: number;
  /** Resolves with the revert time. */
  ended: Promise<number>;
  /** Undoes what can be undone, once (a killed pod is not brought back: its controller restarts it). */
  revert(): Promise<void>;
}

export interface ChaosPod {
  name: string;
  rollout: string;
  namespace: string;
  labels: Record<string, string>;
  /** The image its container runs. */
  image: string;
  ready: boolean;
  restarts: number;
}

/** The pods an experiment hits: those its selector matches, picked by its mode; an error naming what was there when none is. */
export function chaosTargets(experiment: ChaosExperiment, pods: ChaosPod[], pick?: (n: number) => number): string[] {
  const name = experiment.metadata.name;
  const { mode, value, selector } = experiment.spec;
  const matching = pods.filter(
    (p) => (selector.namespaces === undefined || selector.namespaces.includes(p.namespace)) && Object.entries(selector.labelSelectors).every(([k, v]) => p.labels[k] === v),
  );
  if (matching.length === 0) throw new Error(`chaos ${name}: no pod matches ${JSON.stringify(selector)} (pods: ${pods.map((p) => `${p.name} ${JSON.stringify(p.labels)}`).join(', ') || 'none'})`);
  const targets = selectTargets(mode, value, matching.map((p) => p.name), pick);
  if (targets.length === 0) throw new Error(`chaos ${name}: mode ${mode}${value ? ` ${value}` : ''} selects none of the ${matching.length} matching pod(s)`);
  return targets;
}

export interface InjectionSpec {
  experiment: ChaosExperiment;
  action: string;
  targets: string[];
  /** Undoes the fault (nothing for a kill). */
  undo: () => Promise<void>;
  /** The injector's platform: its time scale, events and log. */
  host: { readonly timeScale: number; record(source: string, reason: string, message: string): void; log(line: string): void };
  /** The injector's experiments still acting: this one is in it until it ends. */
  active: Set<ChaosInjection>;
}

/**
 * The injection of a fault already made: a kill (PodChaos other than
 * pod-failure) ends as it is injected; anything else is reverted at its
 * duration (scaled by the time scale) or when revert() is called, once.
 */
export async function trackInjection(spec: InjectionSpec): Promise<ChaosInjection> {
  const { experiment, action, targets, undo, host, active } = spec;
  const name = experiment.metadata.name;
  const injectedAt = Date.now();
  let endedAt: (t: number) => void = () => undefined;
  const ended = new Promise<number>((r) => (endedAt = r));
  let reverting: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const instant = experiment.kind === 'PodChaos' && action !== 'pod-failure';
  const injection: ChaosInjection = {
    experiment: name,
    kind: experiment.kind,
    action,
    targets,
    injectedAt,
    ended,
    revert: () =>
      (reverting ??= (async () => {
        clearTimeout(timer);
        await undo();
        // A kill acts for an instant: it ends as it is injected.
        injection.revertedAt = instant ? injectedAt : Date.now();
        active.delete(injection);
        if (!instant) {
          host.record(`chaos/${name}`, 'ChaosRecovered', `${action} reverted on ${targets.join(', ')}`);
          host.log(`chaos ${name}: ${action} reverted`);
        }
        endedAt(injection.revertedAt);
      })()),
  };
  const durationText = experiment.spec.duration;
  const durationMs = durationText === undefined ? undefined : (parseDuration(durationText) as number) * host.timeScale;
  const lasting = durationMs !== undefined && !instant ? ` for ${Math.round(durationMs)} ms` : '';
  host.record(`chaos/${name}`, 'ChaosInjected', `${experiment.kind} ${action} on ${targets.join(', ')}${lasting}`);
  host.log(`chaos ${name}: ${action} on ${targets.join(', ')}${lasting}`);
  active.add(injection);
  if (instant) await injection.revert();
  else if (durationMs !== undefined) timer = setTimeout(() => void injection.revert(), durationMs);
  return injection;
}
