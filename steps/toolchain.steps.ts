// The machine a verification runs on: the tools it needs, at the versions it
// needs, and a project checkout with what it is made of.
import fs from 'node:fs';
import { Then, type DataTable } from '@cucumber/cucumber';
import { checkDependencies } from '../support/toolchain/dependencies.ts';
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

/** package.json and package-lock.json agree, every locked package has its checksum, and node_modules is exactly the lockfile (npm ls). */
Then('every dependency is locked with its checksum, and what is installed is what the lockfile says', async function (this: CutoverWorld) {
  const check = checkDependencies();
  this.progress(`${check.locked} packages locked (lockfile version ${check.lockfileVersion})`);
  const ok = check.lockfileVersion >= 2 && check.locked > 0 && check.outOfStep.length === 0 && check.withoutIntegrity.length === 0 && check.installProblems.length === 0;
  await this.evidence.verify('dependencies locked and installed as locked', ok, { expected: 'package.json = lockfile root, every package pinned with integrity, npm ls clean', measured: check }, () =>
    [
      check.lockfileVersion < 2 ? `lockfile version ${check.lockfileVersion} is too old to pin checksums` : '',
      check.outOfStep.length ? `package.json and package-lock.json disagree: ${check.outOfStep.join('; ')}` : '',
      check.withoutIntegrity.length ? `locked without a checksum: ${check.withoutIntegrity.slice(0, 10).join(', ')}` : '',
      check.installProblems.length ? `node_modules is not what the lockfile says: ${check.installProblems.slice(0, 10).join('; ')}` : '',
    ]
      .filter(Boolean)
      .join('; '),
  );
});

/** The npm scripts a developer builds, tests and runs with (a Makefile's targets): each is there and names only files that exist. */
Then('package.json has the scripts:', async function (this: CutoverWorld, table: DataTable) {
  const scripts = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const wanted = table.raw().flat().map((s) => s.trim()).filter(Boolean);
  const missing = wanted.filter((s) => scripts[s] === undefined);
  // Paths a script names (scripts/x.ts, bench/...) must exist.
  const broken = wanted.flatMap((s) => (scripts[s] ?? '').split(/\s+/).filter((w) => /^(scripts|bench|support|features)\/\S+\.\w+$/.test(w) && !fs.existsSync(w)).map((w) => `${s}: ${w}`));
  await this.evidence.verify('npm scripts', missing.length === 0 && broken.length === 0, { expected: wanted, measured: { scripts: Object.fromEntries(wanted.map((s) => [s, scripts[s] ?? null])), broken } }, () =>
    [missing.length ? `package.json has no script ${missing.join(', ')}` : '', broken.length ? `scripts name files that do not exist: ${broken.join(', ')}` : ''].filter(Boolean).join('; '),
  );
});
