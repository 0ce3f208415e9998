package tracer

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// attachOptions: no EXITKILL (a process sctrace merely watches must outlive it), TRACESYSGOOD to
// tell syscall-stops from SIGTRAP.
const attachOptions = unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_TRACEFORK |
	unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACECLONE

// Attach traces a running process, every thread of it and every process it creates from now on,
// with pure ptrace (PTRACE_SYSCALL: two stops per call, since no filter can be installed in a
// process that is already running). It returns after SIGINT, SIGTERM or SIGHUP to this process
// (it then detaches and the process runs on) or when the process and its new children are gone.
// Options.Filter, DetachAfterExec, Deny and ForwardSignals do not apply.
func Attach(pid int, opt Options) error {
	if pid <= 0 {
		return fmt.Errorf("bad pid %d", pid)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("attach to %d: no such process", pid)
	}
	if pid == os.Getpid() {
		return errors.New("attach: cannot trace itself")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	t := &tracer{tasks: map[int]*task{}, onEvent: opt.OnEvent, peek: opt.Peek, syscallMode: true, root: pid}
	if err := t.startTicker(); err != nil {
		return err
	}
	ch := make(chan os.Signal, 4)
	done := make(chan struct{})
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer func() {
		signal.Stop(ch)
		close(done)
	}()
	go func() {
		select {
		case <-ch:
			t.detachReq.Store(true) // the ticker wakes the loop within tickInterval
		case <-done:
		}
	}()

	// Seize every thread; threads created meanwhile show up on the next pass.
	for {
		tids, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*")
		added := 0
		for _, dir := range tids {
			tid, err := strconv.Atoi(filepath.Base(dir))
			if err != nil || t.tasks[tid] != nil {
				continue
			}
			if errno := ptrace(unix.PTRACE_SEIZE, tid, 0, attachOptions); errno != 0 {
				if errno == syscall.ESRCH {
					continue // the thread just ended
				}
				t.detachAll()
				t.stopTicker()
				t.drain()
				return seizeError(errno)
			}
			t.tasks[tid] = &task{pid: pid}
			// A seized task runs on; interrupt it so that it can be resumed with PTRACE_SYSCALL.
			ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0)
			added++
		}
		if added == 0 {
			break
		}
	}
	if len(t.tasks) == 0 {
		t.stopTicker()
		t.drain()
		return fmt.Errorf("attach to %d: it has no threads left", pid)
	}
	path, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	t.emit(&Event{Kind: EventSpawn, Pid: pid})
	t.emit(&Event{Kind: EventExec, Pid: pid, Path: path, Argv: cmdline(pid)})
	t.loop()
	return nil
}

// startDetach interrupts every task; each is detached at its next stop (see stopped).
func (t *tracer) startDetach() {
	t.detaching = true
	for tid := range t.tasks {
		ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0)
	}
	if len(t.tasks) == 0 {
		t.stopTicker()
	}
}

// detachAll detaches from tasks seized during a failed attach (they were interrupted or are
// about to stop; waiting for each stop first makes the detach take).
func (t *tracer) detachAll() {
	var ws unix.WaitStatus
	for tid := range t.tasks {
		wait4(tid, &ws, unix.WALL)
		ptrace(unix.PTRACE_DETACH, tid, 0, 0)
	}
	t.tasks = map[int]*task{}
}
