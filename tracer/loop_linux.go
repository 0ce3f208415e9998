package tracer

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sctrace/sctrace/tracer/internal/helper"
	"github.com/sctrace/sctrace/tracer/internal/tasks"
)

// maxErrors is how many unexpected ptrace failures a Report lists word for word.
const maxErrors = 8

type tracer struct {
	tab     *tasks.Table
	onEvent func(*Event)
	ev      Event // reused for every event: OnEvent must not keep it
	info    syscallInfo
	batch   []waitReport
	rep     Report
	forked  *helper.Forked // the workload's first process, if forked (startForked)

	deny       func(*Event) int
	peek       func(*Event) (uint64, int, bool)
	pathDir    func(*Event) int
	mem        memReader
	followOnly bool
	traceData  uint16
	// Supervision (notify_linux.go): the listener's handover and the supervisor.
	supervise func(*Event) int
	handover  *handover
	sup       *supervisor
	supLost   atomic.Bool // the supervisor failed and killed the workload
	// Full tracing (inject_linux.go).
	fullTrace    func(pid int, path string) bool
	inject       map[int]*injection // tasks being made fully traced, by tid
	full         map[int]bool       // processes fully traced
	injectCookie injectCookie
	// exitStops: PTRACE_O_TRACEEXIT is set, to read the call a task was killed at.
	exitStops  bool
	sigsysSeen map[int]bool // tasks whose SIGSYS was reported at its signal-delivery stop
	// held: new processes kept at their first stop until their creator's event (stopped), and
	// since when: past holdLimit one is let go (its creator's event may never come).
	held map[int]time.Time
	// clone3Exit: threads stopped at a clone3 entry, resumed to its exit (clone3Done).
	clone3Exit map[int]bool
	// results: Options.Results; resultExit: threads resumed to a call's exit for its result
	// (resultDone), with the call.
	results    func(*Event) bool
	resultExit map[int]pendingResult
	resEv      Event       // the result reported (a field: an Event per call was garbage)
	resInfo    syscallInfo // resultDone's read

	root       int
	rootDone   bool
	rootExeced bool
	// protect: Options.Protect made this process non-dumpable. dumpableTillExec: it is dumpable
	// again until the workload's first execve (see startHelper).
	protect          bool
	dumpableTillExec bool
	// started is rootExeced for other goroutines (the forwarder).
	started atomic.Bool

	ticker       int // pid of the ticker, 0 if none
	tickerDone   bool
	tickerKilled bool

	// Attach mode (pure ptrace): resume with PTRACE_SYSCALL, stop at entry and exit of every call.
	syscallMode bool
	detachReq   atomic.Bool // set by the signal goroutine; seen when wait4 returns
	detaching   bool
	// blocking: wait the runtime-aware way (no ticker; stops are rare: fork, exec, signals).
	blocking bool

	// Shared with the signal forwarder (another goroutine).
	sigSeen [65]atomic.Int64 // when a process of the workload last got signal N (UnixNano)
	// when the ticker last got signal N: the ticker is in sctrace's process group, and nothing
	// else signals it, so it witnesses a signal sent to the whole group (see tickerSignal)
	groupSeen [65]atomic.Int64
	// how many deliveries of signal N the workload and the ticker got (see forwarder.forward)
	sigCount, groupCount [65]atomic.Int64
	// Without a ticker, the forwarder's witness (helper.Witness), a child of sctrace closed once
	// the workload is gone, so that wait4(-1) can end.
	witnessMu     sync.Mutex
	witness       *helper.Witness
	witnessClosed bool
	rootGone      atomic.Bool
	procsMu       sync.Mutex
	procs         map[int]bool // live processes (thread group leaders) of the workload
}

// sawSignal reports whether a process of the workload got sig (a signal-delivery stop) since t.
func (t *tracer) sawSignal(sig syscall.Signal, since time.Time) bool {
	return sig > 0 && int(sig) < len(t.sigSeen) && t.sigSeen[sig].Load() >= since.UnixNano()
}

