// Rollout-testing fault knobs. Errors are spread evenly rather than drawn at
// random, so "a fraction of 0.5" means every second request over any window,
// which keeps analysis verdicts reproducible.
import type { FaultKnobs } from './config.ts';

export class FaultInjector {
  private owed = 0;

  constructor(readonly knobs: FaultKnobs) {}

  /** True when this request should be answered with a 500. */
  shouldFail(): boolean {
    if (this.knobs.errorRate <= 0) return false;
    this.owed += this.knobs.errorRate;
    if (this.owed >= 1 - 1e-9) {
      this.owed -= 1;
      return true;
    }
    return false;
  }

  async delay(): Promise<void> {
    if (this.knobs.latencyMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.knobs.latencyMs));
    }
  }
}
