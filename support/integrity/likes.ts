// Likes, counted: readers like Newsfeed articles in the background, each
// request by a reader of its own, so every acknowledged like (200, liked) is
// one row that must be there afterwards: the reader's likes
// (GET /api/likes/:user) must name the article.
import type { LoadRequest, ResponseSample } from '../traffic/load.ts';
import { emptyCheck, readBack, type IntegrityCheck } from './ledger.ts';

export interface AcknowledgedLike {
  user: string;
  articleId: string;
  ackAt: number;
  version: string;
}

/** One like request per article, sent in turn; "{{i}}" makes every request's reader new. */
export const likeRequests = (runId: string, articleIds: string[]): LoadRequest[] =>
  articleIds.map((id) => ({
    method: 'POST',
    path: `/api/like/${encodeURIComponent(id)}`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: `ledger-${runId}-{{i}}` }),
  }));

export class LikeLedger {
  readonly entries: AcknowledgedLike[] = [];
  /** Answers that were not an acknowledgement (not counted as writes). */
  rejected = 0;

  observe(r: ResponseSample): void {
    if (r.status !== 200 || r.body === undefined) {
      this.rejected++;
      return;
    }
    const body = JSON.parse(r.body) as { articleId?: unknown; liked?: unknown };
    const user = (JSON.parse(r.request.body ?? '{}') as { user?: unknown }).user;
    if (body.liked !== true || typeof body.articleId !== 'string' || typeof user !== 'string') throw new Error(`Newsfeed acknowledged a like without saying which: ${r.body.slice(0, 200)}`);
    this.entries.push({ user, articleId: body.articleId, ackAt: r.scheduledAt + r.latencyMs, version: r.version });
  }

  /** Reads each reader's likes and looks for the article they were acknowledged for. */
  async verify(target: string, concurrency = 16): Promise<IntegrityCheck> {
    const check = emptyCheck('likes', this.entries.length);
    return readBack(
      target,
      check,
      this.entries,
      async (e, get) => {
        const res = await get(`/api/likes/${encodeURIComponent(e.user)}`);
        const key = `${e.user} → ${e.articleId}`;
        if (res.status !== 200) {
          check.missing.push({ key, expected: 'liked', found: `HTTP ${res.status}`, version: e.version });
          return;
        }
        const articles = (JSON.parse(res.body) as { articles: string[] }).articles;
        if (articles.includes(e.articleId)) check.intact++;
        else check.missing.push({ key, expected: 'liked', found: articles.length === 0 ? 'no likes' : `likes ${articles.join(', ')}`, version: e.version });
      },
      concurrency,
    );
  }
}