// sawGroupSignal reports whether sig was sent to sctrace's whole process group since t.
func (t *tracer) sawGroupSignal(sig syscall.Signal, since time.Time) bool {
	return sig > 0 && int(sig) < len(t.groupSeen) && t.groupSeen[sig].Load() >= since.UnixNano()
}

// liveProcesses lists the workload's processes still traced.
func (t *tracer) liveProcesses() []int {
	t.procsMu.Lock()
	defer t.procsMu.Unlock()
	pids := make([]int, 0, len(t.procs))
	for pid := range t.procs {
		pids = append(pids, pid)
	}
	return pids
}

type waitReport struct {
	tid int
	ws  unix.WaitStatus
	// A system-call stop's call, read before any task of the batch is resumed (see loop).
	read  bool
	errno syscall.Errno
	info  syscallInfo
	mem   []byte
	dir   string
}

func newTracer(opt Options) *tracer {
	return &tracer{tab: tasks.New(procStatus), onEvent: opt.OnEvent, deny: opt.Deny, peek: opt.Peek, pathDir: opt.PathDir, results: opt.Results,
		followOnly: opt.FollowOnly, traceData: opt.TraceData, supervise: opt.Supervise, exitStops: opt.ExitStops,
		fullTrace: opt.FullTrace}
}

func (t *tracer) emit(e *Event) {
	switch e.Kind {
	case EventSpawn:
		if t.full[e.Parent] {
			t.setFull(e.Pid) // the filter is inherited
		}
		t.procsMu.Lock()
		if t.procs == nil {
			t.procs = map[int]bool{}
		}
		t.procs[e.Pid] = true
		t.procsMu.Unlock()
	case EventExit:
		delete(t.full, e.Pid)
		t.procsMu.Lock()
		delete(t.procs, e.Pid)
		t.procsMu.Unlock()
		if e.Pid == t.root {
			t.rootGone.Store(true)
		}
	}
	if t.onEvent != nil {
		t.onEvent(e)
	}
}

// fail notes an unexpected ptrace failure for the Report.
func (t *tracer) fail(what string, tid int, errno syscall.Errno) {
	if len(t.rep.Errors) < maxErrors {
		t.rep.Errors = append(t.rep.Errors, fmt.Sprintf("%s of task %d: %v", what, tid, errno))
	} else if len(t.rep.Errors) == maxErrors {
		t.rep.Errors = append(t.rep.Errors, "more ptrace failures not listed")
	}
}

