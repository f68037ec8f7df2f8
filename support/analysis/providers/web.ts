// The web metric provider: one HTTP request per measurement, the JSON answer
// (or the part jsonPath selects) is the result. A status outside 2xx, a
// timeout or a body that is not JSON when jsonPath needs it is an Error
// measurement, as in Argo.
import type { MetricSpec } from '../model.ts';
import type { MetricProvider } from '../run.ts';
import { evaluateJsonPath } from './jsonpath.ts';

export interface WebProviderOptions {
  /** Maps in-cluster URLs (http://<service>...) to where that Service listens here. */
  resolveUrl?: (url: string) => string;
}

export function webProvider(options: WebProviderOptions = {}): MetricProvider {
  return async (metric: MetricSpec, signal: AbortSignal) => {
    const web = metric.provider.web;
    if (web === undefined) throw new Error(`metric ${metric.name} has no web provider`);
    const url = options.resolveUrl ? options.resolveUrl(web.url) : web.url;
    const headers: Record<string, string> = Object.fromEntries(web.headers.map((h) => [h.key, h.value]));
    let body = web.body;
    if (web.jsonBody !== undefined) {
      body = JSON.stringify(web.jsonBody);
      headers['content-type'] ??= 'application/json';
    }
    const timeout = AbortSignal.timeout(web.timeoutSeconds * 1000);
    let res: Response;
    try {
      res = await fetch(url, { method: web.method, headers, body, signal: AbortSignal.any([signal, timeout]) });
    } catch (err) {
      const why = timeout.aborted ? `no answer within ${web.timeoutSeconds} s` : ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new Error(`${web.method} ${url}${url !== web.url ? ` (${web.url})` : ''}: ${why}`, { cause: err });
    }
    const text = await res.text();
    if (res.status < 200 || res.status >= 300) throw new Error(`${web.method} ${url} answered ${res.status}: ${text.slice(0, 200)}`);
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch {
      if (web.jsonPath) throw new Error(`${web.method} ${url}: the answer is not JSON, so jsonPath ${web.jsonPath} cannot apply: ${text.slice(0, 200)}`);
    }
    return { value: web.jsonPath ? evaluateJsonPath(data, web.jsonPath) : data };
  };
}
