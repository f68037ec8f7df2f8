// The project's alerting policy (k8s/monitoring/alertmanager/alertmanager.yml)
// as Alertmanager runs it: read with zod so a malformed file fails with its
// file, line and field; checked with amtool (its routes tested label set by
// label set); and run as Debian's Alertmanager on 127.0.0.1, with every
// receiver's endpoint pointed at receivers the scenario records, and its
// group timings scaled like every other wait of the platform.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { freePort } from '../../services/common/ports.ts';
import { parseYamlDocument } from '../manifests/load.ts';
import { Daemon } from '../process/daemon.ts';
import { runBounded } from '../process/bounded.ts';
import { promDurationMs } from './rules.ts';

export const ALERTMANAGER_INSTALL_HINT = 'install it with `apt-get install prometheus-alertmanager` (Debian/Ubuntu; amtool comes with it), or set CUTOVER_ALERTMANAGER_BIN and CUTOVER_AMTOOL_BIN';

export const alertmanagerBinary = () => process.env.CUTOVER_ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';
export const amtoolBinary = () => process.env.CUTOVER_AMTOOL_BIN ?? '/usr/bin/amtool';

const Duration = z.string().refine((v) => promDurationMs(v) !== undefined, { message: 'expected a duration such as 30s, 5m or 4h' });
const TIMINGS = ['group_wait', 'group_interval', 'repeat_interval'] as const;

interface Route {
  receiver?: string;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
  [key: string]: unknown;
}
const RouteSchema: z.ZodType<Route> = z.lazy(() =>
  z
    .object({
      receiver: z.string().min(1).optional(),
      group_wait: Duration.optional(),
      group_interval: Duration.optional(),
      repeat_interval: Duration.optional(),
      routes: z.array(RouteSchema).optional(),
    })
    .passthrough(),
);
const Endpoints = z.array(z.record(z.string(), z.unknown())).optional();
const ReceiverSchema = z
  .object({
    name: z.string().min(1, 'expected the receiver name the routes refer to'),
    slack_configs: Endpoints,
    webhook_configs: Endpoints,
  })
  .passthrough();
export const AlertmanagerConfigSchema = z
  .object({
    route: RouteSchema.and(z.object({ receiver: z.string().min(1, 'expected the default receiver') })),
    receivers: z.array(ReceiverSchema).min(1, 'expected at least one receiver'),
  })
  .passthrough();
export type AlertmanagerConfig = z.infer<typeof AlertmanagerConfigSchema>;

export interface LoadedAlertmanagerConfig {
  file: string;
  config: AlertmanagerConfig;
}

export class AlertmanagerConfigError extends Error {
  override name = 'AlertmanagerConfigError';
}

/** Reads an Alertmanager configuration; every receiver a route names must be defined. */
export function loadAlertmanagerConfig(file: string): LoadedAlertmanagerConfig {
  const config = parseYamlDocument(fs.readFileSync(file, 'utf8'), file, AlertmanagerConfigSchema, 'not an Alertmanager configuration', (m) => new AlertmanagerConfigError(m));
  const defined = new Set(config.receivers.map((r) => r.name));
  const unknown = routes(config.route).map((r) => r.receiver).filter((r): r is string => r !== undefined && !defined.has(r));
  if (unknown.length > 0) throw new AlertmanagerConfigError(`${file}: routes name receivers that are not defined: ${[...new Set(unknown)].join(', ')} (defined: ${[...defined].join(', ')})`);
  return { file, config };
}

function routes(route: Route): Route[] {
  return [route, ...(route.routes ?? []).flatMap(routes)];
}

/**
 * The configuration a scenario runs: each receiver's endpoints (Slack's
 * api_url or api_url_file, a webhook's url) pointed at `<base>/<receiver>`,
 * and the routes' group_wait, group_interval and repeat_interval scaled
 * (Alertmanager's defaults written out first, so they scale too).
 */
