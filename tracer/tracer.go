package tracer

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/net/bpf"
)

// ErrNotSupported is returned on systems without ptrace and seccomp filters.
var ErrNotSupported = errors.New("tracing is supported on linux only")

// ErrNotFound is returned by Launch when the command cannot be found on PATH.
var ErrNotFound = errors.New("command not found")

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventSpawn: a new process (thread group) Pid, created by Parent (0 for the workload's root).
	EventSpawn EventKind = iota + 1
	// EventExec: process Pid now runs Path with Argv.
	EventExec
	// EventSyscall: thread Tid of process Pid entered system call (Audit, Nr) with Args.
	EventSyscall
	// EventExit: process Pid is gone with Status.
	EventExit
	// EventSigsys: a seccomp filter answered thread Tid's call (Audit, Nr, Args) with a SIGSYS:
	// SECCOMP_RET_TRAP (the program may handle it), or a kill (Fatal; Nr is -1 and Args zero
	// where the call could not be read: see Options.ExitStops).
	EventSigsys
	// EventFullTrace: process Pid is fully traced from its first call after its last execve on
	// (Options.FullTrace), or, with Failed set, could not be made so.
	EventFullTrace
	// EventResult: the call (Audit, Nr) thread Tid of process Pid entered returned Ret (a
	// negative errno on failure), for the calls Options.Results asked about.
	EventResult
)

