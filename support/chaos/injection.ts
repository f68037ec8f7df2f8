// What a chaos experiment did, for the timeline, the run summary and the
// revert at teardown.
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
