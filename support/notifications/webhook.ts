// Notifications of rollout events to webhooks (a chat channel, an incident
// tool, a release dashboard), named by Argo Rollouts' notification triggers
// (on-rollout-completed, on-rollout-aborted, on-analysis-run-failed...).
// Each webhook gets its events in order, one at a time; a failed delivery is
// tried again with exponential backoff (0.5 s, 1 s, 2 s by default), then
// given up and said; every send is bounded in time, and so is the queue, so
// a dead receiver never holds a rollout back or grows memory.
import { z } from 'zod';
import type { RolloutEvent, RolloutStatus } from '../rollout/controller.ts';

/** Argo Rollouts' trigger names, by the controller's event reasons. */
export const TRIGGERS: Record<string, string> = {
  RolloutUpdated: 'on-rollout-updated',
  RolloutStepCompleted: 'on-rollout-step-completed',
  RolloutPaused: 'on-rollout-paused',
  RolloutCompleted: 'on-rollout-completed',
  RolloutAborted: 'on-rollout-aborted',
  ScalingReplicaSet: 'on-scaling-replica-set',
  AnalysisRunRunning: 'on-analysis-run-running',
  AnalysisRunFailed: 'on-analysis-run-failed',
  AnalysisRunError: 'on-analysis-run-error',
};

const DEFAULT_TRIGGERS = ['on-rollout-completed', 'on-rollout-aborted', 'on-analysis-run-failed', 'on-analysis-run-error'];

/** One webhook in cutover.config.yaml's `notifications.webhooks`. */
export const WebhookSchema = z
  .object({
    url: z.string().url('expected the URL to POST to, e.g. https://hooks.example.com/release'),
    triggers: z
      .array(z.enum(Object.values(TRIGGERS) as [string, ...string[]], { message: `expected one of ${Object.values(TRIGGERS).join(', ')}` }))
      .min(1)
      .default(DEFAULT_TRIGGERS),
    headers: z.record(z.string(), z.string()).default({}),
    /** Only these rollouts (default: every one). */
    rollouts: z.array(z.string()).optional(),
  })
  .strict();

export type Webhook = z.infer<typeof WebhookSchema>;

export interface Notification {
  trigger: string;
  rollout: string;
  reason: string;
  message: string;
  at: string;
  status: Pick<RolloutStatus, 'phase' | 'message' | 'revision' | 'currentImage' | 'stableImage' | 'canaryWeight' | 'abort'>;
}

export interface NotifierOptions {
  log?: (line: string) => void;
  timeoutMs?: number;
  /** Tries per notification, the first included. */
  attempts?: number;
  /** Wait before the second try; doubled for each after it. */
  backoffMs?: number;
  /** Notifications waiting per webhook before the oldest are dropped (and said). */
  maxQueue?: number;
}

interface Delivery {
  webhook: Webhook;
  chain: Promise<void>;
  queued: number;
  delivered: number;
  failed: number;
  dropped: number;
}

export class WebhookNotifier {
  private readonly deliveries: Delivery[];
  private closed = false;

  constructor(webhooks: Webhook[], private readonly options: NotifierOptions = {}) {
    this.deliveries = webhooks.map((webhook) => ({ webhook, chain: Promise.resolve(), queued: 0, delivered: 0, failed: 0, dropped: 0 }));
  }

  /** Per webhook: delivered, given up after every try, dropped because the queue was full. */
  stats(): { url: string; delivered: number; failed: number; dropped: number; queued: number }[] {
    return this.deliveries.map((d) => ({ url: d.webhook.url, delivered: d.delivered, failed: d.failed, dropped: d.dropped, queued: d.queued }));
  }

  /** A rollout's event: sent to every webhook subscribed to its trigger. */
  rolloutEvent(rollout: string, event: RolloutEvent, status: RolloutStatus): void {
    const trigger = TRIGGERS[event.reason];
    if (trigger === undefined || this.closed) return;
    const notification: Notification = {
      trigger,
      rollout,
      reason: event.reason,
      message: event.message,
      at: event.at,
      status: { phase: status.phase, message: status.message, revision: status.revision, currentImage: status.currentImage, stableImage: status.stableImage, abort: status.abort, ...(status.canaryWeight !== undefined ? { canaryWeight: status.canaryWeight } : {}) },
    };
    for (const d of this.deliveries) {
      if (!d.webhook.triggers.includes(trigger) || (d.webhook.rollouts && !d.webhook.rollouts.includes(rollout))) continue;
      if (d.queued >= (this.options.maxQueue ?? 100)) {
        d.dropped++;
        this.options.log?.(`notification ${trigger} for ${rollout} dropped: ${d.queued} are still waiting for ${d.webhook.url}`);
        continue;
      }
      d.queued++;
      d.chain = d.chain.then(() => this.deliver(d, notification)).finally(() => d.queued--);
    }
  }

  private async deliver(d: Delivery, n: Notification): Promise<void> {
    const attempts = this.options.attempts ?? 4;
    let wait = this.options.backoffMs ?? 500;
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await fetch(d.webhook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'cutover-notifications', ...d.webhook.headers },
          body: JSON.stringify(n),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        await res.arrayBuffer();
        if (res.ok) {
          d.delivered++;
          return;
        }
        last = `HTTP ${res.status}`;
        // A client error will not get better by asking again.
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        last = e.name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs ?? 5000} ms` : (e.cause?.code ?? e.message);
      }
      if (attempt < attempts) {
        await new Promise((r) => setTimeout(r, wait));
        wait *= 2;
      }
    }
    d.failed++;
    this.options.log?.(`notification ${n.trigger} for ${n.rollout} not delivered to ${d.webhook.url}: ${last}`);
  }

  /** Lets what is queued go out, for at most `timeoutMs`; nothing is sent after. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.deliveries.map((d) => d.chain)), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}
