// Feed sources: RSS or Atom documents read from URLs or files, parsed with
// rss-parser and turned into de-duplicated items.
import fs from 'node:fs/promises';
import Parser from 'rss-parser';
import type { FeedItem } from './store.ts';

export interface SourceStatus {
  source: string;
  lastPollAt: string | null;
  lastError: string | null;
  items: number;
}

const parser = new Parser({ timeout: 10_000 });

export const isUrl = (source: string) => /^https?:\/\//i.test(source);

export async function readSource(source: string, timeoutMs = 10_000): Promise<string> {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- sources come from the operator's NEWSFEED_SOURCES setting, never from a request
  if (!isUrl(source)) return fs.readFile(source, 'utf8');
  const response = await fetch(source, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1' },
  });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${source}`);
  return response.text();
}

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

export async function parseFeed(xml: string, source: string, now = new Date()): Promise<FeedItem[]> {
  const feed = await parser.parseString(xml);
  const items: FeedItem[] = [];
  for (const entry of feed.items) {
    const link = text(entry.link) || null;
    const guid = text(entry.guid) || text((entry as { id?: unknown }).id) || link;
    const title = text(entry.title);
    // An item with neither identity nor title cannot be shown or de-duplicated.
    if (guid === null || guid === '' || title === '') continue;
    const published = Date.parse(text(entry.isoDate) || text(entry.pubDate));
    items.push({
      guid,
      link,
      title: title.slice(0, 500),
      summary: text(entry.contentSnippet ?? entry.summary ?? entry.content).slice(0, 2000),
      source: text(feed.title) || source,
      publishedAt: new Date(Number.isNaN(published) ? now.getTime() : published).toISOString(),
    });
  }
  return items;
}

/** Polls every source on an interval; one failing source never stops the others. */
export class FeedPoller {
  readonly status = new Map<string, SourceStatus>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    readonly sources: string[],
    private readonly store: (items: FeedItem[]) => void,
    readonly intervalMs: number,
  ) {
    for (const source of sources) this.status.set(source, { source, lastPollAt: null, lastError: null, items: 0 });
  }

  /** One pass over every source; concurrent callers share the pass in progress. */
  pollOnce(): Promise<void> {
    this.running ??= (async () => {
      await Promise.all(this.sources.map((s) => this.pollSource(s)));
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pollSource(source: string): Promise<void> {
    const status = this.status.get(source) as SourceStatus;
    try {
      const items = await parseFeed(await readSource(source), source);
      this.store(items);
      status.items = items.length;
      status.lastError = null;
    } catch (err) {
      // fs, fetch and the parser all throw Errors.
      status.lastError = (err as Error).message;
    }
    status.lastPollAt = new Date().toISOString();
  }

  start(): void {
    void this.pollOnce();
    this.timer = setInterval(() => void this.pollOnce(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
