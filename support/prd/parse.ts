// Requirement items read from PRD Markdown: checklist items (`- [ ]`,
// `- [x]`), numbered `**TASK_NNN**` lines, and rows of requirement tables
// (targets, success metrics), each with its enclosing headings.
//
// Item ids: `<document>/<section>/<item>`, where <document> is the file name
// without `.md`, <section> the slug of the nearest heading (numbering and
// "(Priority: …)" dropped) and <item> the slug of the item's first words plus
// four hex digits of a hash of its whole text. An id therefore depends on the
// document, the section and the item's own text only: it survives runs,
// reordering and edits elsewhere in the document. The same text twice in one
// section gets "-2", "-3".
//
// Embedding: an item that repeats one of another document (a document that
// embeds another verbatim, or a task line naming a checklist item) is linked
// to it (`sameAs`) and not counted twice.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type PrdItemKind = 'checklist' | 'task' | 'target';

export interface PrdItem {
  id: string;
  document: string;
  file: string;
  line: number;
  kind: PrdItemKind;
  text: string;
  /** Ticked in the document (`- [x]`). */
  done: boolean;
  /** Enclosing headings, outermost first. */
  headings: string[];
  section: string;
  /** The id of the item this one repeats (in another document, or a checklist item a task line names). */
  sameAs?: string;
}

export interface PrdDocument {
  name: string;
  file: string;
  title: string;
  items: PrdItem[];
}

export const slug = (text: string, words = 12): string =>
  text
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .slice(0, words)
    .join('-');

/** "### Phase 5: TinyURL Service Deployment (Priority: High)" → "phase-5-tinyurl-service-deployment". */
export function sectionSlug(heading: string): string {
  const cleaned = heading
    .replace(/\(priority:[^)]*\)/i, '')
    .replace(/^\s*(\d+(\.\d+)*\.?)\s+/, '');
  return slug(cleaned, 10) || 'top';
}

