// The image catalog: what runs on this machine when a manifest names an image.
// Built in: cutover/<service>:<tag> runs services/<service> with APP_VERSION
// set to the tag (so -faulty and -slow tags bring their fault knobs), and
// argoproj/rollouts-demo:<tag> runs the demo service, so Argo's published
// examples work unchanged. Users add their own images in cutover.config.yaml.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { WebhookSchema } from '../../notifications/webhook.ts';
import { LogRetentionSchema } from '../../logs/archive.ts';
import { SERVICE_NAMES } from '../../../services/registry.ts';
import { ManifestError, lineOf, pathText } from '../../manifests/load.ts';

export interface ImageRef {
  registry?: string;
  repository: string;
  tag: string;
}

export function parseImageRef(image: string): ImageRef {
  const withoutDigest = image.split('@')[0] as string;
  const slash = withoutDigest.indexOf('/');
  const first = slash >= 0 ? withoutDigest.slice(0, slash) : '';
  // A first part with a dot, a colon or "localhost" is a registry host.
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const rest = hasRegistry ? withoutDigest.slice(slash + 1) : withoutDigest;
  const colon = rest.lastIndexOf(':');
  const repository = colon > 0 ? rest.slice(0, colon) : rest;
  const tag = colon > 0 ? rest.slice(colon + 1) : 'latest';
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(repository) || !/^[\w][\w.-]{0,127}$/.test(tag)) {
    throw new Error(`"${image}" is not an image reference: expected [registry/]repository[:tag], e.g. cutover/tinyurl:v1`);
  }
  return { ...(hasRegistry ? { registry: first } : {}), repository, tag };
}

export interface Runnable {
  /** The image this was resolved from. */
  image: string;
  command: string[];
  env: Record<string, string>;
  cwd: string;
  /** The environment variable that tells the process its port. */
  portEnv: string;
  /** Where the entry came from: "built-in" or the config file. */
  source: string;
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const CatalogEntrySchema = z.object({
  /** Repository, without tag: e.g. myorg/api or registry.example.com/team/api. */
  image: z.string().min(1),
  command: z.array(z.string().min(1)).min(1, 'expected the command that starts the image, e.g. ["node", "server.js"]'),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().default('.'),
  portEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name').default('PORT'),
});

/** cutover.config.yaml: local runnables for images, where rollout events are sent, and how long pod logs are kept. */
export const CatalogConfigSchema = z
  .object({
    images: z.array(CatalogEntrySchema).default([]),
    notifications: z.object({ webhooks: z.array(WebhookSchema).default([]) }).strict().default({ webhooks: [] }),
    /** How long and how much of the pods' logs `cutover up` keeps in .cutover/logs (default: 168h, 100Mi). */
    logs: z.object({ retention: LogRetentionSchema.optional() }).strict().default({}),
  })
  .strict();

export type CutoverConfig = z.output<typeof CatalogConfigSchema>;

/** Webhook headers are usually tokens: a config file holding them should be its owner's only. What to do when it is not. */
export function secretsReadableByOthers(file: string, webhooks: CutoverConfig['notifications']['webhooks']): string | undefined {
  if (!webhooks.some((w) => Object.keys(w.headers).length > 0)) return undefined;
  const mode = fs.statSync(file).mode & 0o777;
  return (mode & 0o077) === 0 ? undefined : `${path.basename(file)} holds webhook headers and others can read it (mode ${mode.toString(8)}): chmod 600 ${file}`;
}

/** Reads cutover.config.yaml; anything wrong fails with the file, line and field. */
export function readCutoverConfig(file: string): CutoverConfig {
  const text = fs.readFileSync(file, 'utf8');
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length > 0) {
    throw new ManifestError(doc.errors.map((e) => ({ where: { file, document: 0, line: e.linePos?.[0]?.line }, path: '', message: `invalid YAML: ${e.message.split('\n')[0]}` })));
  }
  const parsed = CatalogConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new ManifestError(
      parsed.error.issues.map((i) => {
        const p = i.path.filter((x): x is string | number => typeof x !== 'symbol');
        return { where: { file, document: 0, line: lineOf(doc, counter, p) }, path: pathText(p), message: i.message };
      }),
    );
  }
  return parsed.data;
}

export type CatalogEntry = z.output<typeof CatalogEntrySchema>;

const fill = (text: string, ref: ImageRef) => text.replaceAll('{{tag}}', ref.tag).replaceAll('{{repository}}', ref.repository);

export class ImageCatalog {
  constructor(private readonly entries: (CatalogEntry & { source: string; baseDir: string })[] = []) {}

  /** Reads a cutover.config.yaml; a bad entry fails with the file, line and field. */
  static fromFile(file: string): ImageCatalog {
    const config = readCutoverConfig(file);
    const baseDir = path.dirname(path.resolve(file));
    return new ImageCatalog(config.images.map((e) => ({ ...e, source: file, baseDir })));
  }

  /** What runs for an image; user entries win over the built-ins. */
  resolve(image: string): Runnable {
    const ref = parseImageRef(image);
    const full = ref.registry ? `${ref.registry}/${ref.repository}` : ref.repository;
    const entry = this.entries.find((e) => e.image === full || e.image === ref.repository);
    if (entry) {
      return {
        image,
        command: entry.command.map((c) => fill(c, ref)),
        env: Object.fromEntries(Object.entries(entry.env).map(([k, v]) => [k, fill(v, ref)])),
        cwd: path.resolve(entry.baseDir, entry.cwd),
        portEnv: entry.portEnv,
        source: entry.source,
      };
    }
    const service = ref.repository === 'argoproj/rollouts-demo' ? 'demo' : ref.repository.startsWith('cutover/') ? ref.repository.slice('cutover/'.length) : undefined;
    if (service !== undefined && SERVICE_NAMES.includes(service)) {
      return {
        image,
        command: [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'services', 'run.ts'), service],
        env: { APP_VERSION: ref.tag },
        cwd: REPO_ROOT,
        portEnv: 'PORT',
        source: 'built-in',
      };
    }
    const known = [...SERVICE_NAMES.map((s) => `cutover/${s}`), 'argoproj/rollouts-demo', ...this.entries.map((e) => e.image)];
    throw new Error(`no local runnable for image "${image}": known images are ${known.join(', ')}; add others under "images:" in cutover.config.yaml`);
  }
}
