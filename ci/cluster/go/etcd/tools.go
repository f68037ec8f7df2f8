//go:build tools

// The command ci/cluster/build.sh builds; listed here so that go mod tidy keeps what it needs.
package tools

import _ "go.etcd.io/etcd/server/v3"