/** Text compared across documents: case, markup and spacing ignored. */
export const normalise = (text: string) => text.toLowerCase().replace(/[`*_]/g, '').replace(/\s+/g, ' ').trim();

const hash4 = (text: string) => createHash('sha1').update(normalise(text)).digest('hex').slice(0, 4);

const CHECKLIST = /^\s*[-*]\s+\[( |x|X)\]\s+(.+?)\s*$/;
const TASK = /^\s*\*\*(TASK_\d+)\*\*\s*(?:\[[A-Z]+\])?\s*:\s*(.+?)\s*$/;
const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const FENCE = /^\s*(```|~~~)/;
/** Tables under these headings state requirements, one per row. */
const REQUIREMENT_TABLE = /target|success (criteria|metric)|acceptance/i;

/** Parses one PRD file. */
export function parsePrd(file: string, text = fs.readFileSync(file, 'utf8')): PrdDocument {
  const name = path.basename(file).replace(/\.md$/i, '');
  const lines = text.split(/\r?\n/);
  const stack: { level: number; text: string }[] = [];
  const items: PrdItem[] = [];
  const seen = new Map<string, number>();
  let inFence = false;
  let title = '';
  let tableHeader: string[] | undefined;

  const add = (kind: PrdItemKind, itemText: string, line: number, done: boolean) => {
    const headings = stack.map((h) => h.text);
    const section = headings.at(-1) ?? '';
    const base = `${name}/${sectionSlug(section)}/${slug(itemText, 6) || 'item'}-${hash4(itemText)}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    items.push({ id: n === 1 ? base : `${base}-${n}`, document: name, file, line, kind, text: itemText.replace(/\*\*/g, '').trim(), done, headings, section });
  };

  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    if (FENCE.test(raw)) {
      inFence = !inFence;
      return;
    }
    if (inFence) return;
    const heading = HEADING.exec(raw);
    if (heading) {
      const level = (heading[1] as string).length;
      const headingText = (heading[2] as string).trim();
      if (title === '' && level === 1) title = headingText;
      while (stack.length > 0 && (stack.at(-1) as { level: number }).level >= level) stack.pop();
      stack.push({ level, text: headingText });
      tableHeader = undefined;
      return;
    }
    const check = CHECKLIST.exec(raw);
    if (check) {
      add('checklist', check[2] as string, lineNo, check[1] !== ' ');
      return;
    }
    const task = TASK.exec(raw);
    if (task) {
      add('task', task[2] as string, lineNo, false);
      return;
    }
    if (raw.trim().startsWith('|') && REQUIREMENT_TABLE.test(stack.at(-1)?.text ?? '')) {
      const cells = raw.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
      if (cells.every((c) => /^:?-+:?$/.test(c))) return;
      if (tableHeader === undefined) {
        tableHeader = cells;
        return;
      }
      // "TinyURL Response Time: < 50ms" (a "Current"/"Status" column is not part of the requirement).
      const keep = cells.filter((_, j) => !/^(current|status|actual|notes?)$/i.test(tableHeader?.[j] ?? ''));
      if (keep.length >= 2 && keep[0]) add('target', `${keep[0]}: ${keep.slice(1).join(' · ')}`, lineNo, false);
      return;
    }
    if (raw.trim() === '') return;
    if (!raw.trim().startsWith('|')) tableHeader = undefined;
  });
  return { name, file, title: title || name, items };
}

const docTitleKey = (title: string) => normalise(title.replace(/^prd:\s*/i, ''));

/**
 * Links repeated items: items of a document embedded in another (its title
 * appears there as a heading) point at the original; a task line whose text
 * is a checklist item of the same or another document points at it (the k-th
 * task with a text at the k-th such item).
 */
export function linkEmbedded(documents: PrdDocument[]): void {
  const byTitle = new Map(documents.map((d) => [docTitleKey(d.title), d]));
  for (const doc of documents) {
    const embedded = new Set<PrdDocument>();
    for (const item of doc.items) for (const h of item.headings) {
      const other = byTitle.get(docTitleKey(h));
      if (other && other !== doc) embedded.add(other);
    }
    if (embedded.size === 0) continue;
    const originals = new Map<string, PrdItem[]>();
    for (const other of embedded) for (const o of other.items) {
      const key = `${normalise(o.section)}|${normalise(o.text)}`;
      originals.set(key, [...(originals.get(key) ?? []), o]);
    }
    for (const item of doc.items) {
      if (item.kind === 'task') continue;
      const queue = originals.get(`${normalise(item.section)}|${normalise(item.text)}`);
      const original = queue?.shift();
      if (original) item.sameAs = original.id;
    }
  }
  // Task lines name checklist items: link them in order, originals first.
  const checklist = new Map<string, PrdItem[]>();
  for (const doc of documents) for (const item of doc.items) {
    if (item.kind === 'task' || item.sameAs) continue;
    const key = normalise(item.text);
    checklist.set(key, [...(checklist.get(key) ?? []), item]);
  }
  for (const doc of documents) for (const item of doc.items) {
    if (item.kind !== 'task') continue;
    const target = checklist.get(normalise(item.text))?.shift();
    if (target) item.sameAs = target.id;
  }
}

/** Reads PRDs from files or folders (every .md in a folder), linked. */
export function loadPrds(paths: string[]): PrdDocument[] {
  const files = paths.flatMap((p) => {
    if (!fs.existsSync(p)) throw new Error(`${p}: no such PRD file or folder`);
    return fs.statSync(p).isDirectory() ? fs.readdirSync(p).filter((f) => f.endsWith('.md')).sort().map((f) => path.join(p, f)) : [p];
  });
  if (files.length === 0) throw new Error(`no PRD (.md) files in ${paths.join(', ')}`);
  const documents = files.map((f) => parsePrd(f));
  linkEmbedded(documents);
  return documents;
}

/** Items that count: everything not linked to another item. */
export const ownItems = (documents: PrdDocument[]) => documents.flatMap((d) => d.items.filter((i) => i.sameAs === undefined));

/** Where the PRDs are: CUTOVER_PRD_DIR, or ../shared/prd beside the project (as CI lays it out). */
export const defaultPrdDir = (): string => path.resolve(process.env.CUTOVER_PRD_DIR ?? '../shared/prd');

const indexes = new Map<string, Map<string, PrdItem>>();

/** Every item of the PRDs in a folder by id (read once per process); empty when the folder is absent. */
export function prdIndex(dir: string): Map<string, PrdItem> {
  let index = indexes.get(dir);
  if (index === undefined) {
    index = new Map(fs.existsSync(dir) ? loadPrds([dir]).flatMap((d) => d.items.map((i) => [i.id, i] as const)) : []);
    indexes.set(dir, index);
  }
  return index;
}
