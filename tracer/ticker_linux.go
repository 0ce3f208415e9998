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
// Nothing from the terminal may kill it (DESIGN trap 25): it ignores every catchable signal, and
// once traced, the tracer swallows the ones sent to it (tickerSignal). It stays in sctrace's
// process group, the terminal's foreground one, on purpose: a signal it gets was sent to the
// whole group, which tells the forwarder that the workload got it too. If it dies all the same,
// the tracer starts another.

// ErrNoSyscallInfo is returned when the kernel lacks PTRACE_GET_SYSCALL_INFO (Linux 5.3).
var ErrNoSyscallInfo = errors.New("this kernel lacks PTRACE_GET_SYSCALL_INFO (Linux 5.3 or newer is needed)")

// forkTicker starts a ticker (a variable for tests).
var forkTicker = func() (int, error) {
	return syscall.ForkExec("/proc/self/exe", []string{"sct-ticker"}, &syscall.ProcAttr{
		Env: []string{helper.Env + "=ticker"},
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
}

// startTicker starts and seizes the ticker, and probes on it, once, the ptrace features the
// loop needs: a kernel without them is an error before the workload starts, never a recording
// that silently lacks every call.
func (t *tracer) startTicker() error {
	pid, early := helper.TakeTicker()
	for tries := 0; ; tries++ {
		if !early {
			var err error
			if pid, err = forkTicker(); err != nil {
				return fmt.Errorf("start ticker: %w", err)
			}
		}
		var err error
		var ws unix.WaitStatus
		if errno := ptrace(unix.PTRACE_SEIZE, pid, 0, unix.PTRACE_O_EXITKILL); errno != 0 {
			err = seizeError(errno, pid) // before the kill: it names another tracer
			unix.Kill(pid, unix.SIGKILL)
			wait4(pid, &ws, unix.WALL)
		} else if errno, reaped := t.probe(pid, &ws); errno != 0 {
			if !reaped {
				unix.Kill(pid, unix.SIGKILL)
				wait4(pid, &ws, unix.WALL)
			}
			err = os.NewSyscallError("probe ptrace features", errno)
			if errno == syscall.EIO || errno == syscall.EINVAL {
				err = ErrNoSyscallInfo
			}
		} else {
			break
		}
		// A ticker that died before it was ours was killed: the early one by anything since
		// start-up, a fresh one by a signal for sctrace's process group (Ctrl-C) before it
		// ignored it. Start another: the signal is sctrace's too, and the launch acts on it.
		if early || (ws.Signaled() && ws.Signal() != syscall.SIGKILL && tries < 3) {
			early = false
			continue
		}
		return err
	}
	t.ticker, t.tickerDone, t.tickerKilled = pid, false, false
	return nil
}

// probe stops the freshly seized ticker and asks PTRACE_GET_SYSCALL_INFO about it. If the
// ticker ended meanwhile, it returns ESRCH and reaped, with how it ended in ws.
func (t *tracer) probe(pid int, ws *unix.WaitStatus) (errno syscall.Errno, reaped bool) {
	if errno := ptrace(unix.PTRACE_INTERRUPT, pid, 0, 0); errno != 0 {
		return errno, false
	}
	for {
		got, errno := wait4(pid, ws, unix.WALL)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return errno, false
		}
		if got == pid && ws.Stopped() {
			break
		}
		if ws.Exited() || ws.Signaled() {
			return syscall.ESRCH, true
		}
	}
	var info syscallInfo
	errno = getSyscallInfo(pid, &info)
	ptrace(unix.PTRACE_CONT, pid, 0, uintptr(t.tickerSignal(*ws)))
	return errno, false
}

// stopTicker kills the ticker once no task is left; wait4 reports its end, then ECHILD.
func (t *tracer) stopTicker() {
	if t.ticker != 0 && !t.tickerDone && !t.tickerKilled {
		unix.Kill(t.ticker, unix.SIGKILL)
		t.tickerKilled = true
	}
}
