// Which PRD items the features prove: `@prd=<item id>` tags on a Feature,
// Rule, Scenario or Examples block, read with Cucumber's own Gherkin parser.
// An item is automated (a scenario whose steps run), manual (`@manual`),
// not applicable (`@not-applicable`), or missing. Tags naming no item are
// errors, with the closest ids suggested.
import fs from 'node:fs';
import path from 'node:path';
import { AstBuilder, GherkinClassicTokenMatcher, Parser } from '@cucumber/gherkin';
import { IdGenerator, type Tag } from '@cucumber/messages';
import { ownItems, type PrdDocument, type PrdItem } from './parse.ts';

export const ITEM_STATES = ['automated', 'manual', 'not-applicable', 'missing'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

export interface TaggedScenario {
  file: string;
  line: number;
  name: string;
  /** Tags of the scenario with those of its Feature, Rule and Examples row block. */
  tags: string[];
}

export interface UnknownTag {
  tag: string;
  file: string;
  line: number;
  suggestions: string[];
}

export interface ItemCoverage {
  item: PrdItem;
  state: ItemState;
  scenarios: { file: string; line: number; name: string }[];
}

export interface CoverageResult {
  items: ItemCoverage[];
  unknown: UnknownTag[];
  /** Per document, then per section: counts per state. */
  documents: { document: string; title: string; counts: Record<ItemState, number>; sections: { section: string; counts: Record<ItemState, number> }[] }[];
  totals: Record<ItemState, number>;
}

const featureFiles = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile() && e.name.endsWith('.feature')).map((e) => path.join(e.parentPath, e.name)).sort()
    : [];

