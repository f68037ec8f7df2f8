// Reads Kubernetes-style YAML files (several documents each) and validates
// every document against its kind's zod schema. A malformed manifest fails
// with the file, the document index, the line, the field path and what was
// expected. Fields the schema does not know are not dropped silently: each is
// reported once as ignored.
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, isMap, isNode, isScalar, isSeq, parseAllDocuments, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

export interface ManifestLocation {
  file: string;
  /** 0-based index of the YAML document in its file. */
  document: number;
  line?: number;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(readonly problems: { where: ManifestLocation; path: string; message: string }[]) {
    super(
      problems
        .map((p) => `${p.where.file}${p.where.line ? `:${p.where.line}` : ''} (document ${p.where.document + 1})${p.path ? ` ${p.path}` : ''}: ${p.message}`)
        .join('\n'),
    );
  }
}

export interface LoadedDocument<T> {
  kind: string;
  name: string;
  spec: T;
  where: ManifestLocation;
}

export interface Ignored {
  where: ManifestLocation;
  path: string;
  reason: string;
}

/** A schema per kind, plus why a known field is ignored where cutover cannot honour it. */
export interface KindRegistry {
  schemas: Record<string, z.ZodType>;
  /** Field paths (dotted, `[]` for any array index) the local platform does not act on, with the reason. */
  ignoredFields?: Record<string, string>;
}

export function lineOf(doc: Document, counter: LineCounter, path: (string | number)[]): number | undefined {
  // The line of the deepest part of the path that exists (a field's key, an
  // array's item); a missing field points at its parent.
  for (let n = path.length; n > 0; n--) {
    const parent = doc.getIn(path.slice(0, n - 1), true);
    const last = path[n - 1];
    let node: unknown;
    if (isMap(parent)) node = parent.items.find((pair) => isScalar(pair.key) && pair.key.value === last)?.key;
    else if (isSeq(parent) && typeof last === 'number') node = parent.items[last];
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  const root = doc.contents;
  return isNode(root) && root.range ? counter.linePos(root.range[0]).line : undefined;
}

export const pathText = (path: (string | number | symbol)[]) =>
  path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc === '' ? String(p) : `${acc}.${String(p)}`), '');

/** Keys present in `value` that `schema` does not describe, as paths with `[]` for array indexes. */
export function unknownFields(schema: z.ZodType, value: unknown, path: (string | number)[] = []): (string | number)[][] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'prefault':
      return unknownFields(def.innerType as z.ZodType, value, path);
    case 'pipe':
      return unknownFields(def.in as z.ZodType, value, path);
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(def.element as z.ZodType, v, [...path, i])) : [];
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
      const shape = def.shape as Record<string, z.ZodType>;
      if (def.catchall !== undefined) return [];
      return Object.entries(value).flatMap(([k, v]) => (k in shape ? unknownFields(shape[k] as z.ZodType, v, [...path, k]) : [[...path, k]]));
    }
    case 'union': {
      // The first option that accepts the value describes it.
      const option = (def.options as z.ZodType[]).find((o) => o.safeParse(value).success);
      return option ? unknownFields(option, value, path) : [];
    }
    default:
      return [];
  }
}

/** Where a dotted pattern (`[]` for every array item) is present in a value. */
export function findPattern(value: unknown, pattern: string): (string | number)[][] {
  const parts = pattern.split('.').flatMap((p) => (p.endsWith('[]') ? [p.slice(0, -2), '[]'] : [p]));
  const walk = (v: unknown, rest: string[], path: (string | number)[]): (string | number)[][] => {
    if (rest.length === 0) return v === undefined ? [] : [path];
    const [head, ...tail] = rest as [string, ...string[]];
    if (head === '[]') return Array.isArray(v) ? v.flatMap((item, i) => walk(item, tail, [...path, i])) : [];
    if (v === null || typeof v !== 'object' || !(head in v)) return [];
    return walk((v as Record<string, unknown>)[head], tail, [...path, head]);
  };
  return walk(value, parts, []);
}

const IGNORED_KINDS_NOTE = 'cutover runs Rollouts, AnalysisTemplates, ClusterAnalysisTemplates, Services, Ingresses, HorizontalPodAutoscalers, Secrets and cert-manager Issuers and Certificates on the local platform';

/**
 * One YAML document read against a schema (a rule file, an Alertmanager
 * configuration): its data, or an error made by `fail` whose message gives
 * the file, line and field of each problem, introduced by `what`.
 */
