package tracer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/tracer/internal/helper"
)

// traceAll is the recording filter: every call stops in the tracer.
var traceAll = []bpf.RawInstruction{{Op: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_TRACE | OwnTraceData}}

// TRACESYSGOOD marks the syscall stops of a task made fully traced (inject_linux.go), the only
// ones Launch asks for.
const seizeOptions = unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_EXITKILL | unix.PTRACE_O_TRACEEXEC |
	unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACESYSGOOD

// Launch runs argv (argv[0] looked up on PATH like a shell does) under the filter and traces it,
// and every process and thread it creates, until the last of them is gone. It returns the status
// of the workload's first process.
//
// The calling goroutine is locked to its OS thread for the duration: every ptrace request must come
// from the thread that attached (ptrace(2)). Launch reaps every child of this process with
// wait4(-1, __WALL): the caller must not run other child processes while it runs.
//
// If this process dies, the kernel kills the workload (PTRACE_O_EXITKILL). With
// Options.ForwardSignals, SIGTERM sent to this process is passed on to the workload, and SIGINT and
// SIGHUP are too unless this process is in its terminal's foreground process group — then the
// terminal has already sent them to the workload, which shares that group.
func Launch(argv []string, opt Options) (Report, error) {
	if len(argv) == 0 {
		return Report{}, errors.New("no command")
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return Report{}, fmt.Errorf("%s: %w", argv[0], ErrNotFound)
		}
		return Report{}, err
	}
	filter := opt.Filter
	if filter == nil {
		filter = traceAll
		opt.TraceData = OwnTraceData
	}
	if len(filter) == 0 || len(filter) > 4096 {
		return Report{}, fmt.Errorf("filter has %d instructions, want 1 to 4096", len(filter))
	}
	if opt.Deny != nil && !canSkipSyscalls {
		return Report{}, fmt.Errorf("failing traced calls: %w on %s", ErrNotSupported, runtime.GOARCH)
	}
	// The injected seccomp call of full tracing (inject_linux.go) must get through the filter
	// whatever the profile says of seccomp (under --on-deny kill it would be killed): it carries a
	// cookie that a gate in front of the filter lets through.
	var injectC injectCookie
	if opt.FullTrace != nil {
		c, err := newHandover()
		if err != nil {
			return Report{}, err
		}
		injectC = injectCookie(c.cookie)
		filter = cookieGate(arch.Native().Audit, unix.SYS_SECCOMP, 3, c.cookie, unix.SECCOMP_RET_ALLOW, filter)
	}
	var ho *handover
	if opt.Supervise != nil {
		if !NotifySupported() {
			return Report{}, errors.New("this kernel cannot hand a seccomp filter's calls to sctrace (seccomp user notification and pidfd_getfd need Linux 5.6)")
		}
		if ho, err = newHandover(); err != nil {
			return Report{}, err
		}
		filter = ho.prologue(filter)
	}
	if len(filter) > 4096 {
		return Report{}, fmt.Errorf("filter has %d instructions with sctrace's own gates (supervisor handover, full tracing), want at most 4096", len(filter))
	}
	if opt.Protect {
		if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
			return Report{}, fmt.Errorf("prctl(PR_SET_DUMPABLE): %w", err)
		}
	}
	// Signals first: nothing below may block before a Ctrl-C can be handled.
	var ignored uint64
	var fwd *forwarder
	if opt.ForwardSignals {
		var held syscall.Signal
		fwd, ignored, held = newForwarder()
		defer fwd.stop()
		if held != 0 {
			// It came after the last launch ended (record --runs): the command does not start.
			fwd.ch <- held
		}
	} else {
		ignored = hubIgnored()
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	quietStops()
	t := newTracer(opt)
	t.protect = opt.Protect
	t.handover = ho
	t.injectCookie = injectC
	// In follow-only mode nothing is read once the workload runs: the tracer waits with a
	// blocking wait the runtime knows about, and needs no ticker.
	t.blocking = opt.FollowOnly
	if !opt.FollowOnly {
		if err := t.startTicker(); err != nil {
			return Report{}, err
		}
	} else if pid, ok := helper.TakeTicker(); ok {
		unix.Kill(pid, unix.SIGKILL)
		reap(pid)
	}
	if fwd != nil {
		select {
		case s := <-fwd.ch: // a Ctrl-C while sctrace prepared: the command does not start
			t.stopTicker()
			t.drain()
			return Report{}, &InterruptedError{Signal: s.(syscall.Signal)}
		default:
		}
	}
	root, errR, err := t.startHelper(path, argv, filter, opt, ignored)
	if err != nil {
		t.stopTicker()
		t.drain()
		return Report{}, err
	}
	defer errR.Close()
	if fwd != nil {
		fwd.start(t, root)
	}

	t.loop()
	t.undumpable() // if the workload's execve failed
	if t.forked != nil {
		t.forked.Release()
	}
	if fwd != nil {
		fwd.stop() // the forwarder's goroutine is done: its count is final (stop twice is fine)
		t.rep.Interrupted = syscall.Signal(fwd.got.Load())
	}
	if t.sup != nil {
		err := t.sup.stop()
		t.rep.Supervised, t.rep.Withdrawn = t.sup.answered, t.sup.withdrawn
		if t.supLost.Load() {
			return t.rep, fmt.Errorf("the supervisor of the workload's filter failed (%v): the workload was killed, since its calls could no longer be judged", err)
		}
		if err != nil {
			t.rep.Errors = append(t.rep.Errors, "supervisor: "+err.Error())
		}
	}

	var buf [8]byte
	if n, _ := io.ReadFull(errR, buf[:]); n == 8 {
		step := int(binary.LittleEndian.Uint32(buf[:4]))
		if step >= len(helper.Steps) {
			step = 0
		}
		return t.rep, &ExecError{Step: helper.Steps[step], Path: path, Err: syscall.Errno(binary.LittleEndian.Uint32(buf[4:]))}
	}
	// A listener that could not be taken because the process was gone already (killed from
	// outside during the handover) is a start-up cut short, like the other cases below.
	if ho != nil && ho.err != nil && !(errors.Is(ho.err, syscall.ESRCH) && t.rep.Status.Signal != 0) {
		return t.rep, fmt.Errorf("%w; it was killed", ho.err)
	}
	if !t.rootDone {
		return t.rep, errors.New("lost track of the workload's first process")
	}
	if !t.rootExeced {
		if sig := t.rep.Status.Signal; sig != 0 && interrupting(syscall.Signal(sig)) {
			// A signal for the whole process group (Ctrl-C) reached it while it started.
			return t.rep, &InterruptedError{Signal: syscall.Signal(sig)}
		}
		// Killed before its execve could report anything: a filter that kills on execve.
		return t.rep, &ExecError{Step: "execve", Path: path,
			Err: fmt.Errorf("it ended (%v) before its execve completed", t.rep.Status)}
	}
	return t.rep, nil
}

