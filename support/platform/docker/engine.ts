// The Docker Engine API over its Unix socket, the few calls the docker
// platform makes (API 1.41, Docker 20.10+). Every call is bounded in time; a
// daemon that stops answering is an error that says so, never a hang.
import path from 'node:path';
import { Agent, request } from 'undici';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export class DockerEngineError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'DockerEngineError';
  }
}

export interface ContainerCreate {
  name: string;
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  network: string;
  /** Network aliases (the pod's name), so other containers reach it by name. */
  aliases?: string[];
  /** Container port → host port on 127.0.0.1. */
  publish?: { containerPort: number; hostPort: number };
  /** Host path → container path. */
  binds?: { host: string; container: string }[];
  memoryBytes?: number;
  /** CPU limit in cores (resources.limits.cpu). */
  cpus?: number;
  /** Extra host names (name → address), like --add-host. */
  extraHosts?: Record<string, string>;
}

export interface ContainerState {
  id: string;
  name: string;
  running: boolean;
  paused: boolean;
  exitCode: number;
  oomKilled: boolean;
  /** The main process on this machine (0 when not running). */
  pid: number;
  labels: Record<string, string>;
  /** The container's own health check command (`['NONE']`: the image's is switched off). */
  healthcheck: string[] | undefined;
}

export interface ContainerSummary {
  id: string;
  names: string[];
  image: string;
  labels: Record<string, string>;
  /** created, running, paused, exited... */
  state: string;
  networks: string[];
}

/** How the daemon answers when it is not there. */
const unreachable = (socket: string, err: Error) =>
  new DockerEngineError(`the Docker daemon does not answer on ${socket} (${(err as { code?: string }).code ?? err.message}): start dockerd, or set DOCKER_HOST=unix:///path/to/docker.sock`, 0);

export interface DaemonInfo {
  serverVersion: string;
  storageDriver: string;
  cgroupVersion: string;
  containers: number;
  containersRunning: number;
  images: number;
  operatingSystem: string;
}

/** One message of a pull or push stream (Docker's JSON progress). */
export interface TransferMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/** The daemon's refusal of a call: its own message (JSON {message}) where it gave one, else the text. */
function httpError(method: string, path: string, status: number, text: string): DockerEngineError {
  let message = text;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    // not JSON: keep the text
  }
  return new DockerEngineError(`Docker ${method} ${path}: HTTP ${status}: ${message.trim()}`, status);
}

export class DockerEngine {
  private readonly agent: Agent;

