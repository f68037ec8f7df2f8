// Durations as Kubernetes manifests write them: Go's "1h30m", "90s", "250ms",
// or a bare number of seconds (Argo's pause.duration accepts both).
import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(n) * (UNIT_MS[unit as string] as number);
  return total;
}

export const DURATION_FORMS = 'a duration such as 30s, 5m, 1h30m or 250ms (or a number of seconds)';

/** A duration field: kept as written, checked to parse. */
export const Duration = z
  .union([z.number(), z.string()])
  .refine((v) => parseDuration(v) !== undefined, { message: `expected ${DURATION_FORMS}` });

/**
 * CUTOVER_TIME_SCALE: every pause, interval, delay and deadline of the local
 * platform is multiplied by it (0.05 makes a 2-minute pause take 6 s).
 */
export function timeScaleFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.CUTOVER_TIME_SCALE;
  if (text === undefined || text.trim() === '') return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 10) {
    throw new Error(`CUTOVER_TIME_SCALE="${text}": expected a number greater than 0 and at most 10, e.g. 0.05 to run a 2-minute pause in 6 s`);
  }
  return scale;
}

/** A manifest duration in milliseconds at a time scale. */
export function scaledMs(value: string | number, scale: number): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new Error(`"${value}" is not ${DURATION_FORMS}`);
  return ms * scale;
}
