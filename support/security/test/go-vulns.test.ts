import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goFindings, jsonStream } from '../go-vulns.ts';

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
