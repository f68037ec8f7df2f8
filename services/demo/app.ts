// Demo: a stand-in for the argoproj/rollouts-demo image, so that Argo Rollouts'
// published examples run unchanged. The version is the image tag: a colour,
// optionally prefixed bad- (errors on /color) or slow- (high latency on /color).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServiceApp } from '../common/app.ts';
import type { FaultKnobs, ServiceConfig } from '../common/config.ts';
import { page } from '../common/html.ts';
import type { BuiltService, ServiceDefinition } from '../common/service.ts';

export const COLOURS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple'] as const;

export interface DemoTag {
  colour: string;
  bad: boolean;
  slow: boolean;
}

export function parseDemoTag(tag: string): DemoTag {
  const match = /^(bad-|slow-)?([a-z]+)$/.exec(tag);
  const colour = match?.[2];
  if (match === null || colour === undefined || !(COLOURS as readonly string[]).includes(colour)) {
    throw new Error(
      `demo version "${tag}" is not a rollouts-demo tag: expected one of ${COLOURS.join(', ')}, optionally prefixed "bad-" or "slow-"`,
    );
  }
  return { colour, bad: match[1] === 'bad-', slow: match[1] === 'slow-' };
}

export function demoFaults(tag: string): FaultKnobs {
  const parsed = parseDemoTag(tag);
  return { errorRate: parsed.bad ? 0.5 : 0, latencyMs: parsed.slow ? 1000 : 0 };
}

// eslint-disable-next-line security/detect-non-literal-fs-filename -- a file shipped beside this module, resolved from a literal
const script = fs.readFileSync(fileURLToPath(new URL('./public/app.js', import.meta.url)), 'utf8');

export async function buildDemo(config: ServiceConfig): Promise<BuiltService> {
  const { colour } = parseDemoTag(config.version);
  const service = await createServiceApp({
    service: 'demo',
    config,
    isReady: () => true,
    // Like rollouts-demo, only /color misbehaves in a bad or slow release.
    faultsApplyTo: (request) => request.routeOptions.url === '/color',
  });
  const { app } = service;
  app.get('/color', async (_request, reply) => reply.type('application/json').send(JSON.stringify(colour)));
  app.get('/app.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(script));
  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(
        page(
          'Rollouts demo',
          '<h1>Colours received</h1><p id="summary">waiting…</p><div id="bars"></div><ol id="log" reversed></ol>',
          ['/app.js'],
        ),
      ),
  );
  return { service, close: async () => {} };
}

export const demo: ServiceDefinition = {
  name: 'demo',
  defaultPort: 8080,
  defaultVersion: 'blue',
  // Like argoproj/rollouts-demo, which has no rate limit: rollouts of it are driven with load.
  defaultRateLimitPerMinute: 0,
  impliedFaults: demoFaults,
  build: (config) => buildDemo(config),
};
