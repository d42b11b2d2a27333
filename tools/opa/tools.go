//go:build tools

// Package tools pins the OPA version that `make setup` builds.
package tools

import _ "github.com/open-policy-agent/opa"
