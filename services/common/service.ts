// What a service module exports, so that one entry point can start any of them.
import type { ServiceApp } from './app.ts';
import type { FaultKnobs, ServiceConfig } from './config.ts';

export interface BuiltService {
  service: ServiceApp;
  /** Releases storage, caches, timers; runs after the HTTP server has drained. */
  close(): Promise<void>;
}

export interface ServiceDefinition {
  name: string;
  defaultPort: number;
  /** Fault knobs implied by a version tag when the environment sets none. */
  impliedFaults?: (version: string) => FaultKnobs;
  build(config: ServiceConfig, env: Record<string, string | undefined>): Promise<BuiltService>;
}
