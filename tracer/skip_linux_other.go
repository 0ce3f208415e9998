//go:build linux && !amd64

package tracer

const canSkipSyscalls = false

func skipSyscall(tid int, errno int) {}
