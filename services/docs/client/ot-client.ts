// The client side of the Docs protocol, shared by the editor page (bundled
// with esbuild) and the tests. One op in flight at a time; local edits made
// meanwhile are composed into a buffer; remote ops are transformed against
// both (Jupiter/ShareDB style). On reconnect the client resumes from the last
// version it saw: the server replays what it missed, its own acknowledged ops
// included, so an op is never applied twice nor lost.
import { textType, type TextOp } from '../ot.ts';

export type ServerMessage =
  | { type: 'snapshot'; version: number; content: string }
  | { type: 'op'; version: number; op: TextOp; clientId: string; seq: number }
  | { type: 'caught-up'; version: number }
  | { type: 'error'; message: string; seq?: number }
  | { type: 'pong' };

export type ClientMessage =
  | { type: 'hello'; clientId: string; version?: number }
  | { type: 'ping' }
  | { type: 'op'; clientId: string; seq: number; baseVersion: number; op: TextOp };

export class OtClient {
  content = '';
  version = -1;
  private pending: { seq: number; op: TextOp } | undefined;
  private buffer: TextOp | undefined;
  private nextSeq = 1;
  private synced = false;
  readonly errors: string[] = [];

  constructor(
    readonly clientId: string,
    private send: (message: ClientMessage) => void,
    private readonly onRemoteChange: (content: string, op: TextOp) => void = () => {},
  ) {}

  /** Start (or resume, after a reconnect) a session on a new transport. */
  connect(send: (message: ClientMessage) => void = this.send): void {
    this.send = send;
    this.synced = false;
    this.send({ type: 'hello', clientId: this.clientId, ...(this.version >= 0 ? { version: this.version } : {}) });
  }

  /** True when every local edit has been acknowledged by the server. */
  get idle(): boolean {
    return this.pending === undefined && this.buffer === undefined;
  }

  /** A local edit, already shown to the user. */
  applyLocal(op: TextOp): void {
    if (op.length === 0) return;
    if (this.version < 0) throw new Error('cannot edit before the first snapshot has arrived');
    this.content = textType.apply(this.content, op);
    this.buffer = this.buffer === undefined ? op : textType.compose(this.buffer, op);
    this.flush();
  }

  receive(message: ServerMessage): void {
    switch (message.type) {
      case 'pong':
        return;
      case 'snapshot':
        this.content = message.content;
        this.version = message.version;
        this.synced = true;
        this.onRemoteChange(this.content, []);
        this.flush();
        return;
      case 'caught-up':
        this.synced = true;
        // Anything still pending was never applied: send it again, based on
        // the version it has been transformed up to.
        if (this.pending !== undefined) this.sendPending();
        else this.flush();
        return;
      case 'op':
        if (message.version <= this.version) return;
        if (message.clientId === this.clientId && this.pending?.seq === message.seq) {
          this.pending = undefined;
          this.version = message.version;
          this.flush();
          return;
        }
        this.applyRemote(message.op, message.version);
        return;
      case 'error':
        this.errors.push(message.message);
        if (message.seq !== undefined && this.pending?.seq === message.seq) {
          // The server refused the op (e.g. no permission): drop it.
          this.pending = undefined;
          this.flush();
        }
        return;
    }
  }

  private applyRemote(op: TextOp, version: number): void {
    let remote = op;
    if (this.pending !== undefined) {
      const mine = this.pending.op;
      this.pending = { seq: this.pending.seq, op: textType.transform(mine, remote, 'left') };
      remote = textType.transform(remote, mine, 'right');
    }
    if (this.buffer !== undefined) {
      const mine = this.buffer;
      this.buffer = textType.transform(mine, remote, 'left');
      remote = textType.transform(remote, mine, 'right');
    }
    this.content = textType.apply(this.content, remote);
    this.version = version;
    this.onRemoteChange(this.content, remote);
  }

  private flush(): void {
    if (!this.synced || this.pending !== undefined || this.buffer === undefined) return;
    this.pending = { seq: this.nextSeq++, op: this.buffer };
    this.buffer = undefined;
    this.sendPending();
  }

  private sendPending(): void {
    const pending = this.pending as { seq: number; op: TextOp };
    this.send({ type: 'op', clientId: this.clientId, seq: pending.seq, baseVersion: this.version, op: pending.op });
  }
}
