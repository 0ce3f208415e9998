package tracer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// traceAll is the recording filter: every call stops in the tracer.
var traceAll = []bpf.RawInstruction{{Op: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_TRACE}}

const seizeOptions = unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_EXITKILL | unix.PTRACE_O_TRACEEXEC |
	unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACECLONE

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
func Launch(argv []string, opt Options) (Status, error) {
	if len(argv) == 0 {
		return Status{}, errors.New("no command")
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return Status{}, fmt.Errorf("%s: %w", argv[0], ErrNotFound)
		}
		return Status{}, err
	}
	filter := opt.Filter
	if filter == nil {
		filter = traceAll
	}
	if len(filter) == 0 || len(filter) > 4096 {
		return Status{}, fmt.Errorf("filter has %d instructions, want 1 to 4096", len(filter))
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	if opt.Deny != nil && !canSkipSyscalls {
		return Status{}, fmt.Errorf("failing traced calls: %w on %s", ErrNotSupported, runtime.GOARCH)
	}
	t := &tracer{tasks: map[int]*task{}, onEvent: opt.OnEvent, deny: opt.Deny, peek: opt.Peek,
		detachAfterExec: opt.DetachAfterExec}
	// Detaching after exec, the tracer waits with a blocking wait the runtime knows about once
	// the workload runs (nothing is traced any more), and needs no ticker.
	if !opt.DetachAfterExec {
		if err := t.startTicker(); err != nil {
			return Status{}, err
		}
	}
	root, errR, err := t.startHelper(path, argv, filter, opt)
	if err != nil {
		t.stopTicker()
		t.drain()
		return Status{}, err
	}
	defer errR.Close()

	if opt.ForwardSignals {
		stop := forwardSignals(root)
		defer stop()
	}

	t.loop()

	var buf [8]byte
	if n, _ := io.ReadFull(errR, buf[:]); n == 8 {
		step := int(binary.LittleEndian.Uint32(buf[:4]))
		if step >= len(helperSteps) {
			step = 0
		}
		return t.rootStatus, &ExecError{Step: helperSteps[step], Path: path, Err: syscall.Errno(binary.LittleEndian.Uint32(buf[4:]))}
	}
	if !t.rootDone {
		return t.rootStatus, errors.New("lost track of the workload's first process")
	}
	if !t.rootExeced {
		// Killed before its execve could report anything: a filter that kills on execve.
		return t.rootStatus, &ExecError{Step: "execve", Path: path,
			Err: fmt.Errorf("it ended (%v) before its execve completed", t.rootStatus)}
	}
	return t.rootStatus, nil
}

// task is a traced thread.
type task struct {
	pid int // thread group id
}

type tracer struct {
	tasks   map[int]*task // by tid; the ticker is not in it
	onEvent func(*Event)
	ev      Event // reused for every event: OnEvent must not keep it
	info    syscallInfo

	deny            func(*Event) int
	peek            func(*Event) (uint64, int, bool)
	memBuf          []byte
	detachAfterExec bool

	root       int
	rootDone   bool
	rootExeced bool
	rootStatus Status

	ticker     int // pid of the ticker, 0 if none
	tickerDone bool

	// Attach mode (pure ptrace): resume with PTRACE_SYSCALL, stop at entry and exit of every call.
	syscallMode bool
	detachReq   atomic.Bool // set by the signal goroutine; seen when wait4 returns
	detaching   bool
	detached    bool // nothing is traced any more: wait the runtime-aware way
}

func (t *tracer) emit(e *Event) {
	if t.onEvent != nil {
		t.onEvent(e)
	}
}

