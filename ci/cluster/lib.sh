# Shared by the ci/cluster scripts: where things live, and stage timing.
# shellcheck shell=bash

cluster_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLUSTER_CACHE="${CUTOVER_CLUSTER_CACHE:-/var/cache/cutover-cluster}"
# Everything a running cluster keeps (PKI, etcd data, containerd, kubelet, logs, pid files).
CLUSTER_STATE="${CUTOVER_CLUSTER_STATE:-/var/lib/cutover-cluster}"
CLUSTER_RUN="${CUTOVER_CLUSTER_RUN:-/run/cutover-cluster}"
export PATH="$PATH:$(go env GOPATH 2>/dev/null || echo /root/go)/bin"

# The binaries' folder is named after the pins (go.mod/go.sum files, pause.c) and how they are built, so a change builds anew.
cluster_bin_dir() {
  local key
  key="$(cd "$cluster_here" && cat build.sh go/*/go.mod go/*/go.sum pause/pause.c | sha256sum | cut -c1-12)"
  echo "$CLUSTER_CACHE/bin-$key"
}

stage_started=""
stage_name=""
done_stage() {
  if [ -n "$stage_name" ]; then
    echo "   $stage_name: $(($(date +%s) - stage_started)) s"
  fi
  stage_name=""
}
stage() {
  done_stage
  stage_name="$1"
  stage_started="$(date +%s)"
  echo "== cluster: $1 ($(date +%T))"
}
