// Real browser pages (Debian's Chromium through playwright-core): people
// editing one Docs document together while the platform does what the
// scenario says, and the proof afterwards that no typed word was lost.
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { launchChromium } from '../support/browser/chromium.ts';
import { awaitConvergence, DocsEditor, TypingLoop } from '../support/browser/docs-editor.ts';
import { submitForm, type FormOutcome } from '../support/browser/web-form.ts';
import { DocEditLedger, type LoggedOp } from '../support/integrity/doc-edits.ts';
import { integrityVerdict } from '../support/integrity/ledger.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** Typing never outlives this, whatever the scenario does. */
const MAX_TYPING_MS = 10 * 60_000;

async function docsApi(base: string, user: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(base + path, {
    method,
    headers: { 'x-user-id': user, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} as ${user}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

function collaboration(world: CutoverWorld) {
  if (world.docs === undefined) throw new Error('nobody is editing yet: start with "Given "ann" and "bob" edit one document in the Docs editor of "docs""');
  return world.docs;
}

/** The first person creates a document and shares it with the second as editor; both open it in their own browser page. */
Given('{string} and {string} edit one document in the Docs editor of {string}', async function (this: CutoverWorld, first: string, second: string, service: string) {
  const base = this.session.platform.serviceUrl(service);
  const created = await docsApi(base, first, 'POST', '/api/documents', { title: 'cutover collaboration', content: 'shared notes\n' });
  const docId = String(created.id);
  await docsApi(base, first, 'POST', `/api/documents/${encodeURIComponent(docId)}/share`, { user: second, role: 'editor' });
  const browser = await launchChromium();
  this.session.onCleanup('browser', () => browser.close());
  // One types at the start of the text, the other at the end: their words never interleave.
  const acknowledged = new DocEditLedger();
  const editors = [await DocsEditor.open(browser, base, first, docId, 'start', { ledger: acknowledged }), await DocsEditor.open(browser, base, second, docId, 'end', { ledger: acknowledged })];
  this.docs = { base, docId, editors, owner: first, typing: undefined, acknowledged };
  this.progress(`docs: ${first} and ${second} editing document ${docId} in Chromium`);
});

/** Each editor types a numbered word every 300 ms, in the background, until they stop (at most 10 minutes). */
When('they keep typing', function (this: CutoverWorld) {
  const docs = collaboration(this);
  if (docs.typing) throw new Error('they are already typing');
  const typing = new TypingLoop(docs.editors, 300, MAX_TYPING_MS);
  docs.typing = typing;
  this.session.onCleanup('typing', () => typing.stop().catch(() => undefined));
});

/** Lets them type on for a while, real time. */
When('they type on for {duration}', async function (this: CutoverWorld, ms: number) {
  if (collaboration(this).typing === undefined) throw new Error('nobody is typing: add "When they keep typing" first');
  if (ms > MAX_TYPING_MS) throw new Error('they type on for at most 10 minutes in one step');
  await new Promise((r) => setTimeout(r, ms));
});

When('they stop typing', async function (this: CutoverWorld) {
  const docs = collaboration(this);
  if (docs.typing === undefined) throw new Error('nobody is typing: add "When they keep typing" first');
  await docs.typing.stop();
});

/**
 * Waits (real time, bounded) until both pages are connected, idle and show
 * the server's text; then every typed word must be in it exactly once.
 * Screenshots of the pages are attached.
 */
Then("both editors show the document's text within {duration}, with every typed word in it exactly once", async function (this: CutoverWorld, ms: number) {
  const docs = collaboration(this);
  const read = async () => {
    const doc = await docsApi(docs.base, docs.owner, 'GET', `/api/documents/${encodeURIComponent(docs.docId)}`);
    return { content: String(doc.content), version: Number(doc.version) };
  };
  const c = await awaitConvergence(docs.editors, read, ms);
  for (const e of docs.editors) await this.evidence.png(`Docs editor of ${e.user}`, await e.page.screenshot());
  const problems = c.pages.flatMap((p) => p.problems.map((m) => `${p.user}: ${m}`));
  const holds = c.converged && c.lost.length === 0 && c.typed > 0 && problems.length === 0;
  const measured = { converged: c.converged, waitedMs: c.waitedMs, typed: c.typed, lost: c.lost.length, serverVersion: c.serverVersion, sockets: Object.fromEntries(c.pages.map((p) => [p.user, p.sockets])), failedConnects: Object.fromEntries(c.pages.map((p) => [p.user, p.failedConnects])) };
  await this.evidence.verify('every typed word is in the document once, on every page', holds, { expected: `${c.typed} words, each once, pages equal to the server`, measured, details: c }, () => {
    if (c.typed === 0) return 'nobody typed anything, so nothing was proven';
    if (!c.converged) return `the pages did not converge on the server's text within ${ms} ms: ${c.pages.map((p) => `${p.user} ${p.connected ? 'connected' : 'disconnected'}, ${p.idle ? 'idle' : 'saving'}, version ${p.version}`).join('; ')} (server version ${c.serverVersion})`;
    if (c.lost.length > 0) return `${c.lost.length} of ${c.typed} typed words are not in the document exactly once: ${c.lost.slice(0, 10).map((l) => `${l.word} ×${l.count}`).join(', ')}`;
    return `the pages reported errors: ${problems.slice(0, 5).join('; ')}`;
  });
});

/**
 * The integrity check for document edits: every op the server acknowledged to
 * an editor (seen on the page's WebSocket) is in the document's op log, at the
 * version it was acknowledged as, with the same content.
 */
Then("every edit acknowledged to the editors is in the document's history as it was acknowledged", async function (this: CutoverWorld) {
  const docs = collaboration(this);
  const check = await docs.acknowledged.verify(async (docId, since) => {
    const page = await docsApi(docs.base, docs.owner, 'GET', `/api/documents/${encodeURIComponent(docId)}/ops?since=${since}`);
    return { version: Number(page.version), ops: page.ops as LoggedOp[] };
  });
  const verdict = integrityVerdict(check);
  await this.evidence.verify('every acknowledged document edit is in the op log', verdict.passed, { expected: verdict.expected, measured: verdict.measured, details: check }, () => verdict.failure);
});

/** Proof that the scenario really cut their connections (e.g. when the old stack went away). */
Then('each editor reconnected at least once', async function (this: CutoverWorld) {
  const docs = collaboration(this);
  const sockets = Object.fromEntries(docs.editors.map((e) => [e.user, e.sockets]));
  await this.evidence.verify('each editor reconnected', docs.editors.every((e) => e.sockets >= 2), { expected: '≥ 2 WebSocket connections per page', measured: sockets }, () =>
    `not every editor lost and re-opened its connection (WebSocket connections per page: ${JSON.stringify(sockets)}): the cut-over did not reach them`,
  );
});

// ---- HTML forms, as a person submits them ------------------------------------

function formAnswer(world: CutoverWorld): FormOutcome {
  if (world.formAnswer === undefined) throw new Error('no form was submitted in this scenario yet ("a browser submits the form on … of … with:")');
  return world.formAnswer;
}

/** Opens a page of a Service in Chromium, fills its form's fields by name (| name | value |, {name} for remembered values) and submits it; the answer page is attached as a screenshot. */
When('a browser submits the form on {string} of {string} with:', async function (this: CutoverWorld, pathText: string, service: string, table: DataTable) {
  const rows = table.raw();
  const bad = rows.find((r) => r.length !== 2 || r[0] === '');
  if (bad !== undefined) throw new Error(`form row | ${bad.join(' | ')} |: expected two cells, a field name and its value`);
  const browser = await launchChromium();
  this.session.onCleanup('browser', () => browser.close());
  const url = this.session.platform.serviceUrl(service) + this.fillRemembered(pathText);
  const answer = await submitForm(browser, url, Object.fromEntries(rows.map(([k, v]) => [k as string, this.fillRemembered(v as string)])));
  this.formAnswer = answer;
  await this.evidence.png(`answer to the form on ${pathText}`, await answer.page.screenshot());
  await this.evidence.text(`answer page HTML`, answer.html);
});

/** The answer page's status and visible text (the text as a person reads it, so markup in it was encoded). */
Then('the answer page has status {int} and shows {string} as text', async function (this: CutoverWorld, status: number, text: string) {
  const a = formAnswer(this);
  const want = this.fillRemembered(text);
  const ok = a.status === status && a.text.includes(want);
  await this.evidence.verify(`answer ${status} showing ${want}`, ok, { expected: { status, text: want }, measured: { status: a.status, text: a.text.slice(0, 2000) } }, () =>
    a.status !== status ? `${a.url} answered ${a.status}, expected ${status}` : `${a.url} does not show "${want}" as text; it shows: ${a.text.slice(0, 500)}`,
  );
});

/** Markup in the input that would run a script (setting window.__cutoverInjected or opening a dialog) did not run. */
Then('no script carried by the input ran in the page', async function (this: CutoverWorld) {
  const a = formAnswer(this);
  await this.evidence.verify('no injected script ran', !a.injectedScriptRan, { expected: 'no injected script ran', measured: { ran: a.injectedScriptRan, dialogs: a.dialogs } }, () =>
    `a script carried by the input ran in ${a.url}${a.dialogs.length > 0 ? ` (dialogs: ${a.dialogs.join(', ')})` : ''}: the page does not encode its output`,
  );
});
