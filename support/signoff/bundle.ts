// The sign-off bundle in reports/signoff/: the decision (signoff.json), a
// one-page summary (index.html, and signoff.pdf printed by Chromium), copies
// of the run summaries, and MANIFEST.sha256: the SHA-256 of every evidence
// file, in sha256sum's format with paths relative to the bundle, so that
// `cutover signoff verify` (or `sha256sum -c MANIFEST.sha256` run inside the
// folder) tells later whether anything was changed since the decision.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { escapeHtml } from '../../services/common/html.ts';
import { launchChromium } from '../browser/chromium.ts';
import { coverageChart } from '../evidence/charts.ts';
import type { Decision } from './decision.ts';

export const MANIFEST = 'MANIFEST.sha256';

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Every file under dir (relative paths, sorted), without the folders named in skip. */
function filesUnder(dir: string, skip: Set<string> = new Set()): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((rel) => !skip.has(rel.split(path.sep)[0] as string))
    .sort();
}

const seconds = (ms: number | undefined) => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`);

export async function summaryHtml(decision: Decision): Promise<string> {
  const go = decision.verdict === 'GO';
  const table = (head: string[], rows: string[][]) =>
    `<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.join('')}</tr>`).join('\n')}</table>`;
  const td = (v: unknown, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(v)}</td>`;
  const passedRequired = decision.required.filter((r) => r.status === 'passed').length;
  const breached = decision.slos.filter((s) => !s.passed).length;
  const chart = await coverageChart(
    'PRD coverage per document',
    decision.coverage.flatMap((d) => [
      { section: d.document, state: 'automated', count: d.automated },
      { section: d.document, state: 'manual', count: d.manual },
      { section: d.document, state: 'not applicable', count: d.notApplicable },
      { section: d.document, state: 'missing', count: d.missing },
    ]),
  );
  const links = decision.runs.map((r) => {
    const dir = path.dirname(r.file) === '.' ? '..' : `../${path.dirname(r.file)}`;
    return `<li>${escapeHtml(r.file)} (${escapeHtml(r.platform)}, profile ${escapeHtml(r.profile)}): <a href="${escapeHtml(`${dir}/cucumber.html`)}">Cucumber report</a></li>`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Release sign-off: ${decision.verdict}</title><style>
body{font:12px sans-serif;margin:16px;color:#222} h1{margin:0 0 6px} h2{font-size:14px;margin:16px 0 4px}
.verdict{display:inline-block;padding:6px 14px;border-radius:4px;color:#fff;font-size:20px;font-weight:bold}
.go{background:#2e7d32} .nogo{background:#c62828} table{border-collapse:collapse;margin:4px 0} td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
td.bad{color:#c62828;font-weight:bold} td.ok{color:#2e7d32} ul{margin:4px 0} small{color:#666}
</style></head><body>
<h1>Release sign-off <span class="verdict ${go ? 'go' : 'nogo'}">${decision.verdict}</span></h1>
<p><small>Decided ${escapeHtml(decision.decidedAt)}${decision.require ? `; required scenarios: ${escapeHtml(decision.require)}` : '; every scenario of the runs required'}. Evidence checksums: ${MANIFEST} (<code>npx cutover signoff verify</code>).</small></p>
${go ? '<p>Every required scenario passed, no SLO was breached, every PRD item is covered and every manual item is attested.</p>' : `<h2>Why not</h2><ul>${decision.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>`}
<h2>Runs</h2>
${table(['summary', 'platform', 'profile', 'time scale', 'started', 'verdict', 'scenarios', 'passed', 'failed', 'commit'], decision.runs.map((r) => [td(r.file), td(r.platform), td(r.profile), td(r.timeScale ?? ''), td(r.startedAt), td(r.verdict, r.verdict === 'passed' ? 'ok' : 'bad'), td(r.scenarios), td(r.passed), td(r.failed, r.failed > 0 ? 'bad' : ''), td(r.gitCommit ?? '')]))}
<p>Required scenarios: ${passedRequired} of ${decision.required.length} passed. Reports: <a href="../allure-report/index.html">Allure report</a></p><ul>${links.join('')}</ul>
<h2>SLOs (${decision.slos.length}, ${breached} breached)</h2>
${table(['scenario', 'platform', 'traffic', 'threshold', 'measured', 'window', 'engine', ''], decision.slos.map((s) => [td(s.scenario), td(s.platform), td(s.traffic), td(s.threshold), td(Number.isInteger(s.measured) ? s.measured : s.measured.toFixed(4)), td(s.window), td(s.engine), td(s.passed ? 'met' : 'BREACHED', s.passed ? 'ok' : 'bad')]))}
<h2>Rollouts and rollbacks</h2>
${table(['scenario', 'rollout', 'strategy', 'from', 'to', 'phase', 'rollout time', 'rollback time'], decision.rollouts.map((r) => [td(r.scenario), td(r.rollout), td(r.strategy), td(r.from), td(r.to), td(r.phase), td(seconds(r.rolloutMs)), td(seconds(r.rollbackMs))]))}
<h2>PRD coverage</h2>
${table(['document', 'automated', 'manual', 'not applicable', 'missing'], decision.coverage.map((d) => [td(d.title), td(d.automated), td(d.manual), td(d.notApplicable), td(d.missing, d.missing > 0 ? 'bad' : 'ok')]))}
${chart}
<h2>Success criteria per phase (${decision.phases.filter((p) => p.validated).length} of ${decision.phases.length} phases validated)</h2>
<p><small>A phase is validated when every item in it was proven (a scenario tagged with it passed in these runs and none failed), attested, or does not apply.</small></p>
${table(['document', 'phase', 'items', 'proven', 'attested', 'not applicable', 'failed', 'not run', 'unattested', 'missing', ''], decision.phases.map((p) => [td(p.document), td(p.phase), td(p.items), td(p.proven), td(p.attested), td(p.notApplicable), td(p.failed, p.failed > 0 ? 'bad' : ''), td(p.notRun, p.notRun > 0 ? 'bad' : ''), td(p.unattested, p.unattested > 0 ? 'bad' : ''), td(p.missing, p.missing > 0 ? 'bad' : ''), td(p.validated ? 'validated' : 'not validated', p.validated ? 'ok' : 'bad')]))}
<h2>Manual items (${decision.manual.filter((m) => m.attestedBy).length} of ${decision.manual.length} attested)</h2>
${table(['item', 'attested by', 'when', 'evidence'], decision.manual.map((m) => [td(m.text), m.attestedBy ? td(m.attestedBy.who) : td('not attested', 'bad'), td(m.attestedBy?.when ?? ''), m.attestedBy ? `<td><a href="${escapeHtml(m.attestedBy.evidence)}">${escapeHtml(m.attestedBy.evidence)}</a></td>` : td('')]))}
</body></html>`;
}

