// The machine a verification runs on: the tools it needs, at the versions it
// needs, and a project checkout with what it is made of.
import fs from 'node:fs';
import { Then, type DataTable } from '@cucumber/cucumber';
import { compareVersions, toolVersion } from '../support/toolchain/tools.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** Rows of | tool | at least |: each tool answers its version, and it is not older (an empty "at least" only needs it there). */
Then('these tools are installed:', async function (this: CutoverWorld, table: DataTable) {
  const rows = table.hashes().map((r) => ({ tool: r.tool ?? '', atLeast: r['at least']?.trim() ?? '' }));
  const measured = rows.map((r) => ({ ...r, version: toolVersion(r.tool) ?? null }));
  const bad = measured.filter((m) => m.version === null || (m.atLeast !== '' && compareVersions(m.version, m.atLeast) < 0));
  await this.evidence.verify('tools installed', bad.length === 0, { expected: rows, measured }, () =>
    bad.map((b) => (b.version === null ? `${b.tool} is not installed (or does not answer its version)` : `${b.tool} ${b.version} is older than ${b.atLeast}`)).join('; '),
  );
});

/** The project's top level: every listed file or folder is there. */
Then('the project has these files and folders:', async function (this: CutoverWorld, table: DataTable) {
  const wanted = table.raw().flat().map((p) => p.trim()).filter(Boolean);
  const missing = wanted.filter((p) => !fs.existsSync(p) || (p.endsWith('/') && !fs.statSync(p).isDirectory()));
  await this.evidence.verify('project layout', missing.length === 0, { expected: wanted, measured: { missing } }, () => `missing from the project: ${missing.join(', ')}`);
});
