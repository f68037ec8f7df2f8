// Prometheus rule files (recording and alerting rules, Prometheus' own
// format): read with zod so a malformed file fails with its file, line and
// field; listed for checks and steps; and rewritten with `for:` durations
// scaled for the local platform's time scale (rate windows stay real time).
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { parseYamlDocument } from '../manifests/load.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
const PROM_DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Milliseconds of a Prometheus duration ("1m", "1h30m", "250ms"), or undefined. */
export function promDurationMs(text: string): number | undefined {
  if (!PROM_DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(n) * (UNIT_MS[unit as string] as number);
  return total;
}

const PromDuration = z.string().refine((v) => promDurationMs(v) !== undefined, { message: 'expected a Prometheus duration such as 30s, 1m or 1h30m' });
const Labels = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a label name'), z.string());

const RecordingRule = z.object({ record: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'expected a metric name'), expr: z.string().min(1), labels: Labels.optional() }).strict();
const AlertingRule = z
  .object({ alert: z.string().min(1), expr: z.string().min(1), for: PromDuration.optional(), keep_firing_for: PromDuration.optional(), labels: Labels.optional(), annotations: z.record(z.string(), z.string()).optional() })
  .strict();
export const RuleFileSchema = z
  .object({
    groups: z
      .array(
        z
          .object({
            name: z.string().min(1),
            interval: PromDuration.optional(),
            limit: z.number().int().optional(),
            rules: z.array(z.union([RecordingRule, AlertingRule], { error: 'expected a recording rule (record, expr) or an alerting rule (alert, expr, for, labels, annotations)' })),
          })
          .strict(),
      )
      .min(1, 'expected at least one rule group'),
  })
  .strict();
export type RuleFile = z.infer<typeof RuleFileSchema>;
export type Rule = RuleFile['groups'][number]['rules'][number];

export interface LoadedRuleFile {
  file: string;
  text: string;
  rules: RuleFile;
}

export class RuleFileError extends Error {
  override name = 'RuleFileError';
}

export function parseRuleFile(text: string, file: string): LoadedRuleFile {
  const rules = parseYamlDocument(text, file, RuleFileSchema, 'not a Prometheus rule file', (m) => new RuleFileError(m));
  const names = new Map<string, number>();
  for (const g of rules.groups) names.set(g.name, (names.get(g.name) ?? 0) + 1);
  const twice = [...names].filter(([, n]) => n > 1).map(([n]) => n);
  if (twice.length > 0) throw new RuleFileError(`${file}: rule group names must be unique in a file: ${twice.join(', ')}`);
  return { file, text, rules };
}

/** Every *.yaml / *.yml rule file of a folder (not its tests/ subfolder), or the files given. */
export function ruleFilesIn(location: string): string[] {
  if (!fs.statSync(location).isDirectory()) return [location];
  return fs
    .readdirSync(location)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(location, f));
}

export function loadRuleFiles(location: string): LoadedRuleFile[] {
  const files = ruleFilesIn(location);
  if (files.length === 0) throw new RuleFileError(`${location}: no rule files (*.yaml) there`);
  return files.map((f) => parseRuleFile(fs.readFileSync(f, 'utf8'), f));
}

export const alertingRules = (files: LoadedRuleFile[]) =>
  files.flatMap((f) => f.rules.groups.flatMap((g) => g.rules.filter((r): r is Extract<Rule, { alert: string }> => 'alert' in r)));
export const recordingRules = (files: LoadedRuleFile[]) =>
  files.flatMap((f) => f.rules.groups.flatMap((g) => g.rules.filter((r): r is Extract<Rule, { record: string }> => 'record' in r)));

const formatMs = (ms: number) => `${Math.max(1, Math.round(ms))}ms`;

/** The file with every `for:` and `keep_firing_for:` multiplied by the time scale (as Prometheus YAML). */
export function scaleRuleFile(file: LoadedRuleFile, scale: number): string {
  if (scale === 1) return file.text;
  const scaled: RuleFile = {
    groups: file.rules.groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => {
        if (!('alert' in r)) return r;
        const out = { ...r };
        if (r.for !== undefined) out.for = formatMs((promDurationMs(r.for) as number) * scale);
        if (r.keep_firing_for !== undefined) out.keep_firing_for = formatMs((promDurationMs(r.keep_firing_for) as number) * scale);
        return out;
      }),
    })),
  };
  return `# ${file.file}, with for: durations scaled by ${scale}\n${stringify(scaled)}`;
}
