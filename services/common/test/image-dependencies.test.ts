// The service images install only package.json's "cutover.serviceDependencies"
// (services/Dockerfile): every package the services import must be in that
// list and be a direct dependency, or an image would fail at its first import.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; cutover: { serviceDependencies: string[] } };

/** The packages a file imports (static and dynamic), by package name. */
export function importedPackages(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = (m[1] ?? m[2]) as string;
    if (spec.startsWith('.') || spec.startsWith('node:')) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
  }
  return [...names];
}

function serviceSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'test' ? [] : serviceSources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

test('imports are read by package name, relative and node: ones left out', () => {
  assert.deepEqual(importedPackages("import a from 'zod';\nimport { b } from '@fastify/cookie/x';\nimport './c.ts';\nimport fs from 'node:fs';\nconst d = await import('ioredis');"), ['zod', '@fastify/cookie', 'ioredis']);
});

test('every package the services import is installed in their images, and nothing else', () => {
  const used = new Map<string, string>();
  for (const file of serviceSources(path.join(root, 'services'))) {
    for (const name of importedPackages(fs.readFileSync(file, 'utf8'))) used.set(name, path.relative(root, file));
  }
  const listed = new Set(pkg.cutover.serviceDependencies);
  const missing = [...used].filter(([name]) => !listed.has(name)).map(([name, file]) => `${name} (imported by ${file})`);
  assert.deepEqual(missing, [], 'add them to package.json "cutover.serviceDependencies"');
  const notDirect = [...listed].filter((name) => pkg.dependencies[name] === undefined);
  assert.deepEqual(notDirect, [], 'a listed package must be a direct dependency');
  const unused = [...listed].filter((name) => !used.has(name));
  assert.deepEqual(unused, [], 'listed but imported by no service');
});
