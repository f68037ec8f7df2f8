//go:build tools

// The command .ci/run builds; listed here so that go mod tidy keeps what it needs.
package tools

import _ "github.com/distribution/distribution/v3/cmd/registry"
