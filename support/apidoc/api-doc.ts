// The services' API documentation (docs/api.md) read as data: one table of
// routes per service section, plus a section of routes every service serves,
// compared with the routes a service really declares.
export interface DocumentedRoute {
  method: string;
  path: string;
  line: number;
}

export interface ApiDoc {
  file: string;
  /** Routes by section heading (a service name, or COMMON_SECTION). */
  sections: Map<string, DocumentedRoute[]>;
}

export const COMMON_SECTION = 'Every service';
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** `## <section>` headings, and table rows `| METHOD | /path | ... |` under them. */
export function parseApiDoc(text: string, file: string): ApiDoc {
  const sections = new Map<string, DocumentedRoute[]>();
  let current: DocumentedRoute[] | undefined;
  text.split('\n').forEach((line, i) => {
    const heading = /^## (.+?)\s*$/.exec(line);
    if (heading) {
      current = [];
      sections.set(heading[1] as string, current);
      return;
    }
    const row = /^\|\s*([A-Z]+)\s*\|\s*(\/\S*)\s*\|/.exec(line);
    if (row === null) return;
    const [, method, path] = row as unknown as [string, string, string];
    if (!METHODS.has(method)) throw new Error(`${file}:${i + 1}: "${method}" is not an HTTP method (expected one of ${[...METHODS].join(', ')})`);
    if (current === undefined) throw new Error(`${file}:${i + 1}: a route row before any "## <service>" heading`);
    current.push({ method, path, line: i + 1 });
  });
  return { file, sections };
}

export interface RouteComparison {
  service: string;
  /** Served but not documented. */
  undocumented: string[];
  /** Documented (file:line) but not served. */
  notServed: string[];
  documented: number;
}

/** A service's declared routes against its section and the common one. */
export function compareRoutes(doc: ApiDoc, service: string, routes: { method: string; url: string }[]): RouteComparison {
  const own = doc.sections.get(service);
  if (own === undefined) throw new Error(`${doc.file} has no "## ${service}" section (sections: ${[...doc.sections.keys()].join(', ')})`);
  const documented = [...(doc.sections.get(COMMON_SECTION) ?? []), ...own];
  const key = (method: string, path: string) => `${method} ${path}`;
  const served = new Set(routes.map((r) => key(r.method, r.url)));
  const inDoc = new Set(documented.map((r) => key(r.method, r.path)));
  return {
    service,
    undocumented: [...served].filter((k) => !inDoc.has(k)),
    notServed: documented.filter((r) => !served.has(key(r.method, r.path))).map((r) => `${key(r.method, r.path)} (${doc.file}:${r.line})`),
    documented: documented.length,
  };
}

/** The routes a service declares, read from it built and started on a free port with a throw-away data folder. */
export async function declaredRoutes(service: string): Promise<{ method: string; url: string }[]> {
  const { loadService } = await import('../../services/registry.ts');
  const { startTestService } = await import('../../services/common/testing.ts');
  const running = await startTestService(await loadService(service));
  try {
    return [...running.built.service.routes];
  } finally {
    await running.stop();
  }
}
