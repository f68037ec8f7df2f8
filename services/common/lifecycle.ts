// Start a service and stop it gracefully: on SIGTERM or SIGINT, readiness
// fails; for the grace period the service keeps serving, answering with
// Connection: close so that clients retire their kept-alive connections
// (as a Kubernetes pod must while its endpoint is being removed); then the
// listener closes, in-flight requests finish, idle connections close, and the
// process exits. After the drain timeout whatever is left is cut.
import type { AddressInfo } from 'node:net';
import type { ServiceApp } from './app.ts';
import type { ServiceConfig } from './config.ts';

export interface RunningService {
  url: string;
  /** Drain and close; resolves when everything is closed or the drain timeout cut it. */
  stop(): Promise<{ drained: boolean }>;
}

export async function startService(
  service: ServiceApp,
  config: ServiceConfig,
  onClose: () => Promise<void> | void = () => {},
): Promise<RunningService> {
  const { app } = service;
  await app.listen({ port: config.port, host: config.host });
  // A TCP listener (never a pipe): address() is an AddressInfo.
  const { port } = app.server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let stopping: Promise<{ drained: boolean }> | undefined;

  const stop = () => {
    stopping ??= (async () => {
      service.startDraining();
      if (config.drainGraceMs > 0) await new Promise((resolve) => setTimeout(resolve, config.drainGraceMs));
      let timer: NodeJS.Timeout | undefined;
      const cut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          app.server.closeAllConnections();
          resolve(false);
        }, config.drainTimeoutMs);
      });
      const drained = await Promise.race([app.close().then(() => true), cut]);
      clearTimeout(timer);
      await onClose();
      return { drained };
    })();
    return stopping;
  };
  return { url: `http://${host}:${port}`, stop };
}

/** Wire SIGTERM/SIGINT to a graceful stop and exit; used by the process entry point. */
export function exitOnSignals(running: RunningService, log: (line: string) => void): void {
  const onSignal = (signal: string) => {
    log(`${signal} received: draining`);
    running.stop().then(
      ({ drained }) => {
        log(drained ? 'drained, exiting' : 'drain timeout reached, connections cut, exiting');
        process.exit(0);
      },
      (err: unknown) => {
        log(`shutdown failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}
