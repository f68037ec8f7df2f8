// The requirement documents as cutover reads them: every item with a stable
// id, embedded copies linked, task lines counted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Then, When } from '@cucumber/cucumber';
import { z } from 'zod';
import { runBounded } from '../support/process/bounded.ts';
import { readAttestation } from '../support/prd/attestation.ts';
import { defaultPrdDir, loadPrds, parsePrd, type PrdDocument } from '../support/prd/parse.ts';
import type { CutoverWorld } from '../support/world/world.ts';

function documents(world: CutoverWorld): PrdDocument[] {
  const docs = world.prds;
  if (docs === undefined) throw new Error('no PRD was read in this scenario: add "When the PRDs are read" first');
  return docs;
}

function documentNamed(world: CutoverWorld, name: string): PrdDocument {
  const doc = documents(world).find((d) => d.name === name || path.basename(d.file) === name);
  if (doc === undefined) throw new Error(`no PRD "${name}" was read: ${documents(world).map((d) => path.basename(d.file)).join(', ')}`);
  return doc;
}

/** Reads every PRD of CUTOVER_PRD_DIR (default ../shared/prd), linking embedded copies and task lines. */
When('the PRDs are read', function (this: CutoverWorld) {
  this.prds = loadPrds([defaultPrdDir()]);
});

/** A document yields items, each with an id no other item has. */
Then('{string} has at least {int} requirement items, each with its own id', async function (this: CutoverWorld, name: string, atLeast: number) {
  const doc = documentNamed(this, name);
  const ids = doc.items.map((i) => i.id);
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  const kinds = doc.items.reduce<Record<string, number>>((k, i) => ({ ...k, [i.kind]: (k[i.kind] ?? 0) + 1 }), {});
  await this.evidence.verify(`items of ${name}`, doc.items.length >= atLeast && duplicates.length === 0, { expected: `≥ ${atLeast} items, unique ids`, measured: { items: doc.items.length, kinds, duplicates } }, () =>
    duplicates.length > 0 ? `${name}: ids used twice: ${duplicates.slice(0, 5).join(', ')}` : `${name}: ${doc.items.length} items, expected at least ${atLeast}`,
  );
});

/** The ids survive an unrelated edit: a line added at the top and the sections' order unchanged. */
Then("{string}'s ids survive an unrelated edit of the document", async function (this: CutoverWorld, name: string) {
  const doc = documentNamed(this, name);
  const text = fs.readFileSync(doc.file, 'utf8');
  const lines = text.split('\n');
  // A new checklist item after the first heading, and a line of prose: neither touches another item.
  const at = lines.findIndex((l) => l.startsWith('#')) + 1;
  const edited = [...lines.slice(0, at), '', '- [ ] A requirement added by an unrelated edit', 'Some prose added too.', ...lines.slice(at)].join('\n');
  const after = new Set(parsePrd(doc.file, edited).items.map((i) => i.id));
  const lost = doc.items.map((i) => i.id).filter((id) => !after.has(id));
  await this.evidence.verify(`ids of ${name} survive an edit`, lost.length === 0, { expected: 'every id kept', measured: { items: doc.items.length, lost } }, () => `${lost.length} ids of ${name} changed: ${lost.slice(0, 5).join(', ')}`);
});

/** Counts the `**TASK_NNN**` lines of a document (each is an item, linked to a checklist item when it names one). */
Then('{string} has {int} task lines, {int} of them naming a checklist item', async function (this: CutoverWorld, name: string, tasks: number, linked: number) {
  const doc = documentNamed(this, name);
  const lines = doc.items.filter((i) => i.kind === 'task');
  const measured = { tasks: lines.length, linked: lines.filter((i) => i.sameAs).length };
  await this.evidence.verify(`task lines of ${name}`, measured.tasks === tasks && measured.linked === linked, { expected: { tasks, linked }, measured }, () => `${name}: ${measured.tasks} task lines, ${measured.linked} linked; expected ${tasks} and ${linked}`);
});

/** Runs `cutover prd items --prd <PRDs> --out <file>` as a user would; the file is kept for the next steps. */
When('the CLI writes every item of the PRDs to one tasks file', async function (this: CutoverWorld) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-tasks-'));
  this.session.onCleanup(`tasks file ${dir}`, async () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'master-tasks.json');
  const run = await runBounded({ command: process.execPath, args: ['bin/cutover.mjs', 'prd', 'items', '--prd', defaultPrdDir(), '--out', file], cwd: process.cwd(), timeoutMs: 60_000, what: 'cutover prd items' });
  if (run.status !== 0 || !fs.existsSync(file)) throw new Error(`cutover prd items exited ${run.status}: ${run.output.slice(-2000)}`);
  this.progress(run.output.trim());
  this.tasksFile = file;
});