func (t *tracer) startTicker() error {
	p, err := os.StartProcess("/proc/self/exe", []string{"sctrace-ticker"}, &os.ProcAttr{
		Env: append(os.Environ(), helperEnv+"=ticker"),
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		return fmt.Errorf("start ticker: %w", err)
	}
	pid := p.Pid
	p.Release()
	if errno := ptrace(unix.PTRACE_SEIZE, pid, 0, unix.PTRACE_O_EXITKILL); errno != 0 {
		unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		wait4(pid, &ws, unix.WALL)
		return seizeError(errno)
	}
	t.ticker = pid
	return nil
}

func seizeError(errno syscall.Errno) error {
	err := os.NewSyscallError("ptrace(PTRACE_SEIZE)", errno)
	if errno == syscall.EPERM {
		return fmt.Errorf("%w (is ptrace blocked? check /proc/sys/kernel/yama/ptrace_scope, or a container without CAP_SYS_PTRACE)", err)
	}
	return err
}

func (t *tracer) stopTicker() {
	if t.ticker != 0 && !t.tickerDone {
		unix.Kill(t.ticker, unix.SIGKILL)
	}
}

// drain reaps everything left (after a failed start).
func (t *tracer) drain() {
	var ws unix.WaitStatus
	for {
		if _, errno := wait4(-1, &ws, unix.WALL); errno == syscall.ECHILD {
			return
		}
	}
}

// startHelper starts the helper, seizes it and hands it the filter.
func (t *tracer) startHelper(path string, argv []string, filter []bpf.RawInstruction, opt Options) (int, *os.File, error) {
	filterR, filterW, err := os.Pipe()
	if err != nil {
		return 0, nil, err
	}
	defer filterW.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		filterR.Close()
		return 0, nil, err
	}
	env := opt.Env
	if env == nil {
		env = os.Environ()
	}
	stdio := []*os.File{opt.Stdin, opt.Stdout, opt.Stderr}
	for i, def := range []*os.File{os.Stdin, os.Stdout, os.Stderr} {
		if stdio[i] == nil {
			stdio[i] = def
		}
	}
	p, err := os.StartProcess("/proc/self/exe", append([]string{argv[0], path}, argv...), &os.ProcAttr{
		Dir:   opt.Dir,
		Env:   append(env[:len(env):len(env)], helperEnv+"=exec"),
		Files: append(stdio, filterR, errW),
		// The workload dies if the tracer's thread does before the seize (after it, EXITKILL).
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	filterR.Close()
	errW.Close()
	if err != nil {
		errR.Close()
		return 0, nil, fmt.Errorf("start helper: %w", err)
	}
	pid := p.Pid
	p.Release()
	var ready [1]byte
	if n, _ := errR.Read(ready[:]); n != 1 || ready[0] != 'R' {
		unix.Kill(pid, unix.SIGKILL)
		errR.Close()
		return 0, nil, errors.New("start helper: it exited before it was ready")
	}
	if errno := ptrace(unix.PTRACE_SEIZE, pid, 0, seizeOptions); errno != 0 {
		unix.Kill(pid, unix.SIGKILL)
		errR.Close()
		return 0, nil, seizeError(errno)
	}
	t.root = pid
	t.tasks[pid] = &task{pid: pid}
	t.emit(&Event{Kind: EventSpawn, Pid: pid})
	if _, err := filterW.Write(encodeFilter(filter)); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		errR.Close()
		return 0, nil, fmt.Errorf("hand filter to helper: %w", err)
	}
	return pid, errR, nil
}

// loop handles stops until no traced task is left. See ptrace(2) for the kinds of stop.
func (t *tracer) loop() {
	var ws unix.WaitStatus
	for {
		var tid int
		var errno syscall.Errno
		if t.detached {
			var err error
			tid, err = unix.Wait4(-1, &ws, unix.WALL, nil)
			if err != nil {
				errno = err.(syscall.Errno)
			}
		} else {
			tid, errno = wait4(-1, &ws, unix.WALL)
		}
		if errno != 0 {
			if errno == syscall.EINTR {
				continue
			}
			// ECHILD: nothing left, ticker included. Only now is it certain that no stop is
			// pending from a task not yet known (DESIGN trap 4).
			return
		}
		if t.detachReq.Load() && !t.detaching {
			t.startDetach()
		}
		if tid == t.ticker {
			t.tickerStop(ws)
			if len(t.tasks) == 0 {
				t.stopTicker()
			}
			continue
		}
		switch {
		case ws.Exited() || ws.Signaled():
			t.exited(tid, ws)
		case ws.Stopped():
			t.stopped(tid, ws)
		}
		if len(t.tasks) == 0 {
			t.stopTicker()
		}
	}
}

func (t *tracer) tickerStop(ws unix.WaitStatus) {
	if ws.Exited() || ws.Signaled() {
		t.tickerDone = true
		return
	}
	sig := 0
	if ws.Stopped() && uint32(ws)>>16 == 0 && ws.StopSignal() != syscall.SIGALRM {
		sig = int(ws.StopSignal()) // the ticker's own runtime signals (SIGURG)
	}
	ptrace(unix.PTRACE_CONT, t.ticker, 0, uintptr(sig))
}

func (t *tracer) exited(tid int, ws unix.WaitStatus) {
	tk := t.tasks[tid]
	delete(t.tasks, tid)
	if tk == nil || tk.pid != tid {
		return // a thread; or the old leader of an exec from a thread, already dropped
	}
	st := Status{Code: ws.ExitStatus()}
	if ws.Signaled() {
		st = Status{Signal: int(ws.Signal()), Core: ws.CoreDump()}
	}
	if tid == t.root {
		t.rootDone, t.rootStatus = true, st
	}
	t.emit(&Event{Kind: EventExit, Pid: tid, Status: st})
}

func (t *tracer) stopped(tid int, ws unix.WaitStatus) {
	tk := t.tasks[tid]
	if tk == nil {
		// A new task's first stop can arrive before its creator's fork/clone event (trap 4).
		tk = t.adopt(tid, 0)
	}
	sig := ws.StopSignal()
	event := uint32(ws) >> 16
	if t.detaching {
		// Leave every task as it is: a signal being delivered goes with the detach.
		inject := 0
		if event == 0 && sig != syscall.SIGTRAP|0x80 {
			inject = int(sig)
		}
		ptrace(unix.PTRACE_DETACH, tid, 0, uintptr(inject))
		delete(t.tasks, tid)
		return
	}
	// WaitStatus.TrapCause hides PTRACE_EVENT_STOP; decode the event byte ourselves (trap 5).
	switch event {
	case unix.PTRACE_EVENT_SECCOMP:
		t.syscallStop(tid, tk)
		t.cont(tid, 0)
	case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK, unix.PTRACE_EVENT_CLONE:
		if msg, errno := ptraceGetEventMsg(tid); errno == 0 {
			parent := tk.pid
			if event == unix.PTRACE_EVENT_CLONE {
				parent = 0 // a thread or a process: adopt reads /proc to tell
			}
			t.adoptIfNew(int(msg), tk.pid, parent)
		}
		t.cont(tid, 0)
	case unix.PTRACE_EVENT_EXEC:
		t.execStop(tid, tk)
		if tk.pid == t.root && !t.rootExeced {
			t.rootExeced = true
			if t.detachAfterExec {
				// The root is still this process's child: wait4 reports its end all the same.
				ptrace(unix.PTRACE_DETACH, tid, 0, 0)
				t.detached = len(t.tasks) == 1
				return
			}
		}
		t.cont(tid, 0)
	case unix.PTRACE_EVENT_STOP:
		switch sig {
		case syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
			// Group-stop: stay stopped, but let the next SIGCONT or event be reported
			// (ptrace(2), "Group-stop"; PTRACE_LISTEN needs PTRACE_SEIZE).
			ptrace(unix.PTRACE_LISTEN, tid, 0, 0)
		default:
			// The initial stop of an auto-attached child, or the end of a group-stop.
			t.cont(tid, 0)
		}
	case 0:
		if t.syscallMode && sig == syscall.SIGTRAP|0x80 {
			// Syscall-enter or -exit-stop (PTRACE_O_TRACESYSGOOD): record the entries.
			t.syscallStop(tid, tk)
			t.cont(tid, 0)
			return
		}
		// Signal-delivery-stop: deliver the signal (Go programs get SIGURG constantly).
		t.cont(tid, sig)
	default:
		t.cont(tid, 0)
	}
}

func (t *tracer) cont(tid int, sig syscall.Signal) {
	// ESRCH means the task was killed while stopped; wait4 will report its end.
	req := unix.PTRACE_CONT
	if t.syscallMode {
		req = unix.PTRACE_SYSCALL
	}
	ptrace(req, tid, 0, uintptr(sig))
}

func (t *tracer) syscallStop(tid int, tk *task) {
	// An entry-stop's info has the same layout as a seccomp stop's: nr, then args.
	if errno := getSyscallInfo(tid, &t.info); errno != 0 ||
		(t.info.Op != unix.PTRACE_SYSCALL_INFO_SECCOMP && t.info.Op != unix.PTRACE_SYSCALL_INFO_ENTRY) {
		return
	}
	t.ev = Event{Kind: EventSyscall, Pid: tk.pid, Tid: tid, Audit: t.info.Arch,
		Nr: int(int32(uint32(t.info.Nr))), Args: t.info.Args}
	if t.peek != nil {
		if addr, max, str := t.peek(&t.ev); addr != 0 && max > 0 {
			t.ev.Mem = t.readMem(tid, addr, max, str)
		}
	}
	t.emit(&t.ev)
	if t.deny != nil {
		if errno := t.deny(&t.ev); errno != 0 {
			skipSyscall(tid, errno)
		}
	}
}

// readMem reads tracee memory with process_vm_readv (one system call, no ptrace stop). A string
// is read a page at a time, since a read that crosses into an unmapped page fails as a whole.
func (t *tracer) readMem(tid int, addr uint64, max int, str bool) []byte {
	if cap(t.memBuf) < max {
		t.memBuf = make([]byte, max)
	}
	buf := t.memBuf[:0]
	for len(buf) < max {
		n := max - len(buf)
		if str {
			if toPage := 4096 - int((addr+uint64(len(buf)))%4096); n > toPage {
				n = toPage
			}
		}
		chunk := t.memBuf[len(buf) : len(buf)+n]
		iov := unix.Iovec{Base: &chunk[0]}
		iov.SetLen(n)
		got, err := unix.ProcessVMReadv(tid, []unix.Iovec{iov},
			[]unix.RemoteIovec{{Base: uintptr(addr) + uintptr(len(buf)), Len: n}}, 0)
		if err != nil || got <= 0 {
			break
		}
		buf = buf[:len(buf)+got]
		if str {
			if i := bytes.IndexByte(chunk[:got], 0); i >= 0 {
				return append([]byte(nil), buf[:len(buf)-got+i]...)
			}
		} else if got < n {
			break
		}
	}
	if len(buf) == 0 {
		return nil
	}
	return append([]byte(nil), buf...)
}

// execStop handles PTRACE_EVENT_EXEC. If a non-leader thread called execve, it now has the
// leader's tid and the old leader is gone without an exit event; the event message is the tid the
// thread had before (ptrace(2), "execve(2) under ptrace"; DESIGN trap 6).
func (t *tracer) execStop(tid int, tk *task) {
	if msg, errno := ptraceGetEventMsg(tid); errno == 0 && int(msg) != tid {
		delete(t.tasks, int(msg))
	}
	tk.pid = tid
	path, _ := os.Readlink("/proc/" + strconv.Itoa(tid) + "/exe")
	t.emit(&Event{Kind: EventExec, Pid: tid, Path: path, Argv: cmdline(tid)})
}

// cmdline reads a process's command line from /proc.
func cmdline(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil
	}
	return strings.Split(string(bytes.TrimSuffix(b, []byte{0})), "\x00")
}

