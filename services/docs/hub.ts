// Live sessions on documents, independent of the transport: the WebSocket
// route feeds it socket messages, the tests feed it a simulated network.
// Delivery reads the op log, so a session on this process also receives ops
// that another process (the other colour during a cutover) applied.
import type { ClientMessage, ServerMessage } from './client/ot-client.ts';
import { may, type DocumentStore, type Role } from './store.ts';

export class Session {
  /** The last version this session has been sent; -1 until it said hello. */
  sent = -1;

  constructor(
    private readonly hub: SessionHub,
    readonly docId: string,
    readonly user: string,
    readonly role: Role,
    readonly send: (message: ServerMessage) => void,
  ) {}

  handle(message: ClientMessage): void {
    const { store } = this.hub;
    // The editor's heartbeat: a connection that stops answering is one to replace.
    if (message.type === 'ping') {
      this.send({ type: 'pong' });
      return;
    }
    if (message.type === 'hello') {
      const snapshot = store.get(this.docId);
      if (snapshot === undefined) {
        this.send({ type: 'error', message: `no document "${this.docId}"` });
        return;
      }
      if (message.version === undefined || message.version > snapshot.version) {
        this.send({ type: 'snapshot', version: snapshot.version, content: snapshot.content });
        this.sent = snapshot.version;
      } else {
        // A reconnecting client: replay what it missed, then say so.
        this.sent = message.version;
        this.hub.deliver(this.docId);
        this.send({ type: 'caught-up', version: this.sent });
      }
      return;
    }
    if (!may(this.role, 'edit')) {
      this.send({ type: 'error', message: `user "${this.user}" may not edit`, seq: message.seq });
      return;
    }
    try {
      store.submit(this.docId, {
        user: this.user,
        baseVersion: message.baseVersion,
        op: message.op,
        clientId: message.clientId,
        seq: message.seq,
      });
    } catch (err) {
      this.send({ type: 'error', message: (err as Error).message, seq: message.seq });
      return;
    }
    this.hub.deliver(this.docId);
  }

  close(): void {
    this.hub.sessions.delete(this);
  }
}

export class SessionHub {
  readonly sessions = new Set<Session>();

  constructor(readonly store: DocumentStore) {}

  open(docId: string, user: string, role: Role, send: (message: ServerMessage) => void): Session {
    const session = new Session(this, docId, user, role, send);
    this.sessions.add(session);
    return session;
  }

  /** Sends every session the ops it has not seen yet, in version order. */
  deliver(docId?: string): void {
    for (const s of this.sessions) {
      if (s.sent < 0 || (docId !== undefined && s.docId !== docId)) continue;
      for (const applied of this.store.opsSince(s.docId, s.sent, 1000)) {
        s.send({ type: 'op', version: applied.version, op: applied.op, clientId: applied.clientId ?? '', seq: applied.seq ?? 0 });
        s.sent = applied.version;
      }
    }
  }
}

