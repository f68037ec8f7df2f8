// Feed ranking: recency, popularity and the reader's own taste, as one score.
import type { Article } from './store.ts';

export interface Taste {
  ids: Set<string>;
  /** Likes the reader gave per source. */
  sources: Map<string, number>;
}

export const HALF_LIFE_HOURS = 24;

export function score(article: Article, taste: Taste, asOfMs: number): number {
  const ageHours = Math.max(0, (asOfMs - Date.parse(article.publishedAt)) / 3_600_000);
  const recency = Math.pow(0.5, ageHours / HALF_LIFE_HOURS);
  const popularity = 0.25 * Math.log1p(article.likes);
  const affinity = 0.5 * Math.min(1, (taste.sources.get(article.source) ?? 0) / 3);
  // Round so that scores compare exactly in a cursor across pages.
  return Math.round((recency + popularity + affinity) * 1e9) / 1e9;
}

export interface Ranked {
  article: Article;
  score: number;
}

/** Highest score first; ties broken by id (unique) so the order is total and cursors are exact. */
export function rank(articles: Article[], taste: Taste, asOfMs: number): Ranked[] {
  return articles
    .map((article) => ({ article, score: score(article, taste, asOfMs) }))
    .sort((a, b) => b.score - a.score || (a.article.id < b.article.id ? -1 : 1));
}

export interface Cursor {
  asOf: string;
  score: number;
  id: string;
}

export const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

export function decodeCursor(raw: string): Cursor | undefined {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof c.asOf === 'string' && !Number.isNaN(Date.parse(c.asOf)) && typeof c.score === 'number' && typeof c.id === 'string') {
      return { asOf: c.asOf, score: c.score, id: c.id };
    }
  } catch {
    // fall through: not a cursor this service issued
  }
  return undefined;
}

/** The items strictly after the cursor position in ranked order. */
export function after(ranked: Ranked[], cursor: Cursor | undefined): Ranked[] {
  if (cursor === undefined) return ranked;
  return ranked.filter((r) => r.score < cursor.score || (r.score === cursor.score && r.article.id > cursor.id));
}
