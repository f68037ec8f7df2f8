// "Nothing lost", counted, whatever the write: every write a service
// acknowledged is kept in a ledger, and afterwards each one is read back and
// compared with what was acknowledged. The ledgers (short links, likes,
// document edits) differ in how they read back; they report alike.
import { Agent, request } from 'undici';

/** A write that did not read back as it was acknowledged. */
export interface LostWrite {
  /** What identifies the write (a short code, article and user, a document version). */
  key: string;
  /** What was acknowledged. */
  expected: string;
  /** What reading it back gave (a status, other content). */
  found: string;
  /** The version of the service that acknowledged it, where the acknowledgement says. */
  version?: string;
}

export interface IntegrityCheck {
  /** What the writes are, in words: "short links", "likes", "document edits". */
  writes: string;
  acknowledged: number;
  checked: number;
  intact: number;
  /** Acknowledged, then not found at all. */
  missing: LostWrite[];
  /** Found, with other content than was acknowledged. */
  wrong: LostWrite[];
}

export const emptyCheck = (writes: string, acknowledged: number): IntegrityCheck => ({ writes, acknowledged, checked: 0, intact: 0, missing: [], wrong: [] });

/** The verdict on a check: it passes only when something was acknowledged and every write read back intact. */
export function integrityVerdict(check: IntegrityCheck, where = ''): { passed: boolean; expected: string; measured: Record<string, unknown>; failure: string } {
  const passed = check.acknowledged > 0 && check.intact === check.acknowledged;
  const lost = check.acknowledged - check.intact;
  const examples = [...check.missing.slice(0, 5).map((m) => `${m.key} → ${m.found}`), ...check.wrong.slice(0, 5).map((w) => `${w.key}: expected ${w.expected}, found ${w.found}`)];
  const failure =
    check.acknowledged === 0
      ? `no ${check.writes} were acknowledged${where}, so nothing was proven`
      : `${lost} of ${check.acknowledged} acknowledged ${check.writes}${where} are lost or wrong${examples.length > 0 ? `: ${examples.join(', ')}` : ` (${check.acknowledged - check.checked} could not be read back)`}`;
  return {
    passed,
    expected: `${check.acknowledged} ${check.writes} intact`,
    measured: { acknowledged: check.acknowledged, checked: check.checked, intact: check.intact, missing: check.missing.length, wrong: check.wrong.length },
    failure,
  };
}

/**
 * Reads every entry back from a service, `concurrency` at a time over one
 * connection pool: `read` gets the entry, a GET of a path on the service's
 * origin (status, headers, body), and the check to count it in.
 */
export async function readBack<E>(
  target: string,
  check: IntegrityCheck,
  entries: E[],
  read: (entry: E, get: (path: string) => Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>) => Promise<void>,
  concurrency = 16,
): Promise<IntegrityCheck> {
  const agent = new Agent({ connections: concurrency });
  const origin = new URL(target).origin;
  const get = async (path: string) => {
    const res = await request(`${origin}${path}`, { dispatcher: agent, method: 'GET', headersTimeout: 10_000, bodyTimeout: 10_000 });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };
  const queue = [...entries];
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
          await read(e, get);
          check.checked++;
        }
      }),
    );
  } finally {
    await agent.close();
  }
  return check;
}
