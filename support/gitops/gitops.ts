// GitOps on the cluster, as the scenarios drive it:
//
// - ArgoCdEnvironment, one per test process: Argo CD installed (or found
//   installed) in the cluster, its server exposed and logged into, the
//   notification settings of k8s/argocd/notifications.yaml applied and their
//   release webhook received here. Removed at the end of the run if this run
//   installed it.
// - GitOpsScenario, one per scenario: its Git server (on the node's address,
//   which pods reach), its repositories connected to Argo CD, its
//   Applications (from k8s/argocd/applications/, pointed at the scenario's
//   repository and namespace), all removed at its end, Applications first.
import fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { AlertReceivers, type ReceivedNotification } from '../fixtures/alert-receivers.ts';
import { apiStatus, type KubeCluster } from '../platform/kubernetes/cluster.ts';
import { type Application, targetApplication } from './application.ts';
import { ArgoCdApi, ArgoCdInstallation, installManifestPath, type ArgoApplicationStatus, type InstallResult, type Obj, kubectl, readApplicationStatus } from './argocd.ts';
import { GitServer } from './git-server.ts';

const APPS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' } as const;
export const NOTIFICATIONS_FILE = 'k8s/argocd/notifications.yaml';

/** The node's InternalIP: where pods reach this machine (the cluster runs on it) and NodePorts answer. */
export async function nodeAddress(cluster: KubeCluster): Promise<string> {
  const nodes = await cluster.call('list nodes', () => cluster.core.listNode());
  for (const node of nodes.items) {
    const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (ip) return ip;
  }
  throw new Error(`no node of the cluster at ${cluster.server} has an InternalIP address`);
}

export class ArgoCdEnvironment {
  private static current: Promise<ArgoCdEnvironment> | undefined;

  private constructor(
    readonly installation: ArgoCdInstallation,
    readonly api: ArgoCdApi,
    readonly serverUrl: string,
    readonly serverCertificate: string,
    readonly nodeAddress: string,
    readonly receiver: AlertReceivers,
    /** The install this run made, or undefined when Argo CD was there already. */
    readonly installed: InstallResult | undefined,
    private readonly manifest: string,
  ) {}

  /** Argo CD for this run: installed on first use, then shared by the run's scenarios. */
  static ensure(cluster: KubeCluster, options: { timeoutMs: number; log: (line: string) => void; notificationsFile: string }): Promise<ArgoCdEnvironment> {
    ArgoCdEnvironment.current ??= ArgoCdEnvironment.create(cluster, options).catch((err: unknown) => {
      ArgoCdEnvironment.current = undefined;
      throw err;
    });
    return ArgoCdEnvironment.current;
  }

  private static async create(cluster: KubeCluster, options: { timeoutMs: number; log: (line: string) => void; notificationsFile: string }): Promise<ArgoCdEnvironment> {
    const manifest = installManifestPath();
    const installation = new ArgoCdInstallation({ cluster, log: options.log });
    const installed = (await installation.isReady()) ? undefined : await installation.install(manifest, options.timeoutMs);
    const address = await nodeAddress(cluster);
    const serverUrl = await installation.exposeServer(address);
    const certificate = await installation.secretValue('argocd-secret', 'tls.crt');
    const password = await installation.secretValue('argocd-initial-admin-secret', 'password');
    const api = await ArgoCdApi.login(serverUrl, certificate, password);
    // The release webhook of the notification settings: a receiver here, on the node's address.
    const receiver = await AlertReceivers.start(address);
    const settings = parseAllDocuments(fs.readFileSync(options.notificationsFile, 'utf8')).map((d) => d.toJS() as Obj);
    await installation.apply([
      ...settings,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-notifications-secret' }, stringData: { 'release-webhook-url': `${receiver.url}/release` } } as Obj,
    ]);
    return new ArgoCdEnvironment(installation, api, serverUrl, certificate, address, receiver, installed, manifest);
  }

