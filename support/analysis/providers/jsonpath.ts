// The Kubernetes JSONPath subset Argo's web provider examples use:
// "{$.data.ok}", "{$.items[0].value}", "{$['a-b'].c}". Braces are optional.

type Part = string | number;

export function parseJsonPath(path: string): Part[] {
  let text = path.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1).trim();
  if (!text.startsWith('$')) throw new Error(`jsonPath "${path}": expected it to start with $ (e.g. {$.data.ok})`);
  const parts: Part[] = [];
  const re = /\.([A-Za-z_][\w-]*)|\[(\d+)\]|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]/y;
  let at = 1;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) throw new Error(`jsonPath "${path}": cannot read "${text.slice(at)}" (use .name, [index] or ['name'])`);
    parts.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[4]) as string));
    at = re.lastIndex;
  }
  return parts;
}

export function evaluateJsonPath(data: unknown, path: string): unknown {
  let value = data;
  const parts = parseJsonPath(path);
  for (const [i, part] of parts.entries()) {
    const missing = () => new Error(`jsonPath "${path}": nothing at ${parts.slice(0, i + 1).map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')} in ${JSON.stringify(data).slice(0, 200)}`);
    if (typeof part === 'number') {
      if (!Array.isArray(value) || part >= value.length) throw missing();
      value = value[part];
    } else {
      if (value === null || typeof value !== 'object' || !(part in value)) throw missing();
      value = (value as Record<string, unknown>)[part];
    }
  }
  return value;
}