// drain reaps everything left (after a failed start: only the ticker and a killed helper).
func (t *tracer) drain() {
	var ws unix.WaitStatus
	for {
		if _, errno := wait4(-1, &ws, unix.WALL); errno == syscall.ECHILD {
			return
		}
	}
}

// startHelper forks the workload's first process (or starts the exec helper), seizes it and
// hands it its Message.
func (t *tracer) startHelper(path string, argv []string, filter []bpf.RawInstruction, opt Options, ignored uint64) (int, *os.File, error) {
	env := opt.Env
	if env == nil {
		env = os.Environ()
	}
	msg := helper.Message{Filter: encodeFilter(filter), Path: path, Argv: argv, Env: env, Dir: opt.Dir, Ignore: ignored, Stdio: helper.Identity}
	if ho := t.handover; ho != nil {
		msg.Listener = [3]uint64{unix.SYS_SECCOMP, uint64(ho.cookie[0]), uint64(ho.cookie[1])}
	}
	stdio := []*os.File{opt.Stdin, opt.Stdout, opt.Stderr}
	for i, def := range []*os.File{os.Stdin, os.Stdout, os.Stderr} {
		if stdio[i] == nil {
			stdio[i] = def
		}
	}
	// A child forked now, else the exec helper (on MIPS, or if forking fails).
	if !forceExecHelper {
		// A child of a non-dumpable process (Options.Protect) is non-dumpable, and a tracer
		// without CAP_SYS_PTRACE can neither seize it nor take its listener (pidfd_getfd):
		// dumpable from the fork to the seize, or, for a child that shares this process's
		// memory and with it the dumpable flag (helper.ForkNow), to its execve. The workload
		// does not run yet, and its execve sets its own.
		if t.protect {
			unix.Prctl(unix.PR_SET_DUMPABLE, 1, 0, 0, 0)
		}
		e, ok := helper.ForkNow(&msg, [3]int{int(stdio[0].Fd()), int(stdio[1].Fd()), int(stdio[2].Fd())})
		var pid int
		var errR *os.File
		var err error
		if ok {
			pid, errR, ok, err = t.startForked(e)
		}
		if t.protect {
			if ok && err == nil && e.SharesMemory() {
				t.dumpableTillExec = true
			} else {
				unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
			}
		}
		if ok {
			return pid, errR, err
		}
	}
	pid, filterW, errR, err := spawnHelper(stdio)
	if err != nil {
		return 0, nil, err
	}
	var ready [1]byte
	if n, _ := errR.Read(ready[:]); n != 1 || ready[0] != 'R' {
		unix.Kill(pid, unix.SIGKILL)
		reap(pid)
		errR.Close()
		filterW.Close()
		return 0, nil, errors.New("start helper: it exited before it was ready")
	}
	if errno := ptrace(unix.PTRACE_SEIZE, pid, 0, t.seizeOptions()); errno != 0 {
		err := seizeError(errno, pid) // before the kill: it names another tracer
		unix.Kill(pid, unix.SIGKILL)
		reap(pid)
		errR.Close()
		filterW.Close()
		return 0, nil, err
	}
	t.root = pid
	t.tab.AddRoot(pid, pid)
	t.emit(&Event{Kind: EventSpawn, Pid: pid})
	// Written while the loop runs: a message larger than the pipe can hold waits for the
	// helper to read it, and the helper, now traced, may stop (its runtime's signals) until the
	// loop resumes it. If the write fails, the helper is gone, which the loop sees.
	data := msg.Encode()
	go func() {
		filterW.Write(data)
		filterW.Close()
	}()
	return pid, errR, nil
}

