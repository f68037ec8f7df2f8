// Certificate management as cert-manager does it (cert-manager.io/v1), on
// the local and docker platforms: an Issuer (or ClusterIssuer) is
// self-signed or a CA whose certificate and key are in a Secret; a
// Certificate names DNS names, a duration and when to renew, and its
// issuer; the manager issues it into a kubernetes.io/tls Secret (tls.crt with
// the chain, tls.key, ca.crt) and issues it again `renewBefore` its end.
// Durations are scaled by the platform's time scale, the certificate's
// validity too. TLS Secrets written by hand are read and checked the same way.
import crypto from 'node:crypto';
import { z } from 'zod';
import { Duration, parseDuration } from '../manifests/duration.ts';
import { Metadata } from '../rollout/model.ts';
import { DnsName } from './model.ts';
import { issueCertificate } from './x509.ts';

export const IssuerSchema = z
  .object({
    apiVersion: z.literal('cert-manager.io/v1', { error: 'expected apiVersion cert-manager.io/v1' }),
    kind: z.enum(['Issuer', 'ClusterIssuer']),
    metadata: Metadata,
    spec: z
      .object({ selfSigned: z.object({}).strict().optional(), ca: z.object({ secretName: z.string().min(1) }).strict().optional() })
      .strict()
      .refine((s) => (s.selfSigned === undefined) !== (s.ca === undefined), 'expected exactly one of selfSigned: {} or ca: {secretName} (ACME and Vault issuers need the network)'),
  });

export type Issuer = z.output<typeof IssuerSchema>;

export const CertificateSchema = z
  .object({
    apiVersion: z.literal('cert-manager.io/v1', { error: 'expected apiVersion cert-manager.io/v1' }),
    kind: z.literal('Certificate'),
    metadata: Metadata,
    spec: z
      .object({
        secretName: z.string().min(1, 'expected the name of the Secret to write'),
        commonName: z.string().optional(),
        dnsNames: z.array(DnsName).default([]),
        // cert-manager's defaults: 90 days, renewed when a third is left.
        duration: Duration.default('2160h'),
        renewBefore: Duration.optional(),
        isCA: z.boolean().default(false),
        issuerRef: z.object({ name: z.string().min(1), kind: z.enum(['Issuer', 'ClusterIssuer']).default('Issuer'), group: z.literal('cert-manager.io').optional() }).strict(),
        privateKey: z.object({ algorithm: z.enum(['RSA', 'ECDSA'], { error: 'expected RSA or ECDSA' }).default('RSA'), size: z.number().int().optional() }).default({ algorithm: 'RSA' }),
      })
      .superRefine((s, ctx) => {
        if (s.dnsNames.length === 0 && s.commonName === undefined) ctx.addIssue({ code: 'custom', path: ['dnsNames'], message: 'expected dnsNames or a commonName' });
        const duration = parseDuration(s.duration) as number;
        if (duration < 3_600_000) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'expected at least 1h (cert-manager\'s minimum)' });
        if (s.renewBefore !== undefined && (parseDuration(s.renewBefore) as number) >= duration) ctx.addIssue({ code: 'custom', path: ['renewBefore'], message: `expected less than the duration (${s.duration})` });
        if (s.privateKey.algorithm === 'ECDSA' && s.privateKey.size !== undefined && s.privateKey.size !== 256) ctx.addIssue({ code: 'custom', path: ['privateKey', 'size'], message: 'expected 256: ECDSA keys are P-256 here' });
        if (s.privateKey.algorithm === 'RSA' && s.privateKey.size !== undefined && ![2048, 3072, 4096].includes(s.privateKey.size)) ctx.addIssue({ code: 'custom', path: ['privateKey', 'size'], message: 'expected 2048, 3072 or 4096' });
      }),
  });

export type Certificate = z.output<typeof CertificateSchema>;

/** The longest wait a Node timer takes (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const decode = (v: string) => Buffer.from(v, 'base64').toString('utf8');

/** A v1 Secret; a kubernetes.io/tls one must hold a certificate and the key that goes with it. */
export const SecretSchema = z
  .object({
    apiVersion: z.literal('v1', { error: 'expected apiVersion v1' }),
    kind: z.literal('Secret'),
    metadata: Metadata,
    type: z.string().default('Opaque'),
    data: z.record(z.string(), z.string().regex(/^[A-Za-z0-9+/=\s]*$/, 'expected base64 (or use stringData)')).default({}),
    stringData: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((s, ctx) => {
    if (s.type !== 'kubernetes.io/tls') return;
    const value = (k: string) => s.stringData[k] ?? (s.data[k] !== undefined ? decode(s.data[k]) : undefined);
    const crt = value('tls.crt');
    const key = value('tls.key');
    if (crt === undefined || key === undefined) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: 'a kubernetes.io/tls Secret needs tls.crt and tls.key' });
      return;
    }
    const problem = tlsPairProblem(crt, key);
    if (problem) ctx.addIssue({ code: 'custom', path: ['data', 'tls.crt'], message: problem });
  })
  .transform((s) => ({ ...s, values: { ...Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, decode(v)])), ...s.stringData } }));