const TasksFileSchema = z.array(
  z.object({
    id: z.string().min(1),
    document: z.string().min(1),
    file: z.string().min(1),
    line: z.number().int().positive(),
    kind: z.enum(['checklist', 'task', 'target']),
    text: z.string().min(1),
    done: z.boolean(),
    headings: z.array(z.string()),
    sameAs: z.string().optional(),
  }),
);

function tasksFile(world: CutoverWorld): z.infer<typeof TasksFileSchema> {
  const file = world.tasksFile;
  if (file === undefined) throw new Error('no tasks file was written in this scenario: add "When the CLI writes every item of the PRDs to one tasks file" first');
  const parsed = TasksFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.slice(0, 5).map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The file holds exactly the items the reader found (same ids, each once), each with its document, line and text. */
Then('the tasks file lists every item the reader found, each id once', async function (this: CutoverWorld) {
  const listed = tasksFile(this);
  const ids = listed.map((i) => i.id);
  const expected = documents(this).flatMap((d) => d.items.map((i) => i.id));
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  const missing = expected.filter((id) => !ids.includes(id));
  const extra = ids.filter((id) => !expected.includes(id));
  await this.evidence.verify('tasks file = the items read', duplicates.length === 0 && missing.length === 0 && extra.length === 0 && listed.length === expected.length, { expected: expected.length, measured: { items: listed.length, duplicates, missing, extra } }, () =>
    `the tasks file lists ${listed.length} items, the reader found ${expected.length}; duplicates: ${duplicates.slice(0, 5).join(', ') || 'none'}; missing: ${missing.slice(0, 5).join(', ') || 'none'}; extra: ${extra.slice(0, 5).join(', ') || 'none'}`,
  );
});

/** The task lines of one document, counted in the tasks file. */
Then('the tasks file tracks the {int} task lines of {string}', async function (this: CutoverWorld, count: number, name: string) {
  const tasks = tasksFile(this).filter((i) => i.document === name && i.kind === 'task');
  await this.evidence.verify(`${count} task lines of ${name} in the tasks file`, tasks.length === count, { expected: count, measured: tasks.length }, () => `the tasks file has ${tasks.length} task lines of ${name}, expected ${count}`);
});

/** A document that embeds another verbatim counts none of the copied items. */
Then('every checklist item {string} copies from {string} is linked to its original', async function (this: CutoverWorld, name: string, original: string) {
  const doc = documentNamed(this, name);
  const from = documentNamed(this, original);
  const originalIds = new Set(from.items.map((i) => i.id));
  const checklist = doc.items.filter((i) => i.kind === 'checklist');
  const unlinked = checklist.filter((i) => !(i.sameAs && originalIds.has(i.sameAs)));
  await this.evidence.verify(`${name} copies of ${original} linked`, checklist.length > 0 && unlinked.length === 0, { expected: 'all linked', measured: { checklist: checklist.length, unlinked: unlinked.map((i) => `${i.text} (line ${i.line})`) } }, () =>
    `${unlinked.length} of ${checklist.length} checklist items of ${name} are not linked to ${original}: ${unlinked.slice(0, 5).map((i) => i.text).join('; ')}`,
  );
});

/** The reason a @not-applicable scenario's items do not apply here, attached to the report; the scenario must carry the tag. */
Then('it does not apply here, because:', async function (this: CutoverWorld, reason: string) {
  const tagged = this.tags.includes('@not-applicable');
  const specific = reason.trim().length >= 40;
  await this.evidence.verify('not applicable', tagged && specific, { expected: '@not-applicable and a specific reason', measured: { tagged, reason: reason.trim() } }, () =>
    !tagged ? 'a scenario that says it does not apply must be tagged @not-applicable' : 'the reason must say specifically why (at least a sentence)',
  );
});

/** A @manual item: an attestation under attestations/ must name the scenario's @prd items, with who, when and an evidence link. */
Then('the attestation {string} is on file', async function (this: CutoverWorld, name: string) {
  const attestation = readAttestation(path.resolve('attestations'), name);
  const wanted = this.tags.filter((t) => t.startsWith('@prd=')).map((t) => t.slice('@prd='.length));
  const unattested = wanted.filter((id) => !attestation.items.includes(id));
  await this.evidence.verify(`attestation ${name}`, this.tags.includes('@manual') && unattested.length === 0, { expected: { tag: '@manual', items: wanted }, measured: attestation }, () =>
    !this.tags.includes('@manual') ? 'a scenario settled by an attestation must be tagged @manual' : `${attestation.file} does not name ${unattested.join(', ')}`,
  );
});