// forceExecHelper makes Launch start the exec helper even where it can fork (tests: it is what
// MIPS gets).
var forceExecHelper bool

// seizeOptions are the options the workload's first process is seized with.
func (t *tracer) seizeOptions() uintptr {
	options := uintptr(seizeOptions)
	if t.exitStops {
		options |= unix.PTRACE_O_TRACEEXIT
	}
	return options
}

// startForked seizes the forked child (helper.ForkNow), whose work is filled in, and lets it go
// on: it sets itself up and calls execve as the exec helper would. If it cannot be seized (it
// was killed, say), it is discarded and ok is false: the caller starts the exec helper, whose
// seize says why ptrace fails, if it does.
func (t *tracer) startForked(e *helper.Forked) (pid int, errR *os.File, ok bool, err error) {
	pid = e.Pid
	if errno := ptrace(unix.PTRACE_SEIZE, pid, 0, t.seizeOptions()); errno != 0 {
		var ws unix.WaitStatus
		// Dead of a signal a terminal or a supervisor sends the whole group (Ctrl-C): sctrace
		// got it too, and the command must not start. Killed alone (SIGKILL): fork another.
		if got, _ := wait4(pid, &ws, unix.WALL|unix.WNOHANG); got == pid && ws.Signaled() && slices.Contains(forwarded, ws.Signal()) {
			e.Reaped()
			syscall.Close(e.Errs)
			return 0, nil, true, &InterruptedError{Signal: ws.Signal()}
		}
		discardForked(e)
		return 0, nil, false, nil
	}
	t.root = pid
	t.tab.AddRoot(pid, pid)
	t.emit(&Event{Kind: EventSpawn, Pid: pid})
	errR = os.NewFile(uintptr(e.Errs), "workload errors")
	if err := e.Go(); err != nil {
		// It died after the seize (its end of the pipe is closed): how?
		ws := reapTraced(pid)
		e.Reaped()
		errR.Close()
		if ws.Signaled() {
			return 0, nil, true, &InterruptedError{Signal: ws.Signal()}
		}
		return 0, nil, true, fmt.Errorf("start the workload's process: %w", err)
	}
	t.forked = e // its mapping is released once the loop is over
	return pid, errR, true, nil
}

