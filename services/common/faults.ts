// Rollout-testing fault knobs. Errors are spread evenly rather than drawn at
// random, so "a fraction of 0.5" means every second request over any window,
// which keeps analysis verdicts reproducible.
import type { FaultKnobs } from './config.ts';

/** An evenly spread share of events: 0.25 is every fourth one, exactly, over any whole window. */
export class EvenShare {
  private owed = 0;

  constructor(readonly share: number) {}

  next(): boolean {
    if (this.share <= 0) return false;
    this.owed += this.share;
    if (this.owed >= 1 - 1e-9) {
      this.owed -= 1;
      return true;
    }
    return false;
  }
}

export class FaultInjector {
  private readonly errors: EvenShare;

  constructor(readonly knobs: FaultKnobs) {
    this.errors = new EvenShare(knobs.errorRate);
  }

  /** True when this request should be answered with a 500. */
  shouldFail(): boolean {
    return this.errors.next();
  }

  async delay(): Promise<void> {
    if (this.knobs.latencyMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.knobs.latencyMs));
    }
  }
}
