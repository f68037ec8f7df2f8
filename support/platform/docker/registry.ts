// A container registry on this machine (the CNCF Distribution registry,
// built from its Go module: no registry can be reached from here), for the
// release flow build → push → deploy from the registry. It listens on
// 127.0.0.1, which Docker treats as an insecure registry without being told;
// its storage is a temporary folder removed when it stops.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../services/common/ports.ts';
import { Daemon } from '../../process/daemon.ts';
import type { DockerEngine } from './engine.ts';
import { splitImage, TransferProgress, type TransferReport } from './image-transfer.ts';

export const REGISTRY_INSTALL_HINT = 'build it in ci/tools/registry with `GOTOOLCHAIN=go1.27.3 go build -o $(go env GOPATH)/bin/registry github.com/distribution/distribution/v3/cmd/registry` (.ci/run does) and put $(go env GOPATH)/bin on PATH, or set CUTOVER_REGISTRY_BIN';

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/** The registry binary: CUTOVER_REGISTRY_BIN, else `registry` on PATH; undefined when there is none. */
export function registryBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CUTOVER_REGISTRY_BIN) return env.CUTOVER_REGISTRY_BIN;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'registry');
    if (dir !== '' && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

export class LocalRegistry {
  private constructor(
    /** host:port, as image names carry it. */
    readonly host: string,
    private readonly dir: string,
    private readonly daemon: Daemon,
  ) {}

  get url(): string {
    return `http://${this.host}`;
  }

  static async start(startTimeoutMs = 30_000): Promise<LocalRegistry> {
    const binary = registryBinary();
    if (binary === undefined) throw new Error(`a container registry is needed, but no registry binary was found: ${REGISTRY_INSTALL_HINT}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-registry-'));
    try {
      const port = await freePort();
      const host = `127.0.0.1:${port}`;
      const config = path.join(dir, 'config.yml');
      fs.writeFileSync(
        config,
        ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${JSON.stringify(path.join(dir, 'data'))}`, '  delete:', '    enabled: true', 'http:', `  addr: ${host}`, ''].join('\n'),
      );
      const daemon = await Daemon.start({ name: 'the registry', binary, args: ['serve', config], readyUrl: `http://${host}/v2/`, startTimeoutMs });
      return new LocalRegistry(host, dir, daemon);
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The name an image has in this registry: <host>/<repo>:<tag>. */
  nameOf(image: string): string {
    return `${this.host}/${image}`;
  }

  /**
   * `docker tag` + `docker push` of an image Docker holds to this registry,
   * telling its progress; the report has the digest the registry gave.
   */
  async push(engine: DockerEngine, image: string, log?: (line: string) => void): Promise<TransferReport> {
    const target = splitImage(this.nameOf(image));
    await engine.tag(image, target.repo, target.tag);
    const progress = new TransferProgress(this.nameOf(image), 'push', log);
    await engine.push(target.repo, target.tag, (m) => progress.add(m));
    return progress.finish();
  }

  /** The digest of a repository's tag as the registry serves it (the Docker-Content-Digest of its manifest), undefined when it has none. */
  async digestOf(repo: string, tag: string): Promise<string | undefined> {
    const res = await fetch(`${this.url}/v2/${repo}/manifests/${encodeURIComponent(tag)}`, { method: 'HEAD', headers: { accept: MANIFEST_TYPES }, signal: AbortSignal.timeout(10_000) });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`registry HEAD /v2/${repo}/manifests/${tag}: HTTP ${res.status}`);
    return res.headers.get('docker-content-digest') ?? undefined;
  }

  /** The tags of a repository. */
  async tags(repo: string): Promise<string[]> {
    const res = await fetch(`${this.url}/v2/${repo}/tags/list`, { signal: AbortSignal.timeout(10_000) });
    if (res.status === 404) return [];
    if (!res.ok) throw new Error(`registry GET /v2/${repo}/tags/list: HTTP ${res.status}`);
    return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
  }

  get logs(): string[] {
    return this.daemon.logs;
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
