// A manifest with a Rollout's containers changed, as `kubectl set env` or
// `kubectl argo rollouts set image` would change them: the environment, for a
// scenario that points a service at something it started (a feed, a
// dependency) on an address known only then; the image, for a commit to a
// GitOps repository; the pull policy, for a cluster whose images are loaded
// onto its nodes. Comments and everything else are kept.
import { type Document, parseAllDocuments } from 'yaml';

/** The named Rollout's document (every Rollout's when `rollout` is undefined), and how many containers it has. */
function rolloutDocuments(docs: Document.Parsed[], file: string, rollout: string | undefined): { doc: Document.Parsed; containers: number }[] {
  const rollouts = docs.filter((d) => d.get('kind') === 'Rollout');
  const targets = rollouts.filter((d) => rollout === undefined || d.getIn(['metadata', 'name']) === rollout);
  if (targets.length === 0) {
    const names = rollouts.map((d) => String(d.getIn(['metadata', 'name'])));
    throw new Error(`${file}: no Rollout${rollout === undefined ? '' : ` named "${rollout}"`} (it has ${names.length > 0 ? names.map((n) => `"${n}"`).join(', ') : 'none'})`);
  }
  return targets.map((doc) => {
    const containers = (doc.getIn(['spec', 'template', 'spec', 'containers']) as { items: unknown[] } | undefined)?.items.length ?? 0;
    if (containers === 0) throw new Error(`${file}: Rollout "${String(doc.getIn(['metadata', 'name']))}" has no spec.template.spec.containers`);
    return { doc, containers };
  });
}

/** The manifest text with the image of every container of every Rollout in it (or of the named one) set. */
export function withRolloutImage(text: string, file: string, image: string, rollout?: string): string {
  const docs = parseAllDocuments(text);
  for (const { doc, containers } of rolloutDocuments(docs, file, rollout)) {
    for (let i = 0; i < containers; i++) doc.setIn(['spec', 'template', 'spec', 'containers', i, 'image'], image);
  }
  return docs.map((d) => d.toString()).join('');
}

/** The manifest text with these variables set (added or replaced) on every container of the named Rollout. */
export function withRolloutEnv(text: string, file: string, rollout: string, env: Record<string, string>): string {
  const docs = parseAllDocuments(text);
  for (const { doc: target, containers: count } of rolloutDocuments(docs, file, rollout)) {
    for (let i = 0; i < count; i++) {
      const path = ['spec', 'template', 'spec', 'containers', i, 'env'];
      const current = (target.getIn(path) as { toJSON(): unknown } | undefined)?.toJSON();
      const list = (Array.isArray(current) ? current : []) as { name: string; value?: string }[];
      const kept = list.filter((e) => !(e.name in env));
      target.setIn(path, target.createNode([...kept, ...Object.entries(env).map(([name, value]) => ({ name, value }))]));
    }
  }
  return docs.map((d) => d.toString()).join('');
}

/** The manifest text with every container of every Rollout in it pulled by this policy (IfNotPresent on a cluster whose images were loaded). */
export function withPullPolicy(text: string, file: string, policy: string): string {
  const docs = parseAllDocuments(text);
  if (!docs.some((d) => d.get('kind') === 'Rollout')) return text;
  for (const { doc, containers } of rolloutDocuments(docs, file, undefined)) {
    for (let i = 0; i < containers; i++) doc.setIn(['spec', 'template', 'spec', 'containers', i, 'imagePullPolicy'], policy);
  }
  return docs.map((d) => d.toString()).join('');
}