func (k EventKind) String() string {
	switch k {
	case EventSpawn:
		return "spawn"
	case EventExec:
		return "exec"
	case EventSyscall:
		return "syscall"
	case EventExit:
		return "exit"
	case EventSigsys:
		return "sigsys"
	case EventFullTrace:
		return "fulltrace"
	case EventResult:
		return "result"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one thing the tracer saw. Events of one process arrive in the order they happened.
type Event struct {
	Kind   EventKind
	Pid    int // process (thread group) id
	Tid    int // thread id (EventSyscall)
	Parent int // EventSpawn
	// Audit and Nr are seccomp_data.arch and .nr as the kernel reported them: an x32 call has
	// AUDIT_ARCH_X86_64 and bit 30 set in Nr, an int 0x80 call from a 64-bit program AUDIT_ARCH_I386.
	Audit uint32
	Nr    int
	Args  [6]uint64
	// Mem is the tracee memory that Options.Peek asked for (EventSyscall), read before the call
	// ran; nil if none was asked for or it could not be read.
	Mem []byte
	// Dir is the directory a relative path in Mem is relative to, when Options.PathDir asked
	// for it and /proc could tell ("" otherwise).
	Dir  string
	Path string   // EventExec: the new executable, from /proc/PID/exe
	Argv []string // EventExec: the new command line, from /proc/PID/cmdline
	// Unprivileged (EventExec): the executable is set-user-ID or set-group-ID, but runs without
	// those privileges: under no_new_privs, which every seccomp filter needs, execve ignores
	// the bits (prctl(2), PR_SET_NO_NEW_PRIVS).
	Unprivileged bool
	Status       Status // EventExit
	Fatal        bool   // EventSigsys: the filter killed the task
	Ret          int64  // EventResult: the call's return value (-errno on failure)
	Failed       string // EventFullTrace: why the process could not be fully traced
}

// Status is how a process ended.
type Status struct {
	Code   int // exit code, if Signal == 0
	Signal int // the signal that killed it, or 0
	Core   bool
}

// ExitCode returns the status as a shell reports it: the exit code, or 128+N for signal N.
func (s Status) ExitCode() int {
	if s.Signal != 0 {
		return 128 + s.Signal
	}
	return s.Code
}

func (s Status) String() string {
	if s.Signal != 0 {
		return fmt.Sprintf("killed by signal %d", s.Signal)
	}
	return fmt.Sprintf("exit status %d", s.Code)
}

// Options control Launch.
type Options struct {
	// Filter is the seccomp program installed before the workload's execve. Nil means every call
	// returns SECCOMP_RET_TRACE (record everything). Calls the filter allows are not seen.
	Filter []bpf.RawInstruction
	// Env is the workload's environment; nil means the tracer's own.
	Env []string
	// Dir is the workload's working directory; empty means the tracer's own.
	Dir                   string
	Stdin, Stdout, Stderr *os.File // nil means the tracer's own
	// OnEvent receives every event, on the tracer's thread: it must be quick and must not block,
	// since the tracee stays stopped meanwhile. Nil discards events.
	OnEvent func(*Event)
	// Peek, if set, is asked at every traced call which memory of the caller to read along with
	// it: max bytes at addr, or with str a NUL-terminated string of at most max bytes. A zero addr
	// reads nothing. The result arrives in Event.Mem. Pointer arguments are read once, here, and
	// are only reported, never checked: they can change after the read.
	Peek func(e *Event) (addr uint64, max int, str bool)
	// PathDir, if set, is asked about a call whose Peek read a relative path (a string not
	// starting with '/'): which argument holds the directory descriptor the path is relative to
	// (0 to 5; AT_FDCWD there means the working directory), -1 for the working directory, -2 for
	// none. The directory, read from /proc at the stop, arrives in Event.Dir.
	PathDir func(e *Event) int
	// Results, if set, is asked at every call the filter sent to the tracer whether its result
	// matters: if so, the thread is resumed to the call's exit (one more stop) and an
	// EventResult reports what it returned. Not in attach mode (Attach).
	Results func(e *Event) bool
	// FollowOnly stops reading system calls once the workload's first execve has succeeded: the
	// filter must never return SECCOMP_RET_TRACE after that (pure enforcement), and the workload
	// runs at native speed. The tracer still follows every process (fork, exec, exit: no
	// system-call stops), so that every process of the workload dies with it (see Launch), and
	// tells an execve that failed from a workload that ran.
	FollowOnly bool
	// Deny, if set, is asked at every traced call (after OnEvent): a non-zero errno makes the call
	// fail with it instead of running (explain mode). amd64 only; see ErrNotSupported.
	Deny func(*Event) int
	// TraceData is the SECCOMP_RET_DATA that Filter puts in its SECCOMP_RET_TRACE verdicts (the
	// recording filter uses OwnTraceData). A seccomp stop with other data was asked for by a
	// filter the workload installed itself: without sctrace no tracer would answer it and the call
	// would fail with ENOSYS, so it fails with ENOSYS here too (amd64) and is counted.
	TraceData uint16
	// Supervise, if set, makes Launch the supervisor of Filter: the calls it answers with
	// SECCOMP_RET_USER_NOTIF wait until Supervise, called on a goroutine of its own (one call at a
	// time, concurrently with OnEvent), returns an errno to fail them with, or 0 to let them run.
	// The helper hands the filter's listener to the tracer before the workload starts; without
	// the handover the workload does not start. See NotifySupported.
	Supervise func(*Event) int
	// FullTrace, if set, is asked at each execve of a process not fully traced yet (path is the
	// new executable): true makes every call of the process, and of every process it creates,
	// stop in the tracer from its next call on, whatever Filter says (unless Filter denies or
	// supervises it); EventFullTrace reports the outcome. It is how a refine run (a Filter that
	// allows the calls a base profile has) learns the exact set of an executable. amd64 only.
	FullTrace func(pid int, path string) bool
	// Protect makes this process non-dumpable (PR_SET_DUMPABLE 0) for the rest of its life, so
	// that a workload running as the same user cannot ptrace it, read or write its memory, or copy
	// its descriptors (pidfd_getfd) — the seccomp listener among them. It does not stop a workload
	// with CAP_SYS_PTRACE: the filter must also deny it the calls that reach this process.
	Protect bool
	// ExitStops makes every task stop at its exit (PTRACE_O_TRACEEXIT), so that a task a filter
	// kills is reported with the call it was killed at (EventSigsys, Fatal). It costs one stop per
	// thread exit.
	ExitStops bool
	// ForwardSignals forwards SIGINT, SIGTERM and SIGHUP sent to this process to the workload (see
	// Launch). Only a program that owns its signals (a CLI) should set it.
	ForwardSignals bool
}

// OwnTraceData marks the tracer's own SECCOMP_RET_TRACE verdicts (SECCOMP_RET_DATA). Filters
// compiled for Launch should use it as their trace data, and set Options.TraceData to it.
const OwnTraceData = 0x5c7

// Report is what Launch and Attach tell beyond the events: how the workload ended and what the
// recording may lack.
type Report struct {
	Status Status // the first process's status (Launch), or the attached process's if it ended
	// Running (Attach): the process was still running when the tracer detached; Status is zero.
	Running bool
	// StatusUnknown (Attach): the process ended, but its status was not seen: its main thread
	// had exited before the attach, and a zombie cannot be traced.
	StatusUnknown bool
	// Unread counts stops whose system call could not be read: those calls are missing.
	Unread int
	// MemDenied counts reads of a call's memory (the path or address the footprint wants)
	// that the kernel refused: the process could not be read (it runs a program the user
	// may execute but not read, so it is not dumpable). The footprint lacks those.
	MemDenied int
	// Vanished counts stops of tasks killed before they could be read (SIGKILL from outside).
	Vanished int
	// Untraced counts clone(CLONE_UNTRACED) calls whose flag the tracer cleared so that the
	// child is traced; UntracedMissed those it could not clear (the child escaped the recording).
	Untraced, UntracedMissed int
	// ForeignTrace counts seccomp stops that a filter of the workload's own asked for.
	ForeignTrace int
	// Supervised counts the calls the supervisor answered (Options.Supervise); Withdrawn those
	// whose caller was interrupted or killed before the answer (a restarted call comes again).
	Supervised, Withdrawn int
	// MaxTasks is the largest number of tasks traced at once.
	MaxTasks int
	// Errors lists unexpected ptrace failures (at most a few, then a count).
	Errors []string
	// Interrupted (Launch with ForwardSignals) is the last signal sctrace received to pass on
	// (Ctrl-C, SIGTERM, ...), or 0: the user asked the run to stop.
	Interrupted syscall.Signal
}

// ExecError reports that the workload could not be started after the helper process was created.
type ExecError struct {
	Step string // "prctl", "seccomp" or "execve"
	Path string
	Err  error
}

func (e *ExecError) Error() string {
	if e.Step == "execve" {
		return fmt.Sprintf("exec %s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("start %s: %s: %v", e.Path, e.Step, e.Err)
}

func (e *ExecError) Unwrap() error { return e.Err }

// InterruptedError is returned by Launch when a signal (a Ctrl-C to the process group, say)
// ended the workload's first process before its execve: the command did not run.
type InterruptedError struct{ Signal syscall.Signal }

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted (%v) before the command started", e.Signal)
}
