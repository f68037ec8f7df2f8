#!/usr/bin/env bash
# CI only: the base image services/Dockerfile names (node:20-bookworm-slim)
# cannot be pulled here, so it is made locally: a Debian bookworm rootfs from
# debootstrap, this machine's Node 20 (binary, headers for native addons, npm)
# and its CA bundle (the registries are reached through an intercepting
# proxy), imported under that tag. Users pull the real image instead.
# Idempotent: nothing is done when the tag exists.
set -euo pipefail
TAG=${NODE_IMAGE:-node:20-bookworm-slim}
if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "   $TAG is there"
  exit 0
fi
command -v debootstrap >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq debootstrap
work=$(mktemp -d /tmp/cutover-base-XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
echo "   debootstrap bookworm ($(date +%T))"
debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log"; exit 1; }
# debootstrap takes the release as it was at its last point release; Debian's security
# and stable updates since then are applied too, as the real image has them (the image scan,
# features/vulnerabilities.feature, finds any that are missing). apt runs in the rootfs as root.
cat >"$rootfs/etc/apt/sources.list" <<'SOURCES'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
echo "   security and stable updates ($(date +%T))"
mount -t proc proc "$rootfs/proc"
trap 'umount "$rootfs/proc" 2>/dev/null || true; rm -rf "$work"' EXIT  # (errexit applies in a trap: the umount must not stop it)
chroot "$rootfs" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o Dpkg::Options::=--force-confold upgrade' >"$work/upgrade.log" 2>&1 \
  || { tail -20 "$work/upgrade.log"; exit 1; }
echo "   packages updated: $(grep -c '^Setting up' "$work/upgrade.log" || true)"
umount "$rootfs/proc"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
node_bin=$(command -v node)
node_prefix=$(dirname "$(dirname "$(readlink -f "$node_bin")")")
mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/include" "$rootfs/usr/local/lib/node_modules"
cp "$(readlink -f "$node_bin")" "$rootfs/usr/local/bin/node"
cp -a "$node_prefix/include/node" "$rootfs/usr/local/include/node"
cp -a "$(npm root -g)/npm" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
echo "   docker import $TAG ($(date +%T))"
tar -C "$rootfs" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  -c 'CMD ["node"]' - "$TAG" >/dev/null
docker run --rm "$TAG" node -e 'console.log("   node " + process.version + " in " + process.argv0)'