export type Secret = z.output<typeof SecretSchema>;

/** Why a PEM certificate and key are not a TLS pair, or undefined when they are. */
export function tlsPairProblem(crtPem: string, keyPem: string): string | undefined {
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(crtPem);
  } catch (err) {
    return `tls.crt is not a PEM certificate: ${(err as Error).message}`;
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(keyPem);
  } catch (err) {
    return `tls.key is not a PEM private key: ${(err as Error).message}`;
  }
  if (!cert.checkPrivateKey(key)) return `tls.key is not the key of the certificate in tls.crt (${cert.subject})`;
  return undefined;
}

export interface TlsSecret {
  name: string;
  /** The certificate then its chain, PEM. */
  crt: string;
  key: string;
  /** The issuing CA's certificate, when known. */
  ca?: string;
}

export interface CertificateStatus {
  name: string;
  secretName: string;
  ready: boolean;
  message: string;
  /** Times issued (1 after the first issue, 2 after the first renewal...). */
  revision: number;
  serial?: string;
  notBefore?: string;
  notAfter?: string;
  renewalTime?: string;
}

export interface CertificateEvent {
  at: string;
  certificate: string;
  reason: 'Issuing' | 'Issued' | 'Failed';
  message: string;
}

/** Issues and renews the Certificates applied, into Secrets the ingress serves from. */
export class CertificateManager {
  readonly events: CertificateEvent[] = [];
  private readonly issuers = new Map<string, Issuer>();
  private readonly certificates = new Map<string, { spec: Certificate; status: CertificateStatus; timer?: NodeJS.Timeout }>();
  private readonly secrets = new Map<string, TlsSecret>();
  private closed = false;

  constructor(private readonly options: { timeScale: number; onEvent?: (e: CertificateEvent) => void; onSecret?: (name: string) => void }) {}

  secret(name: string): TlsSecret | undefined {
    return this.secrets.get(name);
  }

  status(name: string): CertificateStatus {
    const c = this.certificates.get(name);
    if (c === undefined) throw new Error(`no Certificate "${name}" (certificates: ${[...this.certificates.keys()].join(', ') || 'none'})`);
    return structuredClone(c.status);
  }

  names(): string[] {
    return [...this.certificates.keys()];
  }

  /** Stores Secrets and Issuers, then issues every Certificate not issued yet (an issuer's CA first). */
  apply(docs: { secrets: Secret[]; issuers: Issuer[]; certificates: Certificate[] }): void {
    for (const s of docs.secrets) {
      if (s.type !== 'kubernetes.io/tls') continue;
      this.secrets.set(s.metadata.name, { name: s.metadata.name, crt: s.values['tls.crt'] as string, key: s.values['tls.key'] as string, ...(s.values['ca.crt'] ? { ca: s.values['ca.crt'] } : {}) });
      this.options.onSecret?.(s.metadata.name);
    }
    for (const i of docs.issuers) this.issuers.set(`${i.kind}/${i.metadata.name}`, i);
    for (const c of docs.certificates) {
      const existing = this.certificates.get(c.metadata.name);
      // Applied again unchanged: nothing to do (kubectl apply's "unchanged").
      if (existing && JSON.stringify(existing.spec.spec) === JSON.stringify(c.spec)) continue;
      if (existing) clearTimeout(existing.timer);
      const reason = existing ? 'Issuing certificate as its spec changed' : 'Issuing certificate as Secret does not exist';
      this.certificates.set(c.metadata.name, { spec: c, status: { name: c.metadata.name, secretName: c.spec.secretName, ready: false, message: reason, revision: existing?.status.revision ?? 0 } });
    }
    // A CA Issuer's Secret may come from another Certificate: go round until nothing more can be issued.
    for (let progress = true; progress; ) {
      progress = false;
      for (const [name, c] of this.certificates) if (!c.status.ready && this.issue(name, false)) progress = true;
    }
    for (const [name, c] of this.certificates) if (!c.status.ready) this.issue(name, true);
  }

