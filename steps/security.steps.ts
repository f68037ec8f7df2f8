// Security checks of the code itself: a static scan, every finding fixed or
// suppressed with its reason.
import { Then } from '@cucumber/cucumber';
import { commaList } from '../support/vocabulary/parse.ts';
import { formatFinding, staticSecurityScan } from '../support/security/static-scan.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** ESLint with eslint-plugin-security's recommended rules over the paths (comma-separated; tests left out): no finding, and every suppression in the code states why it is safe. */
Then('a static security scan of {string} finds no issue without a stated reason', async function (this: CutoverWorld, paths: string) {
  const list = commaList(paths);
  const report = await staticSecurityScan(process.cwd(), list);
  this.progress(`static security scan of ${list.join(', ')}: ${report.files} files, ${report.findings.length} finding(s), ${report.suppressed.length} suppressed with a reason`);
  await this.evidence.text(
    `static security scan of ${list.join(', ')}`,
    [
      `${report.files} files, rules: ${report.rules.join(', ')}`,
      '',
      `findings (${report.findings.length}):`,
      ...report.findings.map((f) => `  ${formatFinding(f)}`),
      '',
      `suppressed with a reason (${report.suppressed.length}):`,
      ...report.suppressed.map((s) => `  ${formatFinding(s)}\n      because: ${s.reason}`),
    ].join('\n'),
  );
  await this.evidence.verify(
    `static security scan of ${list.join(', ')}`,
    report.findings.length === 0 && report.files > 0,
    { expected: '0 findings', measured: { files: report.files, findings: report.findings.length, suppressed: report.suppressed.length } },
    () => (report.files === 0 ? `nothing was scanned in ${list.join(', ')}` : `${report.findings.length} finding(s): ${report.findings.slice(0, 10).map(formatFinding).join('; ')}`),
  );
});
