// Process entry point: `npm run service -- <name>` (PORT and the other knobs from the environment).
// `npm run service -- <name> migrate` applies the service's database migrations
// and exits, as a deploy's migration job does before the new version starts.
import path from 'node:path';
import { ConfigError, readServiceConfig } from './common/config.ts';
import { migrationsApplied, openDatabase } from './common/database.ts';
import { exitOnSignals, startService } from './common/lifecycle.ts';
import { SERVICE_NAMES, loadService } from './registry.ts';

async function main(): Promise<void> {
  const name = process.argv[2];
  if (name === undefined) {
    console.error(`usage: npm run service -- <${SERVICE_NAMES.join('|')}>`);
    process.exit(2);
  }
  const definition = await loadService(name);
  const config = readServiceConfig(definition.name, definition.defaultPort, process.env, definition);
  if (process.argv[3] === 'migrate') {
    const migrations = definition.migrations ?? [];
    const file = path.join(config.dataDir, `${definition.name}.db`);
    const db = openDatabase(file, migrations);
    const applied = migrationsApplied(db, migrations);
    const ids = (db.prepare('SELECT id, name FROM schema_migrations ORDER BY id').all() as { id: number; name: string }[]).map((m) => `${m.id} ${m.name}`);
    db.close();
    console.log(`[${definition.name} ${config.version}] ${file}: migrations applied: ${ids.join(', ') || 'none'}`);
    process.exit(applied ? 0 : 1);
  }
  if (process.argv[3] !== undefined) {
    console.error(`unknown command "${process.argv[3]}": expected nothing or "migrate"`);
    process.exit(2);
  }
  const built = await definition.build(config, process.env);
  const running = await startService(built.service, config, built.close);
  const log = (line: string) => console.log(`[${definition.name} ${config.version}] ${line}`);
  const { errorRate, latencyMs } = config.faults;
  log(
    `listening on ${running.url}` +
      (errorRate > 0 || latencyMs > 0 ? ` with faults: error rate ${errorRate}, added latency ${latencyMs} ms` : ''),
  );
  exitOnSignals(running, log);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
