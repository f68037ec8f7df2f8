// What a chaos experiment did, for the timeline and the revert at teardown.
export interface ChaosInjection {
  experiment: string;
  action: string;
  /** The pods it hit. */
  targets: string[];
  injectedAt: number;
  /** Undoes what can be undone (a killed pod is not brought back: its controller restarts it). */
  revert(): Promise<void>;
}

export interface ChaosPod {
  name: string;
  rollout: string;
  namespace: string;
  labels: Record<string, string>;
  ready: boolean;
  restarts: number;
}
