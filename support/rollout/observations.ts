// What a rollout did, read from its events and from the traffic that crossed
// it: the canary weights it went through, how long the update and the
// rollback took, and when the last request reached a version other than
// stable after an abort (the rollback as a user saw it).
import type { TrafficSample } from '../traffic/recording.ts';
import type { RolloutEvent } from './controller.ts';

/** The canary weights set since a moment, in order (repeats removed). */
export function canaryWeights(events: RolloutEvent[], since: number): number[] {
  const weights: number[] = [];
  for (const e of events) {
    if (e.reason !== 'TrafficWeightUpdated' || Date.parse(e.at) < since) continue;
    const w = Number(e.data?.weight);
    if (weights[weights.length - 1] !== w) weights.push(w);
  }
  return weights;
}

export interface RolloutDurations {
  /** From the update's start to its last RolloutCompleted (undefined while not completed). */
  rolloutMs?: number;
  /** From RolloutAborted to TrafficRestored. */
  rollbackMs?: number;
  completed: boolean;
  aborted: boolean;
}

export function rolloutDurations(events: RolloutEvent[], since: number): RolloutDurations {
  const after = events.filter((e) => Date.parse(e.at) >= since);
  const at = (reason: string, from = since) => after.map((e) => ({ e, t: Date.parse(e.at) })).find(({ e, t }) => e.reason === reason && t >= from)?.t;
  // The last completion counts: an update that was aborted and retried completes at the end.
  const completedAt = after.filter((e) => e.reason === 'RolloutCompleted').map((e) => Date.parse(e.at)).at(-1);
  const abortedAt = at('RolloutAborted');
  const restoredAt = abortedAt !== undefined ? at('TrafficRestored', abortedAt) : undefined;
  return {
    ...(completedAt !== undefined ? { rolloutMs: completedAt - since } : {}),
    ...(abortedAt !== undefined && restoredAt !== undefined ? { rollbackMs: restoredAt - abortedAt } : {}),
    completed: completedAt !== undefined,
    aborted: abortedAt !== undefined,
  };
}

export interface TimeToVersion {
  /** The moment measured from (epoch ms). */
  from: number;
  /** The last request due after `from` that another version answered (or failed), if any. */
  lastOtherAt?: number;
  lastOtherVersion?: string;
  /** lastOtherAt - from, or 0 when no other version answered after `from`. */
  ms: number;
  /** Requests answered by the version after the last other answer: proof that traffic went on. */
  answeredAfter: number;
  /** Requests of any version after `from`. */
  requestsAfter: number;
}

/** How long after `from` requests still reached something other than `version`. */
export function timeUntilOnlyVersion(samples: TrafficSample[], from: number, version: string): TimeToVersion {
  const after = samples.filter((s) => s.at >= from).sort((a, b) => a.at - b.at);
  let last: TrafficSample | undefined;
  for (const s of after) if (s.version !== version) last = s;
  const answeredAfter = after.filter((s) => s.version === version && (last === undefined || s.at > last.at)).length;
  return {
    from,
    ...(last ? { lastOtherAt: last.at, lastOtherVersion: last.version || `no answer (${last.error ?? 'error'})` } : {}),
    ms: last ? Math.round(last.at - from) : 0,
    answeredAfter,
    requestsAfter: after.length,
  };
}

export interface EventDelay {
  /** When the first event matching `from` happened since the moment (epoch ms). */
  fromAt?: number;
  /** When the first event matching `to` happened after it. */
  toAt?: number;
  /** toAt - fromAt, when both happened. */
  ms?: number;
}

type EventMatch = (e: RolloutEvent) => boolean;

/** The time from one event to the next one of another kind, e.g. from the blue-green pause to the switch. */
export function delayBetween(events: RolloutEvent[], since: number, from: EventMatch, to: EventMatch): EventDelay {
  const timed = events.map((e) => ({ e, t: Date.parse(e.at) })).filter(({ t }) => t >= since);
  const fromAt = timed.find(({ e }) => from(e))?.t;
  if (fromAt === undefined) return {};
  const toAt = timed.find(({ e, t }) => t >= fromAt && to(e))?.t;
  return toAt === undefined ? { fromAt } : { fromAt, toAt, ms: toAt - fromAt };
}

export interface AnswerGap {
  /** The longest time between two consecutive successful answers (by completion time), ms. */
  ms: number;
  /** Completion of the answer before the gap and of the one after it (epoch ms). */
  from?: number;
  to?: number;
  successful: number;
}

/** How long users went without any successful answer: what "no downtime" means, measured. */
export function longestAnswerGap(samples: TrafficSample[]): AnswerGap {
  const done = samples
    .filter((s) => s.status >= 200 && s.status < 400)
    .map((s) => s.at + s.latencyMs)
    .sort((a, b) => a - b);
  let gap: AnswerGap = { ms: 0, successful: done.length };
  for (let i = 1; i < done.length; i++) {
    const ms = (done[i] as number) - (done[i - 1] as number);
    if (ms > gap.ms) gap = { ms: Math.round(ms * 10) / 10, from: done[i - 1] as number, to: done[i] as number, successful: done.length };
  }
  return gap;
}
