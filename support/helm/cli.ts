// The helm command, as a release manager types it: upgrade --install with
// values files and --wait, history, uninstall. Each run is bounded, prints its
// progress lines, and fails with the command and helm's own words.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { runBounded } from '../process/bounded.ts';

/** The Go module CI builds helm from (`go install`), named in the error when helm is missing. */
export const HELM_MODULE = 'helm.sh/helm/v4/cmd/helm@v4.3.2';

/** CUTOVER_HELM_BIN, else helm on PATH, else in the Go bin folder; undefined when none runs. */
export function helmBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const goBin = path.join(env.GOPATH ?? path.join(env.HOME ?? '/root', 'go'), 'bin', 'helm');
  for (const candidate of env.CUTOVER_HELM_BIN ? [env.CUTOVER_HELM_BIN] : ['helm', goBin]) {
    const r = spawnSync(candidate, ['version', '--short'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    if (r.status === 0) return candidate;
  }
  return undefined;
}

export interface HelmInstall {
  release: string;
  chart: string;
  namespace: string;
  valuesFiles: string[];
  /** --set pairs, in order. */
  set: Record<string, string>;
  timeoutMs: number;
}

export interface HelmRevision {
  revision: number;
  status: string;
  chart: string;
  app_version: string;
  description: string;
}

export class HelmCli {
  readonly binary: string;

  constructor(
    private readonly options: { kubeconfig?: string; cwd: string; log: (line: string) => void; binary?: string },
  ) {
    const binary = options.binary ?? helmBinary();
    if (binary === undefined) throw new Error(`helm was not found (CUTOVER_HELM_BIN, PATH, ~/go/bin): build it with "GOTOOLCHAIN=go1.27.3 go install ${HELM_MODULE}", as .ci/run does (Go 1.26.8's net/http has known vulnerabilities)`);
    this.binary = binary;
  }

  /** The arguments of `helm upgrade --install … --wait`, as they are run (and shown in the report). */
  static upgradeArgs(i: HelmInstall): string[] {
    return [
      'upgrade', '--install', i.release, i.chart, '--namespace', i.namespace,
      ...i.valuesFiles.flatMap((f) => ['--values', f]),
      ...Object.entries(i.set).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
      '--wait', '--timeout', `${Math.ceil(i.timeoutMs / 1000)}s`,
    ];
  }

  /** Installs or upgrades a release and waits for its resources (hooks first); rejects with helm's output on failure. */
  async upgradeInstall(i: HelmInstall): Promise<{ args: string[]; ms: number; output: string }> {
    const args = HelmCli.upgradeArgs(i);
    const started = Date.now();
    const output = await this.run(args, i.timeoutMs + 30_000);
    return { args, ms: Date.now() - started, output };
  }

  async history(release: string, namespace: string): Promise<HelmRevision[]> {
    const output = await this.run(['history', release, '--namespace', namespace, '--output', 'json'], 30_000);
    // stdout and stderr come interleaved: the JSON is the line that is an array (helm's warnings are not).
    const json = output.split('\n').find((line) => line.startsWith('['));
    if (json === undefined) throw new Error(`helm history ${release}: no JSON in its output:\n${output.slice(-2000)}`);
    return JSON.parse(json) as HelmRevision[];
  }

  async uninstall(release: string, namespace: string, timeoutMs = 120_000): Promise<void> {
    await this.run(['uninstall', release, '--namespace', namespace, '--wait', '--timeout', `${Math.ceil(timeoutMs / 1000)}s`], timeoutMs + 30_000);
  }

  /** `helm template` of the chart with these values: what would be applied (fails on a value the chart refuses). */
  async template(i: Omit<HelmInstall, 'timeoutMs'>): Promise<string> {
    return this.run(['template', i.release, i.chart, '--namespace', i.namespace, ...i.valuesFiles.flatMap((f) => ['--values', f]), ...Object.entries(i.set).flatMap(([k, v]) => ['--set', `${k}=${v}`])], 60_000);
  }

  private async run(args: string[], timeoutMs: number): Promise<string> {
    const shown = `helm ${args.join(' ')}`;
    this.options.log(shown);
    const outcome = await runBounded({
      command: this.binary,
      args,
      cwd: this.options.cwd,
      env: this.options.kubeconfig !== undefined ? { KUBECONFIG: this.options.kubeconfig } : {},
      timeoutMs,
      what: shown,
    });
    if (outcome.status !== 0) throw new Error(`${shown} exited with ${outcome.status}:\n${outcome.output.slice(-3000).trim()}`);
    return outcome.output;
  }
}
