// Test coverage of a service, as the coverage SLO steps see it: the c8
// summary that `npm run coverage -- <service>` writes, re-run first when it is
// missing or older than the service's sources and tests, with the uncovered
// lines and branches read from c8's per-file data.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { runBounded } from '../process/bounded.ts';

export const COVERAGE_METRICS = ['lines', 'branches', 'functions', 'statements'] as const;
export type CoverageMetric = (typeof COVERAGE_METRICS)[number];

const Pct = z.object({ total: z.number(), covered: z.number(), pct: z.union([z.number(), z.literal('Unknown')]) });
const SummarySchema = z.object({ total: z.object({ lines: Pct, branches: Pct, functions: Pct, statements: Pct }) });

const Location = z.object({ start: z.object({ line: z.number() }), end: z.object({ line: z.number() }) });
const FileCoverageSchema = z.record(
  z.string(),
  z.object({
    path: z.string(),
    statementMap: z.record(z.string(), Location),
    s: z.record(z.string(), z.number()),
    branchMap: z.record(z.string(), z.object({ line: z.number().optional(), loc: Location, locations: z.array(Location) })),
    b: z.record(z.string(), z.array(z.number())),
  }),
);

export interface CoverageReport {
  service: string;
  summaryFile: string;
  /** Percent per metric (100 when there is nothing to cover). */
  pct: Record<CoverageMetric, number>;
  totals: Record<CoverageMetric, { total: number; covered: number }>;
  /** "file:line" of every statement never run. */
  uncoveredLines: string[];
  /** "file:line (branch i)" of every branch never taken. */
  uncoveredBranches: string[];
  /** Whether the tests were run for this report (the summary was missing or stale). */
  rerun: boolean;
  generatedAt: string;
}

export interface CoverageOptions {
  /** The project root (where package.json and services/ are). */
  root: string;
  /** Progress lines (long work prints what it does). */
  log?: (line: string) => void;
  /** Bound on running the service's tests. */
  timeoutMs?: number;
}

const newestMtime = (dir: string): number => {
  if (!fs.existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.(ts|js|json|html|css)$/.test(entry.name)) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
};

/** Where the summary is, and whether it is older than what it measures (the service's and the shared base's files). */
export function coverageFreshness(service: string, root: string): { summaryFile: string; stale: boolean; reason?: string } {
  const summaryFile = path.join(root, 'reports', 'coverage', service, 'coverage-summary.json');
  if (!fs.existsSync(summaryFile)) return { summaryFile, stale: true, reason: 'no summary yet' };
  const summaryAt = fs.statSync(summaryFile).mtimeMs;
  const sourcesAt = Math.max(newestMtime(path.join(root, 'services', service)), newestMtime(path.join(root, 'services', 'common')));
  return sourcesAt > summaryAt ? { summaryFile, stale: true, reason: 'sources changed since the summary was written' } : { summaryFile, stale: false };
}

async function runCoverage(service: string, options: CoverageOptions): Promise<void> {
  const r = await runBounded({
    command: process.execPath,
    args: ['--import', 'tsx', 'scripts/coverage.ts', service],
    cwd: options.root,
    timeoutMs: options.timeoutMs ?? 15 * 60_000,
    what: `the tests of ${service} under c8`,
    onLine: (line) => {
      if (/^coverage|^# (tests|pass|fail)/.test(line)) options.log?.(line);
    },
  });
  // Coverage from failing tests is no evidence: the step fails with the test output.
  if (r.status !== 0) throw new Error(`the tests of ${service} failed under c8 (exit ${r.status}); last output:\n${r.output.slice(-3000)}`);
}

/** Reads (and, when stale, first produces) the coverage of a service. */
export async function serviceCoverage(service: string, options: CoverageOptions): Promise<CoverageReport> {
  if (!/^[a-z][a-z0-9-]*$/.test(service) || !fs.existsSync(path.join(options.root, 'services', service))) {
    throw new Error(`"${service}" is not a service of this project: expected a folder services/${service}`);
  }
  const freshness = coverageFreshness(service, options.root);
  if (freshness.stale) {
    options.log?.(`coverage of ${service}: ${freshness.reason}; running its tests under c8 (npm run coverage -- ${service})`);
    await runCoverage(service, options);
  }
  const { summaryFile } = freshness;
  const parsedSummary = SummarySchema.safeParse(JSON.parse(fs.readFileSync(summaryFile, 'utf8')));
  if (!parsedSummary.success) throw new Error(`${summaryFile}: not a c8 json-summary: ${parsedSummary.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const total = parsedSummary.data.total;
  const pct = Object.fromEntries(COVERAGE_METRICS.map((m) => [m, total[m].pct === 'Unknown' ? 100 : total[m].pct])) as Record<CoverageMetric, number>;
  const totals = Object.fromEntries(COVERAGE_METRICS.map((m) => [m, { total: total[m].total, covered: total[m].covered }])) as CoverageReport['totals'];
  const finalFile = path.join(path.dirname(summaryFile), 'coverage-final.json');
  const uncoveredLines: string[] = [];
  const uncoveredBranches: string[] = [];
  if (fs.existsSync(finalFile)) {
    const files = FileCoverageSchema.parse(JSON.parse(fs.readFileSync(finalFile, 'utf8')));
    for (const file of Object.values(files)) {
      const rel = path.relative(options.root, file.path);
      const lines = new Set<number>();
      for (const [id, count] of Object.entries(file.s)) if (count === 0) lines.add(file.statementMap[id]?.start.line ?? 0);
      uncoveredLines.push(...[...lines].sort((a, b) => a - b).map((l) => `${rel}:${l}`));
      for (const [id, counts] of Object.entries(file.b)) {
        counts.forEach((count, i) => {
          if (count === 0) uncoveredBranches.push(`${rel}:${file.branchMap[id]?.locations[i]?.start.line ?? file.branchMap[id]?.loc.start.line} (branch ${i + 1} of ${counts.length})`);
        });
      }
    }
  }
  return { service, summaryFile: path.relative(options.root, summaryFile), pct, totals, uncoveredLines, uncoveredBranches, rerun: freshness.stale, generatedAt: fs.statSync(summaryFile).mtime.toISOString() };
}
