//go:build linux && (mips || mipsle || mips64 || mips64le)

package helper

import "syscall"

// ignore is not implemented on MIPS, whose struct sigaction starts with the flags: the ticker
// keeps the Go runtime's handlers there: once traced, the tracer swallows the signals a terminal
// sends; before, one ends it, and the tracer starts another.
func ignore(sig syscall.Signal) {}
