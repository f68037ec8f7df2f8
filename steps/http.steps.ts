// Functional HTTP checks through a Service (axios): one request, then
// assertions on its status, headers and JSON body. Nothing is followed or
// retried behind the scenario's back: redirects are answers too.
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import fs from 'node:fs';
import http from 'node:http';
import axios from 'axios';
import { compareRoutes, declaredRoutes, parseApiDoc } from '../support/apidoc/api-doc.ts';
import { versionOfImage } from '../support/vocabulary/parse.ts';
import type { CutoverWorld } from '../support/world/world.ts';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'];

/** Replaces {name} with a value remembered earlier in the scenario. */
const fill = (world: CutoverWorld, text: string): string => world.fillRemembered(text);

async function send(world: CutoverWorld, method: string, pathText: string, service: string, body?: string, attach = true, contentType?: string): Promise<void> {
  const m = method.toUpperCase();
  if (!METHODS.includes(m)) throw new Error(`"${method}" is not an HTTP method: expected one of ${METHODS.join(', ')}`);
  const url = world.session.platform.serviceUrl(service) + fill(world, pathText);
  const filled = body === undefined ? undefined : fill(world, body);
  const started = performance.now();
  const res = await axios.request({
    method: m,
    url,
    // Without a body, no content type (axios would claim a form otherwise, which servers may refuse).
    headers: { ...world.headers, 'content-type': filled === undefined ? false : (contentType ?? (filled.trim().startsWith('{') ? 'application/json' : 'text/plain')) },
    ...(filled !== undefined ? { data: filled } : {}),
    maxRedirects: 0,
    validateStatus: () => true,
    timeout: 10_000,
    responseType: 'text',
    transformResponse: (x) => x,
  });
  const text = String(res.data ?? '');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  world.lastResponse = { method: m, url, status: res.status, headers: { ...res.headers }, body: parsed, text, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  if (attach) await world.evidence.json(`${m} ${pathText}`, { request: { method: m, url, headers: world.headers, body: filled }, response: { status: res.status, headers: res.headers, body: parsed } });
}

function response(world: CutoverWorld) {
  if (world.lastResponse === undefined) throw new Error('no request was sent in this scenario yet');
  return world.lastResponse;
}

/** Consecutive equal statuses as "200×20, 429×5". */
function runLengths(statuses: number[]): string[] {
  const runs: { status: number; count: number }[] = [];
  for (const status of statuses) {
    const last = runs.at(-1);
    if (last?.status === status) last.count++;
    else runs.push({ status, count: 1 });
  }
  return runs.map((r) => `${r.status}×${r.count}`);
}

function field(body: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), body);
}

/** A header on every following request of the scenario (set again to change it), e.g. `every request carries the header "x-user-id": "ann"`. */
Given('every request carries the header {string}: {string}', function (this: CutoverWorld, name: string, value: string) {
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw new Error(`"${name}" is not an HTTP header name (letters, digits and "-")`);
  this.headers[name.toLowerCase()] = value;
});

/** One request to a Service, e.g. `I send GET "/health" to "tinyurl"`; `{name}` in the path is a remembered value. */
When('I send {word} {string} to {string}', async function (this: CutoverWorld, method: string, pathText: string, service: string) {
  await send(this, method, pathText, service);
});

/** One request with a body (JSON when it starts with "{"); `{name}` is a remembered value. */
When('I send {word} {string} to {string} with:', async function (this: CutoverWorld, method: string, pathText: string, service: string, body: string) {
  await send(this, method, pathText, service, body);
});

/** An HTML form post (application/x-www-form-urlencoded) as a script would send it, without first loading the page: | name | value |. */
When('I send POST {string} to {string} as a form with:', async function (this: CutoverWorld, pathText: string, service: string, table: DataTable) {
  const rows = table.raw();
  const bad = rows.find((r) => r.length !== 2 || r[0] === '');
  if (bad !== undefined) throw new Error(`form row | ${bad.join(' | ')} |: expected two cells, a field name and its value`);
  const body = new URLSearchParams(rows.map(([k, v]) => [k as string, fill(this, v as string)])).toString();
  await send(this, 'POST', pathText, service, body, true, 'application/x-www-form-urlencoded');
});

