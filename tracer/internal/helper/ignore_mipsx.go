//go:build linux && (mips || mipsle || mips64 || mips64le)

package helper

import "syscall"

// ignore is not implemented on MIPS, whose struct sigaction starts with the flags: the ticker
// keeps the Go runtime's handlers there (it still has a session of its own).
func ignore(sig syscall.Signal) {}
