// Ingresses on the local platform: real rollouts-demo processes behind
// Service routers, an ingress-nginx canary Ingress splitting a host's
// requests, HTTPS from certificates the platform issued, and the TLS review
// failing on what it should catch.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { after, test } from 'node:test';
import { tempDataDir } from '../../../services/common/testing.ts';
import { LocalPlatform } from '../../platform/local/platform.ts';
import { demoCanary } from '../../platform/local/test/demo-manifests.ts';
import { runOpenModelLoad } from '../../traffic/load.ts';
import { IngressSchema } from '../model.ts';
import { httpsGet, reviewIngressTls } from '../tls-review.ts';
import { issueCertificate } from '../x509.ts';

const dir = tempDataDir('ingress-manifests');
const platforms: LocalPlatform[] = [];
after(async () => {
  for (const p of platforms) await p.close();
});

function manifest(name: string, text: string): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

const ingress = (name: string, service: string, extra: { annotations?: string; tls?: string } = {}) => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  annotations: {${extra.annotations ?? ''}}
spec:
  ${extra.tls ? `tls: [{hosts: [shop.example.test], secretName: ${extra.tls}}]` : ''}
  rules:
  - host: shop.example.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: ${service}, port: {number: 80}}}}]}
`;

const CERTS = `apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: self}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: ca}
spec: {isCA: true, commonName: test CA, secretName: ca, privateKey: {algorithm: ECDSA}, issuerRef: {name: self}}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: ca}
spec: {ca: {secretName: ca}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: shop}
spec: {secretName: shop-tls, dnsNames: [shop.example.test], privateKey: {algorithm: ECDSA}, issuerRef: {name: ca}}
`;

test('a canary Ingress takes exactly its canary-weight of canary-weight-total of the host\'s requests; a second canary for the host is refused', async () => {
  const p = new LocalPlatform({ timeScale: 0.02, drainTimeoutMs: 5000 });
  platforms.push(p);
  await p.applyFiles([manifest('blue', demoCanary('blue')), manifest('green', demoCanary('green', { image: 'argoproj/rollouts-demo:green' }))]);
  await p.applyFiles([manifest('ingresses', ingress('shop', 'blue') + ingress('shop-canary', 'green', { annotations: 'nginx.ingress.kubernetes.io/canary: "true", nginx.ingress.kubernetes.io/canary-weight: "1", nginx.ingress.kubernetes.io/canary-weight-total: "4"' }))]);
  const result = await runOpenModelLoad({ target: p.serviceUrl('shop'), ratePerSecond: 200, durationMs: 2000, request: () => ({ path: '/color', headers: { host: 'shop.example.test' } }), timeoutMs: 5000 });
  assert.equal(result.failed, 0);
  const green = result.versions.green ?? 0;
  assert.ok(Math.abs(green - result.completed / 4) <= 1, `green served ${green} of ${result.completed}: expected a quarter`);
  await assert.rejects(p.applyFiles([manifest('second', ingress('shop-canary-2', 'green', { annotations: 'nginx.ingress.kubernetes.io/canary: "true"' }))]), /ingress-nginx takes one canary Ingress per host, and shop-canary is already the canary of shop\.example\.test/);
  assert.equal(IngressSchema.safeParse({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'x', annotations: { 'nginx.ingress.kubernetes.io/canary-weight': '150' } }, spec: { defaultBackend: { service: { name: 's', port: { number: 80 } } } } }).error?.issues[0]?.message, 'expected a whole number from 0 to 100 (the canary-weight-total), got "150"');
});

test('HTTPS from an issued certificate passes review; without ssl-redirect, or with TLS 1.0 allowed, the review says so', async () => {
  const p = new LocalPlatform({ timeScale: 0.02, drainTimeoutMs: 5000 });
  platforms.push(p);
  await p.applyFiles([manifest('blue-tls', demoCanary('blue')), manifest('certs', CERTS), manifest('tls', ingress('shop', 'blue', { tls: 'shop-tls' }))]);
  const ca = p.certificates.secret('ca')?.crt as string;
  const addresses = p.ingressAddresses('shop');
  const answer = await httpsGet(addresses.https as string, 'shop.example.test', ca, '/color');
  assert.equal(answer.status, 200);
  assert.equal(answer.version, 'blue');
  assert.deepEqual((await reviewIngressTls(addresses.spec, addresses, ca)).filter((c) => !c.passed), []);
  // A client trusting another CA refuses the certificate.
  const stranger = issueCertificate({ commonName: 'other CA', dnsNames: [], isCA: true, notBefore: new Date(), notAfter: new Date(Date.now() + 3_600_000), algorithm: 'ECDSA' });
  await assert.rejects(httpsGet(addresses.https as string, 'shop.example.test', stranger.certPem), /self-signed certificate in certificate chain|unable to verify|UNABLE_TO_GET_ISSUER/);

  await p.applyFiles([manifest('no-redirect', ingress('shop', 'blue', { tls: 'shop-tls', annotations: 'nginx.ingress.kubernetes.io/ssl-redirect: "false"' }))]);
  const failed = (await reviewIngressTls(p.ingressAddresses('shop').spec, p.ingressAddresses('shop'), ca)).filter((c) => !c.passed);
  assert.deepEqual(failed.map((c) => [c.check, c.detail]), [['shop.example.test: plain HTTP is redirected to HTTPS, same host and path', '200']]);

  // A server of old ways: TLS 1.0 accepted is a finding.
  const leaf = issueCertificate({ dnsNames: ['shop.example.test'], isCA: false, notBefore: new Date(), notAfter: new Date(Date.now() + 3_600_000), algorithm: 'ECDSA', issuer: { certPem: ca, keyPem: p.certificates.secret('ca')?.key as string } });
  const lax = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, (s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
  await new Promise<void>((r) => lax.listen(0, '127.0.0.1', () => r()));
  const port = (lax.address() as { port: number }).port;
  const laxChecks = await reviewIngressTls(addresses.spec, { http: 'http://127.0.0.1:1', https: `https://127.0.0.1:${port}` }, ca);
  lax.close();
  assert.deepEqual(laxChecks.filter((c) => !c.passed && /TLSv1 /.test(`${c.check} `)).map((c) => c.check), ['shop.example.test: TLSv1 refused']);
});

test('what an Ingress asks that the local platforms do not serve is said, not silently dropped', async () => {
  const { unservedOf } = await import('../model.ts');
  const spec = IngressSchema.parse({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop', annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary' } },
    spec: { rules: [{ host: 'shop.example.test', http: { paths: [{ path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 80 } } } }, { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  });
  assert.deepEqual(unservedOf(spec), [
    'spec.rules[0].http.paths[1] (/ → web): only the first rule\'s first path is routed; every request goes to api',
    'spec.rules[0].http.paths[0].path /api: every path is routed, not only /api',
    'metadata.annotations.nginx.ingress.kubernetes.io/canary-by-header: canary by header or cookie is not served; the canary takes its weight only',
  ]);
});
