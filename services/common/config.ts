// Service configuration, read once from the environment at start.
// Every knob is validated so that a typo in a manifest's env fails the
// replica at start with the variable's name, not later with a wrong behaviour.
import { z } from 'zod';

const number = (what: string, min: number, max: number) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .refine((n) => Number.isFinite(n) && n >= min && n <= max, {
      message: `expected ${what} between ${min} and ${max}`,
    });

const addressList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0));

export const ServiceEnvSchema = z.object({
  PORT: number('a TCP port', 0, 65535).optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  APP_VERSION: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'expected an image tag such as v1, v2-faulty or blue')
    .default('v1'),
  FAULT_ERROR_RATE: number('a fraction', 0, 1).optional(),
  FAULT_LATENCY_MS: number('milliseconds', 0, 600_000).optional(),
  DATA_DIR: z.string().min(1).optional(),
  RATE_LIMIT_PER_MINUTE: number('requests per minute (0 disables)', 0, 100_000_000).default(100),
  TRUSTED_PROXIES: addressList.default([]),
  DRAIN_TIMEOUT_MS: number('milliseconds', 0, 3_600_000).default(10_000),
  DRAIN_GRACE_MS: number('milliseconds', 0, 600_000).default(0),
  BODY_LIMIT_BYTES: number('bytes', 1, 100 * 1024 * 1024).default(64 * 1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
});

export interface FaultKnobs {
  errorRate: number;
  latencyMs: number;
}

export interface ServiceConfig {
  port: number;
  host: string;
  version: string;
  faults: FaultKnobs;
  dataDir: string;
  rateLimitPerMinute: number;
  trustedProxies: string[];
  drainTimeoutMs: number;
  /** After SIGTERM, keep serving (with Connection: close) this long before closing the listener. */
  drainGraceMs: number;
  bodyLimitBytes: number;
  logLevel: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The fault knobs a version tag implies when the environment does not set them. */
export function faultsFromVersion(version: string): FaultKnobs {
  return {
    errorRate: version.endsWith('-faulty') ? 0.5 : 0,
    latencyMs: version.endsWith('-slow') ? 300 : 0,
  };
}

export interface ServiceDefaults {
  /** Fault knobs a version tag implies when the environment sets none. */
  impliedFaults?: (version: string) => FaultKnobs;
  /** The version when APP_VERSION is unset. */
  defaultVersion?: string;
  /** RATE_LIMIT_PER_MINUTE when unset (100 unless the service says otherwise). */
  defaultRateLimitPerMinute?: number;
}

/** DRAIN_GRACE_MS when unset in a Kubernetes pod. */
export const KUBERNETES_DRAIN_GRACE_MS = 1000;

export function readServiceConfig(
  service: string,
  defaultPort: number,
  env: Record<string, string | undefined> = process.env,
  defaults: ServiceDefaults = {},
): ServiceConfig {
  const implied = defaults.impliedFaults ?? faultsFromVersion;
  const parsed = ServiceEnvSchema.safeParse({
    APP_VERSION: defaults.defaultVersion,
    ...(defaults.defaultRateLimitPerMinute !== undefined ? { RATE_LIMIT_PER_MINUTE: String(defaults.defaultRateLimitPerMinute) } : {}),
    // In a Kubernetes pod (the kubelet sets KUBERNETES_SERVICE_HOST) the
    // endpoint's removal races the SIGTERM: a listener closed at once refuses
    // the connections kube-proxy still sends, so a pod keeps serving a second.
    ...(env.KUBERNETES_SERVICE_HOST !== undefined ? { DRAIN_GRACE_MS: String(KUBERNETES_DRAIN_GRACE_MS) } : {}),
    ...env,
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0]);
      // eslint-disable-next-line security/detect-object-injection -- name is a key of the config schema that zod reported
      return `  ${name}=${JSON.stringify(env[name])}: ${i.message}`;
    });
    throw new ConfigError(`invalid environment for service "${service}":\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const fromTag = implied(e.APP_VERSION);
  return {
    port: e.PORT ?? defaultPort,
    host: e.HOST,
    version: e.APP_VERSION,
    faults: {
      errorRate: e.FAULT_ERROR_RATE ?? fromTag.errorRate,
      latencyMs: e.FAULT_LATENCY_MS ?? fromTag.latencyMs,
    },
    dataDir: e.DATA_DIR ?? `data/${service}`,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    trustedProxies: e.TRUSTED_PROXIES,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    drainGraceMs: e.DRAIN_GRACE_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    logLevel: e.LOG_LEVEL,
  };
}