  /** Ends the run's Argo CD: the receiver, and Argo CD itself if this run installed it. */
  static async close(log: (line: string) => void): Promise<void> {
    const current = ArgoCdEnvironment.current;
    ArgoCdEnvironment.current = undefined;
    const env = await current?.catch(() => undefined);
    if (env === undefined) return;
    await env.receiver.close();
    if (env.installed?.createdNamespace) {
      log('removing Argo CD (this run installed it)');
      await env.installation.uninstall(env.manifest, 120_000);
    }
  }

  /** What the release webhook was told about an application (JSON bodies of k8s/argocd/notifications.yaml's templates). */
  notificationsFor(app: string): (ReceivedNotification & { fields: Record<string, string> })[] {
    return this.receiver.received
      .filter((n) => n.receiver === 'release')
      .map((n) => ({ ...n, fields: (n.body ?? {}) as Record<string, string> }))
      .filter((n) => n.fields.app === app);
  }
}

export interface AppliedApplication {
  /** The name in the file. */
  file: string;
  /** The name in the cluster (with the scenario's suffix). */
  name: string;
  spec: Application;
}

export class GitOpsScenario {
  readonly applications = new Map<string, AppliedApplication>();
  private readonly repositories = new Map<string, string>();
  private readonly secrets: string[] = [];

  constructor(
    readonly env: ArgoCdEnvironment,
    readonly git: GitServer,
    private readonly cluster: KubeCluster,
    /** The scenario's namespace, where the applications deploy. */
    readonly namespace: string,
    private readonly suffix: string,
  ) {}

  static async start(env: ArgoCdEnvironment, cluster: KubeCluster, namespace: string, log: (line: string) => void): Promise<GitOpsScenario> {
    const git = await GitServer.start({ host: env.nodeAddress, log });
    // Each push is told to Argo CD as a Git host tells it (its /api/webhook refreshes the applications of that repository).
    git.addWebhook(`${env.serverUrl}/api/webhook`, env.serverCertificate);
    return new GitOpsScenario(env, git, cluster, namespace, namespace.split('-').at(-1) ?? namespace);
  }

  /** A repository of the scenario's Git server, its files committed to `branch` from files of the project. */
  async createRepository(name: string, files: Record<string, string>, branch: string): Promise<string> {
    const url = await this.git.create(name, branch);
    await this.git.commit(name, files, 'The deployment repository, as the project ships it', branch);
    this.repositories.set(name, url);
    return url;
  }

  repositoryUrl(name: string): string {
    const url = this.repositories.get(name);
    if (url === undefined) throw new Error(`no Git repository "${name}" in this scenario (made: ${[...this.repositories.keys()].join(', ') || 'none'})`);
    return url;
  }

