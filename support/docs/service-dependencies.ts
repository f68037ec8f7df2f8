// The operations guide's table of service dependencies, held to the code:
// every service in services/ has a row, and every setting a row names is one
// that service's code (or the common code every service runs on) reads.
import fs from 'node:fs';
import path from 'node:path';

export interface DependencyRow {
  line: number;
  service: string;
  dependsOn: string;
  setting: string | undefined;
}

/** The rows of the table under the heading "Service dependencies" (service | depends on | setting | …). */
export function dependencyRows(markdown: string, file: string): DependencyRow[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^#+\s+Service dependencies\s*$/.test(l));
  if (start < 0) throw new Error(`${file}: no "Service dependencies" section`);
  const rows: DependencyRow[] = [];
  for (let i = start + 1; i < lines.length && !/^#+\s/.test(lines[i] as string); i++) {
    const cells = (lines[i] as string).split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length < 3 || cells[0] === 'service' || /^-+$/.test(cells[0] ?? '')) continue;
    const setting = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[2] ?? '')?.[1];
    if (setting === undefined && cells[2] !== '—') throw new Error(`${file}:${i + 1}: the setting column holds \`NAME\` or —, not "${cells[2]}"`);
    rows.push({ line: i + 1, service: cells[0] as string, dependsOn: cells[1] as string, setting });
  }
  if (rows.length === 0) throw new Error(`${file}:${start + 1}: the "Service dependencies" section has no table rows`);
  return rows;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'test' || e.name === 'node_modules' ? [] : sources(p);
    return /\.ts$/.test(e.name) ? [p] : [];
  });
}

/** What is wrong with the table: a service without a row, a row for no service, a setting its code never reads. */
export function checkDependencyTable(root: string, docFile: string): { rows: DependencyRow[]; services: string[]; problems: string[] } {
  const rows = dependencyRows(fs.readFileSync(path.join(root, docFile), 'utf8'), docFile);
  const servicesDir = path.join(root, 'services');
  const services = fs
    .readdirSync(servicesDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'common' && fs.existsSync(path.join(servicesDir, e.name, 'app.ts')))
    .map((e) => e.name)
    .sort();
  const common = sources(path.join(servicesDir, 'common')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const problems: string[] = [];
  for (const s of services) if (!rows.some((r) => r.service === s)) problems.push(`service ${s} has no row`);
  for (const r of rows) {
    if (!services.includes(r.service)) {
      problems.push(`${docFile}:${r.line}: "${r.service}" is not a service in services/ (${services.join(', ')})`);
      continue;
    }
    if (r.setting === undefined) continue;
    const own = sources(path.join(servicesDir, r.service)).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    const reads = new RegExp(`\\b${r.setting}\\b`);
    if (!reads.test(own) && !reads.test(common)) problems.push(`${docFile}:${r.line}: ${r.service} never reads ${r.setting}`);
  }
  return { rows, services, problems };
}
