// "Nothing lost", counted: every short link whose creation TinyURL
// acknowledged (201 with a code) is kept in a ledger, and afterwards each one
// must still redirect to exactly the URL it was created for.
import type { LoadRequest, ResponseSample } from '../traffic/load.ts';
import { emptyCheck, readBack, type IntegrityCheck } from './ledger.ts';

export interface LedgerEntry {
  code: string;
  url: string;
  /** When the creation was due (epoch ms). */
  at: number;
  /** When the acknowledgement came (epoch ms). */
  ackAt: number;
  /** The version that acknowledged it. */
  version: string;
}

/** The creation request: the URL is unique per request, never fetched by anyone. */
export const createLinkRequest = (runId: string): LoadRequest => ({
  method: 'POST',
  path: '/shorten',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ url: `http://127.0.0.1/cutover-ledger/${runId}/{{i}}` }),
});

export class LinkLedger {
  readonly entries: LedgerEntry[] = [];
  /** Answers that were not an acknowledgement (not counted as writes). */
  rejected = 0;

  /** Records an answer of the creation traffic. */
  observe(r: ResponseSample): void {
    if (r.status !== 201 || r.body === undefined) {
      this.rejected++;
      return;
    }
    const body = JSON.parse(r.body) as { code?: string };
    const url = (JSON.parse(r.request.body ?? '{}') as { url?: string }).url;
    if (typeof body.code !== 'string' || typeof url !== 'string') throw new Error(`TinyURL acknowledged a link without a code: ${r.body.slice(0, 200)}`);
    this.entries.push({ code: body.code, url, at: r.scheduledAt, ackAt: r.scheduledAt + r.latencyMs, version: r.version });
  }

  /** Follows no redirect: reads each code's Location and compares it with what was stored (only links acknowledged before `ackedBefore`, when given). */
  async verify(target: string, options: { concurrency?: number; ackedBefore?: number } = {}): Promise<IntegrityCheck> {
    const entries = options.ackedBefore === undefined ? this.entries : this.entries.filter((e) => e.ackAt < (options.ackedBefore as number));
    const check = emptyCheck('short links', entries.length);
    return readBack(
      target,
      check,
      entries,
      async (e, get) => {
        const res = await get(`/${encodeURIComponent(e.code)}`);
        const location = res.headers.location;
        if (res.status !== 302 && res.status !== 301) check.missing.push({ key: e.code, expected: e.url, found: `HTTP ${res.status}`, version: e.version });
        else if (location !== e.url) check.wrong.push({ key: e.code, expected: e.url, found: String(location), version: e.version });
        else check.intact++;
      },
      options.concurrency,
    );
  }
}