  /** Issues one Certificate; `final`: a failure is reported (else it waits for another round). */
  private issue(name: string, final: boolean): boolean {
    const entry = this.certificates.get(name);
    if (entry === undefined || this.closed) return false;
    const { spec } = entry;
    const issuer = this.issuers.get(`${spec.spec.issuerRef.kind}/${spec.spec.issuerRef.name}`);
    const fail = (message: string) => {
      if (!final) return false;
      entry.status = { ...entry.status, ready: false, message };
      this.event(name, 'Failed', message);
      return false;
    };
    if (issuer === undefined) return fail(`${spec.spec.issuerRef.kind} "${spec.spec.issuerRef.name}" not found`);
    let signer: { certPem: string; keyPem: string } | undefined;
    if (issuer.spec.ca) {
      const ca = this.secrets.get(issuer.spec.ca.secretName);
      if (ca === undefined) return fail(`${issuer.kind} ${issuer.metadata.name}: its CA Secret "${issuer.spec.ca.secretName}" does not exist`);
      signer = { certPem: firstPem(ca.crt), keyPem: ca.key };
    }
    const scale = this.options.timeScale;
    const duration = (parseDuration(spec.spec.duration) as number) * scale;
    const renewBefore = spec.spec.renewBefore !== undefined ? (parseDuration(spec.spec.renewBefore) as number) * scale : duration / 3;
    // X.509 validity has whole seconds: rounded outward, it covers the scaled duration. The renewal is
    // timed from the unrounded issue time: timed from the rounded end, a scaled renewBefore close to
    // the duration could fall before the issue itself, and renew in a loop until the second turns.
    const issuedAt = Date.now();
    const notBefore = new Date(Math.floor(issuedAt / 1000) * 1000);
    const notAfter = new Date(Math.ceil((issuedAt + duration) / 1000) * 1000);
    this.event(name, 'Issuing', entry.status.message.startsWith('Issuing') ? entry.status.message : 'Renewing certificate as renewal was scheduled');
    let issued;
    try {
      issued = issueCertificate({ ...(spec.spec.commonName !== undefined ? { commonName: spec.spec.commonName } : {}), dnsNames: spec.spec.dnsNames, isCA: spec.spec.isCA, notBefore, notAfter, algorithm: spec.spec.privateKey.algorithm, ...(spec.spec.privateKey.size !== undefined ? { size: spec.spec.privateKey.size } : {}), ...(signer ? { issuer: signer } : {}) });
    } catch (err) {
      return fail(`cannot issue: ${(err as Error).message}`);
    }
    const chain = signer ? `${issued.certPem}${signer.certPem}` : issued.certPem;
    this.secrets.set(spec.spec.secretName, { name: spec.spec.secretName, crt: chain, key: issued.keyPem, ca: signer?.certPem ?? issued.certPem });
    const renewal = new Date(issuedAt + duration - renewBefore);
    entry.status = {
      name,
      secretName: spec.spec.secretName,
      ready: true,
      message: 'Certificate is up to date and has not expired',
      revision: entry.status.revision + 1,
      serial: issued.serial,
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      renewalTime: renewal.toISOString(),
    };
    this.event(name, 'Issued', `The certificate has been successfully issued (revision ${entry.status.revision}, serial ${issued.serial}, valid until ${notAfter.toISOString()}, renewal at ${renewal.toISOString()})`);
    this.options.onSecret?.(spec.spec.secretName);
    this.scheduleRenewal(name, renewal.getTime());
    return true;
  }

  /** Renews at `at`; a timer cannot wait more than about 24.8 days, so a longer wait is taken in steps. */
  private scheduleRenewal(name: string, at: number): void {
    const entry = this.certificates.get(name);
    if (entry === undefined || this.closed) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      if (Date.now() < at) return this.scheduleRenewal(name, at);
      entry.status = { ...entry.status, ready: false, message: 'Renewing certificate as renewal was scheduled' };
      try {
        this.issue(name, true);
      } catch (err) {
        // Still served: the Secret keeps the certificate it has until a renewal succeeds.
        entry.status = { ...entry.status, message: `renewal failed: ${(err as Error).message}` };
        this.event(name, 'Failed', entry.status.message);
      }
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
    entry.timer.unref();
  }

  private event(certificate: string, reason: CertificateEvent['reason'], message: string): void {
    const e = { at: new Date().toISOString(), certificate, reason, message };
    this.events.push(e);
    this.options.onEvent?.(e);
  }

  close(): void {
    this.closed = true;
    for (const c of this.certificates.values()) clearTimeout(c.timer);
  }
}

/** The first certificate of a PEM bundle. */
export function firstPem(bundle: string): string {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(bundle);
  if (m === null) throw new Error('no PEM certificate in the bundle');
  return m[0].endsWith('\n') ? m[0] : `${m[0]}\n`;
}
