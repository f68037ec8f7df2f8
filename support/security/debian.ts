// Debian's package metadata, read as dpkg and apt read it: version ordering
// (deb-version(7)), control-file stanzas, an image's dpkg status database and an
// archive's Packages index. Pure functions: the image scan feeds them.

/** A version split as deb-version(7) describes it: [epoch:]upstream[-revision]. */
interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export function parseDebianVersion(version: string): DebianVersion {
  const v = version.trim();
  if (v === '') throw new Error('empty Debian version');
  const colon = v.indexOf(':');
  const epochText = colon >= 0 ? v.slice(0, colon) : '0';
  if (!/^\d+$/.test(epochText)) throw new Error(`Debian version "${version}": epoch "${epochText}" is not a number`);
  const rest = colon >= 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  if (upstream === '' || !/^[0-9]/.test(upstream)) throw new Error(`Debian version "${version}": the upstream version must start with a digit`);
  return { epoch: Number(epochText), upstream, revision: dash >= 0 ? rest.slice(dash + 1) : '' };
}

// dpkg's order of a character in the non-digit parts: '~' sorts before everything,
// even the end of the part; letters sort before the other characters.
function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** dpkg's verrevcmp: alternating non-digit and digit runs. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const diff = order(isDigit(a[i]) ? undefined : a[i]) - order(isDigit(b[j]) ? undefined : b[j]);
      if (diff !== 0) return Math.sign(diff);
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return Math.sign(firstDiff);
  }
  return 0;
}

/** Negative, zero or positive as a sorts before, with or after b (dpkg --compare-versions). */
export function compareDebianVersions(a: string, b: string): number {
  const va = parseDebianVersion(a);
  const vb = parseDebianVersion(b);
  if (va.epoch !== vb.epoch) return Math.sign(va.epoch - vb.epoch);
  return compareFragment(va.upstream, vb.upstream) || compareFragment(va.revision, vb.revision);
}

/** The stanzas of a control file (dpkg status, Packages, Release): field names as written, continuation lines joined with "\n". */
export function parseControlStanzas(text: string): { line: number; fields: Record<string, string> }[] {
  const stanzas: { line: number; fields: Record<string, string> }[] = [];
  let current: { line: number; fields: Record<string, string> } | undefined;
  let last: string | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      current = undefined;
      last = undefined;
      return;
    }
    if (/^[ \t]/.test(line)) {
      if (current && last) current.fields[last] += `\n${line.trim()}`;
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`line ${index + 1}: expected "Field: value", got "${line.slice(0, 80)}"`);
    if (!current) {
      current = { line: index + 1, fields: {} };
      stanzas.push(current);
    }
    last = line.slice(0, colon);
    current.fields[last] = line.slice(colon + 1).trim();
  });
  return stanzas;
}

export interface InstalledPackage {
  name: string;
  version: string;
  architecture: string;
  /** The source package it was built from (the name, when the stanza names none). */
  source: string;
}

/** The packages dpkg's status database (/var/lib/dpkg/status) says are installed. */
export function installedPackages(status: string): InstalledPackage[] {
  const installed: InstalledPackage[] = [];
  for (const { line, fields } of parseControlStanzas(status)) {
    if (!/\binstalled$/.test(fields.Status ?? '')) continue;
    if (!fields.Package || !fields.Version) throw new Error(`dpkg status, stanza at line ${line}: an installed package needs Package and Version`);
    installed.push({ name: fields.Package, version: fields.Version, architecture: fields.Architecture ?? 'all', source: sourceName(fields.Source, fields.Package) });
  }
  return installed;
}

/** "openssl (3.0.11-1~deb12u2)" names the source and, when it differs, its version. */
function sourceName(field: string | undefined, pkg: string): string {
  return field?.split(' ')[0] || pkg;
}

export interface ArchivePackage {
  version: string;
  source: string;
}

/** An archive's Packages index: for each package and architecture, the highest version it offers. */
export function packagesIndex(text: string): Map<string, ArchivePackage> {
  const index = new Map<string, ArchivePackage>();
  for (const { line, fields } of parseControlStanzas(text)) {
    if (!fields.Package || !fields.Version) throw new Error(`Packages index, stanza at line ${line}: needs Package and Version`);
    const key = `${fields.Package}:${fields.Architecture ?? 'all'}`;
    const known = index.get(key);
    if (!known || compareDebianVersions(fields.Version, known.version) > 0) index.set(key, { version: fields.Version, source: sourceName(fields.Source, fields.Package) });
  }
  return index;
}

export interface OutstandingUpdate {
  package: string;
  architecture: string;
  source: string;
  installed: string;
  /** The version the security archive has, which fixes what the installed one does not. */
  fixed: string;
}

/** The installed packages for which the (security) archive has a higher version. */
export function outstandingUpdates(installed: InstalledPackage[], archive: Map<string, ArchivePackage>): OutstandingUpdate[] {
  const updates: OutstandingUpdate[] = [];
  for (const p of installed) {
    const offered = archive.get(`${p.name}:${p.architecture}`);
    if (offered && compareDebianVersions(offered.version, p.version) > 0) {
      updates.push({ package: p.name, architecture: p.architecture, source: offered.source, installed: p.version, fixed: offered.version });
    }
  }
  return updates.sort((a, b) => a.source.localeCompare(b.source) || a.package.localeCompare(b.package));
}

/** /etc/os-release (os-release(5)): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [, key, value] = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()) ?? [];
    if (key !== undefined && value !== undefined) fields[key] = value.replace(/^(["'])(.*)\1$/, '$2');
  }
  return fields;
}
