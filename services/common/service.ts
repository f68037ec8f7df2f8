// What a service module exports, so that one entry point can start any of them.
import type { ServiceApp } from './app.ts';
import type { ServiceConfig, ServiceDefaults } from './config.ts';
import type { Migration } from './database.ts';

export interface BuiltService {
  service: ServiceApp;
  /** Releases storage, caches, timers; runs after the HTTP server has drained. */
  close(): Promise<void>;
}

export interface ServiceDefinition extends ServiceDefaults {
  name: string;
  defaultPort: number;
  /** Its database's migrations, for `run.ts <service> migrate` (a deploy's migration job); absent when it keeps no database there. */
  migrations?: Migration[];
  build(config: ServiceConfig, env: Record<string, string | undefined>): Promise<BuiltService>;
}
