// What a person attests for a requirement that no scenario can prove (a
// sign-off, a training held): who, when, and where the evidence is. One YAML
// file per attestation under attestations/, validated with file and field.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

export const AttestationSchema = z.object({
  /** The PRD item ids this attestation settles. */
  items: z.array(z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+\/[a-z0-9-]+$/, 'a PRD item id (cutover prd items)')).min(1),
  who: z.string().min(3, 'the name (and role) of who attests'),
  when: z.iso.date('a date, YYYY-MM-DD'),
  evidence: z.url('a link to the evidence (minutes, ticket, recording)'),
  note: z.string().optional(),
});
export type Attestation = z.infer<typeof AttestationSchema> & { file: string };

/** Reads attestations/<name>.yaml; a malformed file fails with the file and each field's problem. */
export function readAttestation(dir: string, name: string): Attestation {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`"${name}" is not an attestation name (lowercase words joined by "-")`);
  const file = path.join(dir, `${name}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`no attestation ${file}: this item needs a person's attestation (items, who, when, evidence) before it counts`);
  return parseAttestationFile(file);
}

/** Every attestation on file in dir; a malformed one fails (it would otherwise silently not count). */
export function readAttestations(dir: string): Attestation[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((name) => parseAttestationFile(path.join(dir, name)));
}

function parseAttestationFile(file: string): Attestation {
  let raw: unknown;
  try {
    raw = parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not YAML: ${(err as Error).message}`, { cause: err });
  }
  const parsed = AttestationSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  return { ...parsed.data, file };
}
