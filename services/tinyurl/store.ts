// TinyURL storage: links, clicks, and the cache epoch that invalidates every
// cached mapping at once when a link is deleted.
import crypto from 'node:crypto';
import type { Db, Migration } from '../common/database.ts';

export const TINYURL_MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'links and clicks',
    sql: `
      CREATE TABLE links (
        code TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        manage_token_sha256 TEXT NOT NULL
      );
      CREATE TABLE clicks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        code TEXT NOT NULL,
        at TEXT NOT NULL,
        referrer TEXT
      );
      CREATE INDEX clicks_by_code ON clicks (code, at);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta (key, value) VALUES ('cache_epoch', '0');
    `,
  },
];

export interface Link {
  code: string;
  url: string;
  expiresAt: string | null;
}

export interface Analytics {
  code: string;
  clicks: number;
  lastClickAt: string | null;
  referrers: Record<string, number>;
  byDay: Record<string, number>;
}

const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomCode(length = 7): string {
  const bytes = crypto.randomBytes(length);
  let code = '';
  // 62 does not divide 256; the bias (under 1%) does not matter for short codes.
  for (const b of bytes) code += CODE_ALPHABET[b % CODE_ALPHABET.length];
  return code;
}

export const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

export class LinkStore {
  private readonly insertLink;
  private readonly selectLink;
  private readonly insertClick;
  private readonly selectEpoch;
  private readonly bumpEpoch;
  private readonly deleteLinkStmt;
  private readonly selectToken;

  constructor(readonly db: Db) {
    this.insertLink = db.prepare(
      'INSERT INTO links (code, url, created_at, expires_at, manage_token_sha256) VALUES (?, ?, ?, ?, ?)',
    );
    this.selectLink = db.prepare('SELECT code, url, expires_at AS expiresAt FROM links WHERE code = ?');
    this.insertClick = db.prepare('INSERT INTO clicks (code, at, referrer) VALUES (?, ?, ?)');
    this.selectEpoch = db.prepare("SELECT value FROM meta WHERE key = 'cache_epoch'").pluck();
    this.bumpEpoch = db.prepare(
      "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'cache_epoch'",
    );
    this.deleteLinkStmt = db.prepare('DELETE FROM links WHERE code = ?');
    this.selectToken = db.prepare('SELECT manage_token_sha256 FROM links WHERE code = ?').pluck();
  }

  /** Inserts a link; returns false when the code is taken. */
  create(link: Link, manageToken: string, now = new Date()): boolean {
    try {
      this.insertLink.run(link.code, link.url, now.toISOString(), link.expiresAt, sha256(manageToken));
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw err;
    }
  }

  find(code: string): Link | undefined {
    return this.selectLink.get(code) as Link | undefined;
  }

  recordClick(code: string, referrer: string | null, now = new Date()): void {
    this.insertClick.run(code, now.toISOString(), referrer);
  }

  cacheEpoch(): string {
    return this.selectEpoch.get() as string;
  }

  /** Deletes a link if the token matches: 'deleted', 'forbidden' or 'missing'. */
  delete(code: string, manageToken: string): 'deleted' | 'forbidden' | 'missing' {
    const run = this.db.transaction(() => {
      const stored = this.selectToken.get(code) as string | undefined;
      if (stored === undefined) return 'missing' as const;
      const given = Buffer.from(sha256(manageToken), 'hex');
      if (!crypto.timingSafeEqual(given, Buffer.from(stored, 'hex'))) return 'forbidden' as const;
      this.deleteLinkStmt.run(code);
      // Every cached mapping becomes unreachable, even if Redis cannot be told.
      this.bumpEpoch.run();
      return 'deleted' as const;
    });
    return run.immediate();
  }

  analytics(code: string): Analytics {
    const total = this.db
      .prepare('SELECT COUNT(*) AS clicks, MAX(at) AS lastClickAt FROM clicks WHERE code = ?')
      .get(code) as { clicks: number; lastClickAt: string | null };
    const referrers: Record<string, number> = {};
    for (const row of this.db
      .prepare(
        "SELECT COALESCE(referrer, 'direct') AS referrer, COUNT(*) AS n FROM clicks WHERE code = ? GROUP BY 1 ORDER BY 2 DESC",
      )
      .all(code) as { referrer: string; n: number }[]) {
      referrers[row.referrer] = row.n;
    }
    const byDay: Record<string, number> = {};
    for (const row of this.db
      .prepare('SELECT substr(at, 1, 10) AS day, COUNT(*) AS n FROM clicks WHERE code = ? GROUP BY 1 ORDER BY 1')
      .all(code) as { day: string; n: number }[]) {
      byDay[row.day] = row.n;
    }
    return { code, clicks: total.clicks, lastClickAt: total.lastClickAt, referrers, byDay };
  }
}
