package tracer

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sctrace/sctrace/tracer/internal/helper"
)

// The ticker is a tiny traced process that stops every helper.TickInterval µs (50 ms) (a SIGALRM signal-delivery
// stop, which the tracer swallows). The tracer blocks in a raw wait4 that the Go runtime cannot
// interrupt; while it blocks, a stop-the-world (a GC, say) waits for it, and with it every other
// goroutine — the one forwarding Ctrl-C to a workload that sleeps for minutes included. The ticker
// guarantees that wait4 returns at least every 50 ms, so nothing waits longer than that.
//
// Nothing from the terminal may kill it (DESIGN trap 25): it runs in a session of its own (no
// controlling terminal, not in the foreground process group that Ctrl-C, SIGQUIT and a hang-up
// reach) and ignores every catchable signal. If it dies all the same, the tracer starts another.

// ErrNoSyscallInfo is returned when the kernel lacks PTRACE_GET_SYSCALL_INFO (Linux 5.3).
var ErrNoSyscallInfo = errors.New("this kernel lacks PTRACE_GET_SYSCALL_INFO (Linux 5.3 or newer is needed)")

// startTicker starts and seizes the ticker, and probes on it, once, the ptrace features the
// loop needs: a kernel without them is an error before the workload starts, never a recording
// that silently lacks every call.
func (t *tracer) startTicker() error {
	pid, early := helper.TakeTicker()
	for {
		if !early {
			var err error
			pid, err = syscall.ForkExec("/proc/self/exe", []string{"sctrace-ticker"}, &syscall.ProcAttr{
				Env: []string{helper.Env + "=ticker"},
				Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setsid: true},
			})
			if err != nil {
				return fmt.Errorf("start ticker: %w", err)
			}
		}
		errno := ptrace(unix.PTRACE_SEIZE, pid, 0, unix.PTRACE_O_EXITKILL)
		if errno == 0 {
			break
		}
		err := seizeError(errno, pid) // before the kill: it names another tracer
		unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		wait4(pid, &ws, unix.WALL)
		if !early {
			return err
		}
		early = false // the early ticker died before the launch (killed): start another
	}
	kill := func() {
		unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		wait4(pid, &ws, unix.WALL)
	}
	if errno := t.probe(pid); errno != 0 {
		kill()
		if errno == syscall.EIO || errno == syscall.EINVAL {
			return ErrNoSyscallInfo
		}
		return os.NewSyscallError("probe ptrace features", errno)
	}
	t.ticker, t.tickerDone, t.tickerKilled = pid, false, false
	return nil
}

// probe stops the freshly seized ticker and asks PTRACE_GET_SYSCALL_INFO about it.
func (t *tracer) probe(pid int) syscall.Errno {
	if errno := ptrace(unix.PTRACE_INTERRUPT, pid, 0, 0); errno != 0 {
		return errno
	}
	var ws unix.WaitStatus
	for {
		got, errno := wait4(pid, &ws, unix.WALL)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		if got == pid && ws.Stopped() {
			break
		}
		if ws.Exited() || ws.Signaled() {
			return syscall.ESRCH
		}
	}
	var info syscallInfo
	errno := getSyscallInfo(pid, &info)
	sig := 0
	if uint32(ws)>>16 == 0 && ws.StopSignal() != syscall.SIGALRM {
		sig = int(ws.StopSignal())
	}
	ptrace(unix.PTRACE_CONT, pid, 0, uintptr(sig))
	return errno
}

// stopTicker kills the ticker once no task is left; wait4 reports its end, then ECHILD.
func (t *tracer) stopTicker() {
	if t.ticker != 0 && !t.tickerDone && !t.tickerKilled {
		unix.Kill(t.ticker, unix.SIGKILL)
		t.tickerKilled = true
	}
}
