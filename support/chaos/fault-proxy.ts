// A TCP proxy that injects network faults between two components, the way
// Chaos Mesh's NetworkChaos does with netem and iptables on a pod's
// interface: added latency (with jitter and correlation), loss (a lost
// segment costs the stream a retransmission timeout; TCP delivers in order,
// so what follows waits too), a partition (nothing passes until it heals:
// data is held, as TCP keeps retransmitting, and new connections hang), and
// a bandwidth limit. It passes bytes untouched when no fault is set.
//
// Directions are relative to the pod the proxy belongs to, as in Chaos Mesh:
// "to" is what the pod sends, "from" what it receives. In front of a pod
// (podSide "server") the client's bytes are "from"; in front of a dependency
// the pod calls (podSide "client") the pod's bytes are "to".
import fs from 'node:fs';
import net from 'node:net';

export type FaultDirection = 'to' | 'from' | 'both';

export type NetworkFault =
  | { action: 'delay'; direction: FaultDirection; latencyMs: number; jitterMs: number; correlation: number }
  | { action: 'loss'; direction: FaultDirection; percent: number; correlation: number }
  | { action: 'partition'; direction: FaultDirection }
  | { action: 'bandwidth'; direction: FaultDirection; bytesPerSecond: number };

/** What a lost segment costs: Linux's minimum retransmission timeout. */
export const RETRANSMIT_MS = 200;

/** Above this many bytes held in a lane, its source is paused (backpressure instead of unbounded buffering). */
const HIGH_WATER = 1 << 20;

export interface FaultProxyOptions {
  /** For messages: e.g. "tinyurl-abc12 ingress" or "tinyurl-abc12 → redis". */
  name: string;
  /** Where bytes go; read at each new connection (a restarted pod has a new port). */
  target: () => { host: string; port: number };
  podSide: 'server' | 'client';
  random?: () => number;
}

export interface FaultProxyStats {
  connections: number;
  bytesForwarded: number;
  /** Segments that paid a retransmission timeout. */
  segmentsLost: number;
  /** Connections refused because the target did not answer. */
  upstreamErrors: number;
}

type LaneDirection = 'to' | 'from';

/** Correlated random draws, as netem's: next = (1 - c) * fresh + c * last. */
class Correlated {
  private last: number;
  constructor(private readonly random: () => number) {
    this.last = random();
  }
  next(correlation: number): number {
    this.last = (1 - correlation) * this.random() + correlation * this.last;
    return this.last;
  }
}

