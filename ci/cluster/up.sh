#!/usr/bin/env bash
# Brings up a single-node Kubernetes cluster on this machine from the parts
# ci/cluster/build.sh built: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, containerd (its own instance, not Docker's), kubelet,
# kube-proxy (iptables mode) and the Argo Rollouts controller; loads the pause
# and service images into containerd, with Argo CD's images (installed by the GitOps
# scenarios, not here); waits for each part with a bound.
#
#   bash ci/cluster/up.sh          then KUBECONFIG=$(bash ci/cluster/up.sh --kubeconfig)
#                                  and PATH=$(bash ci/cluster/up.sh --bin):$PATH for its kubectl
#   bash ci/cluster/down.sh        stops it all and removes what it made
#
# Every process's PID is kept in $CLUSTER_RUN/*.pid and its log in
# $CLUSTER_STATE/logs/. Certificates are made here with openssl (a CA per
# cluster; each component has its own identity, as kubeadm gives them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"

if [ "${1:-}" = "--kubeconfig" ]; then echo "$CLUSTER_STATE/admin.kubeconfig"; exit 0; fi
# The folder of the built binaries, kubectl among them, to put on PATH.
if [ "${1:-}" = "--bin" ]; then cluster_bin_dir; exit 0; fi

bin="$(cluster_bin_dir)"
[ -x "$bin/kube-apiserver" ] || { echo "no cluster binaries in $bin: run bash ci/cluster/build.sh first"; exit 1; }
if [ -f "$CLUSTER_RUN/kube-apiserver.pid" ] && kill -0 "$(cat "$CLUSTER_RUN/kube-apiserver.pid")" 2>/dev/null; then
  echo "a cluster is running already (bash ci/cluster/down.sh stops it)"; exit 1
fi
# What a killed run left (processes, pods' network namespaces, mounts) goes first.
if [ -d "$CLUSTER_STATE" ] || [ -d "$CLUSTER_RUN" ]; then
  echo "== cluster: removing what an earlier run left"
  bash "$here/down.sh" >/dev/null
fi

NODE_NAME=cutover-node
# The node's address: the one the default route leaves from (pods reach the API server there).
NODE_IP="${CUTOVER_NODE_IP:-$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')}"
[ -n "$NODE_IP" ] || NODE_IP=127.0.0.1
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
API_PORT="${CUTOVER_API_PORT:-6443}"
pki="$CLUSTER_STATE/pki"
logs="$CLUSTER_STATE/logs"
sock="$CLUSTER_RUN/containerd.sock"
rm -rf "$CLUSTER_STATE/etcd" "$CLUSTER_STATE/kubelet"
mkdir -p "$pki" "$logs" "$CLUSTER_RUN" "$CLUSTER_STATE/cni" "$CLUSTER_STATE/kubelet"

# start <name> <command...>: in its own session, output to its log, PID kept.
start() {
  local name="$1"; shift
  setsid "$@" >"$logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$CLUSTER_RUN/$name.pid"
}
# wait_for <what> <seconds> <command...>: polls until the command succeeds; on time-out shows the log.
wait_for() {
  local what="$1" seconds="$2" log="$3"; shift 3
  local deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "!! $what not ready within ${seconds} s; last lines of $log:"; tail -25 "$logs/$log.log"; exit 1
    fi
    sleep 0.5
  done
}

