// Container image scanning for Debian-based images: every installed package
// (the image's own dpkg database, read without running it) against the Debian
// security archive of the image's release. A package the security archive has
// a higher version of is a security fix the image does not have. The archive's
// index is taken as apt takes it: InRelease verified with gpgv against Debian's
// archive keyring, then the Packages index checked against the SHA-256 it signs.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import type { DockerEngine } from '../platform/docker/engine.ts';
import { installedPackages, outstandingUpdates, packagesIndex, parseControlStanzas, parseOsRelease, type ArchivePackage, type OutstandingUpdate } from './debian.ts';

export const DEFAULT_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export interface SecurityIndex {
  /** e.g. bookworm-security */
  suite: string;
  architecture: string;
  url: string;
  /** The Release file's Date and Valid-Until. */
  date: string;
  validUntil: string | undefined;
  /** gpgv's "Good signature from ..." lines. */
  signature: string;
  packages: Map<string, ArchivePackage>;
}

export function securityMirror(env: NodeJS.ProcessEnv = process.env): string {
  return (env.CUTOVER_DEBIAN_SECURITY_MIRROR ?? DEFAULT_SECURITY_MIRROR).replace(/\/+$/, '');
}

async function download(url: string, timeoutMs: number): Promise<Buffer> {
  try {
    const res = await axios.get<ArrayBuffer>(url, { responseType: 'arraybuffer', timeout: timeoutMs });
    return Buffer.from(res.data);
  } catch (err) {
    const e = err as { response?: { status: number }; message: string };
    throw new Error(`could not fetch ${url}: ${e.response ? `HTTP ${e.response.status}` : e.message} (CUTOVER_DEBIAN_SECURITY_MIRROR names another mirror of debian-security)`, { cause: err });
  }
}

