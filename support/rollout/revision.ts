// Revisions of a Rollout's pod template, named the way Kubernetes names
// ReplicaSets: a hash of the template, so the same template always gets the
// same name and setting an image back to the stable one is recognised as a
// rollback rather than a new update.
import { createHash } from 'node:crypto';
import type { Rollout } from './model.ts';

export type PodTemplate = Rollout['spec']['template'];

/** Kubernetes' SafeEncodeString alphabet: no vowels, no confusable characters. */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted, so equal templates give equal text whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A 10-character pod-template-hash, stable for equal templates. */
export function podTemplateHash(template: PodTemplate): string {
  const digest = createHash('sha256').update(canonical(template)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += ALPHABET[(digest[i] as number) % ALPHABET.length];
  return out;
}

export interface Revision {
  /** 1, 2, 3... in the order templates were first rolled out. */
  number: number;
  hash: string;
  template: PodTemplate;
  /** The first container's image, for people reading status and evidence. */
  image: string;
}

export const imageOf = (template: PodTemplate) => template.spec.containers[0]?.image ?? '';

/** Returns a copy of the template with the image of one container (the first when unnamed) replaced. */
export function withImage(template: PodTemplate, image: string, container?: string): PodTemplate {
  const containers = template.spec.containers;
  const index = container === undefined ? 0 : containers.findIndex((c) => c.name === container);
  if (index < 0) throw new Error(`the pod template has no container "${container}": it has ${containers.map((c) => c.name).join(', ')}`);
  const copy = structuredClone(template);
  (copy.spec.containers[index] as { image: string }).image = image;
  return copy;
}
