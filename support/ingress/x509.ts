// X.509 certificates issued in process, as cert-manager's issuers do: a key
// pair (ECDSA P-256 or RSA) and a v3 certificate for DNS names, signed by a
// CA's key or by its own (self-signed). Node can parse and verify
// certificates but not make them, so the DER is written here: the
// TBSCertificate of RFC 5280 with the extensions a TLS server certificate and
// a CA need (subjectAltName, basicConstraints, keyUsage, extKeyUsage, key
// identifiers). OpenSSL (through Node's TLS) is what checks them.
import crypto from 'node:crypto';

export type KeyAlgorithm = 'ECDSA' | 'RSA';

export interface IssuedCertificate {
  /** PEM of the certificate. */
  certPem: string;
  /** PEM (PKCS#8) of its private key. */
  keyPem: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateRequest {
  commonName?: string;
  dnsNames: string[];
  isCA: boolean;
  notBefore: Date;
  notAfter: Date;
  algorithm: KeyAlgorithm;
  /** RSA modulus bits (2048 default); ECDSA is P-256. */
  size?: number;
  /** The issuer's certificate and key; absent: self-signed. */
  issuer?: { certPem: string; keyPem: string };
}

// ---- DER ------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const NULL = Buffer.from([0x05, 0x00]);

/** A non-negative INTEGER from big-endian bytes (a leading 0 where the top bit is set). */
function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1] as number) < 0x80) b = b.subarray(1);
  return tlv(0x02, (b[0] as number) >= 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** A BIT STRING of whole bytes (a key, a signature). */
const bits = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);

/** A named-bit BIT STRING (keyUsage): bit 0 is the top bit of the first byte; trailing zero bits are not encoded (DER). */
function namedBits(set: number[]): Buffer {
  const top = Math.max(...set);
  const bytes = Buffer.alloc(Math.floor(top / 8) + 1);
  for (const bit of set) bytes[Math.floor(bit / 8)] = (bytes[Math.floor(bit / 8)] as number) | (0x80 >> bit % 8);
  return tlv(0x03, Buffer.from([7 - (top % 8)]), bytes);
}

function time(d: Date): Buffer {
  const iso = d.toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  // RFC 5280: UTCTime through 2049, GeneralizedTime after.
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));

const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

// ---- issuing --------------------------------------------------------------

const pem = (label: string, der: Buffer) => `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

/** The key identifier of a public key: SHA-1 of its SPKI (a child's authority key id is its issuer's subject key id, both made here). */
const keyId = (spki: Buffer) => crypto.createHash('sha1').update(spki).digest();

/** Issues a certificate (and a new key for it) as the request says. */
export function issueCertificate(request: CertificateRequest): IssuedCertificate {
  if (request.dnsNames.length === 0 && request.commonName === undefined) throw new Error('a certificate needs dnsNames or a commonName');
  if (!(request.notAfter > request.notBefore)) throw new Error('a certificate must end after it starts');
  const pair =
    request.algorithm === 'RSA'
      ? crypto.generateKeyPairSync('rsa', { modulusLength: request.size ?? 2048 })
      : crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
  const subjectName = request.commonName ?? request.dnsNames[0] ?? '';
  const signer = request.issuer ? crypto.createPrivateKey(request.issuer.keyPem) : pair.privateKey;
  const issuerCert = request.issuer ? new crypto.X509Certificate(request.issuer.certPem) : undefined;
  if (issuerCert && !issuerCert.ca) throw new Error(`the issuer's certificate (${issuerCert.subject}) is not a CA certificate`);
  const issuerName = issuerCert ? issuerCert.raw.subarray(...subjectRange(issuerCert.raw)) : name(subjectName);
  const issuerSpki = issuerCert ? issuerCert.publicKey.export({ type: 'spki', format: 'der' }) : spki;
  const algorithm = signer.asymmetricKeyType === 'rsa' ? seq(oid('1.2.840.113549.1.1.11'), NULL) : seq(oid('1.2.840.10045.4.3.2'));
  const serialBytes = crypto.randomBytes(16);
  serialBytes[0] = (serialBytes[0] as number) & 0x7f;
  const extensions = [
    extension('2.5.29.19', true, seq(...(request.isCA ? [bool(true)] : []))),
    extension('2.5.29.15', true, namedBits(request.isCA ? [0, 5, 6] : [0, 2])),
    ...(request.isCA ? [] : [extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1')))]),
    ...(request.dnsNames.length > 0 ? [extension('2.5.29.17', false, seq(...request.dnsNames.map((d) => tlv(0x82, Buffer.from(d, 'ascii')))))] : []),
    extension('2.5.29.14', false, octets(keyId(spki))),
    extension('2.5.29.35', false, seq(tlv(0x80, keyId(issuerSpki)))),
  ];
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serialBytes),
    algorithm,
    issuerName,
    seq(time(request.notBefore), time(request.notAfter)),
    name(subjectName),
    spki,
    explicit(3, seq(...extensions)),
  );
  const signature = crypto.sign('sha256', tbs, signer);
  const der = seq(tbs, algorithm, bits(signature));
  return {
    certPem: pem('CERTIFICATE', der),
    keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    serial: serialBytes.toString('hex').toUpperCase(),
    notBefore: request.notBefore,
    notAfter: request.notAfter,
  };
}

/** Where the subject Name sits in a certificate's DER (so an issued certificate's issuer is its CA's subject, byte for byte). */
function subjectRange(der: Buffer): [number, number] {
  // Certificate SEQUENCE → TBSCertificate SEQUENCE → fields in order.
  const header = (at: number): { start: number; end: number } => {
    const first = der[at + 1] as number;
    if (first < 0x80) return { start: at + 2, end: at + 2 + first };
    const n = first & 0x7f;
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[at + 2 + i] as number);
    return { start: at + 2 + n, end: at + 2 + n + len };
  };
  const tbs = header(header(0).start);
  let at = tbs.start;
  const skip = () => {
    const h = header(at);
    const from = at;
    at = h.end;
    return [from, h.end] as [number, number];
  };
  if (der[at] === 0xa0) skip(); // version
  skip(); // serial
  skip(); // signature algorithm
  skip(); // issuer
  skip(); // validity
  return skip(); // subject
}
