// Docs storage: the document snapshot, the op log it was built from, and who
// may read or edit it. Every submission runs in one IMMEDIATE transaction, so
// two processes (blue and green during a cutover) serialise on the database
// and agree on the version order.
import crypto from 'node:crypto';
import type { Db, Migration } from '../common/database.ts';
import { HttpError } from '../common/validation.ts';
import { textType, type TextOp } from './ot.ts';

export const DOCS_MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'documents, ops and shares',
    sql: `
      CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        content TEXT NOT NULL,
        version INTEGER NOT NULL,
        owner TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE ops (
        doc_id TEXT NOT NULL REFERENCES documents (id),
        version INTEGER NOT NULL,
        op TEXT NOT NULL,
        user_id TEXT NOT NULL,
        client_id TEXT,
        seq INTEGER,
        at TEXT NOT NULL,
        PRIMARY KEY (doc_id, version)
      );
      CREATE UNIQUE INDEX ops_by_client ON ops (doc_id, client_id, seq) WHERE client_id IS NOT NULL;
      CREATE TABLE shares (
        doc_id TEXT NOT NULL REFERENCES documents (id),
        user_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('viewer', 'editor')),
        PRIMARY KEY (doc_id, user_id)
      );
    `,
  },
];

export type Role = 'owner' | 'editor' | 'viewer';
export type Action = 'read' | 'edit' | 'share';

const PERMITTED: Record<Action, Role[]> = {
  read: ['owner', 'editor', 'viewer'],
  edit: ['owner', 'editor'],
  share: ['owner'],
};

// eslint-disable-next-line security/detect-object-injection -- action is a typed Action, checked by the request schema
export const may = (role: Role, action: Action) => PERMITTED[action].includes(role);

export interface DocumentSnapshot {
  id: string;
  title: string;
  content: string;
  version: number;
  owner: string;
}

export interface AppliedOp {
  version: number;
  op: TextOp;
  clientId: string | null;
  seq: number | null;
}

export interface Submission {
  user: string;
  baseVersion: number;
  op: TextOp;
  clientId?: string;
  seq?: number;
}

export class DocumentStore {
  constructor(readonly db: Db) {}

  create(owner: string, title: string, content: string, now = new Date()): DocumentSnapshot {
    const id = crypto.randomBytes(9).toString('base64url');
    this.db
      .prepare('INSERT INTO documents (id, title, content, version, owner, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?)')
      .run(id, title, content, owner, now.toISOString(), now.toISOString());
    return { id, title, content, version: 0, owner };
  }

  get(id: string): DocumentSnapshot | undefined {
    return this.db.prepare('SELECT id, title, content, version, owner FROM documents WHERE id = ?').get(id) as
      | DocumentSnapshot
      | undefined;
  }

  /** The user's role on a document: null when it is not shared with them, undefined when there is no such document. */
  roleOf(id: string, user: string): Role | null | undefined {
    const row = this.db
      .prepare('SELECT d.owner AS owner, s.role AS role FROM documents d LEFT JOIN shares s ON s.doc_id = d.id AND s.user_id = ? WHERE d.id = ?')
      .get(user, id) as { owner: string; role: Role | null } | undefined;
    if (row === undefined) return undefined;
    return row.owner === user ? 'owner' : row.role;
  }

  share(id: string, user: string, role: 'viewer' | 'editor'): void {
    this.db
      .prepare('INSERT INTO shares (doc_id, user_id, role) VALUES (?, ?, ?) ON CONFLICT (doc_id, user_id) DO UPDATE SET role = excluded.role')
      .run(id, user, role);
  }

  /** Ops applied after `version`, in order. */
  opsSince(id: string, version: number, limit = 10_000): AppliedOp[] {
    return (
      this.db
        .prepare('SELECT version, op, client_id AS clientId, seq FROM ops WHERE doc_id = ? AND version > ? ORDER BY version LIMIT ?')
        .all(id, version, limit) as { version: number; op: string; clientId: string | null; seq: number | null }[]
    ).map((r) => ({ ...r, op: JSON.parse(r.op) as TextOp }));
  }

  /**
   * Transforms the op against everything applied since its base version,
   * applies it and appends it to the log. A resubmission of an op already
   * applied (same client and sequence number) returns the original result.
   */
  submit(id: string, s: Submission, now = new Date()): AppliedOp & { duplicate: boolean } {
    const run = this.db.transaction(() => {
      if (s.clientId !== undefined && s.seq !== undefined) {
        const prior = this.db
          .prepare('SELECT version, op FROM ops WHERE doc_id = ? AND client_id = ? AND seq = ?')
          .get(id, s.clientId, s.seq) as { version: number; op: string } | undefined;
        if (prior !== undefined) {
          return { version: prior.version, op: JSON.parse(prior.op) as TextOp, clientId: s.clientId, seq: s.seq, duplicate: true };
        }
      }
      const doc = this.get(id);
      if (doc === undefined) throw new HttpError(404, `no document "${id}"`);
      if (s.baseVersion > doc.version) {
        throw new HttpError(400, `baseVersion ${s.baseVersion} is ahead of the document (version ${doc.version})`);
      }
      let op = s.op;
      for (const applied of this.opsSince(id, s.baseVersion)) op = textType.transform(op, applied.op, 'left');
      let content: string;
      try {
        textType.checkOp(op);
        content = textType.apply(doc.content, op);
      } catch (err) {
        throw new HttpError(400, `op does not apply to version ${s.baseVersion}: ${(err as Error).message}`);
      }
      const version = doc.version + 1;
      this.db
        .prepare('INSERT INTO ops (doc_id, version, op, user_id, client_id, seq, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, version, JSON.stringify(op), s.user, s.clientId ?? null, s.seq ?? null, now.toISOString());
      this.db
        .prepare('UPDATE documents SET content = ?, version = ?, updated_at = ? WHERE id = ?')
        .run(content, version, now.toISOString(), id);
      return { version, op, clientId: s.clientId ?? null, seq: s.seq ?? null, duplicate: false };
    });
    return run.immediate();
  }
}
