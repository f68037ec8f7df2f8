// Every service cutover can run, by name.
import type { ServiceDefinition } from './common/service.ts';
import { demo } from './demo/app.ts';
import { docs } from './docs/app.ts';
import { newsfeed } from './newsfeed/app.ts';
import { tinyurl } from './tinyurl/app.ts';

export const SERVICES: Record<string, ServiceDefinition> = { tinyurl, newsfeed, docs, demo };

export function serviceNamed(name: string): ServiceDefinition {
  const definition = SERVICES[name];
  if (definition === undefined) {
    throw new Error(`unknown service "${name}": expected one of ${Object.keys(SERVICES).join(', ')}`);
  }
  return definition;
}
