// The HTTPS side of an Ingress: TLS terminated here with the certificate of
// the Secret its `tls` entry names (chosen by SNI, the first one for a client
// that sends none), TLS 1.2 and 1.3 only, as ingress-nginx's default
// ssl-protocols; each connection, once its handshake is done, is handed to
// the Ingress's router like one of its own. A renewed Secret is served from
// the next handshake on: connections already open keep theirs.
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';

export interface ServedCertificate {
  hosts: string[];
  /** The certificate then its chain, PEM. */
  cert: string;
  key: string;
}

const matches = (pattern: string, host: string) => pattern === host || (pattern.startsWith('*.') && host.endsWith(pattern.slice(1)) && !host.slice(0, -pattern.length + 1).includes('.'));

export class TlsFront {
  private readonly server: tls.Server;
  private contexts: { hosts: string[]; context: tls.SecureContext }[] = [];
  private address = '';
  readonly sockets = new Set<tls.TLSSocket>();

  constructor(accept: (socket: tls.TLSSocket) => void) {
    this.server = tls.createServer({ minVersion: 'TLSv1.2', SNICallback: (servername, cb) => cb(null, this.contextFor(servername)) }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      accept(socket);
    });
    // A failed handshake (a client refusing the certificate, an old protocol) is the client's to report.
    this.server.on('tlsClientError', () => {});
  }

  /** The certificates to serve; with none, every handshake fails. */
  setCertificates(entries: ServedCertificate[]): void {
    this.contexts = entries.map((e) => ({ hosts: e.hosts, context: tls.createSecureContext({ cert: e.cert, key: e.key, minVersion: 'TLSv1.2' }) }));
    const first = entries[0];
    if (first) this.server.setSecureContext({ cert: first.cert, key: first.key, minVersion: 'TLSv1.2' });
  }

  private contextFor(servername: string): tls.SecureContext | undefined {
    return (this.contexts.find((c) => c.hosts.some((h) => matches(h, servername.toLowerCase()))) ?? this.contexts[0])?.context;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.address = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.address;
  }

  get url(): string {
    return this.address;
  }

  get port(): number | undefined {
    return this.address ? Number(new URL(this.address).port) : undefined;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
