// Optional Redis read-through cache for link lookups. Redis is an optimisation,
// never a source of truth: every failure or slow answer falls back to SQLite,
// and keys carry the store's cache epoch, so a deletion (which bumps the epoch
// in SQLite) makes every earlier entry unreachable even while Redis is down.
import { Redis } from 'ioredis';
import type { Link } from './store.ts';

export interface LinkCache {
  get(epoch: string, code: string): Promise<Link | undefined>;
  set(epoch: string, link: Link, now?: number): Promise<void>;
  close(): Promise<void>;
  stats(): CacheStats;
}

export interface CacheStats {
  hits: number;
  misses: number;
  errors: number;
}

export const CACHE_TTL_SECONDS = 300;

const key = (epoch: string, code: string) => `tinyurl:${epoch}:${code}`;

export class RedisLinkCache implements LinkCache {
  private readonly redis: Redis;
  private readonly counts: CacheStats = { hits: 0, misses: 0, errors: 0 };

  constructor(url: string, commandTimeoutMs = 100) {
    this.redis = new Redis(url, {
      lazyConnect: false,
      // Fail at once while disconnected instead of queueing behind a dead link.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: commandTimeoutMs,
      connectTimeout: 1000,
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    // Errors are counted per command; the connection's own errors are expected
    // while Redis is away and must not crash the process.
    this.redis.on('error', () => {});
  }

  async get(epoch: string, code: string): Promise<Link | undefined> {
    try {
      const raw = await this.redis.get(key(epoch, code));
      if (raw === null) {
        this.counts.misses++;
        return undefined;
      }
      this.counts.hits++;
      return JSON.parse(raw) as Link;
    } catch {
      this.counts.errors++;
      return undefined;
    }
  }

  async set(epoch: string, link: Link, now = Date.now()): Promise<void> {
    let ttl = CACHE_TTL_SECONDS;
    if (link.expiresAt !== null) {
      ttl = Math.min(ttl, Math.floor((Date.parse(link.expiresAt) - now) / 1000));
      if (ttl <= 0) return;
    }
    try {
      await this.redis.set(key(epoch, link.code), JSON.stringify(link), 'EX', ttl);
    } catch {
      this.counts.errors++;
    }
  }

  stats(): CacheStats {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
