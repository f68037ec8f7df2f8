// The image scan's trust in Debian's security index: InRelease verified by gpgv
// against Debian's archive keyring (a real InRelease of bookworm-security, kept
// as a fixture), and the checksums it signs. The scan of real images against the
// live archive is features/vulnerabilities.feature's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { DEBIAN_KEYRING, releaseChecksums, verifyInRelease } from '../image-scan.ts';

const FIXTURE = new URL('./fixtures/bookworm-security.InRelease', import.meta.url);
const skip = fs.existsSync(DEBIAN_KEYRING) ? false : `${DEBIAN_KEYRING} is missing (Debian's debian-archive-keyring)`;

test('a signed InRelease is verified and its checksums read; one changed byte is refused', { skip }, () => {
  const inRelease = fs.readFileSync(FIXTURE);
  const { text, signature } = verifyInRelease(inRelease);
  assert.match(signature, /Good signature from "Debian Security Archive Automatic Signing Key/);
  assert.match(text, /^Codename: bookworm-security$/m);
  assert.doesNotMatch(text, /BEGIN PGP/, 'only the signed text');
  const sums = releaseChecksums(text);
  assert.match(sums.get('main/binary-amd64/Packages.xz')?.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.ok((sums.get('main/binary-amd64/Packages')?.size ?? 0) > 0);

  const tampered = Buffer.from(inRelease.toString('utf8').replace('Codename: bookworm-security', 'Codename: bookworm-securitx'));
  assert.throws(() => verifyInRelease(tampered), /InRelease is not signed by a key of .*debian-archive-keyring\.gpg: .*BAD signature/);
  assert.throws(() => verifyInRelease(inRelease, '/nonexistent/keyring.gpg'), /keyring\.gpg is missing: it comes with Debian's debian-archive-keyring package/);
});
