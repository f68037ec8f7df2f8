#!/usr/bin/env bash
# Builds what the CI cluster runs, from upstream parts (no registry, no kind
# node image here): containerd, runc and the CNI plugins from Debian; etcd,
# the Kubernetes components, the Argo Rollouts controller and Argo CD from
# their Go modules at the versions their go.mod files in ci/cluster/go/ pin; the pause
# image from ci/cluster/pause. Idempotent: binaries are kept in a cache folder
# named after the pins, so a second run only checks.
#
#   bash ci/cluster/build.sh            prints the time of each stage
#
# CUTOVER_CLUSTER_CACHE (default /var/cache/cutover-cluster) holds the binaries.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"

stage "Debian packages"
need_apt=()
for pair in containerd:containerd runc:runc iptables:iptables conntrack:conntrack socat:socat ip:iproute2 openssl:openssl gcc:gcc; do
  command -v "${pair%%:*}" >/dev/null || need_apt+=("${pair#*:}")
done
[ -x /usr/lib/cni/bridge ] || need_apt+=(containernetworking-plugins)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  echo "   apt-get install ${need_apt[*]}"
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Every Go program here is built with Go 1.27.3, the toolchain the go command fetches from the module
# proxy: the vulnerability check (features/vulnerabilities.feature) found that Go 1.26.8's standard
# library has vulnerabilities that programs call (net/http, fixed in 1.26.9), and Argo CD needs 1.27.
export GOTOOLCHAIN=go1.27.3
# The binaries keep their symbol table (-w drops only the debug information): govulncheck reads from it
# which functions a program contains; without it every function of a package it has counts as called.
# The wrappers in go/ raise golang.org/x/{net,crypto,text,sys} (and Argo CD's klauspost/compress) past
# the versions that check found vulnerable in what the upstream releases pin.

bin="$(cluster_bin_dir)"
mkdir -p "$bin"
build_module() { # <folder under ci/cluster/go> <package>... (BUILD_LDFLAGS: extra -ldflags)
  local dir="$here/go/$1"; shift
  local missing=()
  for pkg in "$@"; do [ -x "$bin/$(basename "$pkg")" ] || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && { echo "   cached: ${*##*/}"; return; }
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags="-w ${BUILD_LDFLAGS:-}" -o "$bin/" "${missing[@]}")
}

stage "etcd (go.etcd.io/etcd/server/v3)"
# The module's main package is its root, so go build would call it "server".
if [ -x "$bin/etcd" ]; then echo "   cached: etcd"; else
  (cd "$here/go/etcd" && CGO_ENABLED=0 go build -trimpath -ldflags='-w' -o "$bin/etcd" go.etcd.io/etcd/server/v3)
fi

stage "Kubernetes components (k8s.io/kubernetes)"
# The version the binaries report (the release build sets it the same way; without it they say v0.0.0-master).
k8s_version="$(cd "$here/go/kubernetes" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
k8s_minor="$(echo "$k8s_version" | cut -d. -f2)"
BUILD_LDFLAGS=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  BUILD_LDFLAGS+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor -X $pkg.gitTreeState=clean"
done
BUILD_LDFLAGS="$BUILD_LDFLAGS" build_module kubernetes k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl

stage "Argo Rollouts controller (github.com/argoproj/argo-rollouts)"
build_module argo-rollouts github.com/argoproj/argo-rollouts/cmd/rollouts-controller
# The CRDs of the same version, from the module the controller was built from.
crds="$(cd "$here/go/argo-rollouts" && go list -m -f '{{.Dir}}' github.com/argoproj/argo-rollouts)/manifests/crds"
mkdir -p "$bin/argo-rollouts-crds" && cp "$crds"/*-crd.yaml "$bin/argo-rollouts-crds/"

stage "Argo CD (github.com/argoproj/argo-cd/v3)"
# One binary, every component (by the name it is started as); up.sh builds its image around it. Argo CD's
# go.mod asks for Go 1.27 (GOTOOLCHAIN above).
argocd_version="$(cd "$here/go/argo-cd" && go list -m -f '{{.Version}}' github.com/argoproj/argo-cd/v3)"
if [ -x "$bin/argocd" ]; then echo "   cached: argocd"; else
  (cd "$here/go/argo-cd" && CGO_ENABLED=0 go build -trimpath \
    -ldflags="-w -X github.com/argoproj/argo-cd/v3/common.version=${argocd_version#v} -X github.com/argoproj/argo-cd/v3/common.gitTreeState=clean" \
    -o "$bin/argocd" github.com/argoproj/argo-cd/v3/cmd)
fi
# Its install manifest, from the module the binary was built from (what `kubectl apply -f .../install.yaml` applies),
# and the scripts upstream's image has beside the binary (the repo server runs gpg and git through them).
argocd_dir="$(cd "$here/go/argo-cd" && go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)"
cp "$argocd_dir/manifests/install.yaml" "$bin/argocd-install.yaml"
mkdir -p "$bin/argocd-scripts" # (module files keep no modes: made executable here)
install -m 0755 "$argocd_dir/hack/gpg-wrapper.sh" "$argocd_dir/hack/git-verify-wrapper.sh" "$bin/argocd-scripts/"
echo "$argocd_version" >"$bin/argocd-version"

stage "pause image"
[ -x "$bin/pause" ] || gcc -Os -static -Wall -Wextra -o "$bin/pause" "$here/pause/pause.c"
done_stage
echo "binaries in $bin:"
ls -1 "$bin" | sed 's/^/   /'
