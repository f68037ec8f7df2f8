// A real Prometheus for analysis on the local platform: Debian's
// /usr/bin/prometheus on 127.0.0.1 with a temporary config and storage,
// scraping the routers' metrics and every replica's /metrics. Replica targets
// come from a file_sd file rewritten whenever replicas come and go, labelled
// like pods (their template labels, rollouts_pod_template_hash and role).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../services/common/ports.ts';
import { Daemon } from '../../process/daemon.ts';

export const PROMETHEUS_INSTALL_HINT = 'install it with `apt-get install prometheus` (Debian/Ubuntu), or set CUTOVER_PROMETHEUS_BIN to a prometheus binary';

export interface ScrapeTarget {
  /** host:port */
  address: string;
  labels: Record<string, string>;
}

export interface LocalPrometheusOptions {
  /** The binary; default CUTOVER_PROMETHEUS_BIN or /usr/bin/prometheus. */
  binary?: string;
  /** Static targets scraped under job "cutover-router" (the routers' metrics endpoint). */
  routerTargets: string[];
  scrapeIntervalMs?: number;
  startTimeoutMs?: number;
  /**
   * How the pod targets are scraped when not over plain HTTP: on a cluster,
   * through the API server's pod proxy (each target's address is the API
   * server, its __metrics_path__ the pod's proxy path), with the kubeconfig's
   * credentials as files.
   */
  podScrape?: { scheme: 'https'; caFile?: string; certFile?: string; keyFile?: string; bearerToken?: string; insecureSkipVerify?: boolean };
}

export function prometheusBinary(explicit?: string): string {
  return explicit ?? process.env.CUTOVER_PROMETHEUS_BIN ?? '/usr/bin/prometheus';
}

const seconds = (ms: number) => `${Math.max(0.1, ms / 1000)}s`;

export class LocalPrometheus {
  private daemon: Daemon | undefined;
  private readonly dir: string;
  private readonly targetsFile: string;
  url = '';
  /** Alertmanagers (their URLs) the firing alerts are sent to. */
  private alertmanagers: string[] = [];

  private constructor(private readonly options: LocalPrometheusOptions) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-prometheus-'));
    this.targetsFile = path.join(this.dir, 'replicas.json');
  }

  static async start(options: LocalPrometheusOptions): Promise<LocalPrometheus> {
    const binary = prometheusBinary(options.binary);
    if (!fs.existsSync(binary)) throw new Error(`Prometheus is needed for prometheus analysis metrics, but ${binary} does not exist: ${PROMETHEUS_INSTALL_HINT}`);
    const p = new LocalPrometheus(options);
    try {
      await p.launch(binary);
    } catch (err) {
      await p.stop();
      throw err;
    }
    return p;
  }

  private ruleFiles: string[] = [];

  private writeConfig(): void {
    const interval = seconds(this.options.scrapeIntervalMs ?? 1000);
    const config = [
      'global:',
      `  scrape_interval: ${interval}`,
      `  evaluation_interval: ${interval}`,
      ...(this.ruleFiles.length > 0 ? ['rule_files:', ...this.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
      ...(this.alertmanagers.length > 0 ? ['alerting:', '  alertmanagers:', '    - static_configs:', `        - targets: ${JSON.stringify(this.alertmanagers.map((u) => new URL(u).host))}`] : []),
      'scrape_configs:',
      '  - job_name: cutover-router',
      '    static_configs:',
      `      - targets: ${JSON.stringify(this.options.routerTargets)}`,
      '  - job_name: pods',
      ...this.podScrapeConfig(),
      '    file_sd_configs:',
      `      - files: [${JSON.stringify(this.targetsFile)}]`,
      '        refresh_interval: 1s',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(this.dir, 'prometheus.yml'), config);
  }

  private podScrapeConfig(): string[] {
    const s = this.options.podScrape;
    if (s === undefined) return [];
    const lines = [`    scheme: ${s.scheme}`, '    tls_config:'];
    if (s.caFile) lines.push(`      ca_file: ${JSON.stringify(s.caFile)}`);
    if (s.certFile) lines.push(`      cert_file: ${JSON.stringify(s.certFile)}`);
    if (s.keyFile) lines.push(`      key_file: ${JSON.stringify(s.keyFile)}`);
    lines.push(`      insecure_skip_verify: ${s.insecureSkipVerify === true}`);
    if (s.bearerToken) lines.push('    authorization:', `      credentials: ${JSON.stringify(s.bearerToken)}`);
    return lines;
  }

  private async launch(binary: string): Promise<void> {
    this.writeConfig();
    this.setTargets([]);
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.daemon = await Daemon.start({
      name: 'Prometheus',
      binary,
      args: [
        `--config.file=${path.join(this.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1d',
        '--log.level=warn',
        // POST /-/reload answers with the error when new rule files are bad.
        '--web.enable-lifecycle',
      ],
      readyUrl: `${this.url}/-/ready`,
      startTimeoutMs: this.options.startTimeoutMs ?? 30_000,
    });
  }

  /** Prometheus' last lines of output. */
  get logs(): string[] {
    return this.daemon?.logs ?? [];
  }

  /** Sends firing and resolved alerts to these Alertmanagers (their URLs) from the next reload on; none stops sending. */
  setAlertmanagers(urls: string[]): void {
    this.alertmanagers = [...urls];
  }

  /** Replaces the replica targets (written atomically: Prometheus may read at any time). */
  setTargets(targets: ScrapeTarget[]): void {
    const tmp = `${this.targetsFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(targets.map((t) => ({ targets: [t.address], labels: t.labels }))));
    fs.renameSync(tmp, this.targetsFile);
  }

  /**
   * Loads these rule files (replacing any loaded before) and reloads: rejects
   * with Prometheus' own error when one does not load.
   */
  async setRules(files: { name: string; text: string }[]): Promise<void> {
    const dir = path.join(this.dir, 'rules');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    this.ruleFiles = files.map((f, i) => {
      const file = path.join(dir, `${String(i).padStart(2, '0')}-${path.basename(f.name)}`);
      fs.writeFileSync(file, f.text);
      return file;
    });
    this.writeConfig();
    const res = await fetch(`${this.url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`Prometheus did not load the rule files ${files.map((f) => f.name).join(', ')}: ${(await res.text()).trim()}`);
  }

  /** An instant query, for tests and evidence. */
  async query(promql: string): Promise<unknown> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    return res.json();
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
