//go:build linux && (mips || mipsle || mips64 || mips64le)

package helper

// prespawnFork is not implemented on MIPS, whose struct sigaction starts with the flags: the
// tracer starts the exec helper there.
func prespawnFork() (*EarlyFork, bool) { return nil, false }

// ForkNow is not implemented on MIPS either: the tracer starts the exec helper.
func ForkNow(m *Message) (*EarlyFork, bool) { return nil, false }

// prespawnTicker is not implemented on MIPS either: Prespawn re-executes the ticker.
func prespawnTicker() (int, bool) { return 0, false }