export function parseYamlDocument<T>(text: string, file: string, schema: z.ZodType<T>, what: string, fail: (message: string) => Error): T {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0] as { message: string; linePos?: { line: number }[] };
    throw fail(`${file}:${e.linePos?.[0]?.line ?? 1}: not YAML: ${e.message.split('\n')[0]}`);
  }
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const where = lineOf(doc, counter, i.path as (string | number)[]);
      return `${file}${where ? `:${where}` : ''} ${pathText(i.path) || '(top)'}: ${i.message}`;
    });
    throw fail(`${what}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export interface LoadResult<K extends KindRegistry> {
  documents: LoadedDocument<z.output<K['schemas'][string]>>[];
  ignored: Ignored[];
}

export function loadManifestText<K extends KindRegistry>(text: string, file: string, registry: K): LoadResult<K> {
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter });
  const documents: LoadedDocument<unknown>[] = [];
  const ignored: Ignored[] = [];
  const problems: ManifestError['problems'] = [];
  if (!Array.isArray(docs)) {
    throw new ManifestError([{ where: { file, document: 0 }, path: '', message: 'not a YAML stream' }]);
  }
  docs.forEach((doc, index) => {
    const at = (path: (string | number)[]): ManifestLocation => ({ file, document: index, line: lineOf(doc, counter, path) });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        problems.push({ where: { file, document: index, line: e.linePos?.[0]?.line }, path: '', message: `invalid YAML: ${e.message.split('\n')[0]}` });
      }
      return;
    }
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing ---
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ where: at([]), path: '', message: 'expected a mapping with apiVersion, kind, metadata and spec' });
      return;
    }
    const { kind, metadata } = value as { kind?: unknown; metadata?: { name?: unknown } };
    if (typeof kind !== 'string') {
      problems.push({ where: at(['kind']), path: 'kind', message: `expected one of ${Object.keys(registry.schemas).join(', ')}` });
      return;
    }
    const schema = registry.schemas[kind];
    if (schema === undefined) {
      ignored.push({ where: at(['kind']), path: 'kind', reason: `kind ${kind} is not run locally (${IGNORED_KINDS_NOTE})` });
      return;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
        problems.push({ where: at(path), path: pathText(path), message: issue.message });
      }
      return;
    }
    const reported = new Set<string>();
    for (const [pattern, reason] of Object.entries(registry.ignoredFields ?? {})) {
      for (const path of findPattern(value, pattern)) {
        reported.add(pathText(path));
        ignored.push({ where: at(path), path: pathText(path), reason });
      }
    }
    for (const path of unknownFields(schema, value)) {
      if (reported.has(pathText(path))) continue;
      const generic = pathText(path.map((p) => (typeof p === 'number' ? -1 : p))).replace(/\[-1\]/g, '[]');
      const known = Object.entries(registry.ignoredFields ?? {}).find(([pattern]) => generic === pattern || generic.startsWith(`${pattern}.`));
      ignored.push({
        where: at(path),
        path: pathText(path),
        reason: known ? known[1] : `${kind} field not used by cutover's local platform`,
      });
    }
    documents.push({ kind, name: String(metadata?.name ?? ''), spec: parsed.data, where: at([]) });
  });
  if (problems.length > 0) throw new ManifestError(problems);
  return { documents: documents as LoadResult<K>['documents'], ignored };
}

/** Files as given, a directory as every .yaml / .yml file in it (sorted, not recursive), as `kubectl apply -f <dir>` reads it. */
export function manifestFilesIn(paths: string[]): string[] {
  return paths.flatMap((p) => {
    let dir = false;
    try {
      dir = fs.statSync(p).isDirectory();
    } catch {
      // Not there: the read below names it.
    }
    return dir ? fs.readdirSync(p).filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => path.join(p, n)) : [p];
  });
}

export function loadManifestFiles<K extends KindRegistry>(paths: string[], registry: K): LoadResult<K> {
  const documents: LoadResult<K>['documents'] = [];
  const ignored: Ignored[] = [];
  const problems: ManifestError['problems'] = [];
  const files = manifestFilesIn(paths);
  if (files.length === 0 && paths.length > 0) problems.push({ where: { file: paths.join(', '), document: 0 }, path: '', message: 'no .yaml or .yml file there' });
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ where: { file, document: 0 }, path: '', message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    try {
      const loaded = loadManifestText(text, file, registry);
      documents.push(...loaded.documents);
      ignored.push(...loaded.ignored);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new ManifestError(problems);
  return { documents, ignored };
}
