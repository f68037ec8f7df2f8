// The editor page: a textarea kept in sync with the document over WebSocket.
// Reconnects with backoff and resumes from the last version it saw.
import { strPosToUni, uniToStrPos } from 'unicount';
import { diffToOp, textType } from '../ot.ts';
import { OtClient, type ServerMessage } from './ot-client.ts';

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
    ws.addEventListener('open', () => {
      socket = ws;
      backoff = 100;
      client.connect((message) => send(ws, message));
      textarea.disabled = false;
      showState(client, true);
    });
    ws.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as ServerMessage;
      if (message.type === 'error') status.textContent = `error: ${message.message}`;
      client.receive(message);
      showState(client, true);
    });
    ws.addEventListener('close', () => {
      socket = undefined;
      showState(client, false);
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 5000);
    });
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
