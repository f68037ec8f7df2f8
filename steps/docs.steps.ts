// Documentation that is checked, not trusted: every command, npm script,
// repository path and Gherkin step a document shows must be real.
import fs from 'node:fs';
import { Then, type DataTable } from '@cucumber/cucumber';
import { commaList } from '../support/vocabulary/parse.ts';
import { checkDocs, formatDocProblem } from '../support/docs/doc-check.ts';
import { checkDependencyTable } from '../support/docs/service-dependencies.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** Checks the Markdown files (comma-separated): `npx cutover` lines the CLI takes, `npm run` scripts package.json has, paths that exist, steps with one definition each. */
Then('every command, script, path and step that {string} shows is real', async function (this: CutoverWorld, files: string) {
  const list = commaList(files);
  const { claims, problems } = await checkDocs(process.cwd(), list);
  const count = (kind: string) => claims.filter((c) => c.kind === kind).length;
  await this.evidence.text(`claims checked in ${list.join(', ')}`, claims.map((c) => `${c.file}:${c.line} ${c.kind} ${c.text}`).join('\n'));
  await this.evidence.verify(`${list.join(', ')} is true`, problems.length === 0 && claims.length > 0, { expected: '0 problems', measured: { commands: count('command'), scripts: count('script'), paths: count('path'), steps: count('step'), problems: problems.length } }, () =>
    claims.length === 0 ? `${list.join(', ')} shows nothing that can be checked` : problems.map(formatDocProblem).join('; '),
  );
});

/** The Markdown file has a heading starting with each of these (| heading |), in any order. */
Then('{string} has these sections:', async function (this: CutoverWorld, file: string, table: DataTable) {
  const wanted = table.raw().map((r) => (r[0] as string).trim());
  const text = fs.readFileSync(this.session.resolve(file), 'utf8');
  const headings = [...text.matchAll(/^#{1,4} (.+)$/gm)].map((m) => (m[1] as string).trim());
  const missing = wanted.filter((w) => !headings.some((h) => h.toLowerCase().startsWith(w.toLowerCase())));
  await this.evidence.verify(`sections of ${file}`, missing.length === 0, { expected: wanted, measured: headings }, () => `${file} has no section ${missing.map((m) => `"${m}"`).join(', ')}; its headings: ${headings.join(' | ')}`);
});

/** The guide's "Service dependencies" table: a row for every service in services/, and each setting named is read by that service's code. */
Then('{string} lists the outside dependencies of every service, each by a setting its code reads', async function (this: CutoverWorld, file: string) {
  const { rows, services, problems } = checkDependencyTable(process.cwd(), file);
  await this.evidence.verify(`${file} documents the service dependencies`, problems.length === 0, { expected: `a row for each of ${services.join(', ')}, every setting read by its service`, measured: { rows: rows.map((r) => `${r.service}: ${r.dependsOn}${r.setting ? ` (${r.setting})` : ''}`), problems } }, () => problems.join('; '));
});
