// What steps see of a platform. Steps never branch on the platform: local,
// docker and kubernetes each implement this, chosen by Cucumber profile.
import type { AnalysisRunSnapshot } from '../analysis/run.ts';
import type { AutoscalerEvent, AutoscalerStatus, AutoscalerSync } from '../autoscaling/autoscaler.ts';
import type { DatabaseBackup } from '../backup/sqlite.ts';
import type { ChaosInjection, ChaosPod } from '../chaos/injection.ts';
import type { ChaosExperiment } from '../chaos/model.ts';
import type { LogEntry, LogQuery } from '../logs/aggregate.ts';
import type { LoadedRuleFile } from '../monitoring/rules.ts';
import type { RolloutEvent, RolloutStatus } from '../rollout/controller.ts';
import type { RouterStats } from '../traffic/router.ts';
import { DockerEngine } from './docker/engine.ts';
import { DockerRuntime } from './docker/runtime.ts';
import { KubernetesPlatform } from './kubernetes/platform.ts';
import { LocalPlatform, type LocalPlatformOptions } from './local/platform.ts';

export const PLATFORM_KINDS = ['local', 'docker', 'kubernetes'] as const;
export type PlatformKind = (typeof PLATFORM_KINDS)[number];

/**
 * A rollout as steps drive it: the `kubectl argo rollouts` verbs, status,
 * events and a bounded wait. The local controller implements it in process;
 * on Kubernetes each verb is a patch of the Rollout, so it may be async.
 */
export interface RolloutHandle {
  readonly name: string;
  readonly events: RolloutEvent[];
  status(): RolloutStatus;
  waitFor(predicate: (s: RolloutStatus) => boolean, timeoutMs: number, expected: string): Promise<RolloutStatus>;
  setImage(image: string, container?: string): Promise<void>;
  promote(full?: boolean): void | Promise<void>;
  pause(): void | Promise<void>;
  abort(reason?: string): Promise<void>;
  retry(): Promise<void>;
  undo(toRevision?: number): Promise<void>;
}

/** A HorizontalPodAutoscaler as steps watch it: `kubectl describe hpa`, and every sync for the chart. */
export interface AutoscalerHandle {
  readonly name: string;
  readonly syncs: AutoscalerSync[];
  readonly events: AutoscalerEvent[];
  status(): AutoscalerStatus;
  waitFor(predicate: (s: AutoscalerStatus) => boolean, timeoutMs: number, expected: string): Promise<AutoscalerStatus>;
}

/** What a failed scenario leaves behind for whoever reads the report. */
export interface PlatformDiagnostics {
  events: { at: string; source: string; reason: string; message: string }[];
  routers: RouterStats[];
  /** Last output lines per replica. */
  logs: Record<string, string[]>;
}

export interface MonitorOptions {
  /** Alertmanager URLs Prometheus sends its alerts to. */
  alertmanagers?: string[];
}

export interface Platform {
  readonly kind: PlatformKind;
  readonly timeScale: number;
  /** Applies manifest files; a malformed one fails with file, line and field before anything changes. */
  applyFiles(files: string[]): Promise<void>;
  rollout(name: string): RolloutHandle;
  rolloutNames(): string[];
  /** A HorizontalPodAutoscaler applied with the manifests. */
  autoscaler(name: string): AutoscalerHandle;
  /** Where a Service answers, as seen from the test (a loopback URL on local). */
  serviceUrl(name: string): string;
  /** Every analysis run started so far, with every measurement. */
  analysisRuns(): AnalysisRunSnapshot[];
  diagnostics(): PlatformDiagnostics;
  /** Every pod of every rollout: labels, readiness, restarts. */
  pods(): ChaosPod[];
  /** Injects a chaos experiment into the pods it selects; the injection's revert undoes what can be undone. */
  injectChaos(experiment: ChaosExperiment): Promise<ChaosInjection>;
  /** A dependency outside the platform that pods reach under a host name (a URL with that host in their environment). */
  addExternal(name: string, address: string): void;
  /** Online backups of the rollout's databases into destDir, each checked by SQLite. */
  backupData(rollout: string, destDir: string): Promise<DatabaseBackup[]>;
  /** Every line the pods wrote, labelled with pod, rollout and image, structured lines parsed (level, message, trace id). */
  logs(query?: LogQuery): LogEntry[];
  /** Has Prometheus scrape the services, routers and rollout metrics with these rules loaded, its alerts sent to the Alertmanagers given; returns its URL as the test reaches it. */
  monitor(ruleFiles: LoadedRuleFile[], options?: MonitorOptions): Promise<string>;
  close(): Promise<void>;
}

export interface PlatformOptions extends LocalPlatformOptions {
  timeScale: number;
  /** The docker platform's daemon socket (default: DOCKER_HOST, or /var/run/docker.sock). */
  dockerSocket?: string;
}

export function createPlatform(kind: PlatformKind, options: PlatformOptions): Platform {
  switch (kind) {
    case 'local':
      return new LocalPlatform(options);
    case 'docker':
      // The local platform's router, controller, analysis and chaos, with the replicas in containers of the real images.
      return new LocalPlatform({ ...options, runtime: new DockerRuntime({ log: options.log, ...(options.dockerSocket !== undefined ? { engine: new DockerEngine(options.dockerSocket) } : {}) }) });
    case 'kubernetes':
      // The real Argo Rollouts controller on the cluster KUBECONFIG names.
      return new KubernetesPlatform({ timeScale: options.timeScale, ...(options.log ? { log: options.log } : {}) });
  }
}

export function parsePlatformKind(text: string): PlatformKind {
  if (!(PLATFORM_KINDS as readonly string[]).includes(text)) throw new Error(`unknown platform "${text}": expected one of ${PLATFORM_KINDS.join(', ')}`);
  return text as PlatformKind;
}