export function configForScenario(loaded: LoadedAlertmanagerConfig, base: string, scale: number): string {
  const config = structuredClone(loaded.config) as AlertmanagerConfig;
  const defaults: Record<(typeof TIMINGS)[number], string> = { group_wait: '30s', group_interval: '5m', repeat_interval: '4h' };
  const scaleRoute = (route: Route, top: boolean) => {
    for (const t of TIMINGS) {
      const value = route[t] ?? (top ? defaults[t] : undefined);
      if (value !== undefined) route[t] = `${Math.max(200, Math.round((promDurationMs(value) as number) * scale))}ms`;
    }
    for (const r of route.routes ?? []) scaleRoute(r, false);
  };
  scaleRoute(config.route, true);
  for (const r of config.receivers) {
    const url = `${base}/${encodeURIComponent(r.name)}`;
    for (const c of r.slack_configs ?? []) {
      delete c.api_url_file;
      c.api_url = url;
    }
    for (const c of r.webhook_configs ?? []) {
      delete c.url_file;
      c.url = url;
    }
  }
  return `# ${loaded.file}, receivers pointed at ${base}, timings scaled by ${scale}\n${stringify(config)}`;
}

export interface AmtoolResult {
  ok: boolean;
  output: string;
}

async function amtool(args: string[]): Promise<AmtoolResult> {
  const binary = amtoolBinary();
  if (!fs.existsSync(binary)) throw new Error(`amtool is needed to check Alertmanager configurations, but ${binary} does not exist: ${ALERTMANAGER_INSTALL_HINT}`);
  const run = await runBounded({ command: binary, args, cwd: process.cwd(), timeoutMs: 30_000, what: `amtool ${args.join(' ')}` });
  return { ok: run.status === 0, output: run.output.replace(/^Warning: --config.file flag overrides the --alertmanager.url.\n?/gm, '').trim() };
}

/** `amtool check-config`: the file as Alertmanager itself reads it. */
export const checkAlertmanagerConfig = (file: string) => amtool(['check-config', file]);

/** The receivers an alert with these labels goes to (`amtool config routes test`), in the order Alertmanager notifies them. */
export async function receiversFor(file: string, labels: Record<string, string>): Promise<string[]> {
  const r = await amtool(['config', 'routes', 'test', `--config.file=${file}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  if (!r.ok) throw new Error(`amtool could not route ${JSON.stringify(labels)} through ${file}: ${r.output}`);
  return r.output.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Debian's Alertmanager on 127.0.0.1 with a configuration of its own, no cluster peers, its storage in a temporary folder. */
export class LocalAlertmanager {
  private constructor(
    readonly url: string,
    private readonly dir: string,
    private readonly daemon: Daemon,
  ) {}

  static async start(configText: string, startTimeoutMs = 30_000): Promise<LocalAlertmanager> {
    const binary = alertmanagerBinary();
    if (!fs.existsSync(binary)) throw new Error(`Alertmanager is needed to route alerts, but ${binary} does not exist: ${ALERTMANAGER_INSTALL_HINT}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-alertmanager-'));
    try {
      fs.writeFileSync(path.join(dir, 'alertmanager.yml'), configText);
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const daemon = await Daemon.start({
        name: 'Alertmanager',
        binary,
        args: [
          `--config.file=${path.join(dir, 'alertmanager.yml')}`,
          `--storage.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          // Alone: no gossip port, no peers to wait for.
          '--cluster.listen-address=',
          '--log.level=warn',
        ],
        readyUrl: `${url}/-/ready`,
        startTimeoutMs,
      });
      return new LocalAlertmanager(url, dir, daemon);
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The alerts Alertmanager holds, with their state (active, suppressed) and what suppresses them. */
  async alerts(): Promise<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[]> {
    const res = await fetch(`${this.url}/api/v2/alerts`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`Alertmanager GET /api/v2/alerts: HTTP ${res.status}`);
    return (await res.json()) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[];
  }

  /** Posts alerts as Prometheus does (for tests of the policy without a rule having to fire). */
  async post(alerts: { labels: Record<string, string>; annotations?: Record<string, string>; endsAt?: string }[]): Promise<void> {
    const res = await fetch(`${this.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts), signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`Alertmanager POST /api/v2/alerts: HTTP ${res.status}: ${await res.text()}`);
  }

  get logs(): string[] {
    return this.daemon.logs;
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
