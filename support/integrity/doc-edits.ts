// Document edits, counted: Docs acknowledges an editor's op by sending it
// back with the version it got in the document's op log. Every such
// acknowledgement is kept here; afterwards the op log must hold, at that
// version, the same op from the same client and sequence number. A version
// acknowledged to two different edits is a lost edit too.
import { emptyCheck, type IntegrityCheck } from './ledger.ts';

export interface AcknowledgedEdit {
  docId: string;
  /** The editor's client id and op sequence number, as the editor sent them. */
  clientId: string;
  seq: number;
  /** The version the op was applied as, and the op as applied (transformed). */
  version: number;
  op: unknown;
  /** Who edited (for the report). */
  user: string;
  /** When the acknowledgement arrived (epoch ms). */
  ackAt: number;
}

/** One entry of the document's op log, as `GET /api/documents/:id/ops` gives it. */
export interface LoggedOp {
  version: number;
  op: unknown;
  clientId: string | null;
  seq: number | null;
}

/** Reads a document's op log after a version (a page of it; called until it is read to the end). */
export type OpLogReader = (docId: string, since: number) => Promise<{ version: number; ops: LoggedOp[] }>;

const describe = (e: { clientId: string | null; seq: number | null; op: unknown }) => `${e.clientId ?? '-'}#${e.seq ?? '-'} ${JSON.stringify(e.op)}`;

export class DocEditLedger {
  private readonly byVersion = new Map<string, AcknowledgedEdit>();
  /** The same version acknowledged to a different edit than before. */
  readonly conflicts: { first: AcknowledgedEdit; second: AcknowledgedEdit }[] = [];

  /** Records an acknowledgement; the same one seen again (a replay after a reconnect) counts once. */
  record(edit: AcknowledgedEdit): void {
    const key = `${edit.docId}@${edit.version}`;
    const prior = this.byVersion.get(key);
    if (prior === undefined) this.byVersion.set(key, edit);
    else if (describe(prior) !== describe(edit)) this.conflicts.push({ first: prior, second: edit });
  }

  get edits(): AcknowledgedEdit[] {
    return [...this.byVersion.values()];
  }

  /** Reads each document's op log to the end and compares every acknowledged edit with the entry at its version. */
  async verify(read: OpLogReader): Promise<IntegrityCheck> {
    const edits = this.edits;
    const check = emptyCheck('document edits', edits.length + this.conflicts.length);
    for (const docId of new Set(edits.map((e) => e.docId))) {
      const log = new Map<number, LoggedOp>();
      for (let since = 0; ; ) {
        const page = await read(docId, since);
        for (const op of page.ops) log.set(op.version, op);
        const last = page.ops[page.ops.length - 1];
        if (last === undefined || last.version >= page.version) break;
        since = last.version;
      }
      for (const edit of edits.filter((e) => e.docId === docId)) {
        check.checked++;
        const logged = log.get(edit.version);
        const key = `${docId} v${edit.version} (${edit.user})`;
        if (logged === undefined) check.missing.push({ key, expected: describe(edit), found: 'no such version in the op log' });
        else if (describe(logged) !== describe(edit)) check.wrong.push({ key, expected: describe(edit), found: describe(logged) });
        else check.intact++;
      }
    }
    for (const c of this.conflicts) {
      check.wrong.push({ key: `${c.second.docId} v${c.second.version}`, expected: describe(c.first), found: `also acknowledged as ${describe(c.second)}` });
    }
    return check;
  }
}
