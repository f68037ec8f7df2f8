// Known vulnerabilities in what cutover deploys and runs: the Debian packages
// of the images, and the modules and Go version of the Go programs.
import { spawnSync } from 'node:child_process';
import { Then } from '@cucumber/cucumber';
import { DockerEngine } from '../support/platform/docker/engine.ts';
import { applyAcceptances, goProgramsIn, goTool, goVulnDb, GO_VULN_TOOLS_HINT, readAcceptedVulnerabilities, scanGoProgram, type GoProgramScan } from '../support/security/go-vulns.ts';
import { scanImage } from '../support/security/image-scan.ts';
import { commaList } from '../support/vocabulary/parse.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** Every installed package of the image (its dpkg database) against the security archive of its Debian release: none has a fix there that the image lacks. */
Then('the image {string} has every security update of its Debian release', async function (this: CutoverWorld, image: string) {
  const engine = new DockerEngine();
  try {
    const scan = await scanImage(engine, image);
    this.progress(`${image}: ${scan.os}, ${scan.packages} packages, ${scan.outstanding.length} with a security fix not applied`);
    await this.evidence.text(
      `image scan of ${image}`,
      [
        `${image}: ${scan.os}, ${scan.packages} installed packages`,
        `against ${scan.index.url}`,
        `  ${scan.index.packages} packages, Date ${scan.index.date}, Valid-Until ${scan.index.validUntil ?? '-'}`,
        `  InRelease: ${scan.index.signature}; Packages.xz and Packages match its SHA-256`,
        '',
        `security fixes the image lacks (${scan.outstanding.length}):`,
        ...scan.outstanding.map((u) => `  ${u.package}:${u.architecture} (source ${u.source}) ${u.installed} → ${u.fixed}`),
      ].join('\n'),
    );
    await this.evidence.verify(
      `image scan of ${image}`,
      scan.outstanding.length === 0 && scan.packages > 0,
      { expected: `no installed package older than ${scan.index.suite} has it`, measured: { packages: scan.packages, outstanding: scan.outstanding.length }, details: scan.outstanding },
      () => `${image} lacks ${scan.outstanding.length} security fix(es) of ${scan.index.suite}: ${scan.outstanding.slice(0, 8).map((u) => `${u.package} ${u.installed} → ${u.fixed}`).join(', ')}${scan.outstanding.length > 8 ? ', …' : ''} (rebuild the image on an updated base)`,
    );
  } finally {
    await engine.close();
  }
});

async function checkGoPrograms(world: CutoverWorld, what: string, files: string[], acceptedIn?: string): Promise<void> {
  const db = goVulnDb();
  const acceptances = acceptedIn ? readAcceptedVulnerabilities(acceptedIn) : [];
  world.progress(`Go vulnerability database ${db.module}: ${db.entries} entries, taken ${db.takenAt}`);
  const scans: GoProgramScan[] = [];
  for (const file of files) {
    const scan = scanGoProgram(file, db);
    const count = (level: string) => scan.findings.filter((f) => f.level === level).length;
    world.progress(`${scan.program} (${scan.goVersion}, ${scan.modules} modules): ${count('called')} called, ${count('imported')} imported only, ${count('required')} in modules only`);
    scans.push(scan);
  }
  const verdict = applyAcceptances(scans, acceptances);
  const lines = [`Go vulnerability database: ${db.module} (${db.entries} entries, taken ${db.takenAt}); govulncheck -mode=binary`];
  if (acceptedIn) lines.push(`accepted vulnerabilities: ${acceptedIn} (${acceptances.length} entries)`);
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
  await world.evidence.text(`Go vulnerability check: ${what}`, lines.join('\n'));
  const passed = scans.length > 0 && verdict.open.length === 0 && verdict.stale.length === 0;
  await world.evidence.verify(
    `Go vulnerability check: ${what}`,
    passed,
    {
      expected: 'no vulnerable function in any program, but those accepted for a reason until a date',
      measured: Object.fromEntries(scans.map((s) => [s.program, { go: s.goVersion, open: verdict.open.filter((f) => f.program === s.program).map((f) => f.id), accepted: verdict.accepted.filter((f) => f.program === s.program).map((f) => f.id), notCalled: s.findings.filter((f) => f.level !== 'called').map((f) => f.id) }])),
    },
    () => {
      if (scans.length === 0) return `no Go program was found in ${what}`;
      const problems = verdict.open.slice(0, 8).map((f) => `${f.program}: ${f.id} in ${f.module}@${f.version} (fixed in ${f.fixed ?? 'no version'})`);
      if (verdict.stale.length > 0) problems.push(`${acceptedIn} accepts what is no longer found: ${verdict.stale.map((a) => a.id).join(', ')} (remove those entries)`);
      return `${verdict.open.length} vulnerable function(s) called and not accepted${verdict.expired.length ? ` (${verdict.expired.length} acceptance(s) expired)` : ''}: ${problems.join('; ')}`;
    },
  );
}

/** govulncheck over the named Go programs (on PATH or in $(go env GOPATH)/bin): none contains a function a known vulnerability is in. */
Then('the Go programs {string} contain no function with a known vulnerability', async function (this: CutoverWorld, names: string) {
  const files = commaList(names).map((name) => {
    const file = goTool(name);
    if (!file) throw new Error(`${name} is not installed (PATH, $(go env GOPATH)/bin); the README's "Tools" says how .ci/run builds it (${GO_VULN_TOOLS_HINT} for the scanner)`);
    return file;
  });
  await checkGoPrograms(this, names, files);
});

/**
 * The same over every Go program of the CI cluster (the folder `bash ci/cluster/up.sh --bin` names: Kubernetes, etcd,
 * Argo Rollouts, Argo CD), but for what ci/cluster/accepted-vulnerabilities.yaml accepts, each for a reason until a date.
 */
Then('the Go programs of the CI cluster contain no function with a known vulnerability, but those accepted in {string}', async function (this: CutoverWorld, acceptedIn: string) {
  const r = spawnSync('bash', ['ci/cluster/up.sh', '--bin'], { encoding: 'utf8', timeout: 60_000 });
  const dir = r.stdout.trim();
  if (r.status !== 0 || dir === '') throw new Error(`bash ci/cluster/up.sh --bin failed: ${r.stderr.trim()}`);
  const files = goProgramsIn(dir);
  if (files.length === 0) throw new Error(`${dir} holds no Go program: build the cluster with bash ci/cluster/build.sh`);
  await checkGoPrograms(this, `the CI cluster (${dir})`, files, acceptedIn);
});
