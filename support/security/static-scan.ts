// A static security scan of source code, as Bandit is for Python: ESLint with
// eslint-plugin-security's recommended rules over TypeScript. A finding is
// either fixed or suppressed in the code with its reason
// (`// eslint-disable-next-line security/<rule> -- <why it is safe>`), like
// Bandit's `# nosec`; a suppression without a reason, or one that no longer
// suppresses anything, counts as a finding.
import path from 'node:path';
import { ESLint } from 'eslint';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

export interface ScanFinding {
  /** Relative to the scan's root. */
  file: string;
  line: number;
  rule: string;
  message: string;
}

export interface ScanSuppression extends ScanFinding {
  reason: string;
}

export interface StaticScanReport {
  paths: string[];
  files: number;
  rules: string[];
  findings: ScanFinding[];
  suppressed: ScanSuppression[];
}

export const SECURITY_RULES = Object.keys(security.configs.recommended.rules ?? {});

/**
 * Scans the TypeScript and JavaScript under these paths (relative to root).
 * Tests are left out: they do not ship, and they read fixtures by computed paths on purpose.
 */
export async function staticSecurityScan(root: string, paths: string[]): Promise<StaticScanReport> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      { ignores: ['**/test/**', '**/node_modules/**'] },
      {
        files: ['**/*.ts', '**/*.js', '**/*.mjs'],
        languageOptions: { parser: tseslint.parser },
        linterOptions: { reportUnusedDisableDirectives: 'error' },
        plugins: { security },
        rules: security.configs.recommended.rules,
      },
    ],
  });
  const results = await eslint.lintFiles(paths);
  const rel = (file: string) => path.relative(root, file);
  const findings: ScanFinding[] = [];
  const suppressed: ScanSuppression[] = [];
  for (const result of results) {
    for (const m of result.messages) {
      // A parse error has no rule; an unused suppression has none either: both are findings.
      findings.push({ file: rel(result.filePath), line: m.line, rule: m.ruleId ?? (m.fatal ? 'parse-error' : 'unused-suppression'), message: m.message });
    }
    for (const m of result.suppressedMessages) {
      const reason = m.suppressions.map((s) => s.justification.trim()).find((j) => j !== '') ?? '';
      const entry = { file: rel(result.filePath), line: m.line, rule: m.ruleId ?? 'unknown', message: m.message, reason };
      if (reason === '') findings.push({ ...entry, rule: `${entry.rule} (suppressed without a reason)` });
      else suppressed.push(entry);
    }
  }
  return { paths, files: results.length, rules: SECURITY_RULES, findings, suppressed };
}

export const formatFinding = (f: ScanFinding) => `${f.file}:${f.line} ${f.rule}: ${f.message}`;
