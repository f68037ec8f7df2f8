// `npx cutover ...`: the local platform for people.
//   cutover up <manifests...>                 run them here, with a live status view and a control API
//   cutover rollout <action> <name> [...]      talk to the running `cutover up`
//   cutover pods                               every pod's state and readiness-probe health
//   cutover logs [<rollout>]                   the pods' lines kept on disk under a retention policy
//   cutover lint <manifests...> [--strict]     validate without running
//   cutover prd coverage|scaffold ...          PRD items against the features' @prd= tags
//   cutover signoff [verify]                   the release decision and its evidence bundle
//   cutover issue --results <dir>              what failed in the runs, written up as a GitHub issue
//   cutover cluster up|down|status             the Kubernetes cluster the kubernetes profile runs on
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDuration, timeScaleFromEnv, DURATION_FORMS } from '../manifests/duration.ts';
import { ImageCatalog, readCutoverConfig, secretsReadableByOthers } from '../platform/local/catalog.ts';
import { WebhookNotifier } from '../notifications/webhook.ts';
import { DockerRuntime } from '../platform/docker/runtime.ts';
import { LocalPlatform, type PodHealth } from '../platform/local/platform.ts';
import { KubeCluster } from '../platform/kubernetes/cluster.ts';
import { parsePlatformKind } from '../platform/platform.ts';
import type { RolloutStatus } from '../rollout/controller.ts';
import { RolloutStateStore } from '../rollout/state-store.ts';
import { watchManifests, type ManifestWatch } from './reload.ts';
import { STATE_FILE, callControl, claimDirectory, findControl, platformView, startControlServer, type PlatformView } from './control.ts';
import { lintManifests } from './lint.ts';
import { decide, readRuns } from '../signoff/decision.ts';
import { failureIssue } from '../signoff/failure-issue.ts';
import { MANIFEST, verifySignoff, writeSignoff } from '../signoff/bundle.ts';
import { coverageTable, prdCoverage, scaffoldMissing, scanFeatures } from '../prd/coverage.ts';
import { loadPrds } from '../prd/parse.ts';
import { platformLines, podLines, rolloutLines } from './view.ts';
import { healthLines, summarizeHealth } from '../platform/local/health.ts';
import { formatLogEntry, parseLevel, type LogLevel } from '../logs/aggregate.ts';
import { DEFAULT_RETENTION, LogArchive, type LogRetention } from '../logs/archive.ts';

