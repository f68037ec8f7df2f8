// A WebSocket client that keeps every message it is pushed, for checks such as
// "the feed pushes each new article to its subscribers". Connecting and
// waiting are bounded; close() is safe to call twice.
import WebSocket from 'ws';

export interface PushedMessage {
  atMs: number;
  /** Parsed JSON, or the text when it is not JSON. */
  data: unknown;
}

export class LiveSubscriber {
  readonly messages: PushedMessage[] = [];
  private closedWith: string | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly url: string,
    private readonly socket: WebSocket,
  ) {
    const started = performance.now();
    socket.on('message', (raw) => {
      const text = raw.toString();
      let data: unknown = text;
      try {
        data = JSON.parse(text);
      } catch {
        // not JSON: kept as text
      }
      this.messages.push({ atMs: Math.round(performance.now() - started), data });
      for (const wake of this.waiters) wake();
    });
    socket.on('close', (code, reason) => {
      this.closedWith = `closed by the server (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`;
      for (const wake of this.waiters) wake();
    });
  }

  /** Opens the socket (a ws:// or wss:// URL) within the bound. */
  static connect(url: string, timeoutMs = 10_000): Promise<LiveSubscriber> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
      socket.once('open', () => resolve(new LiveSubscriber(url, socket)));
      socket.once('error', (err) => reject(new Error(`could not subscribe to ${url}: ${err.message}`)));
      socket.once('unexpected-response', (_req, res) => {
        reject(new Error(`could not subscribe to ${url}: the server answered HTTP ${res.statusCode} instead of switching to WebSocket`));
        socket.terminate();
      });
    });
  }

  /** Resolves with the matching messages once at least `count` have arrived; rejects at the bound or when the socket closes first. */
  async waitFor(match: (data: unknown) => boolean, count: number, timeoutMs: number): Promise<PushedMessage[]> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const matching = this.messages.filter((m) => match(m.data));
      if (matching.length >= count) return matching;
      const left = deadline - performance.now();
      if (this.closedWith !== undefined) throw new Error(`${this.url}: ${this.closedWith} after ${matching.length} of ${count} messages`);
      if (left <= 0) throw new Error(`${this.url}: ${matching.length} of ${count} messages within ${Math.round(timeoutMs / 1000)} s (${this.messages.length} messages in all)`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** Sends a text message to the server (a subscription request, say). */
  send(text: string): void {
    this.socket.send(text);
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 2000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close();
    });
  }
}