/** Every scenario (each Examples block of an outline counts as one) with the tags that apply to it. */
export function scanFeatures(paths: string[]): TaggedScenario[] {
  const out: TaggedScenario[] = [];
  const files = paths.flatMap((p) => (fs.existsSync(p) && fs.statSync(p).isDirectory() ? featureFiles(p) : [p]));
  for (const file of files) {
    const parser = new Parser(new AstBuilder(IdGenerator.uuid()), new GherkinClassicTokenMatcher());
    let doc;
    try {
      doc = parser.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: not valid Gherkin: ${(err as Error).message}`, { cause: err });
    }
    const feature = doc.feature;
    if (!feature) continue;
    const names = (tags: readonly Tag[]) => tags.map((t) => t.name);
    const visit = (children: typeof feature.children, inherited: string[]) => {
      for (const child of children) {
        if ('rule' in child && child.rule) visit(child.rule.children as typeof feature.children, [...inherited, ...names(child.rule.tags)]);
        const scenario = 'scenario' in child ? child.scenario : undefined;
        if (!scenario) continue;
        const own = [...inherited, ...names(scenario.tags)];
        if (scenario.examples.length === 0) out.push({ file, line: scenario.location.line, name: scenario.name, tags: own });
        for (const ex of scenario.examples) out.push({ file, line: ex.location.line, name: `${scenario.name} (${ex.name || 'examples'})`, tags: [...own, ...names(ex.tags)] });
      }
    };
    visit(feature.children, names(feature.tags));
  }
  return out;
}

const zero = (): Record<ItemState, number> => ({ automated: 0, manual: 0, 'not-applicable': 0, missing: 0 });

/** Ids of the section the tag names (or whose name starts so, e.g. "phase-9"), else of its document. */
function suggest(id: string, items: PrdItem[]): string[] {
  const [doc, section = ''] = id.split('/');
  const inSection = items.filter((i) => i.document === doc && (i.id.split('/')[1] ?? '').startsWith(section));
  const pool = section !== '' && inSection.length > 0 ? inSection : items.filter((i) => i.document === doc);
  return pool.slice(0, 3).map((i) => i.id).concat(pool.length > 3 ? [`… (${pool.length} in all: cutover prd items)`] : []);
}

export function prdCoverage(documents: PrdDocument[], scenarios: TaggedScenario[]): CoverageResult {
  const items = ownItems(documents);
  const all = documents.flatMap((d) => d.items);
  const byId = new Map(all.map((i) => [i.id, i]));
  const proof = new Map<string, { state: Exclude<ItemState, 'missing'>; scenario: TaggedScenario }[]>();
  const unknown: UnknownTag[] = [];
  for (const s of scenarios) {
    const state: Exclude<ItemState, 'missing'> = s.tags.includes('@not-applicable') ? 'not-applicable' : s.tags.includes('@manual') ? 'manual' : 'automated';
    if (s.tags.includes('@wip')) continue;
    for (const tag of s.tags.filter((t) => t.startsWith('@prd='))) {
      const id = tag.slice('@prd='.length);
      const item = byId.get(id);
      if (item === undefined) {
        unknown.push({ tag, file: s.file, line: s.line, suggestions: suggest(id, items) });
        continue;
      }
      // A tag may name an embedded copy: it proves the original.
      const target = item.sameAs ?? item.id;
      proof.set(target, [...(proof.get(target) ?? []), { state, scenario: s }]);
    }
  }
  // Automated wins over manual, manual over not applicable.
  const rank: Record<ItemState, number> = { automated: 3, manual: 2, 'not-applicable': 1, missing: 0 };
  const covered: ItemCoverage[] = items.map((item) => {
    const p = proof.get(item.id) ?? [];
    const state = p.reduce<ItemState>((best, x) => (rank[x.state] > rank[best] ? x.state : best), 'missing');
    return { item, state, scenarios: p.map((x) => ({ file: x.scenario.file, line: x.scenario.line, name: x.scenario.name })) };
  });
  const totals = zero();
  const docs = documents.map((d) => {
    const counts = zero();
    const sections = new Map<string, Record<ItemState, number>>();
    for (const c of covered.filter((x) => x.item.document === d.name)) {
      counts[c.state]++;
      totals[c.state]++;
      const s = sections.get(c.item.section) ?? zero();
      s[c.state]++;
      sections.set(c.item.section, s);
    }
    return { document: d.name, title: d.title, counts, sections: [...sections].map(([section, c]) => ({ section, counts: c })) };
  });
  return { items: covered, unknown, documents: docs, totals };
}

/** The table `cutover prd coverage` prints: per document and section. */
export function coverageTable(result: CoverageResult): string {
  const row = (label: string, c: Record<ItemState, number>) =>
    `${label.slice(0, 60).padEnd(60)} ${String(c.automated).padStart(9)} ${String(c.manual).padStart(6)} ${String(c['not-applicable']).padStart(6)} ${String(c.missing).padStart(7)}`;
  const lines = [`${''.padEnd(60)} ${'automated'.padStart(9)} ${'manual'.padStart(6)} ${'n/a'.padStart(6)} ${'missing'.padStart(7)}`];
  for (const d of result.documents) {
    lines.push(row(d.document, d.counts));
    for (const s of d.sections) lines.push(row(`  ${s.section}`, s.counts));
  }
  lines.push(row('total', result.totals));
  return lines.join('\n');
}

const gherkinText = (text: string) => text.replace(/\s+/g, ' ').replace(/^[#@|]/, '').trim();

/**
 * Feature skeletons for the missing items, one file per document
 * (`<out>/<document>.feature`), a Rule per section and a `@wip` scenario per
 * item. Existing files are never overwritten: they are reported instead.
 */
export function scaffoldMissing(result: CoverageResult, documents: PrdDocument[], outDir: string): { written: string[]; skipped: string[] } {
  const written: string[] = [];
  const skipped: string[] = [];
  fs.mkdirSync(outDir, { recursive: true });
  for (const d of documents) {
    const missing = result.items.filter((c) => c.state === 'missing' && c.item.document === d.name).map((c) => c.item);
    if (missing.length === 0) continue;
    const file = path.join(outDir, `${d.name}.feature`);
    if (fs.existsSync(file)) {
      skipped.push(file);
      continue;
    }
    const lines = [`# Scaffolded by \`cutover prd coverage\`: ${missing.length} items of ${path.basename(d.file)} no scenario proves yet.`, '# Write the steps that prove each one (or tag it @manual / @not-applicable with a reason), then drop its @wip.', `Feature: ${gherkinText(d.title)}`, ''];
    const sections = [...new Set(missing.map((i) => i.section))];
    for (const section of sections) {
      lines.push(`  Rule: ${gherkinText(section) || 'Top'}`, '');
      for (const item of missing.filter((i) => i.section === section)) {
        lines.push(`    @wip @prd=${item.id}`, `    Scenario: ${gherkinText(item.text)}`, `      # ${path.basename(item.file)}:${item.line}`, '');
      }
    }
    fs.writeFileSync(file, lines.join('\n'), { flag: 'wx' });
    written.push(file);
  }
  return { written, skipped };
}

export interface RunPrdDocument {
  document: string;
  title: string;
  /** Items counted (embedded copies excluded). */
  items: number;
  /** Settled by the features, whether or not this run ran them. */
  automated: number;
  manual: number;
  notApplicable: number;
  missing: number;
  /** Items a scenario of this run proved (it passed). */
  provenInRun: number;
  /** Items whose scenarios in this run all failed. */
  failedInRun: number;
}

/**
 * PRD coverage for a run summary: the features' coverage per document, and
 * what this run's scenarios (by their @prd ids and verdicts) proved.
 */
export function runPrdCoverage(result: CoverageResult, documents: PrdDocument[], scenarios: { prd: string[]; status: string }[]): { documents: RunPrdDocument[]; totals: Omit<RunPrdDocument, 'document' | 'title'> } {
  const all = new Map(documents.flatMap((d) => d.items.map((i) => [i.id, i] as const)));
  const original = (id: string) => all.get(id)?.sameAs ?? id;
  const passed = new Set(scenarios.filter((s) => s.status === 'passed').flatMap((s) => s.prd.map(original)));
  const failed = new Set(scenarios.filter((s) => s.status === 'failed').flatMap((s) => s.prd.map(original)));
  const row = (items: ItemCoverage[]) => ({
    items: items.length,
    automated: items.filter((c) => c.state === 'automated').length,
    manual: items.filter((c) => c.state === 'manual').length,
    notApplicable: items.filter((c) => c.state === 'not-applicable').length,
    missing: items.filter((c) => c.state === 'missing').length,
    provenInRun: items.filter((c) => passed.has(c.item.id)).length,
    failedInRun: items.filter((c) => failed.has(c.item.id) && !passed.has(c.item.id)).length,
  });
  return {
    documents: documents.map((d) => ({ document: d.name, title: d.title, ...row(result.items.filter((c) => c.item.document === d.name)) })),
    totals: row(result.items),
  };
}