/** One direction of one connection: chunks leave in order, each at its release time. */
class Lane {
  private readonly queue: { data: Buffer; at: number }[] = [];
  private queuedBytes = 0;
  private lastRelease = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The destination's buffer is full: the source stays paused until it drains. */
  private blocked = false;
  /** Waiting for the queue to empty (the source ended). */
  private readonly drained: (() => void)[] = [];
  private readonly jitter: Correlated;
  private readonly lossDraw: Correlated;

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    readonly direction: LaneDirection,
    private readonly proxy: FaultProxy,
    random: () => number,
  ) {
    this.jitter = new Correlated(random);
    this.lossDraw = new Correlated(random);
    src.on('data', (chunk: Buffer) => this.push(chunk));
    src.on('end', () => this.whenEmpty(() => dst.end()));
  }

  private push(data: Buffer): void {
    const faults = this.proxy.faultsFor(this.direction);
    const now = Date.now();
    if (faults.length === 0 && this.queue.length === 0) {
      this.forward(data);
      return;
    }
    let at = now;
    for (const f of faults) {
      if (f.action === 'delay') at += Math.max(0, f.latencyMs + (this.jitter.next(f.correlation) * 2 - 1) * f.jitterMs);
      if (f.action === 'loss' && this.lossDraw.next(f.correlation) < f.percent / 100) {
        at += RETRANSMIT_MS;
        this.proxy.stats.segmentsLost++;
      }
    }
    // In order: nothing overtakes what was sent before it.
    at = Math.max(at, this.lastRelease);
    for (const f of faults) if (f.action === 'bandwidth') at += (data.length / f.bytesPerSecond) * 1000;
    this.lastRelease = at;
    this.queue.push({ data, at });
    this.queuedBytes += data.length;
    if (this.queuedBytes > HIGH_WATER) this.src.pause();
    this.schedule();
  }

  /** Releases what is due, unless partitioned; called again when faults change. */
  schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.proxy.partitioned(this.direction)) return;
    const now = Date.now();
    while (this.queue.length > 0 && (this.queue[0] as { at: number }).at <= now) {
      const { data } = this.queue.shift() as { data: Buffer };
      this.queuedBytes -= data.length;
      this.forward(data);
    }
    if (this.queuedBytes <= HIGH_WATER && !this.blocked && this.src.isPaused()) this.src.resume();
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => this.schedule(), Math.max(1, (this.queue[0] as { at: number }).at - now));
    } else {
      for (const f of this.drained.splice(0)) f();
    }
  }

  /** Writes on, with the destination's backpressure: as pipe() does. */
  private forward(data: Buffer): void {
    if (this.dst.destroyed) return;
    this.proxy.stats.bytesForwarded += data.length;
    if (this.dst.write(data) || this.blocked) return;
    this.blocked = true;
    this.src.pause();
    this.dst.once('drain', () => {
      this.blocked = false;
      if (this.queuedBytes <= HIGH_WATER) this.src.resume();
    });
  }

  private whenEmpty(f: () => void): void {
    if (this.queue.length === 0) f();
    else this.drained.push(f);
  }

  close(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

export class FaultProxy {
  readonly stats: FaultProxyStats = { connections: 0, bytesForwarded: 0, segmentsLost: 0, upstreamErrors: 0 };
  private readonly server: net.Server;
  private readonly faults = new Map<string, NetworkFault>();
  private readonly lanes = new Set<Lane>();
  private readonly sockets = new Set<net.Socket>();
  /** Connections that arrived during a partition, connected upstream when it heals. */
  private readonly waiting: (() => void)[] = [];
  private readonly random: () => number;
  port = 0;
  /** The Unix socket it listens on instead of a port, when given one. */
  socketPath: string | undefined;

  constructor(private readonly options: FaultProxyOptions) {
    this.random = options.random ?? Math.random;
    this.server = net.createServer((client) => this.accept(client));
  }

  get name(): string {
    return this.options.name;
  }

  /** Listens on a free loopback port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /**
   * Listens on a Unix socket instead (a container reaches it through a bind
   * mount, without any network address); anyone may connect, since the
   * container's user is not this process's.
   */
  async listenOnSocket(socketPath: string): Promise<void> {
    fs.rmSync(socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => resolve());
    });
    fs.chmodSync(socketPath, 0o666);
    this.socketPath = socketPath;
  }

  /** Sets a fault under an id (the experiment's name); several experiments add up. */
  setFault(id: string, fault: NetworkFault): void {
    this.faults.set(id, fault);
    this.reschedule();
  }

  clearFault(id: string): void {
    if (!this.faults.delete(id)) return;
    this.reschedule();
  }

  activeFaults(): string[] {
    return [...this.faults.keys()];
  }

  /** The faults that act on bytes travelling this way (relative to the pod). */
  faultsFor(direction: LaneDirection): NetworkFault[] {
    return [...this.faults.values()].filter((f) => f.direction === 'both' || f.direction === direction);
  }

  partitioned(direction: LaneDirection): boolean {
    return this.faultsFor(direction).some((f) => f.action === 'partition');
  }

  private reschedule(): void {
    for (const lane of this.lanes) lane.schedule();
    if (!this.partitioned('to') && !this.partitioned('from')) for (const connect of this.waiting.splice(0)) connect();
  }

  private accept(client: net.Socket): void {
    this.stats.connections++;
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    client.setNoDelay(true);
    client.pause();
    const connect = () => {
      if (client.destroyed) return;
      const { host, port } = this.options.target();
      const upstream = net.connect({ host, port });
      this.sockets.add(upstream);
      upstream.setNoDelay(true);
      upstream.once('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => {
        this.stats.upstreamErrors++;
        client.destroy();
      });
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
      upstream.once('connect', () => {
        // Lanes named by who sends: the pod is the server in front of a replica, the client in front of a dependency.
        const clientSends: LaneDirection = this.options.podSide === 'client' ? 'to' : 'from';
        const upstreamSends: LaneDirection = clientSends === 'to' ? 'from' : 'to';
        const lanes = [new Lane(client, upstream, clientSends, this, this.random), new Lane(upstream, client, upstreamSends, this, this.random)];
        for (const l of lanes) this.lanes.add(l);
        client.once('close', () => lanes.forEach((l) => (l.close(), this.lanes.delete(l))));
        client.resume();
      });
    };
    // A partition blackholes the handshake too: the connection hangs until it heals.
    if (this.partitioned('to') || this.partitioned('from')) this.waiting.push(connect);
    else connect();
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    this.faults.clear();
    this.waiting.length = 0;
    for (const l of this.lanes) l.close();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
