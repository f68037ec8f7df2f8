// The project's dependency management (what go.mod and go.sum are to a Go
// module): package.json says what the project needs, package-lock.json pins
// every package of the tree with its checksum, and what is installed in
// node_modules must be exactly that (npm ls reports anything missing, extra
// or at another version).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface DependencyCheck {
  lockfileVersion: number;
  /** Packages the lockfile pins. */
  locked: number;
  /** Declared in package.json but not as the lockfile's root records them (npm ci would refuse). */
  outOfStep: string[];
  /** Pinned without a checksum. */
  withoutIntegrity: string[];
  /** What npm ls found wrong with node_modules. */
  installProblems: string[];
}

export function checkDependencies(root = process.cwd(), timeoutMs = 120_000): DependencyCheck {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    lockfileVersion: number;
    packages: Record<string, { version?: string; integrity?: string; link?: boolean; dependencies?: Record<string, string>; devDependencies?: Record<string, string> }>;
  };
  const rootEntry = lock.packages[''] ?? {};
  const outOfStep: string[] = [];
  for (const field of ['dependencies', 'devDependencies'] as const) {
    const declared = pkg[field] ?? {};
    const recorded = rootEntry[field] ?? {};
    for (const [name, range] of Object.entries(declared)) if (recorded[name] !== range) outOfStep.push(`${field}.${name}: package.json ${range}, package-lock.json ${recorded[name] ?? 'nothing'}`);
    for (const name of Object.keys(recorded)) if (declared[name] === undefined) outOfStep.push(`${field}.${name}: in package-lock.json only`);
  }
  const entries = Object.entries(lock.packages).filter(([key, v]) => key !== '' && !v.link);
  const withoutIntegrity = entries.filter(([, v]) => !v.version || !v.integrity).map(([key]) => key);
  const ls = spawnSync('npm', ['ls', '--all', '--json'], { cwd: root, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const installProblems: string[] = [];
  if (ls.error) installProblems.push(`npm ls did not run: ${ls.error.message}`);
  else {
    try {
      const tree = JSON.parse(ls.stdout) as { problems?: string[] };
      installProblems.push(...(tree.problems ?? []));
    } catch {
      installProblems.push(`npm ls printed no JSON: ${ls.stderr.trim().slice(0, 300)}`);
    }
    if (ls.status !== 0 && installProblems.length === 0) installProblems.push(`npm ls exited ${ls.status}: ${ls.stderr.trim().slice(0, 300)}`);
  }
  return { lockfileVersion: lock.lockfileVersion, locked: entries.length, outOfStep, withoutIntegrity, installProblems };
}