export interface WrittenBundle {
  dir: string;
  files: string[];
  /** How many files the manifest lists. */
  hashed: number;
  pdf: boolean;
}

/**
 * Writes the bundle into <resultsDir>/signoff (replacing an earlier one) and
 * hashes every file of the results folder into its manifest.
 */
export async function writeSignoff(decision: Decision, resultsDir: string, options: { pdf?: boolean } = {}): Promise<WrittenBundle> {
  const dir = path.join(resultsDir, 'signoff');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'evidence'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'signoff.json'), `${JSON.stringify(decision, null, 2)}\n`);
  for (const r of decision.runs) {
    fs.copyFileSync(path.join(resultsDir, r.file), path.join(dir, 'evidence', r.file.replaceAll(path.sep, '-')));
  }
  for (const m of decision.manual) {
    const file = m.attestedBy?.file;
    if (file !== undefined && !fs.existsSync(path.join(dir, 'evidence', path.basename(file)))) fs.copyFileSync(file, path.join(dir, 'evidence', path.basename(file)));
  }
  const html = await summaryHtml(decision);
  fs.writeFileSync(path.join(dir, 'index.html'), html);
  let pdf = false;
  if (options.pdf !== false) {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setContent(html, { waitUntil: 'load' });
      await page.pdf({ path: path.join(dir, 'signoff.pdf'), format: 'A4', landscape: true, printBackground: true, margin: { top: '10mm', bottom: '10mm', left: '8mm', right: '8mm' } });
      pdf = true;
    } finally {
      await browser.close();
    }
  }
  // The bundle's own files, then the evidence around it (the reports of every run).
  const inside = filesUnder(dir);
  const outside = filesUnder(resultsDir, new Set(['signoff'])).map((f) => path.join('..', f));
  const lines = [...inside, ...outside].map((rel) => `${sha256(path.join(dir, rel))}  ${rel.split(path.sep).join('/')}`);
  fs.writeFileSync(path.join(dir, MANIFEST), `${lines.join('\n')}\n`);
  return { dir, files: [...inside, MANIFEST], hashed: lines.length, pdf };
}

export interface Verification {
  checked: number;
  /** Listed, present, and not the bytes that were signed off. */
  changed: string[];
  /** Listed and gone: a file of the bundle, or evidence beside it. */
  missing: string[];
  /** Evidence beside the bundle that is not here (the bundle was moved on its own): not checked. */
  notHere: string[];
  /** Files in the results folder that appeared after the sign-off. */
  added: string[];
  ok: boolean;
}

/**
 * Checks a bundle against its manifest. The bundle's own files must all be
 * there and unchanged. The evidence beside it is checked when it is there;
 * when none of it is (the bundle was attached to a release on its own), that
 * is said, not failed.
 */
export function verifySignoff(dir: string): Verification {
  const manifestFile = path.join(dir, MANIFEST);
  if (!fs.existsSync(manifestFile)) throw new Error(`${manifestFile}: no manifest: not a sign-off bundle (npx cutover signoff writes one)`);
  const entries = fs
    .readFileSync(manifestFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      if (m === null) throw new Error(`${manifestFile}:${i + 1}: expected "<sha256>  <path>", got "${line.slice(0, 80)}"`);
      return { hash: m[1] as string, rel: m[2] as string };
    });
  const evidenceThere = entries.some((e) => e.rel.startsWith('../') && fs.existsSync(path.join(dir, e.rel)));
  const v: Verification = { checked: 0, changed: [], missing: [], notHere: [], added: [], ok: true };
  for (const { hash, rel } of entries) {
    const file = path.join(dir, rel);
    if (!fs.existsSync(file)) {
      if (rel.startsWith('../') && !evidenceThere) v.notHere.push(rel);
      else v.missing.push(rel);
      continue;
    }
    v.checked++;
    if (sha256(file) !== hash) v.changed.push(rel);
  }
  const listed = new Set(entries.map((e) => e.rel));
  const ownFiles = filesUnder(dir).filter((f) => f !== MANIFEST);
  const around = evidenceThere ? filesUnder(path.dirname(path.resolve(dir)), new Set([path.basename(path.resolve(dir))])).map((f) => `../${f}`) : [];
  v.added = [...ownFiles, ...around].map((f) => f.split(path.sep).join('/')).filter((f) => !listed.has(f));
  v.ok = v.changed.length === 0 && v.missing.length === 0 && v.added.length === 0;
  return v;
}