stage "certificates"
cert() { # <file> <CN> <O or -> [<subjectAltName>]
  local f="$pki/$1" subj="/CN=$2"
  [ "$3" != - ] && subj="/O=$3$subj"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$f.key" -subj "$subj" -out "$f.csr" 2>/dev/null
  local ext="$pki/$1.ext"
  { echo "keyUsage=critical,digitalSignature,keyEncipherment"; echo "extendedKeyUsage=serverAuth,clientAuth"
    [ -n "${4:-}" ] && echo "subjectAltName=$4"; } >"$ext"
  openssl x509 -req -in "$f.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 -extfile "$ext" -out "$f.crt" 2>/dev/null
  rm -f "$f.csr" "$ext"
}
if [ ! -f "$pki/ca.crt" ]; then
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -subj "/CN=cutover-ci-cluster-ca" -days 30 -out "$pki/ca.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  cert apiserver kube-apiserver - "IP:127.0.0.1,IP:$NODE_IP,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert admin cutover-admin system:masters
  cert controller-manager system:kube-controller-manager -
  cert scheduler system:kube-scheduler -
  cert kubelet "system:node:$NODE_NAME" system:nodes
  cert kube-proxy system:kube-proxy -
  cert argo-rollouts cutover-argo-rollouts system:masters
  chmod 600 "$pki"/*.key
fi
kubeconfig() { # <name> -> $CLUSTER_STATE/<name>.kubeconfig for the identity in pki/<name>.crt
  cat >"$CLUSTER_STATE/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cutover-ci
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$pki/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$pki/$1.crt", client-key: "$pki/$1.key"}
contexts:
- name: cutover-ci
  context: {cluster: cutover-ci, user: $1}
current-context: cutover-ci
EOF
}
for who in admin controller-manager scheduler kubelet kube-proxy argo-rollouts; do kubeconfig "$who"; done
export KUBECONFIG="$CLUSTER_STATE/admin.kubeconfig"
kubectl() { "$bin/kubectl" "$@"; }

stage "etcd"
start etcd "$bin/etcd" --name cutover --data-dir "$CLUSTER_STATE/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster cutover=http://127.0.0.1:2380 --unsafe-no-fsync
wait_for etcd 30 etcd curl -sf http://127.0.0.1:2379/health

stage "kube-apiserver"
start kube-apiserver "$bin/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
  --bind-address=0.0.0.0 --secure-port="$API_PORT" --advertise-address="$NODE_IP" \
  --service-cluster-ip-range="$SERVICE_CIDR" --allow-privileged=true --authorization-mode=Node,RBAC \
  --kubelet-preferred-address-types=InternalIP \
  --client-ca-file="$pki/ca.crt" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key"
wait_for kube-apiserver 90 kube-apiserver kubectl get --raw /readyz

stage "kube-controller-manager and kube-scheduler"
start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig="$CLUSTER_STATE/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$CLUSTER_STATE/controller-manager.kubeconfig" --authorization-kubeconfig="$CLUSTER_STATE/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key"
start kube-scheduler "$bin/kube-scheduler" --kubeconfig="$CLUSTER_STATE/scheduler.kubeconfig" \
  --authentication-kubeconfig="$CLUSTER_STATE/scheduler.kubeconfig" --authorization-kubeconfig="$CLUSTER_STATE/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false
wait_for kube-controller-manager 60 kube-controller-manager curl -skf https://127.0.0.1:10257/healthz
wait_for kube-scheduler 60 kube-scheduler curl -skf https://127.0.0.1:10259/healthz

stage "containerd"
sysctl -qw net.ipv4.ip_forward=1
modprobe br_netfilter 2>/dev/null || true
sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || echo "   (no br_netfilter: pod-to-Service traffic on the bridge may not be proxied)"
# Pod to pod through a Service crosses the host's FORWARD chain (br_netfilter), whose policy dockerd
# sets to DROP: traffic between pods of the bridge is accepted ahead of it (down.sh removes the rule).
iptables -C FORWARD -i cutover0 -o cutover0 -m comment --comment "cutover cluster: pod to pod" -j ACCEPT 2>/dev/null \
  || iptables -I FORWARD 1 -i cutover0 -o cutover0 -m comment --comment "cutover cluster: pod to pod" -j ACCEPT
# Pods get no route out: the bridge is not masqueraded, and their resolver is their own loopback (no cluster DNS here).
cat >"$CLUSTER_STATE/cni/10-cutover.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "cutover", "plugins": [
  {"type": "bridge", "bridge": "cutover0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$CLUSTER_STATE/cni-ipam", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}
]}
EOF
echo "nameserver 127.0.0.1" >"$CLUSTER_STATE/resolv.conf"
cat >"$CLUSTER_STATE/containerd.toml" <<EOF
version = 2
root = "$CLUSTER_STATE/containerd"
state = "$CLUSTER_RUN/containerd"
[grpc]
  address = "$sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "cutover.invalid/pause:1"
  # The kubelet asks for oom_score_adj -998 on sandboxes; lowering it needs CAP_SYS_RESOURCE,
  # which this machine's root does not have (runc: "failed to update /proc/self/oom_score_adj").
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CLUSTER_STATE/cni"
EOF
start containerd containerd --config "$CLUSTER_STATE/containerd.toml"
wait_for containerd 30 containerd ctr --address "$sock" version

stage "images into containerd (pause, Argo CD, services)"
pause_dir="$(mktemp -d)"
cp "$bin/pause" "$here/pause/Dockerfile" "$pause_dir/"
# (the legacy builder's deprecation notice is shown only if the build fails)
out="$(docker build -q -t cutover.invalid/pause:1 "$pause_dir" 2>&1)" || { echo "$out"; exit 1; }
rm -rf "$pause_dir"
# Argo CD's two images, around the binary build.sh made (skipped when they exist, made from this
# build and Dockerfile: their label says which).
if [ -x "$bin/argocd" ]; then
  argocd_version="$(cat "$bin/argocd-version")"
  argocd_build="$(basename "$bin")-$(sha256sum "$here/argocd/Dockerfile" | cut -c1-12)"
  for target in argocd redis; do
    tag="cutover/argocd:$argocd_version"
    [ "$target" = argocd ] || tag="cutover/argocd-$target:$argocd_version"
    [ "$(docker image inspect -f '{{index .Config.Labels "io.cutover.build"}}' "$tag" 2>/dev/null)" = "$argocd_build" ] && continue
    argocd_dir="$(mktemp -d)"
    cp -r "$bin/argocd" "$bin/argocd-scripts" "$here/argocd/Dockerfile" "$argocd_dir/"
    out="$(docker build -q --target "$target" --label "io.cutover.build=$argocd_build" -t "$tag" "$argocd_dir" 2>&1)" || { rm -rf "$argocd_dir"; echo "$out"; exit 1; }
    rm -rf "$argocd_dir"
    echo "   built $tag"
  done
fi
images=(cutover.invalid/pause:1 $(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^(cutover/|argoproj/rollouts-demo:)' || true))
echo "   ${#images[@]} images"
docker save "${images[@]}" | ctr --address "$sock" -n k8s.io images import - >/dev/null

stage "kubelet"
cat >"$CLUSTER_STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
containerRuntimeEndpoint: "unix://$sock"
failSwapOn: false
readOnlyPort: 0
clusterDomain: cluster.local
resolvConf: "$CLUSTER_STATE/resolv.conf"
# The machine's disk is shared with everything else: evict only when it is really full.
evictionHard: {memory.available: "200Mi", nodefs.available: "2%", imagefs.available: "2%", nodefs.inodesFree: "2%"}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
serializeImagePulls: false
EOF
start kubelet "$bin/kubelet" --config="$CLUSTER_STATE/kubelet.yaml" --kubeconfig="$CLUSTER_STATE/kubelet.kubeconfig" \
  --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --root-dir="$CLUSTER_STATE/kubelet" --cert-dir="$pki/kubelet-serving"
wait_for "node $NODE_NAME" 120 kubelet kubectl wait node "$NODE_NAME" --for=condition=Ready --timeout=1s

stage "kube-proxy (iptables)"
cat >"$CLUSTER_STATE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: "$CLUSTER_STATE/kube-proxy.kubeconfig"}
clusterCIDR: "$POD_CIDR"
hostnameOverride: "$NODE_NAME"
# Leave the kernel's connection-tracking table as it is.
conntrack: {maxPerCore: 0}
# Endpoint changes (a blue-green switch, an abort) reach the rules at once rather than up to 1 s later.
iptables: {minSyncPeriod: 0s}
metricsBindAddress: "127.0.0.1:10249"
healthzBindAddress: "127.0.0.1:10256"
EOF
start kube-proxy "$bin/kube-proxy" --config="$CLUSTER_STATE/kube-proxy.yaml"
wait_for kube-proxy 60 kube-proxy curl -sf http://127.0.0.1:10256/healthz

stage "Argo Rollouts (CRDs and controller)"
kubectl apply --server-side -f "$bin/argo-rollouts-crds/" >/dev/null
kubectl wait --for=condition=Established crd --all --timeout=60s >/dev/null
start argo-rollouts "$bin/rollouts-controller" --kubeconfig="$CLUSTER_STATE/argo-rollouts.kubeconfig" \
  --healthzPort 18080 --metricsport 18090 --leader-elect=false
wait_for argo-rollouts 60 argo-rollouts curl -sf http://127.0.0.1:18080/healthz

stage "storage class fast-ssd"
# The class the Helm chart's values name (k8s/helm/): local volumes on this
# node, bound when a pod is scheduled; nothing provisions them dynamically.
kubectl apply --server-side -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast-ssd}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
EOF
done_stage
echo "cluster ready: KUBECONFIG=$KUBECONFIG ($(kubectl version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1))"
