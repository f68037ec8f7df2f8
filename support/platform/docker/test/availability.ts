// Whether the docker tests can run here: a daemon that answers, holding the
// images they use. Where not, they are skipped with what to do, except in CI,
// which starts a daemon and builds the images, and must run them.
import type { DockerEngine } from '../engine.ts';

/** The skip reason for tests needing these images, or false when they run (always in CI). */
export async function dockerSkip(engine: DockerEngine, images: string[], what = images.join(' and ')): Promise<string | false> {
  if (process.env.CI) return false;
  const available = await engine.version().then(
    async () => (await Promise.all(images.map((i) => engine.imageExists(i)))).every(Boolean),
    () => false,
  );
  return available ? false : `no Docker daemon with ${what} here (start dockerd and run npm run images)`;
}