// wait returns the next report: a raw wait4 while system calls are traced (the ticker bounds
// it), the runtime-aware one otherwise.
func (t *tracer) wait(ws *unix.WaitStatus, options int) (int, syscall.Errno) {
	if len(t.held) > 0 && options&unix.WNOHANG == 0 {
		// Something is held: never block past its limit (a blocking wait would wait for the
		// held process, which waits for us).
		for {
			tid, errno := wait4(-1, ws, options|unix.WNOHANG)
			if errno != 0 || tid > 0 {
				return tid, errno
			}
			if t.releaseStale() {
				continue
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	if t.blocking && options&unix.WNOHANG == 0 {
		tid, err := unix.Wait4(-1, ws, options, nil)
		if err != nil {
			return tid, err.(syscall.Errno)
		}
		return tid, 0
	}
	return wait4(-1, ws, options)
}

// loop handles stops until no traced task is left. See ptrace(2) for the kinds of stop.
//
// Fairness (DESIGN trap 19): wait4(-1) reports the newest tracee first, so handling one report
// per wait lets busy new threads starve old ones. After each blocking wait the loop collects
// every report already pending (WNOHANG) and handles the batch in order: every task stopped
// when the batch was taken is resumed before any task is handled twice.
func (t *tracer) loop() {
	defer func() { t.rep.MemDenied = t.mem.denied }()
	var ws unix.WaitStatus
	for {
		tid, errno := t.wait(&ws, unix.WALL)
		if errno != 0 {
			if errno == syscall.EINTR {
				continue
			}
			// ECHILD: nothing left, ticker included. Only now is it certain that no stop is
			// pending from a task not yet known (DESIGN trap 4).
			return
		}
		t.batch = append(t.batch[:0], waitReport{tid: tid, ws: ws})
		if t.tab.Len() > 1 {
			for {
				tid, errno := wait4(-1, &ws, unix.WALL|unix.WNOHANG)
				if errno != 0 || tid <= 0 {
					break
				}
				t.batch = append(t.batch, waitReport{tid: tid, ws: ws})
			}
		}
		if t.detachReq.Load() && !t.detaching {
			t.startDetach()
		}
		if len(t.batch) > 1 && !t.detaching {
			// Read every call of the batch before resuming any task: resuming one can end the
			// others (an execve or exit_group kills the other threads of its process), and a
			// killed task's call can no longer be read, though it was made.
			for i := range t.batch {
				t.preRead(&t.batch[i])
			}
		}
		for i := range t.batch {
			t.handle(&t.batch[i])
		}
		if len(t.held) > 0 {
			t.releaseStale()
		}
		if n := t.tab.Len(); n > t.rep.MaxTasks {
			t.rep.MaxTasks = n
		}
		if t.tab.Len() == 0 {
			t.stopTicker()
			t.closeWitness()
		}
	}
}

// preRead reads the call of a system-call stop (and the memory the footprint wants of it).
func (t *tracer) preRead(r *waitReport) {
	if !r.ws.Stopped() || r.tid == t.ticker {
		return
	}
	event := uint32(r.ws) >> 16
	if event != unix.PTRACE_EVENT_SECCOMP && !(t.syscallMode && event == 0 && r.ws.StopSignal() == syscall.SIGTRAP|0x80) {
		return
	}
	r.read = true
	if r.errno = getSyscallInfo(r.tid, &r.info); r.errno != 0 || t.peek == nil {
		return
	}
	e := Event{Audit: r.info.Arch, Nr: int(int32(uint32(r.info.Nr))), Args: r.info.Args}
	t.peekInto(r.tid, &e)
	r.mem, r.dir = e.Mem, e.Dir
}

func (t *tracer) handle(r *waitReport) {
	tid, ws := r.tid, r.ws
	if tid == t.ticker {
		t.tickerStop(ws)
		return
	}
	switch {
	case ws.Exited() || ws.Signaled():
		t.exited(tid, ws)
	case ws.Stopped():
		t.stopped(r)
	}
}

func (t *tracer) tickerStop(ws unix.WaitStatus) {
	if ws.Exited() || ws.Signaled() {
		t.tickerDone = true
		if !t.tickerKilled && !t.detaching {
			// Killed from outside (the ticker ignores every catchable signal): start another,
			// or a GC could wait for the workload's next stop.
			t.ticker, t.tickerDone = 0, false
			if err := t.startTicker(); err != nil {
				t.rep.Errors = append(t.rep.Errors, err.Error())
			}
		}
		return
	}
	ptrace(unix.PTRACE_CONT, t.ticker, 0, uintptr(t.tickerSignal(ws)))
}

// tickerSignal returns the signal a stop of the ticker delivers (0: none). The ticker shares
// sctrace's process group and nothing signals it on purpose, so a signal it gets from outside
// was sent to the whole group (a Ctrl-C, kill(0, …), timeout(1)): the workload's processes in
// the group got it too, and the forwarder must not send it again. A workload that takes its
// signals with signalfd or sigwait shows no signal-delivery stop of its own, and got SIGTERM
// twice before the ticker told. Those signals, its ticks and job-control stops are swallowed:
// the ticker ignores them anyway, and must keep ticking. Its own runtime's (SIGURG) pass.
func (t *tracer) tickerSignal(ws unix.WaitStatus) int {
	if !ws.Stopped() || uint32(ws)>>16 != 0 {
		return 0
	}
	switch sig := ws.StopSignal(); sig {
	case syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT:
		t.groupSeen[sig].Store(time.Now().UnixNano())
		t.groupCount[sig].Add(1)
		return 0
	case syscall.SIGALRM, syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		return 0
	default:
		return int(sig)
	}
}

func (t *tracer) exited(tid int, ws unix.WaitStatus) {
	if t.ticker == 0 && t.witnessEnded(tid) {
		return
	}
	_, heldHere := t.held[tid]
	delete(t.held, tid)
	delete(t.resultExit, tid)
	pid := -1 // the process of the task that ended, if known
	if et := t.tab.Get(tid); et != nil {
		pid = et.Pid
	}
	tk, processEnd := t.tab.Exited(tid)
	// The creator of a held task may be the thread that ended (killed by its process's end, or
	// by another thread's execve, before its event was reported): that event will not come.
	t.releaseHeld(pid)
	if tk == nil || !processEnd {
		return // a thread; or a task never seen (detached, or the old leader of an exec)
	}
	if heldHere {
		t.emit(&Event{Kind: EventSpawn, Pid: tk.Pid, Parent: tk.Parent}) // killed while held
	}
	st := Status{Code: ws.ExitStatus()}
	if ws.Signaled() {
		st = Status{Signal: int(ws.Signal()), Core: ws.CoreDump()}
	}
	if tk.Pid == t.root {
		t.rootDone, t.rep.Status = true, st
	}
	t.emit(&Event{Kind: EventExit, Pid: tk.Pid, Status: st})
}

func (t *tracer) stopped(r *waitReport) {
	tid, ws := r.tid, r.ws
	sig := ws.StopSignal()
	event := uint32(ws) >> 16
	if t.detaching {
		// Leave every task as it is: a signal being delivered goes with the detach.
		inject := 0
		if event == 0 && sig != syscall.SIGTRAP|0x80 {
			inject = int(sig)
		}
		if errno := ptrace(unix.PTRACE_DETACH, tid, 0, uintptr(inject)); errno != 0 && errno != syscall.ESRCH {
			t.fail("PTRACE_DETACH", tid, errno)
		}
		t.tab.Forget(tid)
		return
	}
	tk, isNew := t.tab.Stopped(tid)
	if isNew && tk.IsLeader() {
		// Its first stop came before its creator's fork/clone event (DESIGN trap 4). /proc
		// names its parent, which is not its creator for CLONE_PARENT: keep it at this first
		// stop, before it has run anything, until the creator's event names the creator (or
		// a process ends, which may be the creator).
		if event == unix.PTRACE_EVENT_STOP && !t.syscallMode {
			if t.held == nil {
				t.held = map[int]time.Time{}
			}
			t.held[tid] = time.Now()
			return
		}
		t.emit(&Event{Kind: EventSpawn, Pid: tk.Pid, Parent: tk.Parent})
	}
	// WaitStatus.TrapCause hides PTRACE_EVENT_STOP; decode the event byte ourselves (trap 5).
	switch event {
	case unix.PTRACE_EVENT_SECCOMP:
		if inj := t.inject[tid]; inj != nil && inj.state == injectAwaitExit {
			t.cont(tid, 0) // the injected seccomp call, sent here by the base filter
			return
		}
		t.seccompStop(tid, tk, r)
		t.cont(tid, 0)
	case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK, unix.PTRACE_EVENT_CLONE:
		msg, errno := ptraceGetEventMsg(tid)
		switch errno {
		case 0:
			child, newProcess := t.tab.Created(tk, int(msg), event != unix.PTRACE_EVENT_CLONE)
			if newProcess {
				t.emit(&Event{Kind: EventSpawn, Pid: child.Pid, Parent: child.Parent})
			} else if child != nil {
				if _, held := t.held[child.Tid]; held {
					t.release(child)
				}
			}
		case syscall.ESRCH:
			// Killed meanwhile; the child's own stop adopts it.
		default:
			t.fail("PTRACE_GETEVENTMSG", tid, errno)
		}
		t.cont(tid, 0)
	case unix.PTRACE_EVENT_EXEC:
		// An execve kills the process's other threads, a creator among them perhaps.
		t.releaseHeld(tid)
		if tid == t.root && !t.rootExeced && t.handover != nil && t.sup == nil {
			// The workload must not run under a filter nobody supervises.
			if t.handover.err == nil {
				t.handover.err = errNoHandover
			}
			unix.Kill(tid, unix.SIGKILL)
		}
		path := t.execStop(tid)
		if tid == t.root && !t.rootExeced {
			t.rootExeced = true
			t.started.Store(true)
			t.undumpable()
			if t.followOnly {
				// Nothing is read from now on: wait the runtime-aware way, no ticker needed.
				t.blocking = true
			}
		}
		if t.fullTrace != nil && !t.full[tid] && t.fullTrace(tid, path) {
			if canInject {
				t.startFullTrace(tid) // cont resumes it to its next call's entry
			} else {
				t.emit(&Event{Kind: EventFullTrace, Pid: tid, Tid: tid, Failed: "not supported on this architecture"})
			}
		}
		t.cont(tid, 0)
	case unix.PTRACE_EVENT_STOP:
		switch sig {
		case syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
			// Group-stop: stay stopped, but let the next SIGCONT or event be reported
			// (ptrace(2), "Group-stop"; PTRACE_LISTEN needs PTRACE_SEIZE).
			if errno := ptrace(unix.PTRACE_LISTEN, tid, 0, 0); errno != 0 && errno != syscall.ESRCH {
				t.fail("PTRACE_LISTEN", tid, errno)
			}
		default:
			// The initial stop of an auto-attached child, the end of a group-stop, or an
			// interrupt.
			t.cont(tid, 0)
		}
	case 0:
		if t.syscallMode && sig == syscall.SIGTRAP|0x80 {
			// Syscall-enter or -exit-stop (PTRACE_O_TRACESYSGOOD): record the entries.
			t.syscallStop(tid, tk, false, r)
			t.cont(tid, 0)
			return
		}
		if sig == syscall.SIGTRAP|0x80 {
			// A syscall stop outside attach mode: only a task being made fully traced is
			// resumed with PTRACE_SYSCALL.
			switch {
			case t.inject[tid] != nil:
				t.injectStop(tid, t.inject[tid])
			case t.clone3Exit[tid]:
				t.clone3Done(tid)
			case t.resultExit != nil && t.resultExit[tid].pid != 0:
				t.resultDone(tid)
			default:
				t.cont(tid, 0)
			}
			return
		}
		// Signal-delivery-stop: deliver the signal (Go programs get SIGURG constantly).
		if int(sig) < len(t.sigSeen) {
			t.sigSeen[sig].Store(time.Now().UnixNano())
			t.sigCount[sig].Add(1)
		}
		if sig == syscall.SIGSYS {
			t.sigsysStop(tid, tk)
		}
		t.cont(tid, sig)
	case unix.PTRACE_EVENT_EXIT:
		t.exitStop(tid, tk)
		t.cont(tid, 0)
	default:
		t.cont(tid, 0)
	}
}

// releaseHeld lets every held new process run, with /proc's parent where the creator's event
// did not come.
func (t *tracer) releaseHeld(pid int) {
	for h := range t.held {
		ht := t.tab.Get(h)
		if ht == nil {
			delete(t.held, h)
			continue
		}
		if t.mayHaveCreated(pid, ht) {
			t.release(ht)
		}
	}
}

// holdLimit is how long a new process is held for its creator's event. The event comes within
// microseconds when it comes at all; it never comes when the creating thread died (an execve of
// its process killed it) before reporting, and that execve's own event may have come first.
const holdLimit = 100 * time.Millisecond

// releaseStale lets go, with /proc's parent, every new process held for longer than holdLimit,
// and reports whether it let any go.
func (t *tracer) releaseStale() bool {
	released := false
	now := time.Now()
	for h, since := range t.held {
		if now.Sub(since) < holdLimit {
			continue
		}
		if ht := t.tab.Get(h); ht != nil {
			t.release(ht)
		} else {
			delete(t.held, h)
		}
		released = true
	}
	return released
}

// mayHaveCreated reports whether a thread of process pid (-1: unknown) may have created the held
// process ht: ht's /proc parent is its creator's process (fork) or that process's parent
// (CLONE_PARENT). When in doubt, yes: a held process must never wait for good.
func (t *tracer) mayHaveCreated(pid int, ht *tasks.Task) bool {
	if pid < 0 || pid == ht.Parent {
		return true
	}
	pt, gt := t.tab.Get(pid), t.tab.Get(ht.Parent)
	if pt == nil || !pt.IsLeader() || gt == nil || !gt.IsLeader() {
		return true // a parent the tracer does not know well enough (sctrace itself, a gone leader)
	}
	return pt.Parent == ht.Parent
}

// release reports a held new process (with the parent known now) and lets it run.
func (t *tracer) release(tk *tasks.Task) {
	delete(t.held, tk.Tid)
	t.emit(&Event{Kind: EventSpawn, Pid: tk.Pid, Parent: tk.Parent})
	t.cont(tk.Tid, 0)
}

// clone3Done handles the syscall stop of a clone3 the tracer watches: at its exit, a child that
// is not traced escaped (its flags were raced, see clone3Exit); it is killed, since under the
// tracer's filter without the tracer every call it makes fails, exit included.
func (t *tracer) clone3Done(tid int) {
	var info syscallInfo
	if getSyscallInfo(tid, &info) != 0 || info.Op != unix.PTRACE_SYSCALL_INFO_EXIT {
		if info.Op != unix.PTRACE_SYSCALL_INFO_ENTRY {
			delete(t.clone3Exit, tid)
		}
		t.cont(tid, 0)
		return
	}
	delete(t.clone3Exit, tid)
	// struct ptrace_syscall_info's exit member {s64 rval; u8 is_error} overlays nr.
	if child := int64(info.Nr); child > 0 && !t.tab.Known(int(child)) {
		unix.Kill(int(child), unix.SIGKILL)
		t.rep.UntracedMissed++
	}
	t.cont(tid, 0)
}

func (t *tracer) cont(tid int, sig syscall.Signal) {
	req := unix.PTRACE_CONT
	if t.syscallMode || t.inject[tid] != nil || t.clone3Exit[tid] || t.resultExit[tid].pid != 0 {
		req = unix.PTRACE_SYSCALL
	}
	// ESRCH means the task was killed while stopped; wait4 will report its end (trap 4).
	if errno := ptrace(req, tid, 0, uintptr(sig)); errno != 0 && errno != syscall.ESRCH {
		t.fail("resume", tid, errno)
	}
}

// seccompStop handles PTRACE_EVENT_SECCOMP: a call our filter (or the workload's own) asked about.
func (t *tracer) seccompStop(tid int, tk *tasks.Task, r *waitReport) {
	if !t.syscallStop(tid, tk, true, r) {
		return
	}
	if uint16(t.info.RetData) != t.traceData {
		// The workload's own filter returned SECCOMP_RET_TRACE and outranked ours (DESIGN trap
		// 22; ptrace_syscall_info.seccomp.ret_data is its SECCOMP_RET_DATA). Without sctrace
		// nothing would answer it: the call fails with ENOSYS.
		t.rep.ForeignTrace++
		if canSkipSyscalls {
			skipSyscall(tid, int(syscall.ENOSYS))
		}
	}
}

// syscallStop reads the call a task is stopped in (into t.info) and reports it. It returns
// false if there was no call to read.
func (t *tracer) syscallStop(tid int, tk *tasks.Task, seccomp bool, r *waitReport) bool {
	// An entry-stop's info has the same layout as a seccomp stop's: nr, then args.
	var errno syscall.Errno
	if r.read {
		t.info, errno = r.info, r.errno
	} else {
		errno = getSyscallInfo(tid, &t.info)
	}
	if errno != 0 {
		if errno == syscall.ESRCH {
			t.rep.Vanished++ // SIGKILLed while stopped: its call never runs
		} else {
			t.rep.Unread++
			t.fail("PTRACE_GET_SYSCALL_INFO", tid, errno)
		}
		return false
	}
	switch t.info.Op {
	case unix.PTRACE_SYSCALL_INFO_SECCOMP, unix.PTRACE_SYSCALL_INFO_ENTRY:
	case unix.PTRACE_SYSCALL_INFO_EXIT:
		return false
	default:
		if seccomp {
			t.rep.Unread++
		}
		return false
	}
	if seccomp && t.handover != nil && t.handover.matches(&t.info) {
		t.takeListener(tid, &t.info)
		return false
	}
	t.ev = Event{Kind: EventSyscall, Pid: tk.Pid, Tid: tid, Audit: t.info.Arch,
		Nr: int(int32(uint32(t.info.Nr))), Args: t.info.Args}
	if r.read {
		t.ev.Mem, t.ev.Dir = r.mem, r.dir
	} else {
		t.peekInto(tid, &t.ev)
	}
	t.emit(&t.ev)
	if seccomp && !t.syscallMode {
		// A clone(CLONE_UNTRACED) child would escape the recording and, under a TRACE filter
		// with no tracer, fail every traced call with ENOSYS (DESIGN trap 23): clear the flag.
		switch clearUntraced(tid, t.info.Arch, t.ev.Nr, t.info.Args) {
		case untracedCleared:
			t.rep.Untraced++
		case untracedMissed:
			t.rep.UntracedMissed++
		}
		if isClone3(t.info.Arch, t.ev.Nr) {
			// Another thread can set CLONE_UNTRACED in clone3's arguments again after the
			// flag was cleared: check at the call's exit that its child is traced.
			if t.clone3Exit == nil {
				t.clone3Exit = map[int]bool{}
			}
			t.clone3Exit[tid] = true
		}
	}
	if t.deny != nil {
		if errno := t.deny(&t.ev); errno != 0 {
			skipSyscall(tid, errno)
			return true
		}
	}
	if seccomp && !t.syscallMode && t.results != nil && t.results(&t.ev) {
		if t.resultExit == nil {
			t.resultExit = map[int]pendingResult{}
		}
		t.resultExit[tid] = pendingResult{pid: tk.Pid, audit: t.ev.Audit, nr: t.ev.Nr}
	}
	return true
}

// resultDone handles the syscall stop of a call whose result was asked for (Options.Results):
// at its exit, it reports the result.
func (t *tracer) resultDone(tid int) {
	info := &t.resInfo
	errno := getSyscallInfo(tid, info)
	if errno == 0 && info.Op == unix.PTRACE_SYSCALL_INFO_ENTRY {
		t.cont(tid, 0) // the entry stop of a kernel that reports it after the seccomp stop
		return
	}
	pr := t.resultExit[tid]
	delete(t.resultExit, tid)
	if errno == 0 && info.Op == unix.PTRACE_SYSCALL_INFO_EXIT {
		// struct ptrace_syscall_info's exit member {s64 rval; u8 is_error} overlays nr.
		t.resEv = Event{Kind: EventResult, Pid: pr.pid, Tid: tid, Audit: pr.audit, Nr: pr.nr, Ret: int64(info.Nr)}
		t.emit(&t.resEv)
	}
	t.cont(tid, 0)
}

// pendingResult is a call whose result a thread was resumed to report (Options.Results).
type pendingResult struct {
	pid   int // never 0 for a pending result
	audit uint32
	nr    int
}

// memReader reads tracee memory with process_vm_readv (one system call, no ptrace stop), into a
// buffer it reuses.
type memReader struct {
	buf    []byte
	denied int // reads the kernel refused (EPERM, EACCES): the process may not be read
}

// read reads max bytes at addr, or with str a NUL-terminated string of at most max bytes. A
// string is read a page at a time, since a read that crosses into an unmapped page fails as a
// whole.
func (m *memReader) read(tid int, addr uint64, max int, str bool) []byte {
	if cap(m.buf) < max {
		m.buf = make([]byte, max)
	}
	buf := m.buf[:0]
	for len(buf) < max {
		n := max - len(buf)
		if str {
			if toPage := 4096 - int((addr+uint64(len(buf)))%4096); n > toPage {
				n = toPage
			}
		}
		chunk := m.buf[len(buf) : len(buf)+n]
		iov := unix.Iovec{Base: &chunk[0]}
		iov.SetLen(n)
		got, err := unix.ProcessVMReadv(tid, []unix.Iovec{iov},
			[]unix.RemoteIovec{{Base: uintptr(addr) + uintptr(len(buf)), Len: n}}, 0)
		if err == syscall.EPERM || err == syscall.EACCES {
			// Not a bad pointer of the workload's (EFAULT) but a process sctrace may not read:
			// one that runs a program without read permission is not dumpable (a recording
			// without root), and ptrace's access check refuses its memory.
			m.denied++
			break
		}
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
func (t *tracer) execStop(tid int) string {
	former, errno := ptraceGetEventMsg(tid)
	if errno != 0 {
		former = uint(tid)
	}
	t.tab.Exec(tid, int(former))
	path, _ := os.Readlink("/proc/" + strconv.Itoa(tid) + "/exe")
	t.emit(&Event{Kind: EventExec, Pid: tid, Path: path, Argv: cmdline(tid), Unprivileged: unprivileged(tid)})
	return path
}

// unprivileged reports whether process pid runs a set-user-ID or set-group-ID executable
// without the privileges the bits would give (its effective ids are not the file's).
func unprivileged(pid int) bool {
	var st unix.Stat_t
	if unix.Stat("/proc/"+strconv.Itoa(pid)+"/exe", &st) != nil || st.Mode&(unix.S_ISUID|unix.S_ISGID) == 0 {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	euid, egid := -1, -1
	root := false
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		if len(f) < 2 {
			continue
		}
		switch k {
		case "Uid":
			euid, _ = strconv.Atoi(f[1])
			root = euid == 0
		case "Gid":
			egid, _ = strconv.Atoi(f[1])
		}
	}
	if root {
		return false // root loses nothing it needs to a set-ID bit: it has every capability
	}
	return (st.Mode&unix.S_ISUID != 0 && euid != int(st.Uid)) ||
		(st.Mode&unix.S_ISGID != 0 && st.Mode&unix.S_IXGRP != 0 && egid != int(st.Gid))
}

// cmdline reads a process's command line from /proc.
func cmdline(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil
	}
	return strings.Split(string(bytes.TrimSuffix(b, []byte{0})), "\x00")
}

// procStatus reads Tgid and PPid of a task from /proc (tasks.Proc).
func procStatus(tid int) (tgid, ppid int, ok bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, found := strings.Cut(s.Text(), ":")
		if !found {
			continue
		}
		switch k {
		case "Tgid":
			tgid, _ = strconv.Atoi(strings.TrimSpace(v))
		case "PPid":
			ppid, _ = strconv.Atoi(strings.TrimSpace(v))
			return tgid, ppid, tgid != 0
		}
	}
	return tgid, ppid, tgid != 0
}

// tracerPid reads the TracerPid of a task from /proc; -1 if the task is gone.
func tracerPid(tid int) int { return statusNumber(tid, "TracerPid") }

// statusNumber reads a numeric field of /proc/TID/status; -1 if the task is gone or the kernel
// has no such field.
func statusNumber(tid int, key string) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return -1
	}
	_, rest, ok := bytes.Cut(b, []byte("\n"+key+":"))
	if !ok {
		return -1
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	n, err := strconv.Atoi(strings.TrimSpace(string(line)))
	if err != nil {
		return -1
	}
	return n
}

type untracedResult uint8

const (
	untracedNone    untracedResult = iota // not a clone with CLONE_UNTRACED
	untracedCleared                       // the flag was cleared: the child is traced
	untracedMissed                        // the flag could not be cleared
)

// undumpable makes this process non-dumpable again if startHelper left it dumpable for the
// workload's first process.
func (t *tracer) undumpable() {
	if t.dumpableTillExec {
		unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
		t.dumpableTillExec = false
	}
}