const USAGE = `usage:
  cutover up <manifests...> [--platform local|docker] [--port <n>] [--quiet] [--fresh]
      Runs Rollouts, Services and AnalysisTemplates on this machine (the local platform),
      with a live status view and a control API on 127.0.0.1. --platform docker runs the
      pods as containers of the real images (npm run images) instead. CUTOVER_TIME_SCALE=0.1
      runs pauses, analysis intervals and delays ten times faster. Ctrl-C stops everything.
      Saved changes to the manifest files are applied while it runs. Rollout events go to the
      webhooks of cutover.config.yaml (notifications.webhooks: url, triggers, headers). Rollout state is kept
      in .cutover/state.db and the pods' data in .cutover/data/: started again in this
      directory, it resumes each rollout where it was (--fresh forgets the rollout state).
      The pods' lines are kept in .cutover/logs/ under a retention policy (cutover logs).
  cutover rollout set-image <rollout> <image> [--container <name>]
  cutover rollout promote <rollout> [--full]
  cutover rollout abort|retry|pause <rollout>
  cutover rollout undo <rollout> [--to-revision <n>]
  cutover rollout status <rollout> [--watch] [--timeout <duration>] [--json]
      --watch exits 0 once Healthy, 1 when Degraded or at the timeout (default 10m).
      --json prints the status as JSON (as the control API gives it).
  cutover rollout list [--json]
  cutover pods [--json]
      Every pod: rollout, revision, role, state, restarts and its readiness probe's results.
      These talk to the \`cutover up\` started in this directory (or --control <url>).
  cutover logs [<rollout>] [--since <duration>] [--level <level>]
      The pods' lines that \`cutover up\` kept in .cutover/logs (kept for 168h, at most
      100Mi, unless logs.retention in cutover.config.yaml says otherwise: maxAge,
      maxSize), oldest first: of one rollout, of the last --since (e.g. 10m), at
      --level or above (structured lines only: trace … fatal). Works after it stopped.
  cutover lint <manifests...> [--strict]
      Validates manifests (files, or directories: every .yaml/.yml in them); exits 1 on
      errors (and on warnings with --strict).
  cutover prd coverage --prd <dir-or-files> [--features <dir>] [--json] [--allow-missing]
      Every checklist item, task line and requirement-table row of the PRDs against the
      @prd=<id> tags of the features (default features/): automated, manual (@manual),
      not applicable (@not-applicable) or missing. Exits 1 if an item is missing or a tag
      names no item (--allow-missing: only on such tags). --prd takes a folder or
      comma-separated files.
  cutover prd scaffold --prd <dir-or-files> [--features <dir>] --out <dir>
      Writes @wip feature skeletons for the missing items (one file per document);
      never overwrites a file.
  cutover prd items --prd <dir-or-files> [--json] [--out <file>]
      Lists every item with its id (what @prd= tags name); --out writes them all as
      JSON to one file (e.g. master-tasks.json).
  cutover signoff --results <dir> --prd <dir-or-files> [--require <tag expression>]
                  [--features <dir>] [--attestations <dir>] [--no-pdf]
      The release decision from the runs' reports (<dir>/run-summary.json and one per
      platform under it): GO when every required scenario passed (--require, e.g.
      "@severity:critical"; default all), no SLO was breached, every PRD item is covered
      and every manual item attested (default attestations/). Writes <dir>/signoff/:
      index.html and signoff.pdf (verdict, reasons, SLOs, rollout and rollback times,
      coverage, and each PRD phase validated or not: every item in it proven by a passed
      scenario, attested, or not applicable), signoff.json, the run summaries and
      ${MANIFEST} (SHA-256 of every evidence file). Exits 0 on GO, 1 on NO-GO.
  cutover signoff verify <dir>
      Checks a bundle against its manifest: exits 1 when a file changed, went or was added.
  cutover issue --results <dir> [--out <file>]
      What failed in the runs' reports (as signoff reads them), written up as a GitHub
      issue: each failed scenario with its platform, time scale, failure kind, error,
      SLOs, rollouts, chaos and the command that runs it again; then the runs. Prints
      the issue's title (nothing when no scenario failed); the body goes to --out
      (a stale one is removed when nothing failed), else after the title. The run's
      page is linked when GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID are set.
  cutover cluster up|down|status
      up: with KUBECONFIG naming a cluster that answers and has Argo Rollouts, uses it
      and creates nothing; otherwise builds and starts a single-node cluster on this
      machine from upstream parts (ci/cluster/: Kubernetes, etcd and the Argo Rollouts
      controller built from their Go modules, containerd from Debian; Linux, as root),
      with the local service images loaded, printing each stage's time. down: stops it
      and removes everything it made. status: what the kubeconfig points at.`;

class UsageError extends Error {}

/** What `cutover up` keeps between runs in its directory. */
const STATE_DB = path.join('.cutover', 'state.db');
const DATA_DIR = path.join('.cutover', 'data');
const LOGS_DIR = path.join('.cutover', 'logs');

/** Every command, its actions and the flags it takes, as USAGE states them: what a command line in the docs is checked against. */
export const COMMANDS: Record<string, { actions?: string[]; flags: string[] }> = {
  up: { flags: ['platform', 'port', 'quiet', 'fresh'] },
  rollout: { actions: ['set-image', 'promote', 'abort', 'retry', 'pause', 'undo', 'status', 'list'], flags: ['container', 'full', 'to-revision', 'watch', 'timeout', 'control', 'json'] },
  pods: { flags: ['json', 'control'] },
  logs: { flags: ['since', 'level'] },
  lint: { flags: ['strict'] },
  prd: { actions: ['coverage', 'scaffold', 'items'], flags: ['prd', 'features', 'json', 'allow-missing', 'out'] },
  signoff: { flags: ['results', 'prd', 'require', 'features', 'attestations', 'no-pdf'] },
  issue: { flags: ['results', 'out'] },
  cluster: { actions: ['up', 'down', 'status'], flags: [] },
  help: { flags: [] },
};

