// Process entry point: `npm run service -- <name>` (PORT and the other knobs from the environment).
import { ConfigError, readServiceConfig } from './common/config.ts';
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
