//go:build tools

// The command ci/cluster/build.sh builds (one binary, which is every Argo CD component by the name it
// is started under); listed here so that go mod tidy keeps what it needs.
package tools

import _ "github.com/argoproj/argo-cd/v3/cmd"
