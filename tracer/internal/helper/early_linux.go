package helper

import (
	"sync/atomic"
	"syscall"
)

// early holds what Prespawn started until the tracer takes it.
var early struct {
	exec   atomic.Pointer[EarlyFork]
	ticker atomic.Int64
}

// Prespawn forks the early child that becomes the workload (fork_unsafe_linux.go) and, with
// ticker, starts a ticker, so that neither costs the command's start-up later. The sctrace
// command calls it from an init function when its command line will launch a workload;
// tracer.Launch takes them (TakeExec, TakeTicker), or kills them when it cannot use them. A
// child nobody takes exits when this process does: its go-ahead pipe reaches EOF, and it has
// the parent-death signal of the main thread, which lives as long as the process (the ticker
// too).
//
// Prespawn must run before anything else starts a process or changes the working directory,
// the descriptors 0 to 2 or the signal mask; failures are silent, since Launch then starts the
// exec helper itself.
func Prespawn(ticker bool) {
	// The ticker first, so that it holds no copy of the early child's pipes.
	if ticker {
		if pid, ok := prespawnTicker(); ok {
			early.ticker.Store(int64(pid))
		} else if pid, err := syscall.ForkExec("/proc/self/exe", []string{"sct-ticker"}, &syscall.ProcAttr{
			Env: []string{Env + "=ticker"},
			Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
		}); err == nil {
			early.ticker.Store(int64(pid))
		}
	}
	forkStamp = stamp()
	if e, ok := prespawnFork(); ok {
		early.exec.Store(e)
	}
}

// TakeExec returns the early child Prespawn forked, once.
func TakeExec() (*EarlyFork, bool) {
	e := early.exec.Swap(nil)
	return e, e != nil
}

// TakeTicker returns the ticker Prespawn started, once.
func TakeTicker() (int, bool) {
	pid := int(early.ticker.Swap(0))
	return pid, pid != 0
}

// EarlyPid returns the pid of the early child Prespawn forked and nothing has taken yet, or 0.
func EarlyPid() int {
	if e := early.exec.Load(); e != nil {
		return e.Pid
	}
	return 0
}

// TickerPid returns the pid of the ticker Prespawn started and nothing has taken yet, or 0.
func TickerPid() int { return int(early.ticker.Load()) }
