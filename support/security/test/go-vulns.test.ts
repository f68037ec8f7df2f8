import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { applyAcceptances, goFindings, jsonStream, readAcceptedVulnerabilities, type GoProgramScan } from '../go-vulns.ts';

// govulncheck -format json writes pretty-printed objects one after another (protocol v1.0.0).
const STREAM = `{
  "config": { "protocol_version": "v1.0.0", "scanner_version": "v1.9.0", "scan_mode": "binary" }
}
{ "progress": { "message": "Scanning your binary for known vulnerabilities..." } }
{ "SBOM": { "go_version": "go1.26.8", "modules": [ { "path": "golang.org/x/net", "version": "v0.1.0" }, { "path": "stdlib", "version": "go1.26.8" } ] } }
{ "osv": { "id": "GO-2026-6603", "aliases": ["CVE-2026-1"], "summary": "HTTP/2 server memory exhaustion due to \\"Trailer\\" headers {in} net/http" } }
{ "osv": { "id": "GO-2025-0001", "summary": "Something in x/net/html" } }
{ "osv": { "id": "GO-2025-0002", "summary": "Module only" } }
{ "finding": { "osv": "GO-2026-6603", "fixed_version": "v1.26.9", "trace": [ { "module": "stdlib", "version": "v1.26.8" } ] } }
{ "finding": { "osv": "GO-2026-6603", "fixed_version": "v1.26.9", "trace": [ { "module": "stdlib", "version": "v1.26.8", "package": "net/http" } ] } }
{ "finding": { "osv": "GO-2026-6603", "fixed_version": "v1.26.9", "trace": [ { "module": "stdlib", "version": "v1.26.8", "package": "net/http", "function": "Do", "receiver": "*Client" } ] } }
{ "finding": { "osv": "GO-2026-6603", "fixed_version": "v1.26.9", "trace": [ { "module": "stdlib", "version": "v1.26.8", "package": "net/http", "function": "CanonicalHeaderKey" } ] } }
{ "finding": { "osv": "GO-2025-0001", "fixed_version": "v0.2.0", "trace": [ { "module": "golang.org/x/net", "version": "v0.1.0", "package": "golang.org/x/net/html" } ] } }
{ "finding": { "osv": "GO-2025-0002", "trace": [ { "module": "golang.org/x/net", "version": "v0.1.0" } ] } }
`;

test('govulncheck JSON: one finding per vulnerability, at the deepest level reached, with its functions', () => {
  const values = jsonStream(STREAM);
  assert.equal(values.length, 12);
  const { goVersion, modules, findings } = goFindings(values);
  assert.equal(goVersion, 'go1.26.8');
  assert.equal(modules, 2);
  assert.deepEqual(
    findings.map((f) => [f.id, f.level, f.module, f.version, f.fixed, f.functions.join(' ')]),
    [
      ['GO-2026-6603', 'called', 'stdlib', 'v1.26.8', 'v1.26.9', 'net/http.Client.Do net/http.CanonicalHeaderKey'],
      ['GO-2025-0001', 'imported', 'golang.org/x/net', 'v0.1.0', 'v0.2.0', ''],
      ['GO-2025-0002', 'required', 'golang.org/x/net', 'v0.1.0', undefined, ''],
    ],
  );
  assert.equal(findings[0]?.summary, 'HTTP/2 server memory exhaustion due to "Trailer" headers {in} net/http');
  assert.deepEqual(findings[0]?.aliases, ['CVE-2026-1']);
});

test('acceptances: a called finding accepted for a program until a date; expired, stale and malformed ones', (t) => {
  const { findings } = goFindings(jsonStream(STREAM));
  const scans: GoProgramScan[] = [
    { program: 'kube-apiserver', file: '/bin/kube-apiserver', goVersion: 'go1.27.3', modules: 2, findings },
    { program: 'kubelet', file: '/bin/kubelet', goVersion: 'go1.27.3', modules: 2, findings },
  ];
  const base = { reason: 'no fixed version exists; the cluster serves 127.0.0.1 only', accepted_by: 'A. Person (SRE)' };
  const verdict = applyAcceptances(
    scans,
    [
      { id: 'GO-2026-6603', programs: ['kube-apiserver'], until: '2027-01-31', ...base },
      { id: 'GO-2026-6603', programs: ['kubelet'], until: '2026-11-30', ...base },
      { id: 'GO-2026-9999', programs: ['kubelet'], until: '2027-01-31', ...base },
      { id: 'GO-2026-8888', programs: ['helm'], until: '2027-01-31', ...base },
    ],
    '2026-12-07',
  );
  assert.deepEqual(verdict.accepted.map((f) => `${f.program} ${f.id}`), ['kube-apiserver GO-2026-6603']);
  assert.deepEqual(verdict.open.map((f) => `${f.program} ${f.id}`), ['kubelet GO-2026-6603'], 'its acceptance expired; imported and required ones never fail');
  assert.deepEqual(verdict.expired.map((a) => `${a.programs.join()} ${a.until}`), ['kubelet 2026-11-30']);
  assert.deepEqual(verdict.stale.map((a) => a.id), ['GO-2026-9999'], 'one for a program not scanned is not stale');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-accepted-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'accepted.yaml');
  fs.writeFileSync(file, ['- id: GO-2026-6603', '  programs: [kubelet]', '  reason: no fixed version exists in any release', '  accepted_by: A. Person (SRE)', '  until: 2027-01-31', '- id: CVE-2026-1', '  programs: []', '  reason: short', '  accepted_by: A. Person', '  until: soon', ''].join('\n'));
  assert.throws(() => readAcceptedVulnerabilities(file), (err: Error) => {
    assert.match(err.message, /accepted\.yaml:6 \[1\]\.id: a Go vulnerability id \(GO-YYYY-NNNN\)/);
    assert.match(err.message, /accepted\.yaml:7 \[1\]\.programs: /);
    assert.match(err.message, /accepted\.yaml:8 \[1\]\.reason: why it is acceptable/);
    assert.match(err.message, /accepted\.yaml:10 \[1\]\.until: the date/);
    return true;
  });
});
