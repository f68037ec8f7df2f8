// The review of an Ingress's TLS, made against what it serves, not only what
// it says: every host it routes is in a tls entry; over HTTPS (a new
// connection each time, the host sent as SNI) the certificate names the host,
// is in its validity period and chains to the CA the clients trust; answers
// carry HSTS; TLS 1.2 and 1.3 are accepted, 1.0 and 1.1 refused by the
// server; plain HTTP is redirected to HTTPS for the same host and path.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Ingress } from './model.ts';

export interface TlsAnswer {
  status: number;
  protocol: string;
  cipher: string;
  serial: string;
  subject: string;
  subjectAltName: string;
  validFrom: string;
  validTo: string;
  /** What the service answered with (its X-App-Version). */
  version?: string;
  /** The Strict-Transport-Security header, if any. */
  hsts?: string;
}

/** One HTTPS request on a connection of its own, trusting only `ca`; rejects on a handshake or certificate problem. */
export function httpsGet(url: string, host: string, ca: string, path = '/', timeoutMs = 5_000): Promise<TlsAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = https.request({ host: u.hostname, port: u.port, path, method: 'GET', servername: host, headers: { host }, ca, agent: false, timeout: timeoutMs }, (res) => {
      const socket = res.socket as tls.TLSSocket;
      const cert = socket.getPeerCertificate();
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          protocol: socket.getProtocol() ?? '',
          cipher: socket.getCipher()?.name ?? '',
          serial: cert.serialNumber,
          subject: String(cert.subject?.CN ?? ''),
          subjectAltName: cert.subjectaltname ?? '',
          validFrom: new Date(cert.valid_from).toISOString(),
          validTo: new Date(cert.valid_to).toISOString(),
          ...(typeof res.headers['x-app-version'] === 'string' ? { version: res.headers['x-app-version'] } : {}),
          ...(typeof res.headers['strict-transport-security'] === 'string' ? { hsts: res.headers['strict-transport-security'] } : {}),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** A bare handshake with one protocol version only: the protocol agreed, or the error that ended it. */
function handshake(url: string, host: string, ca: string, version: tls.SecureVersion): Promise<{ ok: boolean; detail: string }> {
  const u = new URL(url);
  return new Promise((resolve) => {
    // SECLEVEL=0 lets this client offer the old versions, so a refusal is the server's.
    const socket = tls.connect({ host: u.hostname, port: Number(u.port), servername: host, ca, minVersion: version, maxVersion: version, ciphers: 'DEFAULT:@SECLEVEL=0', timeout: 5_000 }, () => {
      resolve({ ok: true, detail: `${socket.getProtocol()} ${socket.getCipher()?.name ?? ''}`.trim() });
      socket.end();
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve({ ok: false, detail: 'no handshake within 5 s' });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, detail: err.code ?? err.message }));
  });
}

function plainGet(url: string, host: string, path: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { headers: { host }, agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}) });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

export interface ReviewCheck {
  check: string;
  passed: boolean;
  detail: string;
}

/** Every check of the review, passed or not (none stops the others). */
export async function reviewIngressTls(ingress: Ingress, addresses: { http: string; https?: string }, ca: string): Promise<ReviewCheck[]> {
  const checks: ReviewCheck[] = [];
  const add = (check: string, passed: boolean, detail: string) => checks.push({ check, passed, detail });
  const hosts = [...new Set(ingress.spec.rules.map((r) => r.host).filter((h): h is string => h !== undefined))];
  const covered = new Set(ingress.spec.tls.flatMap((t) => t.hosts));
  const uncovered = hosts.filter((h) => !covered.has(h));
  add('every host the Ingress routes is in a tls entry', hosts.length > 0 && uncovered.length === 0, uncovered.length > 0 ? `not covered: ${uncovered.join(', ')}` : hosts.length === 0 ? 'the Ingress names no host' : hosts.join(', '));
  if (addresses.https === undefined) {
    add('HTTPS is served', false, 'the Ingress has no tls entry: nothing listens for HTTPS');
    return checks;
  }
  for (const host of hosts) {
    try {
      const answer = await httpsGet(addresses.https, host, ca);
      const now = Date.now();
      add(`${host}: HTTPS answered, the certificate verified against the CA`, answer.status < 500, `${answer.status} over ${answer.protocol} (${answer.cipher}), serial ${answer.serial}`);
      add(`${host}: the certificate names the host`, answer.subjectAltName.split(', ').some((n) => n === `DNS:${host}` || (n.startsWith('DNS:*.') && host.endsWith(n.slice(5)))), answer.subjectAltName || 'no subjectAltName');
      add(`${host}: the certificate is within its validity period`, Date.parse(answer.validFrom) <= now && now < Date.parse(answer.validTo), `${answer.validFrom} to ${answer.validTo}`);
      // Browsers then refuse plain HTTP for the host: a downgrade needs more than a redirect stripped.
      const maxAge = Number(/max-age=(\d+)/.exec(answer.hsts ?? '')?.[1] ?? 0);
      add(`${host}: HTTPS answers carry HSTS (Strict-Transport-Security, max-age of at least 180 days)`, maxAge >= 180 * 86_400, answer.hsts ?? 'no Strict-Transport-Security header');
    } catch (err) {
      add(`${host}: HTTPS answered, the certificate verified against the CA`, false, (err as Error).message);
    }
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const r = await handshake(addresses.https, host, ca, version);
      add(`${host}: ${version} accepted`, r.ok, r.detail);
    }
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      const r = await handshake(addresses.https, host, ca, version);
      add(`${host}: ${version} refused`, !r.ok, r.ok ? `accepted: ${r.detail}` : r.detail);
    }
    try {
      const plain = await plainGet(addresses.http, host, '/health?from=review');
      const location = plain.location ? new URL(plain.location) : undefined;
      const redirected = [301, 302, 307, 308].includes(plain.status) && location?.protocol === 'https:' && location.hostname === host && location.pathname + location.search === '/health?from=review';
      add(`${host}: plain HTTP is redirected to HTTPS, same host and path`, redirected, `${plain.status}${plain.location ? ` → ${plain.location}` : ''}`);
    } catch (err) {
      add(`${host}: plain HTTP is redirected to HTTPS, same host and path`, false, (err as Error).message);
    }
  }
  return checks;
}

/** The serial of a PEM certificate, as TLS reports it. */
export const serialOf = (pem: string) => new crypto.X509Certificate(pem).serialNumber;
