// Every service cutover can run, by name. Loaded lazily, so that an image
// holding one service needs only that service's folder.
import { ConfigError } from './common/config.ts';
import type { ServiceDefinition } from './common/service.ts';

// A Map, not an object: a name such as "constructor" must be unknown, not Object's own.
const LOADERS = new Map<string, () => Promise<ServiceDefinition>>([
  ['tinyurl', async () => (await import('./tinyurl/app.ts')).tinyurl],
  ['newsfeed', async () => (await import('./newsfeed/app.ts')).newsfeed],
  ['docs', async () => (await import('./docs/app.ts')).docs],
  ['demo', async () => (await import('./demo/app.ts')).demo],
  ['metrics', async () => (await import('./metrics/app.ts')).metrics],
]);

export const SERVICE_NAMES = [...LOADERS.keys()];

export async function loadService(name: string): Promise<ServiceDefinition> {
  const load = LOADERS.get(name);
  if (load === undefined) {
    throw new ConfigError(`unknown service "${name}": expected one of ${SERVICE_NAMES.join(', ')}`);
  }
  return load();
}
