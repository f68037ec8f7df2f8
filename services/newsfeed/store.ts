// Newsfeed storage: articles de-duplicated by guid (or link), likes per user
// with a denormalised count so ranking never aggregates the likes table.
import crypto from 'node:crypto';
import type { Db, Migration } from '../common/database.ts';

export const NEWSFEED_MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'articles and likes',
    sql: `
      CREATE TABLE articles (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        guid TEXT NOT NULL UNIQUE,
        link TEXT,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        source TEXT NOT NULL,
        published_at TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        like_count INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX articles_by_published ON articles (published_at DESC);
      CREATE TABLE likes (
        article_id TEXT NOT NULL REFERENCES articles (id),
        user_id TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (article_id, user_id)
      );
      CREATE INDEX likes_by_user ON likes (user_id);
    `,
  },
];

export interface FeedItem {
  guid: string;
  link: string | null;
  title: string;
  summary: string;
  source: string;
  publishedAt: string;
}

export interface Article extends FeedItem {
  seq: number;
  id: string;
  fetchedAt: string;
  likes: number;
}

/** How many of the newest articles a feed ranks. */
const CANDIDATES = 1000;

const COLUMNS = `seq, id, guid, link, title, summary, source, published_at AS publishedAt,
  fetched_at AS fetchedAt, like_count AS likes`;

/** A stable article id from its identity (guid, else link): the same item in two polls is one article. */
export const articleId = (guid: string) => crypto.createHash('sha256').update(guid).digest('base64url').slice(0, 16);

export class ArticleStore {
  private readonly insert;
  private readonly byId;
  private readonly insertLike;
  private readonly countUp;
  private readonly since;
  private readonly newest;
  private readonly dataVersion;
  private localWrites = 0;
  private candidates: { key: string; articles: Article[] } | undefined;

  constructor(readonly db: Db) {
    this.insert = db.prepare(`INSERT INTO articles (id, guid, link, title, summary, source, published_at, fetched_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM articles WHERE id = ?`);
    this.insertLike = db.prepare('INSERT INTO likes (article_id, user_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.countUp = db.prepare('UPDATE articles SET like_count = like_count + 1 WHERE id = ?');
    this.since = db.prepare(`SELECT ${COLUMNS} FROM articles WHERE seq > ? ORDER BY seq LIMIT 500`);
    this.newest = db.prepare(`SELECT ${COLUMNS} FROM articles ORDER BY published_at DESC LIMIT ?`);
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  /** Stores items not seen before; returns how many were new. */
  add(items: FeedItem[], now = new Date()): number {
    const run = this.db.transaction(() => {
      let added = 0;
      for (const item of items) {
        const result = this.insert.run(
          articleId(item.guid),
          item.guid,
          item.link,
          item.title,
          item.summary,
          item.source,
          item.publishedAt,
          now.toISOString(),
        );
        added += result.changes;
      }
      this.localWrites += added;
      return added;
    });
    return run.immediate();
  }

  /** Articles stored after sequence number `seq`, oldest first (for live pushes). */
  after(seq: number): Article[] {
    return this.since.all(seq) as Article[];
  }

  latestSeq(): number {
    return this.db.prepare('SELECT COALESCE(MAX(seq), 0) FROM articles').pluck().get() as number;
  }

  /**
   * The newest articles fetched no later than `asOf`: the candidates a feed
   * page ranks. Every feed request needs them, so they are kept in memory
   * until this process or another one (another version on the same database,
   * seen through PRAGMA data_version) writes.
   */
  recent(asOf: string): Article[] {
    const key = `${this.dataVersion.get() as number}:${this.localWrites}`;
    if (this.candidates?.key !== key) {
      this.candidates = { key, articles: this.newest.all(CANDIDATES) as Article[] };
    }
    return this.candidates.articles.filter((a) => a.fetchedAt <= asOf);
  }

  /** Idempotent per user: a second like by the same user changes nothing. */
  like(id: string, user: string, now = new Date()): { likes: number; changed: boolean } | undefined {
    const run = this.db.transaction(() => {
      if (this.byId.get(id) === undefined) return undefined;
      const changed = this.insertLike.run(id, user, now.toISOString()).changes === 1;
      if (changed) {
        this.countUp.run(id);
        this.localWrites++;
      }
      return { likes: (this.byId.get(id) as Article).likes, changed };
    });
    return run.immediate();
  }

  likedBy(user: string): { ids: Set<string>; sources: Map<string, number> } {
    const rows = this.db
      .prepare('SELECT l.article_id AS id, a.source AS source FROM likes l JOIN articles a ON a.id = l.article_id WHERE l.user_id = ?')
      .all(user) as { id: string; source: string }[];
    const sources = new Map<string, number>();
    for (const r of rows) sources.set(r.source, (sources.get(r.source) ?? 0) + 1);
    return { ids: new Set(rows.map((r) => r.id)), sources };
  }

  count(): number {
    return this.db.prepare('SELECT COUNT(*) FROM articles').pluck().get() as number;
  }
}