/** Flags that take a value (the next argument, or after "="). */
const VALUED_FLAGS = ['platform', 'port', 'container', 'to-revision', 'timeout', 'control', 'prd', 'features', 'out', 'results', 'require', 'attestations', 'since', 'level'];

/** What is wrong with a `cutover ...` command line (arguments after "cutover"), without running it: empty when it is one the CLI takes. */
export function commandProblems(argv: string[]): string[] {
  const [command, ...rest] = argv;
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (spec === undefined) return [`unknown command "${command ?? ''}": expected one of ${Object.keys(COMMANDS).join(', ')}`];
  const problems: string[] = [];
  // The action is the first argument that is neither a flag nor a flag's value.
  const action = rest.find((a, i) => !a.startsWith('-') && !(i > 0 && VALUED_FLAGS.includes((rest[i - 1] as string).slice(2)) && !(rest[i - 1] as string).includes('=')));
  if (spec.actions !== undefined && (action === undefined || !spec.actions.includes(action))) problems.push(`cutover ${command}: unknown action "${action ?? ''}": expected one of ${spec.actions.join(', ')}`);
  for (const a of rest.filter((x) => x.startsWith('--'))) {
    const flag = a.slice(2).split('=')[0] as string;
    if (!spec.flags.includes(flag)) problems.push(`cutover ${command}: unknown flag --${flag}${spec.flags.length > 0 ? `: expected one of ${spec.flags.map((f) => `--${f}`).join(', ')}` : ''}`);
  }
  return problems;
}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(argv: string[], valued: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (valued.includes(name)) {
        const value = inline ?? argv[++i];
        if (value === undefined) throw new UsageError(`--${name} needs a value`);
        flags.set(name, value);
      } else {
        flags.set(name, true);
      }
    } else {
      positional.push(a);
    }
  }
  return { positional, flags };
}

const CONFIG_FILE = 'cutover.config.yaml';

function loadCatalog(): ImageCatalog {
  const file = path.resolve(CONFIG_FILE);
  return fs.existsSync(file) ? ImageCatalog.fromFile(file) : new ImageCatalog();
}

/** The webhooks of cutover.config.yaml, if it has any. */
function loadNotifier(say: (line: string) => void): WebhookNotifier | undefined {
  const file = path.resolve(CONFIG_FILE);
  const webhooks = fs.existsSync(file) ? readCutoverConfig(file).notifications.webhooks : [];
  if (webhooks.length === 0) return undefined;
  const exposed = secretsReadableByOthers(file, webhooks);
  if (exposed) console.log(`warning: ${exposed}`);
  console.log(`notifications: ${webhooks.map((w) => `${new URL(w.url).host} (${w.triggers.join(', ')})`).join('; ')}`);
  return new WebhookNotifier(webhooks, { log: say });
}

function podLogs(args: Parsed): number {
  const [rollout, extra] = args.positional;
  if (extra !== undefined) throw new UsageError(`cutover logs takes at most one rollout, not "${extra}" too`);
  const sinceFlag = args.flags.get('since');
  const levelFlag = args.flags.get('level');
  let since: number | undefined;
  if (typeof sinceFlag === 'string') {
    const ms = parseDuration(sinceFlag);
    if (ms === undefined) throw new UsageError(`--since "${sinceFlag}": expected a duration (${DURATION_FORMS})`);
    since = Date.now() - ms;
  }
  let minLevel: LogLevel | undefined;
  if (typeof levelFlag === 'string') {
    try {
      minLevel = parseLevel(levelFlag);
    } catch (err) {
      throw new UsageError(`--level: ${(err as Error).message}`);
    }
  }
  if (!fs.existsSync(LOGS_DIR)) {
    console.error(`no pod logs in ${LOGS_DIR}: \`cutover up\` in this directory keeps them there`);
    return 1;
  }
  const entries = new LogArchive(LOGS_DIR).read({ rollout, since, minLevel });
  for (const e of entries) console.log(formatLogEntry(e));
  if (entries.length === 0) console.error(`no line in ${LOGS_DIR}${rollout ? ` of rollout ${rollout}` : ''}${sinceFlag ? ` in the last ${String(sinceFlag)}` : ''}${minLevel ? ` at ${minLevel} or above` : ''}`);
  return 0;
}

