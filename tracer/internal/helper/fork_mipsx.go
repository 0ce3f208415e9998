//go:build linux && (mips || mipsle || mips64 || mips64le)

package helper

import "syscall"

// ForkNow is not implemented on MIPS, whose struct sigaction starts with the flags: the tracer
// starts the exec helper there.
func ForkNow(m *Message, stdio [3]int) (*Forked, bool) { return nil, false }

// prespawnTicker is not implemented on MIPS either: Prespawn re-executes the ticker.
func prespawnTicker() (int, bool) { return 0, false }

// Witness is not implemented on MIPS: signals for sctrace's process group are then forwarded as
// if sent to sctrace alone, when the workload shows no delivery of its own.
type Witness struct{ Pid int }

// StartWitness is not implemented on MIPS.
func StartWitness() (*Witness, error) { return nil, syscall.ENOSYS }

// Saw reports nothing on MIPS.
func (w *Witness) Saw(sig syscall.Signal, since int64) bool { return false }

// Count returns 0 on MIPS.
func (w *Witness) Count(sig syscall.Signal) int64 { return 0 }

// Close does nothing on MIPS.
func (w *Witness) Close() {}

// Monotonic returns 0 on MIPS.
func Monotonic() int64 { return 0 }
