package tracer

import (
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The ticker is a tiny traced process that stops every tickInterval (a SIGALRM signal-delivery
// stop, which the tracer swallows). The tracer blocks in a raw wait4 that the Go runtime cannot
// interrupt; while it blocks, a stop-the-world (a GC, say) waits for it, and with it every other
// goroutine — the one forwarding Ctrl-C to a workload that sleeps for minutes included. The ticker
// guarantees that wait4 returns at least every tickInterval, so nothing waits longer than that.
const tickInterval = 50 * time.Millisecond

func tickerHelper() {
	// Before the tracer attaches, an ignored SIGALRM is discarded; once traced, ignored signals
	// are still reported to the tracer (kernel/signal.c, sig_ignored).
	signal.Ignore(syscall.SIGALRM)
	tv := unix.NsecToTimeval(tickInterval.Nanoseconds())
	if _, err := unix.Setitimer(unix.ItimerReal, unix.Itimerval{Interval: tv, Value: tv}); err != nil {
		os.Exit(126)
	}
	for {
		// The timer's signal goes to the main thread when it is idle in a system call, as here.
		syscall.Syscall6(unix.SYS_PPOLL, 0, 0, 0, 0, 0, 0)
	}
}
