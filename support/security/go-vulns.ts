// Dependency vulnerability checks of the Go programs cutover runs (helm, the
// registry, the CI cluster's Kubernetes, etcd, Argo Rollouts and Argo CD):
// govulncheck in binary mode, which reads the modules and the Go version a
// program was built with and the functions it contains, against the Go
// vulnerability database. No advisory service can be reached from here, so the
// database is golang.org/x/vulndb at a pinned version, fetched as a module and
// indexed by its own indexdb command. A vulnerability whose vulnerable function
// is in the program is "called": that is what fails a check. One in a package or
// module the program has, whose function it does not contain, is reported only.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { HELM_MODULE, helmBinary } from '../helm/cli.ts';
import { parseYamlDocument } from '../manifests/load.ts';
import { REGISTRY_INSTALL_HINT, registryBinary } from '../platform/docker/registry.ts';

export const GO_VULNDB_MODULE = 'golang.org/x/vulndb';
/** The database's version: its pseudo-version says when it was taken (here 2026-11-05). */
export const GO_VULNDB_VERSION = 'v0.0.0-20261105234957-e22db6528018';
export const GOVULNCHECK_VERSION = 'v1.9.0';
export const GO_VULN_TOOLS_HINT = `GOTOOLCHAIN=go1.27.3 go install golang.org/x/vuln/cmd/govulncheck@${GOVULNCHECK_VERSION}, then the same for ${GO_VULNDB_MODULE}/cmd/indexdb@${GO_VULNDB_VERSION} (.ci/run does)`;

export interface GoVulnDb {
  dir: string;
  module: string;
  /** When the pinned database was taken (from its pseudo-version). */
  takenAt: string;
  entries: number;
}

/** A Go tool on PATH or in $(go env GOPATH)/bin. */
export function goTool(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8', timeout: 30_000 }).stdout?.trim();
  if (gopath) dirs.push(path.join(gopath, 'bin'));
  return dirs.map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
}

function takenAt(version: string): string {
  const m = /-(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)-[0-9a-f]{12}$/.exec(version);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : 'unknown';
}

