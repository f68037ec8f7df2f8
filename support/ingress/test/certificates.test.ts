import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { CertificateManager, CertificateSchema, IssuerSchema, SecretSchema, firstPem } from '../certificates.ts';
import { issueCertificate } from '../x509.ts';

const hour = 3_600_000;

test('issued certificates are real X.509: a CA, and a server certificate it signs for its DNS names, ECDSA or RSA', () => {
  const now = new Date();
  for (const algorithm of ['ECDSA', 'RSA'] as const) {
    const ca = issueCertificate({ commonName: 'test CA', dnsNames: [], isCA: true, notBefore: now, notAfter: new Date(now.getTime() + hour), algorithm });
    const leaf = issueCertificate({ dnsNames: ['a.example.test', '*.b.example.test'], isCA: false, notBefore: now, notAfter: new Date(now.getTime() + hour), algorithm, issuer: ca });
    const caCert = new crypto.X509Certificate(ca.certPem);
    const cert = new crypto.X509Certificate(leaf.certPem);
    assert.equal(caCert.ca, true);
    assert.equal(cert.ca, false);
    assert.equal(cert.issuer, 'CN=test CA');
    assert.ok(cert.verify(caCert.publicKey), 'signed by the CA');
    assert.ok(cert.checkIssued(caCert));
    assert.equal(cert.checkHost('a.example.test'), 'a.example.test');
    assert.equal(cert.checkHost('x.b.example.test'), '*.b.example.test', 'the wildcard name matched');
    assert.equal(cert.checkHost('c.example.test'), undefined);
    assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(leaf.keyPem)));
    assert.equal(Date.parse(cert.validTo), Math.floor((now.getTime() + hour) / 1000) * 1000);
  }
  const notCa = issueCertificate({ dnsNames: ['x.test'], isCA: false, notBefore: now, notAfter: new Date(now.getTime() + hour), algorithm: 'ECDSA' });
  assert.throws(() => issueCertificate({ dnsNames: ['y.test'], isCA: false, notBefore: now, notAfter: new Date(now.getTime() + hour), algorithm: 'ECDSA', issuer: notCa }), /is not a CA certificate/);
});

const doc = <T>(schema: { parse: (v: unknown) => T }, kind: string, name: string, spec: unknown): T => schema.parse({ apiVersion: 'cert-manager.io/v1', kind, metadata: { name }, spec });

test('the manager issues a CA chain in order, renews before the end, reissues a changed spec, and keeps an unchanged one', async () => {
  const secrets: string[] = [];
  // 1 manifest second = 1 ms.
  const manager = new CertificateManager({ timeScale: 0.001, onSecret: (n) => secrets.push(n) });
  manager.apply({
    secrets: [],
    issuers: [doc(IssuerSchema, 'Issuer', 'ca', { ca: { secretName: 'root' } }), doc(IssuerSchema, 'Issuer', 'self', { selfSigned: {} })],
    certificates: [
      // Listed before the CA it needs: issued after it all the same.
      doc(CertificateSchema, 'Certificate', 'site', { secretName: 'site-tls', dnsNames: ['site.test'], duration: '1h', renewBefore: '59m', privateKey: { algorithm: 'ECDSA' }, issuerRef: { name: 'ca' } }),
      doc(CertificateSchema, 'Certificate', 'root', { secretName: 'root', commonName: 'root', isCA: true, privateKey: { algorithm: 'ECDSA' }, issuerRef: { name: 'self' } }),
    ],
  });
  assert.deepEqual(secrets, ['root', 'site-tls']);
  const site = manager.secret('site-tls');
  const root = manager.secret('root');
  assert.ok(site && root);
  assert.ok(new crypto.X509Certificate(firstPem(site.crt)).checkIssued(new crypto.X509Certificate(root.crt)));
  assert.equal(site.ca, root.crt, 'ca.crt is the issuer');
  assert.equal(manager.status('site').revision, 1);
  // Renewed 60 manifest seconds after issue (60 ms here), whatever the clock's milliseconds: about 4
  // times in 300 ms, not in a loop (the rounded validity ends up to a second later than the duration).
  await new Promise((r) => setTimeout(r, 300));
  const renewed = manager.status('site').revision;
  assert.ok(renewed >= 2 && renewed <= 6, `renewed every 60 ms: revision ${renewed} after 300 ms`);
  assert.notEqual(manager.secret('site-tls')?.crt, site.crt);
  const revision = manager.status('root').revision;
  manager.apply({ secrets: [], issuers: [], certificates: [doc(CertificateSchema, 'Certificate', 'root', { secretName: 'root', commonName: 'root', isCA: true, privateKey: { algorithm: 'ECDSA' }, issuerRef: { name: 'self' } })] });
  assert.equal(manager.status('root').revision, revision, 'applied again unchanged: not reissued');
  manager.apply({ secrets: [], issuers: [], certificates: [doc(CertificateSchema, 'Certificate', 'root', { secretName: 'root', commonName: 'root v2', isCA: true, privateKey: { algorithm: 'ECDSA' }, issuerRef: { name: 'self' } })] });
  assert.equal(manager.status('root').revision, revision + 1);
  assert.match(manager.events.filter((e) => e.certificate === 'root').at(-2)?.message ?? '', /spec changed/);
  manager.close();
});

