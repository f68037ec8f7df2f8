// The tools cutover runs on, each with how to ask its version: for the
// report's environment, and for the toolchain checks a scenario makes
// (what the PRDs' "verify Python 3.11+ installation" means for this project).
import { spawnSync } from 'node:child_process';

interface ToolProbe {
  command: () => string;
  args: string[];
  pattern: RegExp;
}

export const TOOLS: Record<string, ToolProbe> = {
  node: { command: () => process.execPath, args: ['--version'], pattern: /v(\S+)/ },
  npm: { command: () => 'npm', args: ['--version'], pattern: /^(\d\S*)/m },
  java: { command: () => 'java', args: ['-version'], pattern: /version "([^"]+)"/ },
  prometheus: { command: () => process.env.CUTOVER_PROMETHEUS_BIN ?? '/usr/bin/prometheus', args: ['--version'], pattern: /version (\S+)/ },
  promtool: { command: () => 'promtool', args: ['--version'], pattern: /version (\S+)/ },
  chromium: { command: () => process.env.CHROMIUM_BIN ?? '/usr/bin/chromium', args: ['--version'], pattern: /(?:Chromium|Google Chrome) (\S+)/ },
  'redis-server': { command: () => 'redis-server', args: ['--version'], pattern: /v=(\S+)/ },
  k6: { command: () => process.env.K6_BIN ?? 'k6', args: ['version'], pattern: /k6 v?(\S+)/ },
  git: { command: () => 'git', args: ['--version'], pattern: /git version (\S+)/ },
  docker: { command: () => 'docker', args: ['--version'], pattern: /Docker version ([^,\s]+)/ },
  kind: { command: () => 'kind', args: ['version'], pattern: /kind v?(\S+)/ },
  kubectl: { command: () => 'kubectl', args: ['version', '--client'], pattern: /Client Version: v?(\S+)/ },
  terraform: { command: () => 'terraform', args: ['version'], pattern: /Terraform v(\S+)/ },
  actionlint: { command: () => process.env.ACTIONLINT_BIN ?? 'actionlint', args: ['-version'], pattern: /^v?(\d\S*)/m },
  helm: { command: () => 'helm', args: ['version', '--short'], pattern: /v(\S+)/ },
};

/** The tool's version from its own output (stdout or stderr), or undefined when it is not there. */
export function toolVersion(name: string): string | undefined {
  const probe = TOOLS[name];
  if (probe === undefined) throw new Error(`unknown tool "${name}": expected one of ${Object.keys(TOOLS).join(', ')}`);
  const r = spawnSync(probe.command(), probe.args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined;
  return probe.pattern.exec(`${r.stdout}\n${r.stderr}`)?.[1] ?? 'unknown';
}

/** Compares dotted versions numerically ("17.0.15" vs "17"): negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[^0-9]+/).filter(Boolean).map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
