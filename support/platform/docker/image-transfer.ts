// Progress of an image pull or push, layer by layer, from Docker's stream of
// JSON messages: a line for the operator about once a second (layers done,
// bytes moved), and a report of every layer's last status for the evidence.
import type { TransferMessage } from './engine.ts';

export type Direction = 'pull' | 'push';

export interface LayerProgress {
  id: string;
  status: string;
  current: number;
  total: number;
}

export interface TransferReport {
  image: string;
  direction: Direction;
  startedAt: number;
  ms: number;
  layers: LayerProgress[];
  /** Layers moved over the wire (not already there). */
  transferred: number;
  /** Bytes of the layers moved, as Docker counted them. */
  bytes: number;
  digest: string | undefined;
  /** Docker's closing lines ("Digest: …", "Status: Downloaded newer image for …"). */
  statuses: string[];
}

const DONE: Record<Direction, RegExp> = {
  pull: /^(Pull complete|Already exists)$/,
  push: /^(Pushed|Layer already exists|Mounted from .*)$/,
};
const MOVED: Record<Direction, RegExp> = { pull: /^Pull complete$/, push: /^Pushed$/ };
const MOVING: Record<Direction, RegExp> = { pull: /^Downloading$/, push: /^Pushing$/ };

/** Splits "host:port/repo/name:tag" into the repository and the tag (default "latest"). */
export function splitImage(image: string): { repo: string; tag: string } {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? { repo: image.slice(0, colon), tag: image.slice(colon + 1) } : { repo: image, tag: 'latest' };
}

/** Whether an image name starts with a registry host (a first part with a dot or a port, or localhost), as Docker reads it. */
export function namesRegistry(image: string): boolean {
  const slash = image.indexOf('/');
  if (slash < 0) return false;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;

export class TransferProgress {
  private readonly layers = new Map<string, LayerProgress>();
  private readonly statuses: string[] = [];
  private readonly startedAt = Date.now();
  private lastLog = 0;
  private digest: string | undefined;

  constructor(
    readonly image: string,
    readonly direction: Direction,
    private readonly log?: (line: string) => void,
    private readonly everyMs = 1000,
  ) {}

  add(m: TransferMessage): void {
    if (m.aux?.Digest) this.digest = m.aux.Digest;
    const status = m.status ?? '';
    const digest = /^Digest: (sha256:[0-9a-f]{64})/.exec(status)?.[1];
    if (digest) this.digest = digest;
    // Per-layer messages carry the layer's short id; the others (the tag, the summary) do not name a layer.
    if (m.id !== undefined && /^[0-9a-f]{12}$/.test(m.id)) {
      const layer = this.layers.get(m.id) ?? { id: m.id, status, current: 0, total: 0 };
      layer.status = status;
      if (MOVING[this.direction].test(status)) {
        layer.current = m.progressDetail?.current ?? layer.current;
        layer.total = Math.max(layer.total, m.progressDetail?.total ?? 0);
      }
      if (MOVED[this.direction].test(status) && layer.total > 0) layer.current = layer.total;
      this.layers.set(m.id, layer);
    } else if (status !== '') {
      this.statuses.push(m.id ? `${m.id}: ${status}` : status);
    }
    const now = Date.now();
    if (now - this.lastLog >= this.everyMs) {
      this.lastLog = now;
      this.log?.(this.summary());
    }
  }

  /** "pulling X: 3 of 7 layers done, 12.5 of 40.2 MB". */
  summary(): string {
    const all = [...this.layers.values()];
    const verb = this.direction === 'pull' ? 'pulling' : 'pushing';
    // Docker names no layer when it holds them all already: its own last word says what happened.
    if (all.length === 0) return `${verb} ${this.image}${this.statuses.length > 0 ? `: ${this.statuses.at(-1)}` : ''}`;
    const done = all.filter((l) => DONE[this.direction].test(l.status)).length;
    const total = all.reduce((n, l) => n + l.total, 0);
    const current = all.reduce((n, l) => n + l.current, 0);
    return `${verb} ${this.image}: ${done} of ${all.length} layers done${total > 0 ? `, ${mb(current)} of ${mb(total)}` : ''}`;
  }

  finish(): TransferReport {
    const layers = [...this.layers.values()];
    const moved = layers.filter((l) => MOVED[this.direction].test(l.status));
    this.log?.(`${this.summary()} in ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s${this.digest ? ` (${this.digest.slice(0, 19)}…)` : ''}`);
    return {
      image: this.image,
      direction: this.direction,
      startedAt: this.startedAt,
      ms: Date.now() - this.startedAt,
      layers,
      transferred: moved.length,
      bytes: moved.reduce((n, l) => n + l.total, 0),
      digest: this.digest,
      statuses: this.statuses,
    };
  }
}
