// kubectl as an operator runs it: the CLI installed, the kubeconfig's current
// context, and that context reaching the API server the platform talks to.
// Each call is bounded; a failure carries kubectl's own words.
import { spawnSync } from 'node:child_process';

export interface KubectlReach {
  clientVersion: string;
  context: string;
  server: string;
  serverVersion: string;
  readyz: string;
}

function kubectl(args: string[], timeoutMs = 15_000): string {
  const r = spawnSync('kubectl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  if (r.error) throw new Error(`kubectl ${args.join(' ')}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'kubectl is not on PATH (in CI it is the one ci/cluster/build.sh built: bash ci/cluster/up.sh --bin)' : r.error.message}`);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited with ${r.status}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout.trim();
}

/** kubectl's version, the current context of KUBECONFIG, the server that context names, and what the server answers through it. */
export function kubectlReach(): KubectlReach {
  const context = kubectl(['config', 'current-context']);
  const server = kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']);
  const version = JSON.parse(kubectl(['version', '-o', 'json'])) as { clientVersion?: { gitVersion?: string }; serverVersion?: { gitVersion?: string } };
  const readyz = kubectl(['get', '--raw', '/readyz']);
  return { clientVersion: version.clientVersion?.gitVersion ?? 'unknown', context, server, serverVersion: version.serverVersion?.gitVersion ?? 'unknown', readyz };
}