test('a Certificate whose issuer is missing, or whose CA Secret is, fails saying which; bad manifests name the field', () => {
  const manager = new CertificateManager({ timeScale: 1 });
  manager.apply({ secrets: [], issuers: [doc(IssuerSchema, 'Issuer', 'ca', { ca: { secretName: 'nowhere' } })], certificates: [
    doc(CertificateSchema, 'Certificate', 'a', { secretName: 'a', dnsNames: ['a.test'], issuerRef: { name: 'missing' } }),
    doc(CertificateSchema, 'Certificate', 'b', { secretName: 'b', dnsNames: ['b.test'], issuerRef: { name: 'ca' } }),
  ] });
  assert.deepEqual([manager.status('a').ready, manager.status('a').message], [false, 'Issuer "missing" not found']);
  assert.match(manager.status('b').message, /Issuer ca: its CA Secret "nowhere" does not exist/);
  manager.close();
  const issues = (schema: { safeParse: (v: unknown) => { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown) =>
    schema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  assert.deepEqual(issues(CertificateSchema, { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'c' }, spec: { secretName: 's', dnsNames: ['x.test'], duration: '30m', issuerRef: { name: 'i' } } }), ['spec.duration: expected at least 1h (cert-manager\'s minimum)']);
  assert.deepEqual(issues(CertificateSchema, { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'c' }, spec: { secretName: 's', dnsNames: ['x.test'], renewBefore: '3000h', issuerRef: { name: 'i' } } }), ['spec.renewBefore: expected less than the duration (2160h)']);
  assert.match(issues(IssuerSchema, { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'i' }, spec: { acme: {} } }).join(), /acme/);
  const now = new Date();
  const one = issueCertificate({ dnsNames: ['x.test'], isCA: false, notBefore: now, notAfter: new Date(now.getTime() + hour), algorithm: 'ECDSA' });
  const two = issueCertificate({ dnsNames: ['x.test'], isCA: false, notBefore: now, notAfter: new Date(now.getTime() + hour), algorithm: 'ECDSA' });
  const secret = (crt: string, key: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': crt, 'tls.key': key } });
  assert.deepEqual(issues(SecretSchema, secret(one.certPem, one.keyPem)), []);
  assert.deepEqual(issues(SecretSchema, secret(one.certPem, two.keyPem)), ['data.tls.crt: tls.key is not the key of the certificate in tls.crt (CN=x.test)']);
  assert.match(issues(SecretSchema, secret('not a cert', one.keyPem)).join(), /tls\.crt is not a PEM certificate/);
});

test('a renewal months away waits (a Node timer of more than 24.8 days would fire at once)', async () => {
  const manager = new CertificateManager({ timeScale: 1 });
  manager.apply({ secrets: [], issuers: [doc(IssuerSchema, 'Issuer', 'self', { selfSigned: {} })], certificates: [doc(CertificateSchema, 'Certificate', 'long', { secretName: 'long', dnsNames: ['long.test'], privateKey: { algorithm: 'ECDSA' }, issuerRef: { name: 'self' } })] });
  await new Promise((r) => setTimeout(r, 100));
  const s = manager.status('long');
  assert.equal(s.revision, 1);
  const lifetime = Date.parse(s.renewalTime as string) - Date.parse(s.notBefore as string);
  assert.ok(lifetime >= 1440 * 3_600_000 && lifetime < 1440 * 3_600_000 + 1000, `renewed when a third of 90 days is left: after ${lifetime} ms`);
  manager.close();
});
