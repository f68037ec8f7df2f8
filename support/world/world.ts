// The Cucumber World: one per scenario. It holds the verification session
// (platform, traffic, update under test, evidence) and what the functional
// steps keep between them (the last HTTP response, a browser).
import { setWorldConstructor, World, type IWorldOptions } from '@cucumber/cucumber';
import { z } from 'zod';
import { EvidenceRecorder } from '../evidence/recorder.ts';
import { PLATFORM_KINDS } from '../platform/platform.ts';
import { timeScaleFromEnv } from '../manifests/duration.ts';
import { VerificationSession } from '../scenario/session.ts';
import type { LinkLedger } from '../integrity/links.ts';
import type { DocEditLedger } from '../integrity/doc-edits.ts';
import type { LikeLedger } from '../integrity/likes.ts';
import type { DocsEditor, TypingLoop } from '../browser/docs-editor.ts';
import type { FormOutcome } from '../browser/web-form.ts';
import type { DatabaseBackup } from '../backup/sqlite.ts';
import type { PrdDocument } from '../prd/parse.ts';
import type { LocalAlertmanager } from '../monitoring/alertmanager.ts';
import type { TransferReport } from '../platform/docker/image-transfer.ts';
import type { LocalRegistry } from '../platform/docker/registry.ts';
import type { GitOpsScenario } from '../gitops/gitops.ts';
import type { AlertReceivers } from '../fixtures/alert-receivers.ts';
import type { PrometheusApi } from '../monitoring/prometheus-api.ts';
import type { LiveSubscriber } from '../traffic/live-subscriber.ts';
import type { FeedArticle, RssFeedServer } from '../fixtures/rss-feed.ts';
import type { LoadedRuleFile } from '../monitoring/rules.ts';

export const WorldParametersSchema = z.object({
  profile: z.string().default('default'),
  platform: z.enum(PLATFORM_KINDS).default('local'),
  timeScale: z.number().gt(0).max(10).default(1),
});
export type WorldParameters = z.infer<typeof WorldParametersSchema>;

/** The profile's parameters; CUTOVER_TIME_SCALE, when set, wins over the profile's time scale. */
export function resolveWorldParameters(raw: unknown, env: NodeJS.ProcessEnv = process.env): WorldParameters {
  const parsed = WorldParametersSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new Error(`cucumber.mjs worldParameters: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return env.CUTOVER_TIME_SCALE ? { ...parsed.data, timeScale: timeScaleFromEnv(env) } : parsed.data;
}

export interface HttpExchange {
  method: string;
  url: string;
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
  text: string;
  latencyMs: number;
}

export class CutoverWorld extends World<WorldParameters> {
  readonly settings: WorldParameters;
  readonly session: VerificationSession;
  lastResponse: HttpExchange | undefined;
  /** RSS feeds the scenario serves, by name, and the articles last published to one. */
  readonly feeds = new Map<string, RssFeedServer>();
  lastPublished: FeedArticle[] | undefined;
  /** A backup the scenario took: of which rollout, when, and the files. */
  backup: { rollout: string; startedAt: number; endedAt: number; backups: DatabaseBackup[] } | undefined;
  /** The answer to an HTML form a browser submitted. */
  formAnswer: FormOutcome | undefined;
  /** A WebSocket client keeping what a Service pushes to it. */
  subscriber: LiveSubscriber | undefined;
  /** The statuses of a request sent "N times", in order. */
  responseStatuses: number[] | undefined;
  /** Values a scenario keeps by name (e.g. a short code created in one step and used in the next). */
  readonly remembered = new Map<string, string>();
  /** Short links created in the background, and the traffic run creating them. */
  links: { ledger: LinkLedger; writer: string } | undefined;
  /** Likes given in the background, and the traffic run giving them. */
  likes: { ledger: LikeLedger; writer: string } | undefined;
  /** People editing one Docs document in browser pages, and every edit acknowledged to them. */
  docs: { base: string; docId: string; owner: string; editors: DocsEditor[]; typing: TypingLoop | undefined; acknowledged: DocEditLedger } | undefined;
  /** The tasks file `cutover prd items --out` wrote in this scenario. */
  tasksFile: string | undefined;
  /** The PRDs a scenario read (the PRD reader's own checks). */
  prds: PrdDocument[] | undefined;
  /** The Prometheus watching the platform, and the rule files loaded into it. */
  monitoring: { api: PrometheusApi; ruleFiles: LoadedRuleFile[] } | undefined;
  /** A container registry the scenario runs, and what was pushed to it (image → its push). */
  registry: { registry: LocalRegistry; pushes: Map<string, TransferReport> } | undefined;
  /** The Alertmanager the scenario's Prometheus sends alerts to, and the receivers it notifies. */
  alerting: { alertmanager: LocalAlertmanager; receivers: AlertReceivers } | undefined;
  /** Argo CD and the scenario's Git server, repositories and Applications; the commits it pushed, newest last. */
  gitops: { scenario: GitOpsScenario; pushes: { repository: string; commit: string; at: number; message: string }[] } | undefined;
  /** An Allure HTML report a scenario built, to be looked at. */
  reportDir: string | undefined;
  /** The scenario's tags at every level (set before its first step). */
  tags: string[] = [];
  /** Headers every functional HTTP request of the scenario carries (e.g. the Docs user). */
  readonly headers: Record<string, string> = {};

  constructor(options: IWorldOptions<WorldParameters>) {
    super(options);
    this.settings = resolveWorldParameters(options.parameters);
    const evidence = new EvidenceRecorder((data, o) => (typeof data === 'string' ? this.attach(data, o) : this.attach(data, o)));
    this.session = new VerificationSession({
      platform: this.settings.platform,
      timeScale: this.settings.timeScale,
      evidence,
      log: (line) => this.progress(line),
    });
  }

  get evidence(): EvidenceRecorder {
    return this.session.evidence;
  }

  /** The text with each {name} replaced by the value remembered under that name (unknown names are left as written). */
  fillRemembered(text: string): string {
    return text.replace(/\{(\w[\w ]*)\}/g, (whole, name: string) => this.remembered.get(name) ?? whole);
  }

  /** Progress lines for long work, on stderr so formatters' output stays clean. */
  progress(line: string): void {
    if (process.env.CUTOVER_QUIET !== '1') process.stderr.write(`  · ${line}\n`);
  }
}

setWorldConstructor(CutoverWorld);