/** InRelease's signed text, when gpgv finds a good signature by a key of the keyring. */
export function verifyInRelease(inRelease: Buffer, keyring = DEBIAN_KEYRING): { text: string; signature: string } {
  if (!fs.existsSync(keyring)) throw new Error(`${keyring} is missing: it comes with Debian's debian-archive-keyring package`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-inrelease-'));
  try {
    const signed = path.join(dir, 'InRelease');
    const out = path.join(dir, 'Release');
    fs.writeFileSync(signed, inRelease);
    const r = spawnSync('gpgv', ['--keyring', keyring, '--output', out, signed], { encoding: 'utf8', timeout: 30_000 });
    if (r.error) throw new Error(`gpgv could not run (${r.error.message}): it comes with Debian's gpgv package`);
    const good = r.stderr.match(/Good signature from .*/g);
    if (r.status !== 0 || !good) throw new Error(`InRelease is not signed by a key of ${keyring}: ${r.stderr.trim().split('\n').slice(-2).join(' / ')}`);
    return { text: fs.readFileSync(out, 'utf8'), signature: good.join('; ') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The SHA-256 and size a Release file gives for each index it covers. */
export function releaseChecksums(release: string): Map<string, { sha256: string; size: number }> {
  const fields = parseControlStanzas(release)[0]?.fields ?? {};
  const sums = new Map<string, { sha256: string; size: number }>();
  for (const line of (fields.SHA256 ?? '').split('\n')) {
    const [sha256, size, name] = line.trim().split(/\s+/);
    if (name && sha256) sums.set(name, { sha256, size: Number(size) });
  }
  return sums;
}

const indexes = new Map<string, Promise<SecurityIndex>>();

/** The security archive's Packages index for a release (cached for the run: one download per release and architecture). */
export function securityIndex(codename: string, architecture: string, options: { mirror?: string; timeoutMs?: number; now?: Date } = {}): Promise<SecurityIndex> {
  const mirror = options.mirror ?? securityMirror();
  const key = `${mirror} ${codename} ${architecture}`;
  let index = indexes.get(key);
  if (!index) {
    index = fetchSecurityIndex(codename, architecture, mirror, options.timeoutMs ?? 60_000, options.now ?? new Date());
    indexes.set(key, index);
    index.catch(() => indexes.delete(key));
  }
  return index;
}

async function fetchSecurityIndex(codename: string, architecture: string, mirror: string, timeoutMs: number, now: Date): Promise<SecurityIndex> {
  const suite = `${codename}-security`;
  const base = `${mirror}/dists/${suite}`;
  const { text: release, signature } = verifyInRelease(await download(`${base}/InRelease`, timeoutMs));
  const fields = parseControlStanzas(release)[0]?.fields ?? {};
  if (fields.Suite !== suite && fields.Codename !== suite) throw new Error(`${base}/InRelease is for ${fields.Suite ?? '?'} (${fields.Codename ?? '?'}), not ${suite}`);
  // A Release past its Valid-Until could be an old one replayed: apt refuses it too.
  if (fields['Valid-Until'] && new Date(fields['Valid-Until']) < now) throw new Error(`${base}/InRelease expired at ${fields['Valid-Until']} (a stale mirror?)`);
  const sums = releaseChecksums(release);
  const name = `main/binary-${architecture}/Packages`;
  const xz = sums.get(`${name}.xz`);
  const plain = sums.get(name);
  if (!xz || !plain) throw new Error(`${base}/InRelease lists no ${name}.xz: is ${architecture} an architecture of ${suite}?`);
  const compressed = await download(`${base}/${name}.xz`, timeoutMs);
  const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
  if (sha256(compressed) !== xz.sha256) throw new Error(`${base}/${name}.xz does not have the SHA-256 that InRelease signs`);
  const unpacked = spawnSync('xz', ['-dc'], { input: compressed, maxBuffer: 512 * 1024 * 1024, timeout: 60_000 });
  if (unpacked.error || unpacked.status !== 0) throw new Error(`xz -dc of ${name}.xz failed: ${unpacked.error?.message ?? unpacked.stderr.toString()} (xz comes with Debian's xz-utils)`);
  if (sha256(unpacked.stdout) !== plain.sha256) throw new Error(`${base}/${name}, unpacked, does not have the SHA-256 that InRelease signs`);
  return { suite, architecture, url: `${base}/${name}.xz`, date: fields.Date ?? '', validUntil: fields['Valid-Until'], signature, packages: packagesIndex(unpacked.stdout.toString('utf8')) };
}

export interface ImageScan {
  image: string;
  /** PRETTY_NAME of the image's os-release. */
  os: string;
  codename: string;
  packages: number;
  index: Omit<SecurityIndex, 'packages'> & { packages: number };
  outstanding: OutstandingUpdate[];
}

/** Scans an image the Docker daemon holds. Fails clearly for an image that is not Debian. */
export async function scanImage(engine: DockerEngine, image: string, options: { mirror?: string; architecture?: string } = {}): Promise<ImageScan> {
  if (!(await engine.imageExists(image))) throw new Error(`the Docker daemon holds no image ${image} (npm run images builds the service images)`);
  const osRelease = (await engine.readImageFile(image, '/etc/os-release')) ?? (await engine.readImageFile(image, '/usr/lib/os-release'));
  if (!osRelease) throw new Error(`${image} has no /etc/os-release: the image scan reads Debian-based images`);
  const release = parseOsRelease(osRelease.toString('utf8'));
  if (release.ID !== 'debian' || !release.VERSION_CODENAME) throw new Error(`${image} is ${release.PRETTY_NAME ?? release.ID ?? 'of an unknown system'}, not a Debian release with a VERSION_CODENAME: the image scan reads Debian-based images`);
  const status = await engine.readImageFile(image, '/var/lib/dpkg/status');
  if (!status) throw new Error(`${image} has no /var/lib/dpkg/status: its packages cannot be known`);
  let installed;
  try {
    installed = installedPackages(status.toString('utf8'));
  } catch (err) {
    throw new Error(`${image}: /var/lib/dpkg/status: ${(err as Error).message}`, { cause: err });
  }
  const architecture = options.architecture ?? installed.find((p) => p.name === 'dpkg')?.architecture ?? 'amd64';
  const index = await securityIndex(release.VERSION_CODENAME, architecture, { mirror: options.mirror });
  return {
    image,
    os: release.PRETTY_NAME ?? release.VERSION_CODENAME,
    codename: release.VERSION_CODENAME,
    packages: installed.length,
    index: { ...index, packages: index.packages.size },
    outstanding: outstandingUpdates(installed, index.packages),
  };
}