/** The pinned database, indexed once per machine (in the temp folder, named after its version). */
export function goVulnDb(version = GO_VULNDB_VERSION): GoVulnDb {
  const dir = path.join(os.tmpdir(), `cutover-govulndb-${version}`);
  const module = `${GO_VULNDB_MODULE}@${version}`;
  const count = () => fs.readdirSync(path.join(dir, 'ID')).filter((f) => f.endsWith('.json')).length;
  if (fs.existsSync(path.join(dir, 'index', 'modules.json'))) return { dir, module, takenAt: takenAt(version), entries: count() };
  const indexdb = goTool('indexdb');
  if (!indexdb) throw new Error(`indexdb is not installed: ${GO_VULN_TOOLS_HINT}`);
  const dl = spawnSync('go', ['mod', 'download', '-json', module], { encoding: 'utf8', timeout: 600_000, cwd: os.tmpdir(), env: { ...process.env, GOFLAGS: '-mod=mod' } });
  if (dl.error || dl.status !== 0) throw new Error(`go mod download ${module} failed: ${dl.error?.message ?? `${dl.stdout} ${dl.stderr}`.trim()}`);
  const source = path.join((JSON.parse(dl.stdout) as { Dir: string }).Dir, 'data', 'osv');
  // Written beside, then renamed: a run stopped half-way leaves no half database behind the name.
  const partial = fs.mkdtempSync(`${dir}.partial-`);
  const r = spawnSync(indexdb, ['-vulns', source, '-out', path.join(partial, 'db')], { encoding: 'utf8', timeout: 300_000 });
  if (r.error || r.status !== 0) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw new Error(`indexdb -vulns ${source} failed: ${r.error?.message ?? r.stderr.trim()}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(path.join(partial, 'db'), dir);
  fs.rmSync(partial, { recursive: true, force: true });
  return { dir, module, takenAt: takenAt(version), entries: count() };
}

export type FindingLevel = 'called' | 'imported' | 'required';

export interface GoFinding {
  id: string;
  aliases: string[];
  summary: string;
  /** The module ("stdlib" for Go's standard library) and the version the program has. */
  module: string;
  version: string;
  fixed: string | undefined;
  level: FindingLevel;
  /** For a called one: the vulnerable functions the program contains (at most 5). */
  functions: string[];
}

export interface GoProgramScan {
  program: string;
  file: string;
  goVersion: string;
  modules: number;
  findings: GoFinding[];
}

/** The JSON values of govulncheck's stream (pretty-printed objects, one after another). */
export function jsonStream(text: string): Record<string, unknown>[] {
  const values: Record<string, unknown>[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) values.push(JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>);
  }
  return values;
}

interface Frame {
  module: string;
  version?: string;
  package?: string;
  function?: string;
  receiver?: string;
}

const RANK: Record<FindingLevel, number> = { required: 0, imported: 1, called: 2 };

/** Reads govulncheck's JSON output into one finding per vulnerability, at the deepest level seen. */
export function goFindings(stream: Record<string, unknown>[]): { goVersion: string; modules: number; findings: GoFinding[] } {
  const osv = new Map<string, { summary?: string; aliases?: string[] }>();
  let goVersion = 'unknown';
  let modules = 0;
  const byId = new Map<string, GoFinding>();
  for (const value of stream) {
    if (value.SBOM) {
      const sbom = value.SBOM as { go_version?: string; modules?: unknown[] };
      goVersion = sbom.go_version ?? goVersion;
      modules = sbom.modules?.length ?? 0;
    }
    if (value.osv) {
      const entry = value.osv as { id: string; summary?: string; aliases?: string[] };
      osv.set(entry.id, entry);
    }
    if (value.finding) {
      const f = value.finding as { osv: string; fixed_version?: string; trace: Frame[] };
      const top = f.trace[0];
      if (!top) continue;
      const level: FindingLevel = top.function ? 'called' : top.package ? 'imported' : 'required';
      const known = byId.get(f.osv);
      const finding: GoFinding = known ?? { id: f.osv, aliases: [], summary: '', module: top.module, version: top.version ?? '', fixed: f.fixed_version, level, functions: [] };
      if (RANK[level] > RANK[finding.level]) finding.level = level;
      if (top.function && finding.functions.length < 5) {
        const name = `${top.package ?? top.module}.${top.receiver ? `${top.receiver.replace(/^\*/, '')}.` : ''}${top.function}`;
        if (!finding.functions.includes(name)) finding.functions.push(name);
      }
      byId.set(f.osv, finding);
    }
  }
  const findings = [...byId.values()].map((f) => ({ ...f, summary: osv.get(f.id)?.summary ?? '', aliases: osv.get(f.id)?.aliases ?? [] }));
  findings.sort((a, b) => RANK[b.level] - RANK[a.level] || a.id.localeCompare(b.id));
  return { goVersion, modules, findings };
}

/** govulncheck -mode=binary over one program, bounded at 5 minutes. */
export function scanGoProgram(file: string, db: GoVulnDb, govulncheck = goTool('govulncheck')): GoProgramScan {
  if (!govulncheck) throw new Error(`govulncheck is not installed: ${GO_VULN_TOOLS_HINT}`);
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist`);
  const r = spawnSync(govulncheck, ['-db', `file://${db.dir}`, '-mode=binary', '-format', 'json', file], { encoding: 'utf8', timeout: 300_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`govulncheck ${file}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`govulncheck ${file} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return { program: path.basename(file), file, ...goFindings(jsonStream(r.stdout)) };
}

/** The Go programs in a folder (executables with Go's build information; others, like the pause image's C program, are left out). */
export function goProgramsIn(dir: string): string[] {
  const magic = Buffer.from('\xff Go buildinf:', 'latin1');
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(dir, e.name))
    .filter((file) => (fs.statSync(file).mode & 0o111) !== 0 && fs.readFileSync(file).includes(magic))
    .sort();
}

export const AcceptedVulnerabilitiesSchema = z.array(
  z.strictObject({
    id: z.string().regex(/^GO-\d{4}-\d+$/, 'a Go vulnerability id (GO-YYYY-NNNN)'),
    /** The programs (file names) it is accepted in. */
    programs: z.array(z.string().min(1)).min(1),
    reason: z.string().min(20, 'why it is acceptable, in a sentence or more'),
    accepted_by: z.string().min(3, 'who accepted it (name and role)'),
    until: z.iso.date('the date (YYYY-MM-DD) after which it is no longer accepted'),
  }),
);
export type AcceptedVulnerability = z.infer<typeof AcceptedVulnerabilitiesSchema>[number];

/** A list of accepted vulnerabilities; a malformed one fails with file, line and field. */
export function readAcceptedVulnerabilities(file: string): AcceptedVulnerability[] {
  return parseYamlDocument(fs.readFileSync(file, 'utf8'), file, AcceptedVulnerabilitiesSchema, `${file} is not a list of accepted vulnerabilities`, (m) => new Error(m));
}

export interface AcceptanceVerdict {
  /** Called findings no acceptance covers: these fail. */
  open: (GoFinding & { program: string })[];
  accepted: (GoFinding & { program: string; acceptance: AcceptedVulnerability })[];
  /** Acceptances past their date (what they covered is open again). */
  expired: AcceptedVulnerability[];
  /** Acceptances that cover nothing in these programs: the list must say what is true today. */
  stale: AcceptedVulnerability[];
}

/** Sorts the called findings of these scans into accepted and open, by a list of acceptances, on a day. */
export function applyAcceptances(scans: GoProgramScan[], acceptances: AcceptedVulnerability[], today = new Date().toISOString().slice(0, 10)): AcceptanceVerdict {
  const verdict: AcceptanceVerdict = { open: [], accepted: [], expired: acceptances.filter((a) => a.until < today), stale: [] };
  const used = new Set<AcceptedVulnerability>();
  for (const scan of scans) {
    for (const finding of scan.findings.filter((f) => f.level === 'called')) {
      const acceptance = acceptances.find((a) => a.id === finding.id && a.programs.includes(scan.program) && a.until >= today);
      if (acceptance) {
        used.add(acceptance);
        verdict.accepted.push({ ...finding, program: scan.program, acceptance });
      } else verdict.open.push({ ...finding, program: scan.program });
    }
  }
  const scanned = new Set(scans.map((s) => s.program));
  verdict.stale = acceptances.filter((a) => !used.has(a) && a.until >= today && a.programs.some((p) => scanned.has(p)));
  return verdict;
}

/**
 * The file of a Go program cutover runs, found as cutover finds it when it runs it (helm through
 * helmBinary, the registry through registryBinary), so that the check reads the very program that runs.
 */
export function goProgramFile(name: string): string {
  const locate: Record<string, () => { found: string | undefined; hint: string }> = {
    helm: () => ({ found: helmBinary(), hint: `GOTOOLCHAIN=go1.27.3 go install ${HELM_MODULE}` }),
    registry: () => ({ found: registryBinary(), hint: REGISTRY_INSTALL_HINT }),
  };
  const { found, hint } = locate[name]?.() ?? { found: goTool(name), hint: 'it is not one cutover runs' };
  if (!found) throw new Error(`${name} is not installed: ${hint}`);
  // A command found on PATH is named, not given as a file: govulncheck reads a file.
  return found.includes('/') ? found : (goTool(found) ?? found);
}

/** Every Go program of the CI cluster: the folder `bash ci/cluster/up.sh --bin` names (Kubernetes, etcd, Argo Rollouts, Argo CD). */
export function ciClusterGoPrograms(root = process.cwd()): { dir: string; files: string[] } {
  const r = spawnSync('bash', [path.join(root, 'ci/cluster/up.sh'), '--bin'], { encoding: 'utf8', timeout: 60_000 });
  const dir = r.stdout?.trim() ?? '';
  if (r.status !== 0 || dir === '') throw new Error(`bash ci/cluster/up.sh --bin failed: ${r.stderr?.trim() ?? r.error?.message}`);
  const files = fs.existsSync(dir) ? goProgramsIn(dir) : [];
  if (files.length === 0) throw new Error(`${dir} holds no Go program: build the cluster with bash ci/cluster/build.sh`);
  return { dir, files };
}

/** The evidence of a check: each program, each finding at its level (or accepted, with why), then expired and stale acceptances. */
export function goCheckReport(db: GoVulnDb, scans: GoProgramScan[], verdict: AcceptanceVerdict, accepted?: { file: string; entries: number }): string {
  const lines = [`Go vulnerability database: ${db.module} (${db.entries} entries, taken ${db.takenAt}); govulncheck -mode=binary`];
  if (accepted) lines.push(`accepted vulnerabilities: ${accepted.file} (${accepted.entries} entries)`);
  lines.push('');
  for (const s of scans) {
    lines.push(`${s.program}  ${s.file}  built with ${s.goVersion}, ${s.modules} modules`);
    for (const f of s.findings) {
      const acceptance = verdict.accepted.find((a) => a.program === s.program && a.id === f.id)?.acceptance;
      lines.push(`  ${(acceptance ? 'accepted' : f.level).padEnd(8)} ${f.id} ${f.aliases.join(' ')}  ${f.module}@${f.version} → ${f.fixed ?? 'no fix'}  ${f.summary}`);
      if (f.functions.length > 0) lines.push(`           contains ${f.functions.join(', ')}`);
      if (acceptance) lines.push(`           accepted by ${acceptance.accepted_by} until ${acceptance.until}: ${acceptance.reason}`);
    }
    if (s.findings.length === 0) lines.push('  no known vulnerability');
  }
  for (const a of verdict.expired) lines.push(`expired acceptance: ${a.id} (${a.programs.join(', ')}) until ${a.until}`);
  for (const a of verdict.stale) lines.push(`stale acceptance (covers nothing found): ${a.id} (${a.programs.join(', ')})`);
  return lines.join('\n');
}