// adopt creates the state of a task first seen in its own stop.
func (t *tracer) adopt(tid int, creator int) *task {
	return t.adoptWithParent(tid, creator, 0)
}

// adoptIfNew records a task reported by its creator's fork/vfork/clone event, unless its own
// first stop came first and it is known already.
func (t *tracer) adoptIfNew(tid, creator, parent int) {
	if t.tasks[tid] == nil {
		t.adoptWithParent(tid, creator, parent)
	}
}

// adoptWithParent records a new task. parent is its creating process if known to be a new
// process, 0 to read from /proc whether it is a thread (and of which process) or a process.
func (t *tracer) adoptWithParent(tid int, creator int, parent int) *task {
	tk := &task{pid: tid}
	if parent == 0 {
		tgid, ppid := procStatus(tid)
		if tgid != 0 {
			tk.pid = tgid
		}
		if tk.pid == tid {
			parent = creator
			if parent == 0 {
				parent = ppid
			}
		}
	}
	t.tasks[tid] = tk
	if tk.pid == tid {
		t.emit(&Event{Kind: EventSpawn, Pid: tid, Parent: parent})
	}
	return tk
}

// procStatus reads Tgid and PPid of a task from /proc.
func procStatus(tid int) (tgid, ppid int) {
	f, err := os.Open("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		switch k {
		case "Tgid":
			tgid, _ = strconv.Atoi(strings.TrimSpace(v))
		case "PPid":
			ppid, _ = strconv.Atoi(strings.TrimSpace(v))
			return tgid, ppid
		}
	}
	return tgid, ppid
}

// forwardSignals passes SIGINT, SIGTERM and SIGHUP on to the workload's first process. It signals
// through a pidfd, so a signal that arrives after the process is reaped cannot hit a recycled pid.
func forwardSignals(root int) (stop func()) {
	pidfd, err := unix.PidfdOpen(root, 0)
	if err != nil {
		pidfd = -1 // Linux < 5.3: plain kill(2)
	}
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case s := <-ch:
				sig := s.(syscall.Signal)
				if sig != syscall.SIGTERM && inForeground() {
					continue
				}
				if pidfd >= 0 {
					unix.PidfdSendSignal(pidfd, sig, nil, 0)
				} else {
					unix.Kill(root, sig)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
		wg.Wait()
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
	}
}

// inForeground reports whether this process is in the foreground process group of its terminal,
// where terminal-generated signals reach the workload directly.
func inForeground() bool {
	for _, fd := range []int{0, 1, 2} {
		pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
		if err == nil {
			return pgrp == unix.Getpgrp()
		}
	}
	return false
}
