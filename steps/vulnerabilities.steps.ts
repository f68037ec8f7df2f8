// Known vulnerabilities in what cutover deploys and runs: the Debian packages
// of the images, and the modules and Go version of the Go programs.
import { Then } from '@cucumber/cucumber';
import { DockerEngine } from '../support/platform/docker/engine.ts';
import { applyAcceptances, ciClusterGoPrograms, goCheckReport, goProgramFile, goVulnDb, readAcceptedVulnerabilities, scanGoProgram, type GoProgramScan } from '../support/security/go-vulns.ts';
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
  await world.evidence.text(`Go vulnerability check: ${what}`, goCheckReport(db, scans, verdict, acceptedIn ? { file: acceptedIn, entries: acceptances.length } : undefined));
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

/** govulncheck over the named Go programs, found as cutover finds them when it runs them: none contains a function a known vulnerability is in. */
Then('the Go programs {string} contain no function with a known vulnerability', async function (this: CutoverWorld, names: string) {
  await checkGoPrograms(this, names, commaList(names).map(goProgramFile));
});

/**
 * The same over every Go program of the CI cluster (the folder `bash ci/cluster/up.sh --bin` names: Kubernetes, etcd,
 * Argo Rollouts, Argo CD), but for what the file accepts, each for a reason until a date.
 */
Then('the Go programs of the CI cluster contain no function with a known vulnerability, but those accepted in {string}', async function (this: CutoverWorld, acceptedIn: string) {
  const { dir, files } = ciClusterGoPrograms();
  await checkGoPrograms(this, `the CI cluster (${dir})`, files, acceptedIn);
});
