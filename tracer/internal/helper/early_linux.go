package helper

import (
	"sync/atomic"
	"syscall"
)

// Early is an exec helper started before it is needed (Prespawn): its process, the write end of
// its FilterFD pipe and the read end of its ErrFD pipe. The helper waits for its Message.
type Early struct {
	Pid          int
	Filter, Errs int
}

// early holds what Prespawn started until the tracer takes it.
var early struct {
	exec   atomic.Pointer[Early]
	ticker atomic.Int64
}

// Prespawn starts an exec helper and, with ticker, a ticker, so that their start-up (a second
// Go runtime each) overlaps this process's own. The sctrace command calls it from an init
// function when its command line will launch a workload; tracer.Launch takes them (TakeExec,
// TakeTicker), or kills them when it cannot use them. A helper nobody takes exits when this
// process does: its FilterFD pipe reaches EOF with no message, and it has the parent-death
// signal (it is started from the main thread, which lives as long as the process).
//
// Prespawn must run before anything else starts a process or changes the working directory,
// the descriptors 0 to 2 or the signal mask; failures are silent, since Launch then starts the
// helpers itself.
func Prespawn(ticker bool) {
	if e, ok := spawnExec(); ok {
		early.exec.Store(e)
	}
	if ticker {
		if pid, err := syscall.ForkExec("/proc/self/exe", []string{"sctrace-ticker"}, &syscall.ProcAttr{
			Env: []string{Env + "=ticker"},
			Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setsid: true},
		}); err == nil {
			early.ticker.Store(int64(pid))
		}
	}
}

// spawnExec starts an exec helper that shares this process's descriptors 0 to 2.
func spawnExec() (*Early, bool) {
	var fp, ep [2]int
	if err := syscall.Pipe2(fp[:], syscall.O_CLOEXEC); err != nil {
		return nil, false
	}
	if err := syscall.Pipe2(ep[:], syscall.O_CLOEXEC); err != nil {
		syscall.Close(fp[0])
		syscall.Close(fp[1])
		return nil, false
	}
	pid, err := syscall.ForkExec("/proc/self/exe", []string{"sctrace-helper"}, &syscall.ProcAttr{
		Env:   []string{Env + "=exec"},
		Files: []uintptr{0, 1, 2, uintptr(fp[0]), uintptr(ep[1])},
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	syscall.Close(fp[0])
	syscall.Close(ep[1])
	if err != nil {
		syscall.Close(fp[1])
		syscall.Close(ep[0])
		return nil, false
	}
	return &Early{Pid: pid, Filter: fp[1], Errs: ep[0]}, true
}

// TakeExec returns the exec helper Prespawn started, once.
func TakeExec() (*Early, bool) {
	e := early.exec.Swap(nil)
	return e, e != nil
}

// TakeTicker returns the ticker Prespawn started, once.
func TakeTicker() (int, bool) {
	pid := int(early.ticker.Swap(0))
	return pid, pid != 0
}
