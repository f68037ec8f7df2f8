// Traffic: open-model load at a constant arrival rate, in the background for
// the whole scenario or in the foreground for a while, with optional
// per-request checks. Every answer is recorded for the SLO steps.
import { Given, When, type DataTable } from '@cucumber/cucumber';
import type { ResponseCheck } from '../support/traffic/background.ts';
import type { LoadRequest } from '../support/traffic/load.ts';
import { workloadOf } from '../support/traffic/workloads.ts';
import type { CutoverWorld } from '../support/world/world.ts';

/** Background traffic never outlives this, whatever the scenario does. */
const MAX_BACKGROUND_MS = 30 * 60_000;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/** Rows of | method | path | body | status | body contains |: the requests sent in turn, with their checks. */
export function requestsFromTable(table: DataTable): (LoadRequest & { check?: ResponseCheck })[] {
  return table.hashes().map((row, i) => {
    const method = (row.method ?? 'GET').toUpperCase();
    if (!(METHODS as readonly string[]).includes(method)) throw new Error(`request row ${i + 1}: method "${row.method}" is not one of ${METHODS.join(', ')}`);
    if (!row.path?.startsWith('/')) throw new Error(`request row ${i + 1}: path "${row.path ?? ''}" must start with "/"`);
    const body = row.body?.trim() ? row.body : undefined;
    const statuses = row.status?.trim() ? row.status.split(/\s*(?:,|or)\s*/).map((s) => Number(s)) : undefined;
    if (statuses?.some((s) => !(s >= 100 && s < 600))) throw new Error(`request row ${i + 1}: status "${row.status}" is not a list of HTTP statuses (e.g. "200" or "302, 404")`);
    const contains = row['body contains']?.trim() || undefined;
    const check = statuses || contains ? { ...(statuses ? { statuses } : {}), ...(contains ? { bodyIncludes: contains } : {}) } : undefined;
    return {
      method: method as LoadRequest['method'],
      path: row.path,
      ...(body ? { body, headers: { 'content-type': body.startsWith('{') ? 'application/json' : 'text/plain' } } : {}),
      ...(check ? { check } : {}),
    };
  });
}

/** GET / at a constant arrival rate until the scenario ends (or the traffic is stopped). */
Given('{rate} are sent to {string} for the whole scenario', function (this: CutoverWorld, rate: number, service: string) {
  this.session.startTraffic(service, { ratePerSecond: rate, maxDurationMs: MAX_BACKGROUND_MS });
});

/** The table's requests in turn (columns: method, path, body, status, body contains), until the scenario ends. */
Given('{rate} are sent to {string} for the whole scenario with these requests:', function (this: CutoverWorld, rate: number, service: string, table: DataTable) {
  this.session.startTraffic(service, { ratePerSecond: rate, maxDurationMs: MAX_BACKGROUND_MS, requests: requestsFromTable(table) });
});

/** Foreground traffic for a while (in the PRD's clock, scaled); the step ends when it does. */
When('{rate} are sent to {string} for {duration}', async function (this: CutoverWorld, rate: number, service: string, ms: number) {
  await this.session.runTraffic(service, { ratePerSecond: rate, maxDurationMs: this.session.scaledTraffic(ms) });
});

/** Foreground traffic of the table's requests for a while (scaled). */
When('{rate} are sent to {string} for {duration} with these requests:', async function (this: CutoverWorld, rate: number, service: string, ms: number, table: DataTable) {
  await this.session.runTraffic(service, { ratePerSecond: rate, maxDurationMs: this.session.scaledTraffic(ms), requests: requestsFromTable(table) });
});

/**
 * Foreground load of the service's PRD workload (its data seeded through the
 * Service first) through the Service for a while (scaled), under the name
 * "<service> PRD workload": beside, not instead of, the scenario's traffic.
 */
When('{rate} of its PRD workload are sent to {string} for {duration}', async function (this: CutoverWorld, rate: number, service: string, ms: number) {
  const workload = workloadOf(service);
  const request = await workload.seed(this.session.platform.serviceUrl(service));
  await this.session.runTrafficAs(`${service} PRD workload`, service, { ratePerSecond: rate, maxDurationMs: this.session.scaledTraffic(ms), request }, workload.mix);
});

/**
 * The service's PRD workload (support/traffic/workloads.ts: its data seeded
 * through the pod's API first) straight to one ready pod of its rollout, past
 * the router (local and docker platforms), for a while (scaled).
 */
When('{rate} of its PRD workload are sent straight to a pod of rollout {string} for {duration}', async function (this: CutoverWorld, rate: number, rollout: string, ms: number) {
  const workload = workloadOf(rollout);
  const request = await workload.seed(this.session.podUrl(rollout).url);
  await this.session.runTrafficToPod(rollout, { ratePerSecond: rate, maxDurationMs: this.session.scaledTraffic(ms), request }, workload.mix);
});

/** Stops background traffic; fails if the generator could not keep the rate. */
When('the traffic to {string} is stopped', async function (this: CutoverWorld, service: string) {
  await this.session.stopTraffic(service);
});

/** Lets the traffic run on for a while in real time (not scaled): an observation window, e.g. after a switch. */
When('the traffic runs on for {duration}', async function (this: CutoverWorld, ms: number) {
  if (ms > 10 * 60_000) throw new Error('the traffic runs on for at most 10 minutes in one step');
  await new Promise((resolve) => setTimeout(resolve, ms));
});
