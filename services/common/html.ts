// Output encoding for HTML pages: every value that reaches markup goes through here.
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  // eslint-disable-next-line security/detect-object-injection -- c is one of the five characters the pattern matches
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** A complete page: one stylesheet-free document with scripts only from 'self'. */
export function page(title: string, body: string, scripts: string[] = []): string {
  const tags = scripts.map((src) => `<script type="module" src="${escapeHtml(src)}"></script>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>${tags}</head><body>${body}</body></html>`;
}