/** The pods' log retention of cutover.config.yaml (logs.retention), else the default. */
function loadLogRetention(): LogRetention {
  const file = path.resolve(CONFIG_FILE);
  return (fs.existsSync(file) ? readCutoverConfig(file).logs.retention : undefined) ?? DEFAULT_RETENTION;
}

const describeRetention = (r: LogRetention) => `${r.maxAgeMs / 3600_000 >= 1 ? `${r.maxAgeMs / 3600_000}h` : `${r.maxAgeMs / 1000}s`}, at most ${(r.maxBytes / 1024 ** 2).toFixed(r.maxBytes % 1024 ** 2 === 0 ? 0 : 2)} MiB`;

async function up(args: Parsed): Promise<number> {
  const files = args.positional;
  if (files.length === 0) throw new UsageError('cutover up needs at least one manifest file');
  const quiet = args.flags.has('quiet');
  const tty = process.stdout.isTTY && !quiet;
  const lines: string[] = [];
  const say = (line: string) => {
    const stamped = `${new Date().toISOString().slice(11, 19)} ${line}`;
    if (tty) {
      lines.push(stamped);
      if (lines.length > 8) lines.shift();
    } else {
      console.log(stamped);
    }
  };
  const kindFlag = args.flags.get('platform');
  const kind = parsePlatformKind(typeof kindFlag === 'string' ? kindFlag : 'local');
  if (kind === 'kubernetes') throw new UsageError('cutover up runs the local or the docker platform; on a cluster, apply the manifests with kubectl');
  for (const f of files) if (!fs.existsSync(f)) throw new UsageError(`${f}: no such manifest file`);
  // The configuration is read before anything is taken or started: a bad one changes nothing.
  const catalog = loadCatalog();
  const notifier = loadNotifier(say);
  const retention = loadLogRetention();
  // One `cutover up` per directory: the state and data here are its own.
  const crashed = claimDirectory();
  if (crashed !== undefined) console.log(`the cutover up before (pid ${crashed.pid}, started ${crashed.startedAt}) did not stop cleanly: what it left is cleaned up and its rollouts resume`);
  let store: RolloutStateStore;
  try {
    store = new RolloutStateStore(STATE_DB);
  } catch (err) {
    fs.rmSync(STATE_FILE, { force: true });
    throw err;
  }
  if (args.flags.has('fresh')) {
    const forgotten = store.forgetAll();
    console.log(`--fresh: forgot the saved state of ${forgotten} rollout(s) (data in ${DATA_DIR} kept)`);
  } else {
    for (const r of store.rollouts()) {
      const st = r.snapshot.state;
      const current = r.snapshot.revisions.find((x) => x.hash === r.snapshot.currentHash);
      console.log(`resuming rollout ${r.name} from ${STATE_DB} (saved ${r.snapshot.savedAt}): ${st.phase}${st.message ? ` (${st.message})` : ''}, revision ${current?.number ?? '?'} ${current?.image ?? ''}`);
    }
  }
  const runtime = kind === 'docker' ? new DockerRuntime({ log: say }) : undefined;
  const platform = new LocalPlatform({
    ...(notifier ? { notifier } : {}),
    catalog,
    timeScale: timeScaleFromEnv(),
    log: say,
    dataDir: path.resolve(DATA_DIR),
    stateStore: store,
    ...(runtime ? { runtime } : {}),
  });
  const logArchive = new LogArchive(path.resolve(LOGS_DIR), retention);
  platform.archiveLogs(logArchive);
  logArchive.startPruning((r) => say(`log archive: deleted ${r.removedSegments} segment(s) (${r.removedByAge} past their age, ${r.removedBySize} over the size), ${r.keptBytes} bytes kept`));
  console.log(`pod logs: kept in ${LOGS_DIR} for ${describeRetention(retention)} (logs.retention in ${CONFIG_FILE}); read them with \`cutover logs\``);
  let control: Awaited<ReturnType<typeof startControlServer>> | undefined;
  let watch: ManifestWatch | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let daemonLost = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    watch?.close();
    console.log('\nstopping: controllers, replicas, routers…');
    await control?.close();
    await platform.close();
    logArchive.close();
    // What the last moves notified still goes out (bounded).
    await notifier?.close();
    store.close();
    fs.rmSync(STATE_FILE, { force: true });
    console.log(
      daemonLost
        ? 'stopped; the containers and network on the unreachable daemon are left for the next `cutover up` to remove'
        : `stopped; nothing left running${platform.kind === 'docker' ? ' (containers and network removed)' : ''}`,
    );
    console.log(`rollout state kept in ${STATE_DB}, data in ${DATA_DIR}: \`cutover up\` here resumes from them (--fresh forgets the rollout state)`);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  // Nothing can move while the daemon is gone: stop cleanly, state saved, rather than wait on it.
  runtime?.onLost((err) => {
    daemonLost = true;
    console.error(`cutover up: ${err.message}; stopping. Containers it could not remove are removed by the next \`cutover up\`, which resumes the rollouts from ${STATE_DB} once the daemon answers again.`);
    void stop(1);
  });
  try {
    console.log(`applying ${files.join(', ')} on the ${platform.kind} platform (time scale ${platform.timeScale})`);
    await platform.applyFiles(files);
    const port = args.flags.get('port');
    const token = randomBytes(24).toString('base64url');
    control = await startControlServer(platform, { port: typeof port === 'string' ? Number(port) : 0, token, apply: (f) => platform.applyFiles(f) });
    fs.writeFileSync(STATE_FILE, JSON.stringify({ url: control.url, token, pid: process.pid, manifests: files, startedAt: new Date().toISOString() }), { mode: 0o600 });
    watch = watchManifests(files, { apply: (f) => platform.applyFiles(f), say });
  } catch (err) {
    console.error(`cutover up: ${(err as Error).message}`);
    await stop(1);
    return 1;
  }
  console.log(`control API ${control.url} (written to ${STATE_FILE}); Ctrl-C stops everything`);
  let previous: PlatformView | undefined;
  let last = Date.now();
  const render = () => {
    const view = platformView(platform);
    const now = Date.now();
    const text = platformLines(view, previous, (now - last) / 1000);
    previous = view;
    last = now;
    if (tty) process.stdout.write(`\x1b[2J\x1b[H${text.join('\n')}\n\nrecent:\n${lines.join('\n')}\n\ncontrol API ${control?.url} — Ctrl-C stops everything\n`);
    else if (!quiet) console.log(text.join('\n'));
  };
  render();
  timer = setInterval(render, tty ? 1000 : 10_000);
  return new Promise<number>(() => {});
}

