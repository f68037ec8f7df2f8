// The images the build job (`npm run images`) makes: each service in the
// versions the features deploy, the demo service as Argo's rollouts-demo in its
// colours; and a check of what Docker holds against that list, as a release
// manager would look at a build's output before it is deployed.
import type { DockerEngine } from './engine.ts';
import { splitImage } from './image-transfer.ts';

export const SERVICE_VERSIONS = ['v1', 'v2', 'v2-faulty', 'v2-slow'];
export const DEMO_COLOURS = ['blue', 'green', 'yellow', 'purple', 'red', 'orange'];

/** The image names the build job gives a service. */
export function serviceImageTags(service: string): string[] {
  return service === 'demo' ? DEMO_COLOURS.map((c) => `argoproj/rollouts-demo:${c}`) : SERVICE_VERSIONS.map((v) => `cutover/${service}:${v}`);
}

export interface BuiltImage {
  image: string;
  present: boolean;
  user?: string;
  appVersion?: string;
  exposedPorts?: number[];
  problems: string[];
}

/** Each image the build job makes for these services (with their ports): there, not run as root, its tag in APP_VERSION, its port exposed. */
export async function checkBuiltImages(engine: DockerEngine, services: { name: string; port: number }[]): Promise<BuiltImage[]> {
  const out: BuiltImage[] = [];
  for (const s of services) {
    for (const image of serviceImageTags(s.name)) {
      if (!(await engine.imageExists(image))) {
        out.push({ image, present: false, problems: ['not in Docker: run npm run images'] });
        continue;
      }
      const config = await engine.imageConfig(image);
      const { tag } = splitImage(image);
      const problems: string[] = [];
      if (config.user === '' || /^(root|0)(:|$)/.test(config.user)) problems.push(`runs as ${config.user || 'root (no USER)'}`);
      if (config.env.APP_VERSION !== tag) problems.push(`APP_VERSION is ${config.env.APP_VERSION ?? 'unset'}, not ${tag}`);
      if (!config.exposedPorts.includes(s.port)) problems.push(`exposes ${config.exposedPorts.join(', ') || 'no port'}, not ${s.port}`);
      out.push({ image, present: true, user: config.user, appVersion: config.env.APP_VERSION, exposedPorts: config.exposedPorts, problems });
    }
  }
  return out;
}
