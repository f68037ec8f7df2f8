// Prometheus' HTTP API as the monitoring checks read it: targets, rules,
// alerts and instant queries. Platform-agnostic: the local platform's
// Prometheus, or a cluster's through a port-forward.

export interface PromTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export interface PromRule {
  type: 'recording' | 'alerting';
  name: string;
  query: string;
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  state?: 'firing' | 'pending' | 'inactive';
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'firing' | 'pending';
  activeAt: string;
  value: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export class PrometheusApi {
  constructor(readonly url: string) {}

  private async get<T>(endpoint: string): Promise<T> {
    const res = await fetch(`${this.url}/api/v1/${endpoint}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus /api/v1/${endpoint.split('?')[0]}: ${body.error ?? `HTTP ${res.status}`}`);
    return body.data;
  }

  async targets(): Promise<PromTarget[]> {
    return (await this.get<{ activeTargets: PromTarget[] }>('targets?state=active')).activeTargets;
  }

  async rules(): Promise<PromRule[]> {
    const data = await this.get<{ groups: { name: string; rules: PromRule[] }[] }>('rules');
    return data.groups.flatMap((g) => g.rules);
  }

  async alerts(): Promise<PromAlert[]> {
    return (await this.get<{ alerts: PromAlert[] }>('alerts')).alerts;
  }

  /** An instant query; a vector's samples (a scalar comes back as one sample). */
  async query(promql: string): Promise<PromSample[]> {
    const data = await this.get<{ resultType: string; result: unknown }>(`query?query=${encodeURIComponent(promql)}`);
    if (data.resultType === 'vector') return data.result as PromSample[];
    if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
    throw new Error(`"${promql}" gave a ${data.resultType}, expected an instant vector or a scalar`);
  }
}