  /** Connects Argo CD to a repository: a Secret labelled as a repository, as `argocd repo add` writes it. */
  async connectRepository(name: string): Promise<void> {
    const secret = `repo-${name}-${this.suffix}`;
    await this.env.installation.apply([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secret, labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
        stringData: { type: 'git', name: `${name}-${this.suffix}`, url: this.repositoryUrl(name) },
      } as Obj,
    ]);
    this.secrets.push(secret);
  }

  /** Applies an Application from a file, pointed at a repository of the scenario and its namespace. */
  async applyApplication(app: Application, repository: string, options: { automated?: false } = {}): Promise<AppliedApplication> {
    const spec = targetApplication(app, { suffix: this.suffix, repoURL: this.repositoryUrl(repository), namespace: this.namespace, argoCdNamespace: this.env.installation.namespace, ...options });
    await kubectl(['apply', '--server-side', '--field-manager=cutover', '-f', '-'], 60_000, JSON.stringify(spec));
    const applied = { file: app.metadata.name, name: spec.metadata.name, spec };
    this.applications.set(app.metadata.name, applied);
    return applied;
  }

  application(name: string): AppliedApplication {
    const app = this.applications.get(name);
    if (app === undefined) throw new Error(`no Argo CD application "${name}" applied in this scenario (applied: ${[...this.applications.keys()].join(', ') || 'none'})`);
    return app;
  }

  /** The Application's status as the cluster has it. */
  async status(name: string): Promise<ArgoApplicationStatus> {
    const app = this.application(name);
    const raw = await this.cluster.call(`read Application ${app.name}`, () => this.cluster.custom.getNamespacedCustomObject({ ...APPS, namespace: this.env.installation.namespace, name: app.name }));
    return readApplicationStatus(raw as Parameters<typeof readApplicationStatus>[0]);
  }

  /**
   * Polls the Application every second until `ok` holds; the error says what
   * was expected, what was last seen, and after how long.
   */
  async waitFor(name: string, ok: (s: ArgoApplicationStatus) => boolean, timeoutMs: number, expected: string): Promise<{ status: ArgoApplicationStatus; afterMs: number }> {
    const started = Date.now();
    let last: ArgoApplicationStatus | undefined;
    for (;;) {
      last = await this.status(name);
      if (ok(last)) return { status: last, afterMs: Date.now() - started };
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `application ${name} was not ${expected} within ${timeoutMs} ms: last seen ${last.sync}/${last.health} at ${last.revision.slice(0, 7) || 'no revision'}` +
            `${last.operationPhase ? `, last operation ${last.operationPhase}${last.operationMessage ? ` (${last.operationMessage})` : ''}` : ''}` +
            `${last.conditions.length ? `, conditions: ${last.conditions.join('; ')}` : ''}`,
        );
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Turns automated sync off, as the UI's "Disable Auto-Sync" does (a rollback needs it off). */
  async disableAutoSync(name: string): Promise<void> {
    const app = this.application(name);
    await kubectl(['patch', 'application', app.name, '-n', this.env.installation.namespace, '--type', 'json', '-p', '[{"op": "remove", "path": "/spec/syncPolicy/automated"}]'], 30_000);
  }

  /** Polls every second until an object of the scenario's namespace is there (or gone); ms it took. */
  async waitForObject(kind: string, name: string, present: boolean, timeoutMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      const out = await kubectl(['get', kind.toLowerCase(), name, '-n', this.namespace, '--ignore-not-found', '-o', 'name'], 15_000);
      if ((out !== '') === present) return Date.now() - started;
      if (Date.now() - started > timeoutMs) {
        const apps = await Promise.all([...this.applications.keys()].map((n) => this.status(n).then((s) => `${n}: ${s.sync}/${s.health}`)));
        throw new Error(`${kind} ${name} was ${present ? 'not there' : 'still there'} after ${timeoutMs} ms (applications: ${apps.join(', ')})`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /**
   * Deletes the scenario's Applications and waits until Argo CD has deleted
   * what they deployed (their finalizer), then its repository Secrets and Git
   * server. Bounded: an Application still there after it has its finalizer
   * removed, so the namespace can go.
   */
  async close(timeoutMs = 90_000): Promise<void> {
    const ns = this.env.installation.namespace;
    const errors: string[] = [];
    for (const app of this.applications.values()) {
      await this.cluster.call(`delete Application ${app.name}`, () => this.cluster.custom.deleteNamespacedCustomObject({ ...APPS, namespace: ns, name: app.name })).catch((err: unknown) => {
        if (apiStatus(err) !== 404) errors.push((err as Error).message);
      });
    }
    const deadline = Date.now() + timeoutMs;
    for (const app of this.applications.values()) {
      for (;;) {
        const there = await this.cluster.custom.getNamespacedCustomObject({ ...APPS, namespace: ns, name: app.name }).then(() => true, (err: unknown) => apiStatus(err) !== 404);
        if (!there) break;
        if (Date.now() > deadline) {
          errors.push(`Application ${app.name} was still being deleted after ${timeoutMs} ms: its finalizer was removed`);
          await kubectl(['patch', 'application', app.name, '-n', ns, '--type', 'merge', '-p', '{"metadata": {"finalizers": null}}'], 30_000).catch(() => undefined);
          break;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    for (const secret of this.secrets) await kubectl(['delete', 'secret', secret, '-n', ns, '--ignore-not-found'], 30_000).catch((err: Error) => errors.push(err.message));
    await this.git.close();
    if (errors.length > 0) throw new Error(errors.join('; '));
  }
}

