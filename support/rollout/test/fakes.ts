// Stand-ins for a platform and an analysis engine, for the controller's unit
// tests only: they record what the controller asked for, in order, so every
// state-machine transition can be checked without starting processes.
import { RolloutSchema, type Rollout } from '../model.ts';
import type { AnalysisLauncher, AnalysisRequest, AnalysisRunHandle, AnalysisRunPhase, RolloutWorkloads } from '../controller.ts';
import type { Revision } from '../revision.ts';
import type { TrafficPlan } from '../routing.ts';

export function rollout(strategy: Record<string, unknown>, over: Record<string, unknown> = {}): Rollout {
  return RolloutSchema.parse({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'app', labels: { team: 'sre' } },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'app' } },
      template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'app', image: 'cutover/demo:v1' }] } },
      strategy,
      ...over,
    },
  });
}

export class FakeWorkloads implements RolloutWorkloads {
  readonly log: string[] = [];
  readonly replicas = new Map<string, number>();
  /** Images whose scale-up never completes (to test the progress deadline). */
  readonly stuck = new Set<string>();
  plan: TrafficPlan | undefined;

  async scale(_rollout: Rollout, revision: Revision, replicas: number): Promise<void> {
    this.log.push(`scale ${revision.image} ${replicas}`);
    if (this.stuck.has(revision.image) && replicas > 0) return new Promise(() => {});
    await new Promise((r) => setTimeout(r, 2));
    this.replicas.set(revision.image, replicas);
  }

  async route(_rollout: Rollout, plan: TrafficPlan): Promise<void> {
    this.plan = plan;
    this.log.push(
      plan.strategy === 'canary'
        ? `route stable=${plan.stable.image}${plan.canary ? ` canary=${plan.canary.image} ${plan.canaryWeight}` : ''}`
        : `route active=${plan.active.image} preview=${plan.preview.image}`,
    );
  }

  /** Canary weights in the order they were routed. */
  weights(): number[] {
    return this.log.filter((l) => l.startsWith('route')).map((l) => Number(/ (\d+)$/.exec(l)?.[1] ?? 0));
  }
}

export class FakeRun implements AnalysisRunHandle {
  phase: AnalysisRunPhase = 'Running';
  message?: string;
  terminated = false;
  readonly done: Promise<AnalysisRunPhase>;
  private settle!: (p: AnalysisRunPhase) => void;

  constructor(readonly name: string, readonly request: AnalysisRequest) {
    this.done = new Promise((r) => {
      this.settle = r;
    });
  }

  finish(phase: AnalysisRunPhase, message?: string): void {
    if (this.phase !== 'Running') return;
    this.phase = phase;
    this.message = message;
    this.settle(phase);
  }

  terminate(): void {
    this.terminated = true;
    this.finish('Successful');
  }
}

/** Runs finish with the phase planned for their kind (after `delayMs`), or stay Running until finished by the test. */
export class FakeAnalysis implements AnalysisLauncher {
  readonly started: FakeRun[] = [];
  constructor(public outcomes: Partial<Record<AnalysisRequest['kind'], AnalysisRunPhase | 'hold'>> = {}, private readonly delayMs = 5) {}

  start(request: AnalysisRequest): AnalysisRunHandle {
    const run = new FakeRun(request.name, request);
    this.started.push(run);
    const outcome = this.outcomes[request.kind] ?? 'Successful';
    if (outcome !== 'hold') setTimeout(() => run.finish(outcome, outcome === 'Successful' ? undefined : `planned ${outcome}`), this.delayMs);
    return run;
  }
}
