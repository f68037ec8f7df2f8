// The cluster as the kubernetes platform reaches it: the kubeconfig it loads
// (KUBECONFIG, or ~/.kube/config), the API clients, and a bounded check that
// something answers there, with what to do when nothing does.
import * as k8s from '@kubernetes/client-node';

/** Argo Rollouts' API group and version, as its CRDs serve it. */
export const ARGO = { group: 'argoproj.io', version: 'v1alpha1' } as const;

export interface ClusterOptions {
  /** A kubeconfig file; default KUBECONFIG, then ~/.kube/config. */
  kubeconfig?: string;
  /** How long a single API call may take before it is an error (default 15 s). */
  callTimeoutMs?: number;
}

export class KubeCluster {
  readonly config = new k8s.KubeConfig();
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly custom: k8s.CustomObjectsApi;
  readonly objects: k8s.KubernetesObjectApi;
  readonly callTimeoutMs: number;

  constructor(options: ClusterOptions = {}) {
    const file = options.kubeconfig ?? process.env.KUBECONFIG;
    try {
      if (options.kubeconfig !== undefined) this.config.loadFromFile(options.kubeconfig);
      else this.config.loadFromDefault();
    } catch (err) {
      throw new Error(`cannot read the kubeconfig${file ? ` ${file}` : ''} (${(err as Error).message}): run "npx cutover cluster up", or point KUBECONFIG at a cluster's kubeconfig`, { cause: err });
    }
    this.callTimeoutMs = options.callTimeoutMs ?? 15_000;
    this.core = this.config.makeApiClient(k8s.CoreV1Api);
    this.apps = this.config.makeApiClient(k8s.AppsV1Api);
    this.custom = this.config.makeApiClient(k8s.CustomObjectsApi);
    this.objects = k8s.KubernetesObjectApi.makeApiClient(this.config);
  }

  /** The API server's URL, as the kubeconfig's current context names it. */
  get server(): string {
    return this.config.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)';
  }

  /** Runs an API call with the call bound; the error names the call, the server and the API's own message. */
  async call<T>(what: string, run: () => Promise<T>, timeoutMs = this.callTimeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: the API server at ${this.server} did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (err) {
      throw new Error(`${what}: ${apiMessage(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Checks that the API server answers and Argo Rollouts' CRDs are installed;
   * the error says what to do (cluster up, KUBECONFIG, install Argo Rollouts).
   */
  async check(timeoutMs = 10_000): Promise<{ version: string }> {
    const versionApi = this.config.makeApiClient(k8s.VersionApi);
    let version: string;
    try {
      version = (await this.call('GET /version', () => versionApi.getCode(), timeoutMs)).gitVersion;
    } catch (err) {
      throw new Error(
        `no Kubernetes API server answers at ${this.server} (${(err as Error).message.replace(/^GET \/version: /, '')}): ` +
          'run "npx cutover cluster up", or point KUBECONFIG at a cluster',
        { cause: err },
      );
    }
    try {
      await this.call('list Rollouts', () => this.custom.listClusterCustomObject({ ...ARGO, plural: 'rollouts', limit: 1 }), timeoutMs);
    } catch (err) {
      throw new Error(`the cluster at ${this.server} (Kubernetes ${version}) has no Argo Rollouts: install its CRDs and controller (npx cutover cluster up does) (${(err as Error).message})`, { cause: err });
    }
    return { version };
  }
}

/** The API's own message (Status.message) where there is one, else the error's. */
export function apiMessage(err: unknown): string {
  if (err instanceof k8s.ApiException) {
    const body = err.body as unknown;
    try {
      const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string };
      if (parsed?.message) return `${parsed.message} (HTTP ${err.code})`;
    } catch {
      // not JSON: fall through to the status code
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The HTTP status of an API error, if it is one. */
export const apiStatus = (err: unknown): number | undefined => {
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
  return cause instanceof k8s.ApiException ? cause.code : undefined;
};