// spawnHelper starts an exec helper with stdio as its descriptors 0 to 2. It uses
// syscall.ForkExec rather than os.StartProcess, which forks a probe process first (pidfd
// support) on its first use.
func spawnHelper(stdio []*os.File) (pid int, filterW, errR *os.File, err error) {
	filterR, filterW, err := os.Pipe()
	if err != nil {
		return 0, nil, nil, err
	}
	defer filterR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		filterW.Close()
		return 0, nil, nil, err
	}
	defer errW.Close()
	files := []uintptr{stdio[0].Fd(), stdio[1].Fd(), stdio[2].Fd(), filterR.Fd(), errW.Fd()}
	pid, err = syscall.ForkExec("/proc/self/exe", []string{"sctrace-helper"}, &syscall.ProcAttr{
		Env:   []string{helper.Env + "=exec"},
		Files: files,
		// The helper dies if the tracer's thread does before the seize; after it, EXITKILL does
		// that job and the helper clears this, so the workload does not inherit it.
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		filterW.Close()
		errR.Close()
		return 0, nil, nil, fmt.Errorf("start helper: %w", err)
	}
	return pid, filterW, errR, nil
}

// discardForked ends a forked child that is not used.
func discardForked(e *helper.Forked) { e.Discard(reap) }

// DiscardEarly ends the ticker the command started early (helper.Prespawn) that nothing will
// use: Attach calls it, since it starts no workload.
func DiscardEarly() {
	if pid, ok := helper.TakeTicker(); ok {
		unix.Kill(pid, unix.SIGKILL)
		reap(pid)
	}
}

// interrupting reports whether sig, which ended the workload's first process before its execve,
// came from outside (a Ctrl-C to the group, a kill), not from its filter (SIGSYS).
func interrupting(sig syscall.Signal) bool { return sig != syscall.SIGSYS }

// reapTraced kills pid, a traced child, and waits for its end, resuming its stops, and returns
// how it ended (killed by SIGKILL if it was still alive).
func reapTraced(pid int) unix.WaitStatus {
	unix.Kill(pid, unix.SIGKILL)
	var ws unix.WaitStatus
	for {
		if _, errno := wait4(pid, &ws, unix.WALL); errno == syscall.EINTR {
			continue
		} else if errno != 0 {
			return ws
		}
		if ws.Exited() || ws.Signaled() {
			return ws
		}
		ptrace(unix.PTRACE_CONT, pid, 0, 0)
	}
}

// reap waits for pid, a child that was killed, to end.
func reap(pid int) {
	var ws unix.WaitStatus
	for {
		if _, errno := wait4(pid, &ws, unix.WALL); errno != syscall.EINTR {
			return
		}
	}
}

// seizeError explains a failed PTRACE_SEIZE of pid.
func seizeError(errno syscall.Errno, pid int) error {
	err := os.NewSyscallError("ptrace(PTRACE_SEIZE)", errno)
	if errno != syscall.EPERM {
		return err
	}
	if tp := tracerPid(pid); tp > 0 {
		if tgid, _, _ := procStatus(tp); tgid != os.Getpid() {
			return fmt.Errorf("%w: %d is already traced by %d (%s); a task has one tracer at a time", err, pid, tgid, commName(tgid))
		}
	}
	if _, yerr := os.Stat("/proc/sys/kernel/yama/ptrace_scope"); yerr == nil {
		return fmt.Errorf("%w (is ptrace blocked? check /proc/sys/kernel/yama/ptrace_scope, or a container without CAP_SYS_PTRACE)", err)
	}
	return fmt.Errorf("%w (is ptrace blocked? a container without CAP_SYS_PTRACE, or a security module, can forbid it)", err)
}

// commName is a process's name from /proc, or "?".
func commName(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
