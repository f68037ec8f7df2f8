import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { compareDebianVersions, installedPackages, outstandingUpdates, packagesIndex, parseControlStanzas, parseOsRelease } from '../debian.ts';

const PAIRS: [string, string][] = [
  ['1.0', '1.0'],
  ['1.0', '1.0-0'],
  ['1.0~rc1', '1.0'],
  ['1.0~rc1-1', '1.0~rc2-1'],
  ['1.0-1', '1.0-1+deb12u1'],
  ['2.36-9+deb12u7', '2.36-9+deb12u10'],
  ['3.0.11-1~deb12u2', '3.0.15-1~deb12u1'],
  ['3.0.15-1~deb12u1', '3.0.15-1'],
  ['1:1.0', '2.0'],
  ['0:2.0', '2.0'],
  ['1.0a', '1.0'],
  ['1.0a', '1.0+'],
  ['1.0.', '1.0a'],
  ['1.01', '1.1'],
  ['1.2.10', '1.2.9'],
  ['7.88.1-10+deb12u8', '7.88.1-10+deb12u12'],
  ['252.33-1~deb12u1', '252.36-1~deb12u1'],
  ['1.0-1~', '1.0-1'],
  ['1.0~~', '1.0~'],
  ['2:1.0+dfsg-1', '2:1.0-1'],
];

test('versions are ordered as dpkg --compare-versions orders them', () => {
  const dpkg = spawnSync('dpkg', ['--version'], { encoding: 'utf8' });
  for (const [a, b] of PAIRS) {
    const ours = compareDebianVersions(a, b);
    const reverse = compareDebianVersions(b, a);
    assert.ok(Math.sign(ours) === -Math.sign(reverse), `${a} vs ${b} is not antisymmetric`);
    if (dpkg.status === 0) {
      const lt = spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;
      const eq = spawnSync('dpkg', ['--compare-versions', a, 'eq', b]).status === 0;
      assert.equal(Math.sign(ours), lt ? -1 : eq ? 0 : 1, `${a} vs ${b}: dpkg says ${lt ? 'lt' : eq ? 'eq' : 'gt'}`);
    }
  }
  assert.throws(() => compareDebianVersions('a1.0', '1.0'), /must start with a digit/);
  assert.throws(() => compareDebianVersions('x:1.0', '1.0'), /epoch "x" is not a number/);
});

test('control stanzas, the installed packages of a dpkg status and the highest version of a Packages index', () => {
  const status = [
    'Package: libssl3',
    'Status: install ok installed',
    'Architecture: amd64',
    'Source: openssl',
    'Version: 3.0.11-1~deb12u2',
    'Description: Secure Sockets Layer toolkit',
    ' shared libraries',
    '',
    'Package: gone',
    'Status: deinstall ok config-files',
    'Version: 1.0',
    '',
    'Package: tzdata',
    'Status: install ok installed',
    'Architecture: all',
    'Version: 2024a-0+deb12u1',
    '',
    'Package: bash',
    'Status: install ok installed',
    'Architecture: amd64',
    'Version: 5.2.15-2+b7',
    '',
  ].join('\n');
  assert.equal(parseControlStanzas(status)[0]?.fields.Description, 'Secure Sockets Layer toolkit\nshared libraries');
  const installed = installedPackages(status);
  assert.deepEqual(installed.map((p) => `${p.name}:${p.architecture}=${p.version} (${p.source})`), ['libssl3:amd64=3.0.11-1~deb12u2 (openssl)', 'tzdata:all=2024a-0+deb12u1 (tzdata)', 'bash:amd64=5.2.15-2+b7 (bash)']);

  const index = packagesIndex(['Package: libssl3', 'Source: openssl', 'Version: 3.0.14-1~deb12u1', 'Architecture: amd64', '', 'Package: libssl3', 'Source: openssl (3.0.15-1~deb12u1)', 'Version: 3.0.15-1~deb12u1', 'Architecture: amd64', '', 'Package: tzdata', 'Version: 2024a-0+deb12u1', 'Architecture: all', '', 'Package: bash', 'Version: 5.2.15-2+b7', 'Architecture: i386', ''].join('\n'));
  assert.equal(index.get('libssl3:amd64')?.version, '3.0.15-1~deb12u1', 'the highest of two');
  assert.deepEqual(outstandingUpdates(installed, index), [{ package: 'libssl3', architecture: 'amd64', source: 'openssl', installed: '3.0.11-1~deb12u2', fixed: '3.0.15-1~deb12u1' }]);

  assert.throws(() => parseControlStanzas('Package: x\nnot a field\n'), /line 2: expected "Field: value"/);
  assert.throws(() => installedPackages('Package: x\nStatus: install ok installed\n'), /stanza at line 1: an installed package needs Package and Version/);
});

test('os-release', () => {
  assert.deepEqual(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n# comment\n'), { PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)', ID: 'debian', VERSION_CODENAME: 'bookworm' });
});
