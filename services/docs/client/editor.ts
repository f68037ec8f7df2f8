// The editor page: a textarea kept in sync with the document over WebSocket.
// Reconnects with backoff and resumes from the last version it saw; a
// heartbeat finds connections that died without closing.
import { strPosToUni, uniToStrPos } from 'unicount';
import { diffToOp, textType } from '../ot.ts';
import { OtClient, type ServerMessage } from './ot-client.ts';

/** How often the page asks the server for a pong, and how long a silence (or a handshake) may last. */
const HEARTBEAT_MS = 2000;
const SILENCE_MS = 5000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('open');
const userInput = $<HTMLInputElement>('user');
const docInput = $<HTMLInputElement>('doc');
const status = $<HTMLParagraphElement>('status');
const textarea = $<HTMLTextAreaElement>('text');

const params = new URLSearchParams(location.search);
userInput.value = params.get('user') ?? '';
docInput.value = params.get('doc') ?? '';

function showState(client: OtClient, connected: boolean): void {
  textarea.dataset.version = String(client.version);
  textarea.dataset.idle = String(client.idle);
  textarea.dataset.connected = String(connected);
  status.textContent = connected
    ? `connected, version ${client.version}${client.idle ? '' : ', saving…'}`
    : 'disconnected, reconnecting…';
}

async function open(user: string, docId: string): Promise<void> {
  let id = docId;
  if (id === '') {
    const response = await fetch('/api/documents', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': user },
      body: JSON.stringify({ title: 'Untitled' }),
    });
    if (!response.ok) throw new Error(`could not create a document: HTTP ${response.status}`);
    id = ((await response.json()) as { id: string }).id;
    docInput.value = id;
  }
  history.replaceState(null, '', `?user=${encodeURIComponent(user)}&doc=${encodeURIComponent(id)}`);

  let socket: WebSocket | undefined;
  // A socket that is closing drops what is sent (and the browser logs an error);
  // unacknowledged ops are re-sent on the next connection anyway.
  const send = (ws: WebSocket | undefined, message: unknown) => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  };
  const client = new OtClient(
    crypto.randomUUID(),
    (message) => send(socket, message),
    (content, op) => {
      const start = textType.transformPosition(strPosToUni(textarea.value, textarea.selectionStart), op);
      const end = textType.transformPosition(strPosToUni(textarea.value, textarea.selectionEnd), op);
      textarea.value = content;
      textarea.setSelectionRange(uniToStrPos(content, start), uniToStrPos(content, end));
    },
  );
  textarea.addEventListener('input', () => {
    client.applyLocal(diffToOp(client.content, textarea.value));
    showState(client, true);
  });

  let backoff = 100;
  const connect = () => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/${encodeURIComponent(id)}?user=${encodeURIComponent(user)}`);
    let heard = Date.now();
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    let retired = false;
    let handshake: ReturnType<typeof setTimeout> | undefined;
    // Once per connection, whether it closed or went silent: the next one is tried.
    const retire = () => {
      if (retired) return;
      retired = true;
      clearTimeout(handshake);
      clearInterval(heartbeat);
      if (socket === ws) socket = undefined;
      showState(client, false);
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 5000);
    };
    // A handshake sent to an address nobody answers any more hangs as long.
    handshake = setTimeout(() => {
      retire();
      ws.close();
    }, SILENCE_MS);
    ws.addEventListener('open', () => {
      clearTimeout(handshake);
      if (retired) return;
      socket = ws;
      backoff = 100;
      heard = Date.now();
      // A connection whose server vanished without closing it (a killed pod)
      // stays open here for minutes: silence past SILENCE_MS retires it.
      heartbeat = setInterval(() => {
        if (Date.now() - heard > SILENCE_MS) {
          retire();
          ws.close();
        } else send(ws, { type: 'ping' });
      }, HEARTBEAT_MS);
      client.connect((message) => send(ws, message));
      textarea.disabled = false;
      showState(client, true);
    });
    ws.addEventListener('message', (event) => {
      if (retired) return;
      heard = Date.now();
      const message = JSON.parse(String(event.data)) as ServerMessage;
      if (message.type === 'error') status.textContent = `error: ${message.message}`;
      client.receive(message);
      showState(client, true);
    });
    ws.addEventListener('close', retire);
  };
  connect();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  form.querySelector('button')?.setAttribute('disabled', '');
  open(userInput.value, docInput.value).catch((err: unknown) => {
    status.textContent = String(err);
  });
});
if (userInput.value !== '') form.requestSubmit();
