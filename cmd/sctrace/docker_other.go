//go:build !linux

package main

import "github.com/sctrace/sctrace/emit/audit"

// dockerDefault is not available here: github.com/moby/profiles/seccomp builds on Linux only.
func dockerDefault() audit.DockerVerdict { return nil }
