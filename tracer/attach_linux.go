package tracer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sctrace/sctrace/tracer/internal/tasks"
)

// attachOptions: no EXITKILL (a process sctrace merely watches must outlive it), TRACESYSGOOD to
// tell syscall-stops from SIGTRAP.
const attachOptions = unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_TRACEFORK |
	unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACECLONE

// ErrInterrupted is returned by Attach when a signal came before any thread was attached.
var ErrInterrupted = errors.New("interrupted before anything was attached")

// maxAttachPasses bounds the passes over /proc/PID/task: a process that creates threads faster
// than they can be seized is still attached, since threads created by a seized thread are
// attached by the kernel (PTRACE_O_TRACECLONE).
const maxAttachPasses = 100

// Attach traces a running process, every thread of it and every process it creates from now on,
// with pure ptrace (PTRACE_SYSCALL: two stops per call, since no filter can be installed in a
// process that is already running). It returns after SIGINT, SIGTERM, SIGHUP or SIGQUIT to this process
// (it then detaches and the process runs on: Report.Running) or when the process and its new
// children are gone (Report.Status is then the process's own). Options.Filter, FollowOnly, Deny
// and ForwardSignals do not apply. onAttached, if set, is called once every thread is seized.
//
// pid must be a process (thread group) id: the caller resolves a thread id first (ProcessOf).
func Attach(pid int, opt Options, onAttached func()) (Report, error) {
	if pid <= 0 {
		return Report{}, fmt.Errorf("bad pid %d", pid)
	}
	if pid == os.Getpid() {
		return Report{}, errors.New("attach: cannot trace itself")
	}
	if tgid, _, ok := procStatus(pid); !ok {
		return Report{}, fmt.Errorf("attach to %d: no such process", pid)
	} else if tgid != pid {
		return Report{}, fmt.Errorf("attach to %d: it is a thread of process %d", pid, tgid)
	}
	// Signals first: a Ctrl-C from now on detaches, it never kills this process mid-attach.
	ch := make(chan os.Signal, 4)
	done := make(chan struct{})
	if _, held := hubOwn(ch); held != 0 {
		ch <- held
	}
	defer func() {
		hubHold() // from now on held, while the caller writes what was recorded
		close(done)
	}()

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	DiscardEarly()
	quietStops()
	t := newTracer(opt)
	t.syscallMode, t.root = true, pid
	go func() {
		select {
		case <-ch:
			t.detachReq.Store(true) // the ticker wakes the loop within helper.TickInterval µs (50 ms)
		case <-done:
		}
	}()
	if err := t.startTicker(); err != nil {
		return Report{}, err
	}
	if err := t.seizeAll(pid); err != nil {
		// Undo everything: every seized thread (and every thread the kernel attached through
		// them) is detached by the loop, which ends when only the ticker is left.
		t.startDetach()
		t.loop()
		return Report{}, err
	}
	if t.tab.Len() == 0 {
		t.stopTicker()
		t.drain()
		if t.detachReq.Load() {
			return Report{}, ErrInterrupted
		}
		return Report{}, fmt.Errorf("attach to %d: it has no threads left", pid)
	}
	if onAttached != nil {
		onAttached()
	}
	path, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	t.emit(&Event{Kind: EventSpawn, Pid: pid})
	t.emit(&Event{Kind: EventExec, Pid: pid, Path: path, Argv: cmdline(pid)})
	t.loop()
	// Running only if the loop ended by detaching: a process whose main thread had exited
	// before the attach (a zombie leader cannot be seized) ends without its exit being seen.
	t.rep.Running = !t.rootDone && t.detaching
	t.rep.StatusUnknown = !t.rootDone && !t.detaching
	return t.rep, nil
}

// seizeAll seizes every thread of pid. Threads created meanwhile show up on the next pass; a
// thread created by one already seized is attached by the kernel, and seizing it again fails
// with EPERM (DESIGN trap 20): it is ours, not an error.
func (t *tracer) seizeAll(pid int) error {
	self := unix.Gettid() // TracerPid names the tracing thread, and this one is locked
	for pass := 0; pass < maxAttachPasses; pass++ {
		if t.detachReq.Load() {
			return nil // interrupted: the loop detaches what is attached and the caller ends
		}
		dirs, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*")
		added := 0
		for _, dir := range dirs {
			tid, err := strconv.Atoi(filepath.Base(dir))
			if err != nil || t.tab.Get(tid) != nil {
				continue
			}
			errno := ptrace(unix.PTRACE_SEIZE, tid, 0, attachOptions)
			switch {
			case errno == syscall.ESRCH:
				continue // the thread just ended
			case errno == syscall.EPERM && raced(tid, self):
				// Auto-attached through its creator (its first stop adopts it), or exiting.
				continue
			case errno != 0:
				return seizeError(errno, tid)
			}
			t.tab.AddRoot(tid, pid)
			// A seized task runs on; interrupt it so that it can be resumed with PTRACE_SYSCALL.
			if errno := ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0); errno != 0 && errno != syscall.ESRCH {
				t.fail("PTRACE_INTERRUPT", tid, errno)
			}
			added++
		}
		if added == 0 {
			return nil
		}
	}
	return nil
}

// raced reports whether a PTRACE_SEIZE of tid that failed with EPERM lost a harmless race: the
// thread is already traced by this thread (the kernel attached it through its creator), or it is
// exiting (ptrace refuses a task whose exit has begun; ptrace(2), kernel/ptrace.c).
func raced(tid, self int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return true // gone
	}
	s := string(b)
	if strings.Contains(s, "\nState:\tZ") || strings.Contains(s, "\nState:\tX") {
		return true
	}
	return strings.Contains(s, "\nTracerPid:\t"+strconv.Itoa(self)+"\n")
}

// startDetach interrupts every task; each is detached at its next stop (see stopped), and so is
// any task that reports a stop from now on (one auto-attached but not yet seen).
func (t *tracer) startDetach() {
	t.detaching = true
	t.tab.Each(func(tk *tasks.Task) {
		if errno := ptrace(unix.PTRACE_INTERRUPT, tk.Tid, 0, 0); errno != 0 && errno != syscall.ESRCH {
			t.fail("PTRACE_INTERRUPT", tk.Tid, errno)
		}
	})
	if t.tab.Len() == 0 {
		t.stopTicker()
	}
}

// ProcessOf returns the process (thread group) a task id belongs to.
func ProcessOf(tid int) (int, error) {
	tgid, _, ok := procStatus(tid)
	if !ok {
		return 0, fmt.Errorf("no such process: %d", tid)
	}
	return tgid, nil
}