async function rollout(args: Parsed): Promise<number> {
  const [action, name, ...rest] = args.positional;
  const base = findControl(typeof args.flags.get('control') === 'string' ? (args.flags.get('control') as string) : undefined);
  const json = args.flags.has('json');
  if (json && args.flags.has('watch')) throw new UsageError('--json prints one status; it does not go with --watch');
  if (action === 'list') {
    const view = await callControl<PlatformView>(base, 'GET', '/api/status');
    if (json) console.log(JSON.stringify(view.rollouts, null, 2));
    else for (const r of view.rollouts) console.log(rolloutLines(r).join('\n'));
    return 0;
  }
  if (action === undefined || name === undefined) throw new UsageError('cutover rollout needs an action and a rollout name');
  const route = `/api/rollouts/${encodeURIComponent(name)}`;
  const show = (s: RolloutStatus) => console.log(json ? JSON.stringify(s, null, 2) : rolloutLines(s).join('\n'));
  switch (action) {
    case 'set-image': {
      const image = rest[0];
      if (image === undefined) throw new UsageError('set-image needs an image, e.g. cutover/tinyurl:v2');
      const container = args.flags.get('container');
      show(await callControl(base, 'POST', `${route}/set-image`, { image, ...(typeof container === 'string' ? { container } : {}) }));
      return 0;
    }
    case 'promote':
      show(await callControl(base, 'POST', `${route}/promote`, { full: args.flags.has('full') }));
      return 0;
    case 'abort':
    case 'retry':
    case 'pause':
      show(await callControl(base, 'POST', `${route}/${action}`, {}));
      return 0;
    case 'undo': {
      const to = args.flags.get('to-revision');
      if (to !== undefined && !/^\d+$/.test(String(to))) throw new UsageError('--to-revision takes a revision number');
      show(await callControl(base, 'POST', `${route}/undo`, to === undefined ? {} : { toRevision: Number(to) }));
      return 0;
    }
    case 'status': {
      if (!args.flags.has('watch')) {
        show(await callControl(base, 'GET', route));
        return 0;
      }
      const timeoutText = args.flags.get('timeout');
      const timeoutMs = typeof timeoutText === 'string' ? parseDuration(timeoutText) : 600_000;
      if (timeoutMs === undefined) throw new UsageError(`--timeout: expected ${DURATION_FORMS}`);
      const started = Date.now();
      let seen = '';
      for (;;) {
        const s = await callControl<RolloutStatus>(base, 'GET', route);
        const text = rolloutLines(s).join('\n');
        if (text !== seen) {
          console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s]\n${text}`);
          seen = text;
        }
        if (s.phase === 'Healthy') return 0;
        if (s.phase === 'Degraded') {
          console.error(`rollout ${name} is Degraded: ${s.message}`);
          return 1;
        }
        if (Date.now() - started >= timeoutMs) {
          console.error(`rollout ${name} was not Healthy within ${timeoutText ?? '10m'}: last seen ${s.phase}${s.message ? ` (${s.message})` : ''}`);
          return 1;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    default:
      throw new UsageError(`unknown rollout action "${action}"`);
  }
}

async function pods(args: Parsed): Promise<number> {
  const control = findControl(typeof args.flags.get('control') === 'string' ? (args.flags.get('control') as string) : undefined);
  const list = await callControl<PodHealth[]>(control, 'GET', '/api/pods');
  console.log(args.flags.has('json') ? JSON.stringify(list, null, 2) : [...podLines(list), '', ...healthLines(summarizeHealth(list))].join('\n'));
  return 0;
}

function lint(args: Parsed): number {
  if (args.positional.length === 0) throw new UsageError('cutover lint needs at least one manifest file');
  const result = lintManifests(args.positional, loadCatalog());
  for (const e of result.errors) console.error(`error: ${e}`);
  for (const w of result.warnings) console.error(`warning: ${w}`);
  for (const i of result.ignored) console.log(`note: ${i}`);
  const failed = result.errors.length > 0 || (args.flags.has('strict') && result.warnings.length > 0);
  console.log(failed ? `${result.errors.length} error(s), ${result.warnings.length} warning(s)` : `${result.documents} document(s) valid${result.warnings.length ? `, ${result.warnings.length} warning(s)` : ''}`);
  return failed ? 1 : 0;
}

function prd(args: Parsed): number {
  const [action] = args.positional;
  const prdFlag = args.flags.get('prd');
  if (typeof prdFlag !== 'string') throw new UsageError('prd needs --prd <folder or comma-separated files> (CI passes ../shared/prd)');
  const documents = loadPrds(prdFlag.split(',').map((p) => p.trim()).filter(Boolean));
  const json = args.flags.has('json');
  if (action === 'items') {
    const items = documents.flatMap((d) => d.items);
    const out = args.flags.get('out');
    if (typeof out === 'string') {
      // One tasks file for every PRD (the Python originals' master-tasks.json).
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      fs.writeFileSync(out, `${JSON.stringify(items, null, 2)}\n`);
      console.log(`wrote ${items.length} items of ${documents.length} documents to ${out}`);
    } else if (json) console.log(JSON.stringify(items, null, 2));
    else for (const i of items) console.log(`${i.id}${i.sameAs ? ` = ${i.sameAs}` : ''}\t${path.basename(i.file)}:${i.line}\t${i.text}`);
    return 0;
  }
  if (action !== 'coverage' && action !== 'scaffold') throw new UsageError(`unknown prd action "${action ?? ''}": expected coverage, scaffold or items`);
  const featuresFlag = args.flags.get('features');
  const result = prdCoverage(documents, scanFeatures([typeof featuresFlag === 'string' ? featuresFlag : 'features']));
  if (action === 'scaffold') {
    const out = args.flags.get('out');
    if (typeof out !== 'string') throw new UsageError('prd scaffold needs --out <dir> (e.g. features/prd)');
    const { written, skipped } = scaffoldMissing(result, documents, out);
    for (const f of written) console.log(`wrote ${f}`);
    for (const f of skipped) console.log(`kept ${f} (exists; not overwritten)`);
    return 0;
  }
  if (json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(coverageTable(result));
    for (const u of result.unknown) console.error(`error: ${u.file}:${u.line}: ${u.tag} names no PRD item${u.suggestions.length ? `; items there: ${u.suggestions.join(', ')}` : ''}`);
  }
  // --allow-missing: while items are still being written, only tags that name nothing fail.
  return (result.totals.missing > 0 && !args.flags.has('allow-missing')) || result.unknown.length > 0 ? 1 : 0;
}

/** The scripts that build and run the parts cluster (the same ones CI runs). */
const CLUSTER_SCRIPTS = fileURLToPath(new URL('../../ci/cluster/', import.meta.url));

function runScript(script: string, args: string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(CLUSTER_SCRIPTS, script), ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function cluster(args: Parsed): Promise<number> {
  const [action] = args.positional;
  if (action === 'status') {
    const kube = new KubeCluster();
    const { version } = await kube.check();
    console.log(`${kube.server}: Kubernetes ${version}, Argo Rollouts installed`);
    return 0;
  }
  if (action === 'down') return runScript('down.sh');
  if (action !== 'up') throw new UsageError(`cluster needs an action: up, down or status (got "${action ?? ''}")`);
  if (process.env.KUBECONFIG) {
    const kube = new KubeCluster();
    const { version } = await kube.check();
    console.log(`using the cluster KUBECONFIG names: ${kube.server} (Kubernetes ${version}); nothing created`);
    return 0;
  }
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error('the parts cluster runs containerd, the kubelet and kube-proxy on this machine: it needs Linux and root (or set KUBECONFIG to a cluster with Argo Rollouts)');
  }
  const built = await runScript('build.sh');
  if (built !== 0) return built;
  const up = await runScript('up.sh');
  const state = process.env.CUTOVER_CLUSTER_STATE ?? '/var/lib/cutover-cluster'; // as ci/cluster/lib.sh places it
  if (up === 0) console.log(`\nexport KUBECONFIG=${state}/admin.kubeconfig CUTOVER_IMAGE_PULL_POLICY=IfNotPresent   # then: npx cutover cluster down`);
  return up;
}

async function signoff(args: Parsed): Promise<number> {
  const [action, dir] = args.positional;
  if (action === 'verify') {
    if (dir === undefined) throw new UsageError('signoff verify needs the bundle folder (e.g. reports/signoff)');
    const v = verifySignoff(dir);
    for (const f of v.changed) console.error(`changed since the sign-off: ${f}`);
    for (const f of v.missing) console.error(`gone since the sign-off: ${f}`);
    for (const f of v.added) console.error(`added after the sign-off: ${f}`);
    if (v.notHere.length > 0) console.log(`${v.notHere.length} evidence file(s) beside the bundle are not here (the bundle alone was given): not checked`);
    console.log(`${v.ok ? 'intact' : 'NOT INTACT'}: ${v.checked} file(s) checked against ${path.join(dir, MANIFEST)}`);
    return v.ok ? 0 : 1;
  }
  if (action !== undefined) throw new UsageError(`unknown signoff action "${action}": expected none (decide) or verify`);
  const results = args.flags.get('results');
  const prdFlag = args.flags.get('prd');
  if (typeof results !== 'string') throw new UsageError('signoff needs --results <dir> (where the runs wrote reports/, e.g. reports/)');
  if (typeof prdFlag !== 'string') throw new UsageError('signoff needs --prd <folder or comma-separated files> (CI passes ../shared/prd)');
  const flag = (name: string) => {
    const v = args.flags.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const decision = decide({ resultsDir: results, prdPaths: prdFlag.split(',').map((p) => p.trim()).filter(Boolean), featuresDir: flag('features'), attestationsDir: flag('attestations'), require: flag('require') });
  const bundle = await writeSignoff(decision, results, { pdf: !args.flags.has('no-pdf') });
  console.log(`${decision.verdict}: ${decision.required.filter((r) => r.status === 'passed').length} of ${decision.required.length} required scenario(s) passed, ${decision.slos.filter((s) => !s.passed).length} of ${decision.slos.length} SLO(s) breached, ${decision.runs.length} run(s)`);
  for (const r of decision.reasons.slice(0, 40)) console.log(`  - ${r}`);
  const unvalidated = decision.phases.filter((p) => !p.validated);
  console.log(`PRD phases validated: ${decision.phases.length - unvalidated.length} of ${decision.phases.length}${unvalidated.length > 0 ? `; not: ${unvalidated.slice(0, 8).map((p) => `${p.document} / ${p.phase}`).join('; ')}${unvalidated.length > 8 ? '; …' : ''}` : ''}`);
  if (decision.reasons.length > 40) console.log(`  … ${decision.reasons.length - 40} more reason(s) in signoff.json`);
  console.log(`wrote ${bundle.dir}: index.html${bundle.pdf ? ', signoff.pdf' : ''}, signoff.json, ${MANIFEST} (${bundle.hashed} files)`);
  return decision.verdict === 'GO' ? 0 : 1;
}

function issue(args: Parsed): number {
  const results = args.flags.get('results');
  if (typeof results !== 'string') throw new UsageError('issue needs --results <dir> (where the runs wrote reports/, e.g. reports/)');
  const out = args.flags.get('out');
  const runs = readRuns(results);
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: runId } = process.env;
  const written = failureIssue(runs, { runUrl: server && repo && runId ? `${server}/${repo}/actions/runs/${runId}` : undefined });
  if (written === undefined) {
    if (typeof out === 'string') fs.rmSync(out, { force: true });
    console.error(`nothing failed in ${runs.length} run(s): no issue`);
    return 0;
  }
  console.log(written.title);
  if (typeof out === 'string') {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, written.body);
    console.error(`wrote ${out}: ${written.failed} failed scenario(s), ${written.body.length} characters`);
  } else console.log(`\n${written.body}`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && !['help', '--help', '-h'].includes(command)) {
      const problems = commandProblems(argv);
      if (problems.length > 0) throw new UsageError(problems.join('\n'));
    }
    const args = parseArgs(rest, VALUED_FLAGS);
    if (command === 'up') return await up(args);
    if (command === 'rollout') return await rollout(args);
    if (command === 'pods') return await pods(args);
    if (command === 'logs') return podLogs(args);
    if (command === 'lint') return lint(args);
    if (command === 'prd') return prd(args);
    if (command === 'signoff') return await signoff(args);
    if (command === 'issue') return issue(args);
    if (command === 'cluster') return await cluster(args);
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`cutover: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`cutover: ${(err as Error).message}`);
    return 1;
  }
}
