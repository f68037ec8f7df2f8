// The prometheus metric provider: an instant query; a vector result becomes
// an array of numbers (so conditions read result[0]), a scalar a number, as
// Argo does it.
import type { MetricSpec } from '../model.ts';
import type { MetricProvider } from '../run.ts';

export interface PrometheusProviderOptions {
  resolveUrl?: (url: string) => string;
}

interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

const toNumber = (v: string) => (v === 'NaN' ? Number.NaN : v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));

export function prometheusProvider(options: PrometheusProviderOptions = {}): MetricProvider {
  return async (metric: MetricSpec, signal: AbortSignal) => {
    const prom = metric.provider.prometheus;
    if (prom === undefined) throw new Error(`metric ${metric.name} has no prometheus provider`);
    const address = (options.resolveUrl ? options.resolveUrl(prom.address) : prom.address).replace(/\/+$/, '');
    const timeoutS = prom.timeout ?? 30;
    const url = `${address}/api/v1/query?query=${encodeURIComponent(prom.query)}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutS * 1000)]) });
    } catch (err) {
      throw new Error(`Prometheus at ${address} (${prom.address}) did not answer: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    let answer: QueryAnswer;
    try {
      answer = JSON.parse(text) as QueryAnswer;
    } catch {
      answer = {} as QueryAnswer;
    }
    if (answer.status !== 'success' && answer.status !== 'error') {
      throw new Error(`Prometheus at ${address} answered ${res.status} with something that is not its API: ${text.slice(0, 200)}`);
    }
    if (answer.status !== 'success' || answer.data === undefined) throw new Error(`Prometheus query failed: ${answer.error ?? `status ${res.status}`}; query: ${prom.query.trim()}`);
    const { resultType, result } = answer.data;
    if (resultType === 'vector') return { value: (result as { value: [number, string] }[]).map((s) => toNumber(s.value[1])) };
    if (resultType === 'scalar') return { value: toNumber((result as [number, string])[1]) };
    throw new Error(`Prometheus returned a ${resultType}: use a query that gives an instant vector or a scalar`);
  };
}
