// Named windows of a scenario, resolved from what really happened: the moment
// the update was started (a mark the scenario sets), the rollout's own events
// (RolloutCompleted, RolloutAborted, SwitchService), and the marks of a cut-over
// cutover made itself (an Ingress re-pointed: CutOver, RolledBack).
import type { TimeWindow } from '../traffic/recording.ts';

export const WINDOW_PHRASES = ['during the whole scenario', 'during the rollout', 'before the rollout', 'after the switch', 'after the abort', 'after the rollout', 'before the cut-over', 'after the cut-over', 'after the rollback'] as const;
export type WindowPhrase = (typeof WINDOW_PHRASES)[number];

export interface ScenarioTimeline {
  /** When the scenario's traffic could first have started (epoch ms). */
  startedAt: number;
  now: number;
  /** When the update under test was started (set image / apply of a new template), epoch ms. */
  rolloutStartedAt?: number;
  /** Events of the rollout under test. */
  events: { at: string; reason: string }[];
  /** Moments the scenario marked itself (CutOver, RolledBack), in order. */
  marks?: { at: string; reason: string }[];
}

export function parseWindowPhrase(text: string): WindowPhrase {
  const phrase = text.trim() as WindowPhrase;
  if (!WINDOW_PHRASES.includes(phrase)) throw new Error(`"${text}" is not a window: expected one of ${WINDOW_PHRASES.map((p) => `"${p}"`).join(', ')}`);
  return phrase;
}

const lastAfter = (timeline: ScenarioTimeline, reasons: string[], after: number) =>
  timeline.events
    .map((e) => ({ t: Date.parse(e.at), reason: e.reason }))
    .filter((e) => reasons.includes(e.reason) && e.t >= after)
    .at(-1)?.t;

const firstAfter = (timeline: ScenarioTimeline, reasons: string[], after: number) =>
  timeline.events.map((e) => ({ t: Date.parse(e.at), reason: e.reason })).find((e) => reasons.includes(e.reason) && e.t >= after)?.t;

export function resolveWindow(phrase: WindowPhrase, timeline: ScenarioTimeline): TimeWindow {
  const name = phrase.replace(/^during /, '');
  const started = timeline.rolloutStartedAt;
  const needStart = () => {
    if (started === undefined) throw new Error(`the window "${name}" needs an update to have been started in this scenario (set an image first)`);
    return started;
  };
  switch (phrase) {
    case 'during the whole scenario':
      return { name, from: timeline.startedAt, to: timeline.now };
    case 'before the rollout':
      return { name, from: timeline.startedAt, to: needStart() };
    case 'during the rollout': {
      // Until it last completed or aborted (a retried update ends at its completion).
      const from = needStart();
      const end = lastAfter(timeline, ['RolloutCompleted', 'RolloutAborted'], from);
      return { name, from, to: end ?? timeline.now };
    }
    case 'after the rollout': {
      const end = lastAfter(timeline, ['RolloutCompleted', 'RolloutAborted'], needStart());
      if (end === undefined) throw new Error('the window "after the rollout" starts when the rollout completes or aborts, and it has done neither');
      return { name, from: end, to: timeline.now };
    }
    case 'after the switch': {
      const at = firstAfter(timeline, ['SwitchService'], needStart());
      if (at === undefined) throw new Error('the window "after the switch" starts at the active Service switch, and none happened since the update started');
      return { name, from: at, to: timeline.now };
    }
    case 'before the cut-over':
    case 'after the cut-over':
    case 'after the rollback': {
      const reason = phrase === 'after the rollback' ? 'RolledBack' : 'CutOver';
      const marks = { ...timeline, events: timeline.marks ?? [] };
      const at = phrase === 'before the cut-over' ? firstAfter(marks, [reason], timeline.startedAt) : lastAfter(marks, [reason], timeline.startedAt);
      if (at === undefined) throw new Error(`the window "${name}" needs a ${phrase === 'after the rollback' ? 'rollback' : 'cut-over'} in this scenario, and none happened`);
      return phrase === 'before the cut-over' ? { name, from: timeline.startedAt, to: at } : { name, from: at, to: timeline.now };
    }
    case 'after the abort': {
      const at = firstAfter(timeline, ['RolloutAborted'], needStart());
      if (at === undefined) throw new Error('the window "after the abort" starts when the rollout aborts, and it has not aborted');
      return { name, from: at, to: timeline.now };
    }
  }
}
