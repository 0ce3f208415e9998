//go:build !linux

package tracer

import (
	"errors"
	"syscall"
)

// Launch is not supported on this system.
func Launch(argv []string, opt Options) (Report, error) {
	return Report{}, ErrNotSupported
}

// ThisHost returns an empty Host on this system.
func ThisHost() Host { return Host{} }

// Attach is not supported on this system.
func Attach(pid int, opt Options, onAttached func()) (Report, error) {
	return Report{}, ErrNotSupported
}

// ProcessOf is not supported on this system.
func ProcessOf(tid int) (int, error) { return 0, ErrNotSupported }

// ErrInterrupted is returned by Attach when a signal came before any thread was attached.
var ErrInterrupted = errors.New("interrupted before anything was attached")

// IsTerminal reports false on this system.
func IsTerminal(w any) bool { return false }

// NotifySupported reports whether the kernel can hand a filter's calls to a supervisor: never
// where sctrace cannot trace.
func NotifySupported() bool { return false }

// PrepareSignals does nothing where sctrace cannot trace.
func PrepareSignals() {}

// DiscardEarly does nothing where sctrace cannot trace.
func DiscardEarly() {}

// TerminalWidth returns 0 where sctrace cannot trace.
func TerminalWidth(w any) int { return 0 }

// ReadString reads nothing where sctrace cannot trace.
func ReadString(tid int, addr uint64, max int) []byte { return nil }

// OnHeldSignal does nothing where sctrace cannot trace.
func OnHeldSignal(func(syscall.Signal)) {}