/** The same request this many times in turn (1 to 1000), e.g. past a rate limit: the statuses are kept in order, and the last one is "the response". */
When('I send {word} {string} to {string} {int} times', async function (this: CutoverWorld, method: string, pathText: string, service: string, times: number) {
  if (!(times >= 1 && times <= 1000)) throw new Error(`${times} times: expected between 1 and 1000`);
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) {
    await send(this, method, pathText, service, undefined, false);
    statuses.push(response(this).status);
  }
  this.responseStatuses = statuses;
  const last = response(this);
  await this.evidence.json(`${times} × ${method.toUpperCase()} ${pathText}`, { statuses, last: { status: last.status, headers: last.headers, body: last.body } });
});

/** Keeps a field of the last JSON response under a name, for later paths and bodies as `{name}`. */
When('I remember the response field {string} as {string}', function (this: CutoverWorld, dotted: string, name: string) {
  const value = field(response(this).body, dotted);
  if (value === undefined) throw new Error(`the response has no field "${dotted}": ${response(this).text.slice(0, 300)}`);
  this.remembered.set(name, String(value));
});

/** The status of the last response. */
Then('the response status is {int}', async function (this: CutoverWorld, status: number) {
  const r = response(this);
  await this.evidence.verify(`status of ${r.method} ${r.url}`, r.status === status, { expected: status, measured: r.status }, () => `${r.method} ${r.url}: expected status ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
});

/** A header of the last response, exactly (`{name}` is a remembered value). */
Then('the response header {string} is {string}', async function (this: CutoverWorld, header: string, expected: string) {
  const r = response(this);
  const value = r.headers[header.toLowerCase()];
  const want = fill(this, expected);
  await this.evidence.verify(`header ${header}`, String(value) === want, { expected: want, measured: value }, () => `${r.method} ${r.url}: expected header ${header} to be "${want}", got ${value === undefined ? 'no such header' : `"${String(value)}"`}`);
});

/** A header of the last response against a regular expression, e.g. `the response header "retry-after" matches "^[1-9][0-9]*$"`. */
Then('the response header {string} matches {string}', async function (this: CutoverWorld, header: string, pattern: string) {
  const r = response(this);
  const value = r.headers[header.toLowerCase()];
  const holds = value !== undefined && new RegExp(pattern).test(String(value));
  await this.evidence.verify(`header ${header} matches ${pattern}`, holds, { expected: pattern, measured: value }, () => `${r.method} ${r.url}: expected header ${header} to match /${pattern}/, got ${value === undefined ? 'no such header' : `"${String(value)}"`}`);
});

/** The statuses of the requests sent "N times", in order: the first ones one status, all the others another. */
Then('the first {int} of those responses have status {int}, and the other {int} status {int}', async function (this: CutoverWorld, first: number, firstStatus: number, rest: number, restStatus: number) {
  const statuses = this.responseStatuses;
  if (statuses === undefined) throw new Error('no request was sent "N times" in this scenario');
  const expected = [...Array<number>(first).fill(firstStatus), ...Array<number>(rest).fill(restStatus)];
  const runs = runLengths(statuses);
  await this.evidence.verify(`first ${first} answered ${firstStatus}, the other ${rest} ${restStatus}`, statuses.join() === expected.join(), { expected: `${firstStatus}×${first}, ${restStatus}×${rest}`, measured: runs.join(', ') }, () =>
    `expected ${first} × ${firstStatus} then ${rest} × ${restStatus}; the ${statuses.length} responses were, in order: ${runs.join(', ')}`,
  );
});

/** How many of the requests sent "N times" were answered with this status, in any order (e.g. a faulty version's share). */
Then('{int} of those responses have status {int}', async function (this: CutoverWorld, count: number, status: number) {
  const statuses = this.responseStatuses;
  if (statuses === undefined) throw new Error('no request was sent "N times" in this scenario');
  const got = statuses.filter((s) => s === status).length;
  await this.evidence.verify(`${count} of ${statuses.length} answered ${status}`, got === count, { expected: count, measured: runLengths(statuses).join(', ') }, () =>
    `${got} of the ${statuses.length} responses have status ${status}, expected ${count}; in order: ${runLengths(statuses).join(', ')}`,
  );
});

/** One field error of a 400 answer (`{"error": "invalid input", "fields": [{"field": …, "message": …}]}`) names this field. */
Then('the response says the field {string} is invalid', async function (this: CutoverWorld, name: string) {
  const r = response(this);
  const fields = field(r.body, 'fields');
  const named = Array.isArray(fields) ? fields.map((f) => String((f as { field?: unknown }).field)) : [];
  await this.evidence.verify(`field error for ${name}`, named.includes(name), { expected: name, measured: named }, () => `${r.method} ${r.url}: expected a field error for "${name}", the response named ${named.length > 0 ? named.join(', ') : 'no field'}: ${r.text.slice(0, 300)}`);
});

/** A field of the last JSON response (dotted path), compared as text. */
Then('the response field {string} is {string}', async function (this: CutoverWorld, dotted: string, expected: string) {
  const r = response(this);
  const value = field(r.body, dotted);
  const want = fill(this, expected);
  await this.evidence.verify(`field ${dotted}`, value !== undefined && String(value) === want, { expected: want, measured: value }, () => `${r.method} ${r.url}: expected field ${dotted} to be "${want}", got ${value === undefined ? 'no such field' : JSON.stringify(value)}`);
});

/**
 * Which version answers a Service: this many GETs in turn, every one 2xx from
 * that image. Each on a new connection, as a new client would come: on
 * Kubernetes a kept-alive connection stays with the pod it was opened to
 * after the Service's selector moves (kube-proxy balances connections).
 */
async function allAnsweredBy(world: CutoverWorld, count: number, service: string, pathText: string, image: string): Promise<void> {
  if (!(count >= 1 && count <= 10_000)) throw new Error(`${count} requests: expected between 1 and 10000`);
  if (!pathText.startsWith('/')) throw new Error(`path "${pathText}": expected one starting with /`);
  const url = world.session.platform.serviceUrl(service) + pathText;
  const version = versionOfImage(image);
  const answers: Record<string, number> = {};
  const agent = new http.Agent({ keepAlive: false });
  try {
    for (let i = 0; i < count; i++) {
      const res = await axios.get(url, { maxRedirects: 0, validateStatus: () => true, timeout: 10_000, httpAgent: agent });
      const key = `${res.status} ${String(res.headers['x-app-version'] ?? '(no X-App-Version)')}`;
      answers[key] = (answers[key] ?? 0) + 1;
    }
  } finally {
    agent.destroy();
  }
  const wanted = Object.keys(answers).filter((k) => /^2\d\d /.test(k) && k.endsWith(` ${version}`));
  const holds = wanted.length > 0 && wanted.reduce((n, k) => n + (answers[k] ?? 0), 0) === count;
  await world.evidence.verify(`${count} requests to ${service} answered by ${image}`, holds, { expected: `${count} × 2xx from ${version}`, measured: answers }, () =>
    `${service} answered ${Object.entries(answers).map(([k, n]) => `${n} × ${k}`).join(', ')}; expected all ${count} to be 2xx from ${version}`,
  );
}

/** Which version answers a Service (e.g. a blue-green preview): this many GET / in turn, every one 2xx from that image. */
Then('{int} requests to {string} are all answered by {image}', async function (this: CutoverWorld, count: number, service: string, image: string) {
  await allAnsweredBy(this, count, service, '/', image);
});

/** The same for another path (a service whose root is not a page, e.g. GET /health). */
Then('{int} requests to {string} at {string} are all answered by {image}', async function (this: CutoverWorld, count: number, service: string, pathText: string, image: string) {
  await allAnsweredBy(this, count, service, pathText, image);
});

/** The API documentation lists exactly the routes the service declares (it is started to read them): none undocumented, none that is not served. */
Then('{string} documents every route of {string}, and no route it does not serve', async function (this: CutoverWorld, file: string, service: string) {
  const doc = parseApiDoc(fs.readFileSync(this.session.resolve(file), 'utf8'), file);
  const routes = await declaredRoutes(service);
  const c = compareRoutes(doc, service, routes);
  await this.evidence.json(`routes of ${service}`, { served: routes, ...c });
  await this.evidence.verify(`${file} documents ${service}`, c.undocumented.length === 0 && c.notServed.length === 0, { expected: 'every served route documented, every documented route served', measured: c }, () =>
    [c.undocumented.length > 0 ? `served but not in ${file}: ${c.undocumented.join(', ')}` : '', c.notServed.length > 0 ? `in ${file} but not served: ${c.notServed.join(', ')}` : ''].filter((x) => x !== '').join('; '),
  );
});
