// Argo CD's Application, as the files in k8s/argocd/applications/ declare it:
// read with zod (a bad file names its line and field), reviewed against what
// a GitOps release needs (a branch to follow, automated sync with prune and
// self-heal, where it goes), and made ready to apply for one scenario (its
// repository served by the run's Git server, its destination the scenario's
// namespace, its name unique to the run).
import fs from 'node:fs';
import { z } from 'zod';
import { parseYamlDocument } from '../manifests/load.ts';

const SyncOption = z.string().regex(/^[A-Za-z]+=[A-Za-z0-9-]+$/, 'expected Option=value, e.g. CreateNamespace=true');

export const ApplicationSchema = z
  .object({
    apiVersion: z.literal('argoproj.io/v1alpha1', { message: 'expected argoproj.io/v1alpha1' }),
    kind: z.literal('Application', { message: 'expected Application' }),
    metadata: z
      .object({
        name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS label (lower-case letters, digits, "-")').max(53, 'at most 53 characters (the run adds a suffix)'),
        namespace: z.string().optional(),
        finalizers: z.array(z.string()).optional(),
        annotations: z.record(z.string(), z.string()).optional(),
        labels: z.record(z.string(), z.string()).optional(),
      })
      .passthrough(),
    spec: z
      .object({
        project: z.string().min(1),
        source: z
          .object({
            repoURL: z.string().min(1, 'expected the Git repository URL'),
            targetRevision: z.string().min(1).default('HEAD'),
            path: z.string().min(1, 'expected the folder of the manifests in the repository'),
          })
          .passthrough(),
        destination: z
          .object({ server: z.string().url().optional(), name: z.string().optional(), namespace: z.string().min(1) })
          .passthrough()
          .refine((d) => d.server !== undefined || d.name !== undefined, 'expected a destination server (https://kubernetes.default.svc) or cluster name'),
        syncPolicy: z
          .object({
            automated: z.object({ prune: z.boolean().default(false), selfHeal: z.boolean().default(false), enabled: z.boolean().optional() }).passthrough().optional(),
            syncOptions: z.array(SyncOption).default([]),
          })
          .passthrough()
          .optional(),
      })
      .passthrough(),
  })
  .passthrough();

export type Application = z.infer<typeof ApplicationSchema>;

export function loadApplication(file: string): Application {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the Argo CD Application ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseYamlDocument(text, file, ApplicationSchema, `${file} is not an Argo CD Application`, (m) => new Error(m));
}

/** Whether Argo CD syncs it without being asked: `automated` set and not switched off by `enabled: false`. */
export function autoSyncOf(app: Application): { automated: boolean; prune: boolean; selfHeal: boolean } {
  const a = app.spec.syncPolicy?.automated;
  const automated = a !== undefined && a.enabled !== false;
  return { automated, prune: automated && a.prune, selfHeal: automated && a.selfHeal };
}

export interface ApplicationReview {
  name: string;
  path: string;
  targetRevision: string;
  destinationNamespace: string;
  automated: boolean;
  prune: boolean;
  selfHeal: boolean;
  syncOptions: string[];
  /** Deleting the Application deletes what it deployed (Argo CD's resources finalizer). */
  cascadingDelete: boolean;
  /** Notification triggers it subscribes to, with their services ("on-sync-succeeded.release"). */
  subscriptions: string[];
}

export function reviewApplication(app: Application): ApplicationReview {
  const sync = autoSyncOf(app);
  return {
    name: app.metadata.name,
    path: app.spec.source.path,
    targetRevision: app.spec.source.targetRevision,
    destinationNamespace: app.spec.destination.namespace,
    ...sync,
    syncOptions: app.spec.syncPolicy?.syncOptions ?? [],
    cascadingDelete: (app.metadata.finalizers ?? []).some((f) => f === 'resources-finalizer.argocd.argoproj.io' || f.startsWith('resources-finalizer.argocd.argoproj.io/')),
    subscriptions: Object.keys(app.metadata.annotations ?? {})
      .filter((k) => k.startsWith('notifications.argoproj.io/subscribe.'))
      .map((k) => k.slice('notifications.argoproj.io/subscribe.'.length)),
  };
}

export interface ApplicationTarget {
  /** Appended to the name, so that runs and scenarios do not share an Application. */
  suffix: string;
  repoURL: string;
  namespace: string;
  argoCdNamespace: string;
  /** Turn automated sync off (a manual-sync scenario), or leave it as the file says. */
  automated?: false;
}

/** The Application as a scenario applies it: the file's own, pointed at this run's repository and namespace. */
export function targetApplication(app: Application, target: ApplicationTarget): Application {
  const syncPolicy = app.spec.syncPolicy === undefined ? undefined : { ...app.spec.syncPolicy };
  if (target.automated === false && syncPolicy !== undefined) delete syncPolicy.automated;
  return {
    ...app,
    metadata: { ...app.metadata, name: `${app.metadata.name}-${target.suffix}`, namespace: target.argoCdNamespace },
    spec: {
      ...app.spec,
      source: { ...app.spec.source, repoURL: target.repoURL },
      destination: { ...app.spec.destination, namespace: target.namespace },
      ...(syncPolicy !== undefined ? { syncPolicy } : {}),
    },
  };
}
