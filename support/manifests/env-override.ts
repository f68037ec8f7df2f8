// A manifest with a Rollout's container environment changed, as
// `kubectl set env` would change it, for a scenario that points a service at
// something it started (a feed, a dependency) on an address known only then.
import { parseAllDocuments } from 'yaml';

/** The manifest text with these variables set (added or replaced) on every container of the named Rollout; comments and everything else kept. */
export function withRolloutEnv(text: string, file: string, rollout: string, env: Record<string, string>): string {
  const docs = parseAllDocuments(text);
  const target = docs.find((d) => d.get('kind') === 'Rollout' && d.getIn(['metadata', 'name']) === rollout);
  if (target === undefined) {
    const names = docs.filter((d) => d.get('kind') === 'Rollout').map((d) => String(d.getIn(['metadata', 'name'])));
    throw new Error(`${file}: no Rollout named "${rollout}" (it has ${names.length > 0 ? names.map((n) => `"${n}"`).join(', ') : 'none'})`);
  }
  const containers = target.getIn(['spec', 'template', 'spec', 'containers']) as { items: unknown[] } | undefined;
  const count = containers?.items.length ?? 0;
  if (count === 0) throw new Error(`${file}: Rollout "${rollout}" has no spec.template.spec.containers`);
  for (let i = 0; i < count; i++) {
    const path = ['spec', 'template', 'spec', 'containers', i, 'env'];
    const current = (target.getIn(path) as { toJSON(): unknown } | undefined)?.toJSON();
    const list = (Array.isArray(current) ? current : []) as { name: string; value?: string }[];
    const kept = list.filter((e) => !(e.name in env));
    target.setIn(path, target.createNode([...kept, ...Object.entries(env).map(([name, value]) => ({ name, value }))]));
  }
  return docs.map((d) => d.toString()).join('');
}
