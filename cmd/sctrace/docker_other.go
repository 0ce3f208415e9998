//go:build !linux

package main

import (
	"github.com/sctrace/sctrace/emit/audit"
	"github.com/sctrace/sctrace/learn"
)

// dockerDefault is not available here: github.com/moby/profiles/seccomp builds on Linux only.
func dockerDefault() audit.DockerVerdict { return nil }

// dockerArgs is not available here either.
func dockerArgs() func(archName, name string, a *learn.Args) string { return nil }
