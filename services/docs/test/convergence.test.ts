// Property: several clients editing one document at once, with messages
// delivered in any interleaving and connections dropped and resumed at any
// point, all end with the server's text, and no acknowledged edit is lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { openDatabase } from '../../common/database.ts';
import { OtClient, type ClientMessage, type ServerMessage } from '../client/ot-client.ts';
import { SessionHub, type Session } from '../hub.ts';
import { diffToOp, textType, type TextOp } from '../ot.ts';
import { DOCS_MIGRATIONS, DocumentStore } from '../store.ts';

type Action =
  | { kind: 'edit'; who: number; at: number; remove: number; insert: string }
  | { kind: 'toServer' | 'toClient' | 'reconnect'; who: number };

const CLIENTS = 3;
const who = fc.integer({ min: 0, max: CLIENTS - 1 });
// Weighted so that edits overlap in flight: deliveries are common, reconnects rare.
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      who,
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      remove: fc.integer({ min: 0, max: 3 }),
      insert: fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' ', '😀', 'é'), maxLength: 4 }),
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom('toServer' as const, 'toClient' as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), who }) },
);

interface Peer {
  client: OtClient;
  session: Session;
  toServer: ClientMessage[];
  toClient: ServerMessage[];
}

function randomEdit(content: string, a: Extract<Action, { kind: 'edit' }>): TextOp {
  const chars = Array.from(content);
  const at = Math.floor(a.at * chars.length);
  const removed = Math.min(a.remove, chars.length - at);
  const op: TextOp = [];
  if (at > 0) op.push(at);
  if (removed > 0) op.push({ d: removed });
  if (a.insert !== '') op.push(a.insert);
  return textType.normalize(op);
}

function run(actions: Action[], initial: string) {
  const store = new DocumentStore(openDatabase(':memory:', DOCS_MIGRATIONS));
  const hub = new SessionHub(store);
  const doc = store.create('owner', 'shared', initial);
  const peers: Peer[] = [];
  const connect = (peer: Peer) => {
    peer.session = hub.open(doc.id, 'owner', 'owner', (m) => peer.toClient.push(m));
    peer.client.connect((m) => peer.toServer.push(m));
  };
  for (let i = 0; i < CLIENTS; i++) {
    const peer = { toServer: [], toClient: [] } as unknown as Peer;
    peer.client = new OtClient(`client-${i}`, () => {});
    connect(peer);
    peers.push(peer);
  }
  const step = (peer: Peer, kind: 'toServer' | 'toClient') => {
    if (kind === 'toServer') {
      const m = peer.toServer.shift();
      if (m) peer.session.handle(m);
    } else {
      const m = peer.toClient.shift();
      if (m) peer.client.receive(m);
    }
  };
  const typed: string[] = [];
  for (const a of actions) {
    const peer = peers[a.who] as Peer;
    if (a.kind === 'edit') {
      if (peer.client.version < 0) continue;
      const op = randomEdit(peer.client.content, a);
      if (op.length === 0) continue;
      peer.client.applyLocal(op);
      if (a.insert !== '') typed.push(a.insert);
    } else if (a.kind === 'reconnect') {
      // Whatever was on the wire is lost with the connection.
      peer.session.close();
      peer.toServer.length = 0;
      peer.toClient.length = 0;
      connect(peer);
    } else {
      step(peer, a.kind);
    }
  }
  // Let the network settle.
  for (let rounds = 0; rounds < 10_000; rounds++) {
    const busy = peers.filter((p) => p.toServer.length > 0 || p.toClient.length > 0);
    if (busy.length === 0) break;
    for (const p of busy) {
      step(p, 'toServer');
      step(p, 'toClient');
    }
  }
  const final = store.get(doc.id);
  return { peers, final, store, docId: doc.id, typed };
}

test('every client converges on the server text under any interleaving and reconnects', () => {
  fc.assert(
    fc.property(fc.array(action, { minLength: 20, maxLength: 150 }), fc.string({ maxLength: 6 }), (actions, initial) => {
      const { peers, final, store, docId } = run(actions, initial);
      assert.ok(final);
      for (const p of peers) {
        assert.equal(p.client.idle, true, 'every edit acknowledged');
        assert.equal(p.client.content, final.content);
        assert.equal(p.client.version, final.version);
      }
      // The snapshot is exactly the op log replayed on the initial text.
      const replayed = store.opsSince(docId, 0).reduce((text, o) => textType.apply(text, o.op), initial);
      assert.equal(replayed, final.content);
      // Each op was applied once: versions are consecutive.
      assert.deepEqual(
        store.opsSince(docId, 0).map((o) => o.version),
        Array.from({ length: final.version }, (_, i) => i + 1),
      );
    }),
    { numRuns: 300 },
  );
});

test('with nothing deleted, every character typed anywhere is in the final text', () => {
  fc.assert(
    fc.property(
      fc.array(action.map((a) => (a.kind === 'edit' ? { ...a, remove: 0 } : a)), { minLength: 20, maxLength: 100 }),
      (actions) => {
        const { peers, final, typed } = run(actions, '');
        assert.ok(final);
        for (const p of peers) assert.equal(p.client.content, final.content);
        const sorted = (chars: string[]) => [...chars].sort().join('');
        assert.equal(sorted(Array.from(final.content)), sorted(typed.flatMap((t) => Array.from(t))));
      },
    ),
    { numRuns: 100 },
  );
});

test('diffToOp turns any text into any other', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 12 }), (a, b) => {
      assert.equal(textType.apply(a, diffToOp(a, b)), b);
    }),
  );
});

test('editing before the first snapshot is refused', () => {
  const client = new OtClient('x', () => {});
  assert.throws(() => client.applyLocal(['hi']), /before the first snapshot/);
});
