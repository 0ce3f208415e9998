package helper

import (
	"sync/atomic"
	"syscall"
)

// early holds the ticker Prespawn started until the tracer takes it.
var early struct {
	ticker atomic.Int64
}

// Prespawn starts the ticker that recording needs, so that it does not cost the command's
// start-up later: the sctrace command calls it from an init function when its command line will
// record a workload, and tracer.Launch takes it (TakeTicker), or kills it when it cannot use it.
// A ticker nobody takes exits when this process does: it has the parent-death signal of the
// main thread, which lives as long as the process.
//
// (The workload's first process is not started early: a child forked at start-up shares every
// page of the command copy-on-write until its execve, and the faults that cost the command as it
// initialized outweighed the fork saved; `run -- /bin/true` took 0.5 ms longer with it. Launch
// forks it when it needs it, ForkNow.)
//
// Prespawn must run before anything else starts a process or changes the signal mask; failures
// are silent, since Launch then starts the ticker itself.
func Prespawn() {
	if pid, ok := prespawnTicker(); ok {
		early.ticker.Store(int64(pid))
	} else if pid, err := syscall.ForkExec("/proc/self/exe", []string{"sct-ticker"}, &syscall.ProcAttr{
		Env: []string{Env + "=ticker"},
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	}); err == nil {
		early.ticker.Store(int64(pid))
	}
}

// TakeTicker returns the ticker Prespawn started, once.
func TakeTicker() (int, bool) {
	pid := int(early.ticker.Swap(0))
	return pid, pid != 0
}

// TickerPid returns the pid of the ticker Prespawn started and nothing has taken yet, or 0.
func TickerPid() int { return int(early.ticker.Load()) }
