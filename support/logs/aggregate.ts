// Log aggregation: every line every pod writes, in one place, labelled with
// the pod, its rollout and image, and read as structured when it is a pino
// JSON line (level, message, and the request's trace id as reqId), as
// `kubectl logs -l app=<rollout>` plus a log store would give it.
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevel = keyof typeof LOG_LEVELS;

export interface LogEntry {
  at: string;
  pod: string;
  rollout: string;
  image: string;
  stream: string;
  line: string;
  /** For a structured line: its level, message and the trace id of the request it is about. */
  level?: LogLevel;
  message?: string;
  traceId?: string;
}

export interface LogQuery {
  rollout?: string;
  /** Epoch ms. */
  since?: number;
  /** At this level or above (structured lines only). */
  minLevel?: LogLevel;
  traceId?: string;
}

const LEVEL_BY_NUMBER = new Map<number, LogLevel>(Object.entries(LOG_LEVELS).map(([k, v]): [number, LogLevel] => [v, k as LogLevel]));

export function parseLevel(text: string): LogLevel {
  if (!(text in LOG_LEVELS)) throw new Error(`log level "${text}": expected one of ${Object.keys(LOG_LEVELS).join(', ')}`);
  return text as LogLevel;
}

/** The structured parts of a line: pino's JSON (numeric level, msg, reqId); nothing for plain text. */
export function parseLogLine(line: string): Pick<LogEntry, 'level' | 'message' | 'traceId'> {
  if (!line.startsWith('{')) return {};
  try {
    const json = JSON.parse(line) as { level?: unknown; msg?: unknown; reqId?: unknown };
    const level = typeof json.level === 'number' ? LEVEL_BY_NUMBER.get(json.level) : typeof json.level === 'string' && json.level in LOG_LEVELS ? (json.level as LogLevel) : undefined;
    return {
      ...(level !== undefined ? { level } : {}),
      ...(typeof json.msg === 'string' ? { message: json.msg } : {}),
      ...(typeof json.reqId === 'string' && /^[0-9a-f]{32}$/.test(json.reqId) ? { traceId: json.reqId } : {}),
    };
  } catch {
    return {};
  }
}

/** A bounded store of every pod's lines, oldest dropped first. */
export class LogAggregator {
  private readonly entries: LogEntry[] = [];
  dropped = 0;

  constructor(private readonly limit = 100_000) {}

  /** Stores a line and returns it as stored (with its structured parts). */
  add(entry: Omit<LogEntry, 'level' | 'message' | 'traceId'>): LogEntry {
    const stored = { ...entry, ...parseLogLine(entry.line) };
    this.entries.push(stored);
    if (this.entries.length > this.limit) {
      const over = this.entries.length - this.limit;
      this.entries.splice(0, over);
      this.dropped += over;
    }
    return stored;
  }

  query(q: LogQuery = {}): LogEntry[] {
    const min = q.minLevel === undefined ? undefined : LOG_LEVELS[q.minLevel];
    return this.entries.filter(
      (e) =>
        (q.rollout === undefined || e.rollout === q.rollout) &&
        (q.since === undefined || Date.parse(e.at) >= q.since) &&
        (min === undefined || (e.level !== undefined && LOG_LEVELS[e.level] >= min)) &&
        (q.traceId === undefined || e.traceId === q.traceId),
    );
  }
}

/** One line per entry, as an operator reads them: time, pod, image, then the line. */
export const formatLogEntry = (e: LogEntry) => `${e.at} ${e.pod} (${e.image}) ${e.stream}: ${e.line}`;
