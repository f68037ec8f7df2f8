// People editing one Docs document in real browser pages, as a scenario
// drives them: each types numbered words at its own end of the text (so words
// never interleave), keeps typing through disconnects, and at the end every
// word typed must be in the text exactly once, on both pages and on the
// server. WebSocket connections are counted, to prove a cut really happened,
// and the frames are read as they cross the wire: every op the server sends
// back to the page that made it is an acknowledgement, kept in a ledger.
import type { Browser, Page, WebSocket } from 'playwright-core';
import type { DocEditLedger } from '../integrity/doc-edits.ts';

export interface EditorState {
  text: string;
  idle: boolean;
  connected: boolean;
  version: number;
}

/** Where an editor types: ann at the start, bob at the end, so their words never interleave. */
export type TypingEnd = 'start' | 'end';

export class DocsEditor {
  /** Every word this editor typed, in order. */
  readonly typed: string[] = [];
  /** Script errors and console errors of the page. */
  readonly problems: string[] = [];
  /** WebSocket connections the page opened (1 + reconnects). */
  sockets = 0;
  /**
   * Connection attempts the browser reported as failed (it logs each one as a
   * console error): expected while the service is down, and retried by the
   * page, so they are counted, not taken for page errors.
   */
  failedConnects = 0;

  private constructor(
    readonly user: string,
    readonly page: Page,
    readonly end: TypingEnd,
  ) {}

  /** The page's OT client id, as its first hello said. */
  clientId: string | undefined;

  static async open(browser: Browser, baseUrl: string, user: string, docId: string, end: TypingEnd, options: { ledger?: DocEditLedger; timeoutMs?: number } = {}): Promise<DocsEditor> {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const page = await browser.newPage();
    const editor = new DocsEditor(user, page, end);
    page.on('pageerror', (e) => editor.problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      if (/^WebSocket connection to '.*' failed/.test(m.text())) editor.failedConnects++;
      else editor.problems.push(m.text());
    });
    page.on('websocket', (socket) => {
      editor.sockets++;
      if (options.ledger !== undefined) editor.watchAcknowledgements(socket, docId, options.ledger);
    });
    await page.goto(`${baseUrl}/?user=${encodeURIComponent(user)}&doc=${encodeURIComponent(docId)}`, { timeout: timeoutMs });
    await page.locator('#text[data-connected="true"]').waitFor({ timeout: timeoutMs });
    return editor;
  }

  private watchAcknowledgements(socket: WebSocket, docId: string, ledger: DocEditLedger): void {
    const parse = (payload: string | Buffer) => {
      try {
        return JSON.parse(String(payload)) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    };
    socket.on('framesent', ({ payload }) => {
      const message = parse(payload);
      if (message?.type === 'hello' && typeof message.clientId === 'string') this.clientId = message.clientId;
    });
    socket.on('framereceived', ({ payload }) => {
      const m = parse(payload);
      if (m?.type !== 'op' || this.clientId === undefined || m.clientId !== this.clientId) return;
      ledger.record({ docId, clientId: this.clientId, seq: Number(m.seq), version: Number(m.version), op: m.op, user: this.user, ackAt: Date.now() });
    });
  }

  /** Types one word (and a space) at this editor's end of the text. */
  async typeWord(word: string): Promise<void> {
    const box = this.page.locator('#text');
    await box.focus();
    await this.page.keyboard.press(this.end === 'start' ? 'Control+Home' : 'Control+End');
    await this.page.keyboard.type(`${word} `, { delay: 5 });
    this.typed.push(word);
  }

  async state(): Promise<EditorState> {
    return this.page.locator('#text').evaluate((el: HTMLTextAreaElement) => ({
      text: el.value,
      idle: el.dataset.idle === 'true',
      connected: el.dataset.connected === 'true',
      version: Number(el.dataset.version ?? -1),
    }));
  }
}

/** Words typed by several editors in turn, every `intervalMs`, until stopped (and never longer than maxMs). */
export class TypingLoop {
  private stopped = false;
  private readonly done: Promise<void>;
  private failure: Error | undefined;

  constructor(editors: DocsEditor[], intervalMs: number, maxMs: number) {
    const until = Date.now() + maxMs;
    this.done = (async () => {
      for (let n = 1; !this.stopped && Date.now() < until; n++) {
        const started = Date.now();
        for (const editor of editors) await editor.typeWord(`${editor.user}-${n}`);
        await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
      }
    })().catch((err: Error) => {
      this.failure = err;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    if (this.failure) throw new Error(`typing failed: ${this.failure.message}`);
  }
}

export interface Convergence {
  converged: boolean;
  waitedMs: number;
  serverText: string;
  serverVersion: number;
  pages: (EditorState & { user: string; sockets: number; failedConnects: number; problems: string[] })[];
  /** Words typed that are not in the server's text exactly once, with their count there. */
  lost: { word: string; count: number }[];
  typed: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Waits (bounded) until every page is connected, idle and shows the server's
 * text, then counts every typed word in it.
 */
export async function awaitConvergence(editors: DocsEditor[], readServer: () => Promise<{ content: string; version: number }>, timeoutMs: number): Promise<Convergence> {
  const started = Date.now();
  let pages: Convergence['pages'];
  let server = { content: '', version: -1 };
  let converged: boolean;
  for (;;) {
    server = await readServer();
    pages = await Promise.all(editors.map(async (e) => ({ user: e.user, sockets: e.sockets, failedConnects: e.failedConnects, problems: [...e.problems], ...(await e.state()) })));
    converged = pages.every((p) => p.connected && p.idle && p.text === server.content);
    if (converged || Date.now() - started > timeoutMs) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const lost: Convergence['lost'] = [];
  const typed = editors.flatMap((e) => e.typed);
  for (const word of typed) {
    const count = (server.content.match(new RegExp(`(^|\\s)${escape(word)}(?=\\s|$)`, 'g')) ?? []).length;
    if (count !== 1) lost.push({ word, count });
  }
  return { converged, waitedMs: Date.now() - started, serverText: server.content, serverVersion: server.version, pages, lost, typed: typed.length };
}
