// Ingress TLS and certificates (local and docker platforms): what an Ingress
// serves over HTTPS, checked as a client that trusts only the CA in a
// Secret would check it; the review of its TLS; a certificate's renewal
// under HTTPS requests.
import { Then } from '@cucumber/cucumber';
import { httpsGet, reviewIngressTls, type TlsAnswer } from '../support/ingress/tls-review.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** The CA certificate clients trust: ca.crt of the Secret (tls.crt for a CA's own Secret without one). */
function trustedCa(world: CutoverWorld, secret: string): string {
  const s = world.session.localPlatform('TLS Secrets').certificates.secret(secret);
  if (s === undefined) throw new Error(`no TLS Secret "${secret}" has been applied or issued`);
  return s.ca ?? s.crt;
}

function httpsOf(world: CutoverWorld, ingress: string): { https: string; host: string } {
  const a = world.session.localPlatform('Ingresses').ingressAddresses(ingress);
  if (a.https === undefined) throw new Error(`Ingress ${ingress} has no tls entry: it serves no HTTPS`);
  if (a.host === undefined) throw new Error(`Ingress ${ingress} names no host to ask for`);
  return { https: a.https, host: a.host };
}

/** One HTTPS request for the Ingress's host, trusting only the CA: answered (not 5xx) with a certificate for the host. */
Then('Ingress {string} answers over HTTPS for its host with a certificate that the CA in Secret {string} signs', async function (this: CutoverWorld, ingress: string, secret: string) {
  const { https, host } = httpsOf(this, ingress);
  const answer = await httpsGet(https, host, trustedCa(this, secret)).catch((err: Error) => {
    throw new Error(`HTTPS to Ingress ${ingress} (${https}, SNI ${host}) failed: ${err.message}`);
  });
  const names = answer.subjectAltName.split(', ');
  await this.evidence.verify(`Ingress ${ingress} answers over HTTPS with a certificate for ${host}`, answer.status < 500 && names.includes(`DNS:${host}`), { expected: `a certificate for ${host}, an answer below 500`, measured: answer }, () => `Ingress ${ingress}: ${answer.status} over ${answer.protocol}, certificate for ${answer.subjectAltName || answer.subject}`);
});

/** The review: hosts covered by TLS, certificate, chain, validity, protocol versions, HTTP redirect (support/ingress/tls-review.ts). */
Then('the TLS configuration of Ingress {string} passes review, trusting the CA in Secret {string}', async function (this: CutoverWorld, ingress: string, secret: string) {
  const addresses = this.session.localPlatform('Ingresses').ingressAddresses(ingress);
  const checks = await reviewIngressTls(addresses.spec, addresses, trustedCa(this, secret));
  const failed = checks.filter((c) => !c.passed);
  await this.evidence.verify(`TLS review of Ingress ${ingress}`, failed.length === 0, { expected: 'every check passed', measured: `${checks.length - failed.length} of ${checks.length} passed`, details: checks }, () =>
    `TLS review of Ingress ${ingress}: ${failed.length} of ${checks.length} checks failed:\n${failed.map((c) => `  ${c.check}: ${c.detail}`).join('\n')}`,
  );
});

/**
 * Renewal: the certificate is issued again (a new serial served) within the
 * bound (scaled), while a request every 100 ms, each on a new HTTPS
 * connection trusting only the CA, never fails.
 */
Then('certificate {string} is renewed within {duration}, while HTTPS requests to Ingress {string} every 100 ms all succeed, trusting the CA in Secret {string}', async function (this: CutoverWorld, certificate: string, ms: number, ingress: string, secret: string) {
  const manager = this.session.localPlatform('certificates').certificates;
  const { https, host } = httpsOf(this, ingress);
  const ca = trustedCa(this, secret);
  const before = manager.status(certificate);
  const boundMs = this.session.scaledWait(ms);
  const started = Date.now();
  const answers: (TlsAnswer & { at: string })[] = [];
  const failures: { at: string; error: string }[] = [];
  let renewedAt: number | undefined;
  while (Date.now() - started < boundMs) {
    const at = new Date().toISOString();
    try {
      const a = await httpsGet(https, host, ca);
      answers.push({ ...a, at });
      if (a.status >= 500) failures.push({ at, error: `status ${a.status}` });
      if (before.serial !== undefined && a.serial !== before.serial.replace(/^0+/, '') && a.serial !== before.serial) renewedAt ??= Date.now();
    } catch (err) {
      failures.push({ at, error: (err as Error).message });
    }
    // A few answers after the renewal: the new certificate is the one served from then on.
    if (renewedAt !== undefined && Date.now() - renewedAt > 1_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const after = manager.status(certificate);
  const serials = [...new Set(answers.map((a) => a.serial))];
  const renewed = renewedAt !== undefined && after.revision > before.revision;
  await this.evidence.verify(`certificate ${certificate} renewed under HTTPS requests, none failed`, renewed && failures.length === 0, {
    expected: `a new certificate served within ${boundMs} ms, no failed request`,
    measured: `${answers.length} answers, ${failures.length} failed; serials served: ${serials.join(' → ')}; revision ${before.revision} → ${after.revision}${renewedAt ? `; renewed after ${((renewedAt - started) / 1000).toFixed(1)} s` : ''}`,
    details: { before, after, failures, events: manager.events.filter((e) => e.certificate === certificate) },
  }, () =>
    renewed
      ? `certificate ${certificate} was renewed but ${failures.length} HTTPS request(s) failed: ${failures.slice(0, 3).map((f) => `${f.at} ${f.error}`).join('; ')}`
      : `certificate ${certificate} was not renewed within ${boundMs} ms (revision ${after.revision}, renewal due ${after.renewalTime ?? 'never'}); serials served: ${serials.join(', ')}`,
  );
});
