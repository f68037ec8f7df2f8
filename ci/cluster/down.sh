#!/usr/bin/env bash
# Stops the cluster ci/cluster/up.sh started and removes what it made: pods
# are deleted through the API first (so the kubelet tears their sandboxes and
# networks down), then every process is stopped by the PID it was started
# with, then whatever a crash left is removed (containers, network
# namespaces, the bridge, kube-proxy's rules and up.sh's, mounts, the state folder).
# The build cache is kept. Safe to run when nothing is up.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
bin="$(cluster_bin_dir)"
sock="$CLUSTER_RUN/containerd.sock"
export KUBECONFIG="$CLUSTER_STATE/admin.kubeconfig"

alive() { [ -f "$CLUSTER_RUN/$1.pid" ] && kill -0 "$(cat "$CLUSTER_RUN/$1.pid")" 2>/dev/null; }
stop() { # <name>: SIGTERM, then SIGKILL after 10 s
  alive "$1" || { rm -f "$CLUSTER_RUN/$1.pid"; return; }
  local pid; pid="$(cat "$CLUSTER_RUN/$1.pid")"
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null
  rm -f "$CLUSTER_RUN/$1.pid"
}

stage "pods"
if alive kube-apiserver && alive kubelet; then
  "$bin/kubectl" delete pods --all --all-namespaces --grace-period=2 --timeout=60s --wait >/dev/null 2>&1 || echo "   (some pods were not deleted in time: removed below)"
fi
stage "processes"
for name in argo-rollouts kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver etcd; do stop "$name"; done
if alive containerd; then
  # Whatever the kubelet left: its tasks (and their shims) and containers.
  for id in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
    ctr --address "$sock" -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1
    ctr --address "$sock" -n k8s.io tasks rm -f "$id" >/dev/null 2>&1
  done
  for id in $(ctr --address "$sock" -n k8s.io containers ls -q 2>/dev/null); do
    ctr --address "$sock" -n k8s.io containers rm "$id" >/dev/null 2>&1
  done
fi
stop containerd
# Shims whose containerd is gone (started with this cluster's state folder).
for pid in $(pgrep -f "containerd-shim.*-address $CLUSTER_RUN/" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done

stage "network and files"
[ -x "$bin/kube-proxy" ] && "$bin/kube-proxy" --cleanup >/dev/null 2>&1
while iptables -D FORWARD -i cutover0 -o cutover0 -m comment --comment "cutover cluster: pod to pod" -j ACCEPT 2>/dev/null; do :; done
for ns in $(ip netns list 2>/dev/null | awk '/^cni-/{print $1}'); do ip netns delete "$ns" 2>/dev/null; done
ip link delete cutover0 2>/dev/null
grep -E " ($CLUSTER_STATE|$CLUSTER_RUN)/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
rm -rf "$CLUSTER_STATE" "$CLUSTER_RUN"
done_stage
echo "cluster down"
