// In-cluster names for local Services: a URL written the way a pod reaches a
// Service (http://<service>[.<namespace>[.svc[.cluster.local]]][:port]/...)
// is rewritten to the loopback address of that Service's router, so analysis
// templates and job commands written for a cluster work unchanged.

export class ServiceAddresses {
  private readonly services = new Map<string, { ports: number[]; url: URL }>();

  constructor(readonly namespace = 'default') {}

  set(name: string, ports: number[], url: string, namespace = this.namespace): void {
    this.services.set(`${name}.${namespace}`, { ports, url: new URL(url) });
  }

  delete(name: string, namespace = this.namespace): void {
    this.services.delete(`${name}.${namespace}`);
  }

  /** The Service a host name refers to, or undefined when it names none of them. */
  private lookup(host: string): { ports: number[]; url: URL } | undefined {
    const parts = host.toLowerCase().split('.');
    const name = parts[0] as string;
    const rest = parts.slice(1);
    const suffixes = [[], ['svc'], ['svc', 'cluster', 'local']];
    let namespace = this.namespace;
    if (rest.length > 0) {
      namespace = rest[0] as string;
      const tail = rest.slice(1).join('.');
      if (!suffixes.some((s) => s.join('.') === tail)) return undefined;
    }
    return this.services.get(`${name}.${namespace}`);
  }

  /** Rewrites a URL that names a local Service; any other URL is returned as it was. */
  resolveUrl(text: string): string {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return text;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return text;
    const found = this.lookup(url.hostname);
    if (found === undefined) return text;
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    if (url.port !== '' && !found.ports.includes(port)) {
      throw new Error(`${text}: Service ${url.hostname.split('.')[0]} has no port ${port} (its ports: ${found.ports.join(', ')})`);
    }
    // Everything after the authority stays exactly as written.
    const rest = /^https?:\/\/[^/?#]+(.*)$/s.exec(text)?.[1] ?? '';
    return `http://${found.url.host}${rest}`;
  }

  /** Rewrites every Service URL inside a piece of text, e.g. a job's shell command. */
  rewriteText(text: string): string {
    return text.replace(/https?:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[^\s'"`]*)?/g, (url) => this.resolveUrl(url));
  }
}