  constructor(
    readonly socket = socketFromEnv(),
    private readonly timeoutMs = 30_000,
  ) {
    this.agent = new Agent({ connect: { socketPath: socket } });
  }

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, options: { timeoutMs?: number; ok?: number[]; text?: boolean } = {}): Promise<T> {
    const timeout = options.timeoutMs ?? this.timeoutMs;
    let res;
    try {
      res = await request(`http://docker/v1.41${path}`, {
        dispatcher: this.agent,
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') throw new DockerEngineError(`the Docker daemon did not answer ${method} ${path} within ${timeout} ms`, 0);
      throw unreachable(this.socket, e);
    }
    const text = await res.body.text();
    const ok = options.ok ?? [];
    if (res.statusCode >= 400 && !ok.includes(res.statusCode)) {
      throw httpError(method, path, res.statusCode, text);
    }
    if (options.text) return text as T;
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** The daemon's version; fails with how to start it when it is not running. */
  async version(): Promise<{ Version: string; ApiVersion: string }> {
    return this.call('GET', '/version', undefined, { timeoutMs: 5_000 });
  }

  /** What the daemon says of itself (GET /info): its version, storage driver, cgroup version and container counts. */
  async info(): Promise<DaemonInfo> {
    const i = await this.call<{ ServerVersion: string; Driver: string; CgroupVersion?: string; Containers: number; ContainersRunning: number; Images: number; OperatingSystem: string }>('GET', '/info', undefined, { timeoutMs: 5_000 });
    return { serverVersion: i.ServerVersion, storageDriver: i.Driver, cgroupVersion: i.CgroupVersion ?? 'unknown', containers: i.Containers, containersRunning: i.ContainersRunning, images: i.Images, operatingSystem: i.OperatingSystem };
  }

  /** The daemon's liveness check (GET /_ping), bounded by its own short timeout. */
  async ping(timeoutMs = 2_000): Promise<void> {
    // It answers "OK" as text/plain.
    await this.call('GET', '/_ping', undefined, { timeoutMs, text: true });
  }

  async imageExists(image: string): Promise<boolean> {
    const found = await this.call<{ Id?: string } | undefined>('GET', `/images/${encodeURIComponent(image)}/json`, undefined, { ok: [404] });
    return found?.Id !== undefined;
  }

  /** The image's configuration: its environment and exposed ports. */
  async imageConfig(image: string): Promise<{ env: Record<string, string>; exposedPorts: number[]; user: string }> {
    const info = await this.call<{ Config: { Env?: string[]; ExposedPorts?: Record<string, unknown>; User?: string } }>('GET', `/images/${encodeURIComponent(image)}/json`);
    const env = Object.fromEntries((info.Config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const exposedPorts = Object.keys(info.Config.ExposedPorts ?? {}).map((p) => Number.parseInt(p, 10));
    return { env, exposedPorts, user: info.Config.User ?? '' };
  }

  async createNetwork(name: string, labels: Record<string, string>): Promise<string> {
    const created = await this.call<{ Id: string }>('POST', '/networks/create', { Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
    return created.Id;
  }

  async removeNetwork(id: string): Promise<void> {
    await this.call('DELETE', `/networks/${encodeURIComponent(id)}`, undefined, { ok: [404] });
  }

  async networks(label: string): Promise<{ id: string; name: string; labels: Record<string, string> }[]> {
    const list = await this.call<{ Id: string; Name: string; Labels: Record<string, string> | null }[]>('GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`);
    return list.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
  }

  async createContainer(c: ContainerCreate): Promise<string> {
    const ports = c.publish ? { [`${c.publish.containerPort}/tcp`]: {} } : {};
    const created = await this.call<{ Id: string }>('POST', `/containers/create?name=${encodeURIComponent(c.name)}`, {
      Image: c.image,
      Env: Object.entries(c.env).map(([k, v]) => `${k}=${v}`),
      Labels: c.labels,
      ExposedPorts: ports,
      HostConfig: {
        NetworkMode: c.network,
        PortBindings: c.publish ? { [`${c.publish.containerPort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(c.publish.hostPort) }] } : {},
        Binds: (c.binds ?? []).map((b) => `${b.host}:${b.container}`),
        ...(c.memoryBytes !== undefined ? { Memory: c.memoryBytes, MemorySwap: c.memoryBytes } : {}),
        ...(c.cpus !== undefined ? { NanoCpus: Math.round(c.cpus * 1e9) } : {}),
        ExtraHosts: Object.entries(c.extraHosts ?? {}).map(([k, v]) => `${k}:${v}`),
        Init: false,
      },
      // Readiness comes from the manifest's probes, as on Kubernetes, whose kubelet
      // ignores an image's HEALTHCHECK; running it too would start a node process
      // in every container every few seconds, CPU taken from the pods serving.
      Healthcheck: { Test: ['NONE'] },
      NetworkingConfig: { EndpointsConfig: { [c.network]: { Aliases: c.aliases ?? [] } } },
    });
    return created.Id;
  }

  async start(id: string): Promise<void> {
    await this.call('POST', `/containers/${id}/start`, undefined, { ok: [304] });
  }

  /** Sends a signal to the container's main process; false when it is not running. */
  async kill(id: string, signal: string): Promise<boolean> {
    try {
      await this.call('POST', `/containers/${id}/kill?signal=${encodeURIComponent(signal)}`);
      return true;
    } catch (err) {
      if (err instanceof DockerEngineError && (err.status === 409 || err.status === 404)) return false;
      throw err;
    }
  }

  /** Resolves with the exit code when the container stops (no time bound: the caller bounds it). */
  async wait(id: string): Promise<number> {
    const done = await this.call<{ StatusCode: number }>('POST', `/containers/${id}/wait`, undefined, { timeoutMs: 24 * 3600_000 });
    return done.StatusCode;
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    const c = await this.call<{ Id: string; Name: string; State: { Running: boolean; Paused: boolean; ExitCode: number; OOMKilled: boolean; Pid: number }; Config: { Labels: Record<string, string> | null; Healthcheck?: { Test?: string[] } } } | undefined>(
      'GET',
      `/containers/${id}/json`,
      undefined,
      { ok: [404] },
    );
    if (c?.Id === undefined) return undefined;
    return { id: c.Id, name: c.Name.replace(/^\//, ''), running: c.State.Running, paused: c.State.Paused, exitCode: c.State.ExitCode, oomKilled: c.State.OOMKilled, pid: c.State.Pid, labels: c.Config.Labels ?? {}, healthcheck: c.Config.Healthcheck?.Test };
  }

  async remove(id: string): Promise<void> {
    await this.call('DELETE', `/containers/${id}?force=true&v=true`, undefined, { ok: [404, 409] });
  }

  async containers(label: string): Promise<ContainerSummary[]> {
    const list = await this.call<{ Id: string; Names: string[]; Image: string; Labels: Record<string, string> | null; State: string; NetworkSettings?: { Networks?: Record<string, unknown> } }[]>(
      'GET',
      `/containers/json?all=true&filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`,
    );
    return list.map((c) => ({ id: c.Id, names: c.Names.map((n) => n.replace(/^\//, '')), image: c.Image, labels: c.Labels ?? {}, state: c.State, networks: Object.keys(c.NetworkSettings?.Networks ?? {}) }));
  }

  /**
   * Follows a container's output from its start: the Engine multiplexes
   * stdout and stderr in frames (8-byte header: stream, 0, 0, 0, size).
   * Resolves when the output ends (the container stopped).
   */
  async followLogs(id: string, output: (stream: 'stdout' | 'stderr', chunk: Buffer) => void): Promise<void> {
    let res;
    try {
      res = await request(`http://docker/v1.41/containers/${id}/logs?follow=true&stdout=true&stderr=true`, { dispatcher: this.agent, method: 'GET', headersTimeout: this.timeoutMs, bodyTimeout: 0 });
    } catch (err) {
      throw unreachable(this.socket, err as Error);
    }
    if (res.statusCode >= 400) {
      await res.body.dump();
      return;
    }
    let pending = Buffer.alloc(0);
    for await (const chunk of res.body) {
      pending = Buffer.concat([pending, chunk as Buffer]);
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        output(pending[0] === 2 ? 'stderr' : 'stdout', pending.subarray(8, 8 + size));
        pending = pending.subarray(8 + size);
      }
    }
  }

  /**
   * A file of an image, read without running it: from a container that is created, never
   * started, and removed (`docker create` + `docker cp`). A symbolic link is followed
   * (os-release is one). Undefined when the image has no such file.
   */
  async readImageFile(image: string, file: string): Promise<Buffer | undefined> {
    const created = await this.call<{ Id: string }>('POST', `/containers/create?name=cutover-read-${process.pid}-${Date.now()}`, {
      Image: image,
      Cmd: ['/cutover-never-started'],
      Labels: { 'io.cutover.purpose': 'read a file of the image' },
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      let target = file;
      for (let hops = 0; hops < 8; hops++) {
        const res = await request(`http://docker/v1.41/containers/${created.Id}/archive?path=${encodeURIComponent(target)}`, { dispatcher: this.agent, method: 'GET', headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
        const body = Buffer.from(await res.body.arrayBuffer());
        if (res.statusCode === 404) return undefined;
        if (res.statusCode >= 400) throw httpError('GET', `/containers/…/archive?path=${target}`, res.statusCode, body.toString());
        const entry = firstTarEntry(body);
        if (entry.type !== 'symlink') return entry.data;
        target = entry.link.startsWith('/') ? entry.link : path.posix.join(path.posix.dirname(target), entry.link);
      }
      throw new DockerEngineError(`${image}: ${file} is a chain of more than 8 symbolic links`, 0);
    } finally {
      await this.remove(created.Id);
    }
  }

  /** Tags an image under another name (`docker tag`). */
  async tag(image: string, repo: string, tag: string): Promise<void> {
    await this.call('POST', `/images/${encodeURIComponent(image)}/tag?repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`, undefined, { text: true });
  }

  /** Removes an image name (`docker rmi`, with force even while a container uses it); the layers stay while another name holds them. False when there was no such name. */
  async removeImage(name: string, force = false): Promise<boolean> {
    const r = await this.call<unknown>('DELETE', `/images/${encodeURIComponent(name)}${force ? '?force=true' : ''}`, undefined, { ok: [404] });
    return r !== undefined && !(typeof r === 'object' && r !== null && 'message' in r);
  }

  /** `docker push` of repo:tag: each JSON progress message to onMessage; resolves with the digest the registry gave, rejects with the registry's error. */
  async push(repo: string, tag: string, onMessage: (m: TransferMessage) => void, timeoutMs = 300_000): Promise<{ digest: string | undefined }> {
    let digest: string | undefined;
    await this.stream('POST', `/images/${encodeURIComponent(repo)}/push?tag=${encodeURIComponent(tag)}`, { 'x-registry-auth': Buffer.from('{}').toString('base64') }, timeoutMs, (m) => {
      if (m.aux?.Digest) digest = m.aux.Digest;
      onMessage(m);
    });
    return { digest };
  }

  /** `docker pull` of repo:tag: each JSON progress message to onMessage; rejects with the registry's error. */
  async pull(repo: string, tag: string, onMessage: (m: TransferMessage) => void, timeoutMs = 300_000): Promise<void> {
    await this.stream('POST', `/images/create?fromImage=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`, { 'x-registry-auth': Buffer.from('{}').toString('base64') }, timeoutMs, onMessage);
  }

  /** A call whose answer is a stream of JSON messages (pull, push), the whole bounded in time; an {"error"} message rejects. */
  private async stream(method: 'POST', path: string, headers: Record<string, string>, timeoutMs: number, onMessage: (m: TransferMessage) => void): Promise<void> {
    const abort = AbortSignal.timeout(timeoutMs);
    let res;
    try {
      res = await request(`http://docker/v1.41${path}`, { dispatcher: this.agent, method, headers, headersTimeout: this.timeoutMs, bodyTimeout: timeoutMs, signal: abort });
    } catch (err) {
      if (abort.aborted) throw new DockerEngineError(`Docker ${method} ${path} did not finish within ${timeoutMs} ms`, 0);
      throw unreachable(this.socket, err as Error);
    }
    if (res.statusCode >= 400) throw httpError(method, path, res.statusCode, await res.body.text());
    let pending = '';
    let failure: string | undefined;
    try {
      for await (const chunk of res.body) {
        pending += (chunk as Buffer).toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          const m = JSON.parse(line) as TransferMessage;
          if (m.error !== undefined) failure ??= m.error;
          onMessage(m);
        }
      }
    } catch (err) {
      if (abort.aborted) throw new DockerEngineError(`Docker ${method} ${path} did not finish within ${timeoutMs} ms`, 0);
      throw err;
    }
    if (failure !== undefined) throw new DockerEngineError(`Docker ${method} ${path}: ${failure}`, 0);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** DOCKER_HOST (unix:// only) or the default socket. */
export function socketFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return DEFAULT_DOCKER_SOCKET;
  if (!host.startsWith('unix://')) throw new Error(`DOCKER_HOST=${host}: the docker platform reaches the daemon over a Unix socket (unix:///var/run/docker.sock)`);
  return host.slice('unix://'.length);
}

type TarEntry = { type: 'file'; data: Buffer } | { type: 'symlink'; link: string };

/** The first entry of a tar archive (ustar; the Engine's archive of one file), past any PAX extended headers. */
export function firstTarEntry(tar: Buffer): TarEntry {
  let at = 0;
  for (;;) {
    if (tar.length < at + 512) throw new Error(`the tar archive (${tar.length} bytes) has no entry header at byte ${at}`);
    const field = (offset: number, length: number) => tar.subarray(at + offset, at + offset + length).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    if (type === 'x' || type === 'g') {
      at += 512 + Math.ceil(size / 512) * 512;
      continue;
    }
    if (type === '2') return { type: 'symlink', link: field(157, 100) };
    if (type !== '0' && type !== '') throw new Error(`the archive's first entry is of tar type "${type}", not a file`);
    if (tar.length < at + 512 + size) throw new Error(`the archive ends inside its first file (${size} bytes announced)`);
    return { type: 'file', data: tar.subarray(at + 512, at + 512 + size) };
  }
}
