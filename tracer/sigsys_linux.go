package tracer

import (
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sctrace/sctrace/tracer/internal/tasks"
)

// SIGSYS from a filter (SECCOMP_RET_TRAP, SECCOMP_RET_KILL_*) names the call it answered:
//   - TRAP sends a SIGSYS whose siginfo has si_code SYS_SECCOMP, the call's number and arch: the
//     tracer reads it at the signal-delivery stop, before any handler of the workload runs.
//   - KILL_PROCESS (Linux 5.16+) forces an unblockable, unhandleable SIGSYS that skips the tracer
//     (SA_IMMUTABLE). With PTRACE_O_TRACEEXIT the killed thread still stops at its exit, and its
//     registers hold the call it was making (the kernel rolls them back to the call's entry,
//     kernel/seccomp.c, syscall_rollback); the process's other threads stop there too, each in
//     whatever call it was (the caller judges which call the filter kills for). Older kernels
//     deliver the SIGSYS through a signal-delivery stop like TRAP.

// siginfo offsets: si_signo, si_errno, si_code are ints, then the union, pointer-aligned;
// union _sigsys is {void *_call_addr; int _syscall; unsigned int _arch}.
const (
	sysSeccomp    = 1 // si_code of a seccomp SIGSYS
	siCodeOff     = 8
	siUnionOff    = (12 + unsafe.Sizeof(uintptr(0)) - 1) &^ (unsafe.Sizeof(uintptr(0)) - 1)
	siSyscallOff  = siUnionOff + unsafe.Sizeof(uintptr(0))
	siArchOff     = siSyscallOff + 4
	siginfoLength = 128
)

// sigsysStop reports a SIGSYS a filter raised, at its signal-delivery stop.
func (t *tracer) sigsysStop(tid int, tk *tasks.Task) {
	var si [siginfoLength]byte
	if ptrace(unix.PTRACE_GETSIGINFO, tid, 0, uintptr(unsafe.Pointer(&si[0]))) != 0 {
		return
	}
	if int32(binary.NativeEndian.Uint32(si[siCodeOff:])) != sysSeccomp {
		return // a SIGSYS some process sent
	}
	audit := binary.NativeEndian.Uint32(si[siArchOff:])
	nr := int(int32(binary.NativeEndian.Uint32(si[siSyscallOff:])))
	_, args, _ := callRegs(tid, audit)
	if t.sigsysSeen == nil {
		t.sigsysSeen = map[int]bool{}
	}
	t.sigsysSeen[tid] = true
	e := Event{Kind: EventSigsys, Pid: tk.Pid, Tid: tid, Audit: audit, Nr: nr, Args: args}
	t.peekFor(&e)
	t.emit(&e)
}

// peekFor reads the memory Options.Peek asks for of a call a stopped task made.
func (t *tracer) peekFor(e *Event) { t.peekInto(e.Tid, e) }

// peekInto reads into e the memory Options.Peek asks for of a call thread tid (stopped) made,
// and for a relative path the directory Options.PathDir says it is relative to.
func (t *tracer) peekInto(tid int, e *Event) {
	if t.peek == nil || e.Nr < 0 {
		return
	}
	addr, max, str := t.peek(e)
	if addr == 0 || max <= 0 {
		return
	}
	e.Mem = t.mem.read(tid, addr, max, str)
	if !str || t.pathDir == nil || len(e.Mem) == 0 || e.Mem[0] == '/' {
		return
	}
	var link string
	switch arg := t.pathDir(e); {
	case arg == -1 || (arg >= 0 && arg < 6 && int32(e.Args[arg]) == unix.AT_FDCWD):
		link = "/proc/" + strconv.Itoa(tid) + "/cwd"
	case arg >= 0 && arg < 6:
		link = "/proc/" + strconv.Itoa(tid) + "/fd/" + strconv.Itoa(int(int32(e.Args[arg])))
	default:
		return
	}
	// A descriptor that is not a directory in the file tree ("socket:[…]", "anon_inode:…")
	// resolves nothing.
	if dir, err := os.Readlink(link); err == nil && strings.HasPrefix(dir, "/") {
		e.Dir = strings.TrimSuffix(dir, " (deleted)")
	}
}

// exitStop handles PTRACE_EVENT_EXIT: a thread killed by SIGSYS that no signal-delivery stop
// reported was killed by a filter at the call its registers hold.
func (t *tracer) exitStop(tid int, tk *tasks.Task) {
	if t.sigsysSeen[tid] {
		delete(t.sigsysSeen, tid)
		return
	}
	msg, errno := ptraceGetEventMsg(tid)
	if errno != 0 {
		return
	}
	ws := unix.WaitStatus(msg)
	if !ws.Signaled() || ws.Signal() != syscall.SIGSYS {
		return
	}
	// Every thread of the killed process stops here (the group's SIGKILL is dequeued before
	// the exit); only the one that made the call the filter killed it for matters. A thread
	// that was not in a call (orig_rax -1) is not it. Nr -1 and Audit 0: not readable here.
	e := Event{Kind: EventSigsys, Pid: tk.Pid, Tid: tid, Nr: -1, Fatal: true}
	var info syscallInfo
	if getSyscallInfo(tid, &info) == 0 {
		if nr, args, ok := callRegs(tid, info.Arch); ok {
			if nr == -1 {
				return
			}
			e.Audit, e.Nr, e.Args = info.Arch, nr, args
			t.peekFor(&e)
		}
	}
	t.emit(&e)
}

// ReadString reads a NUL-terminated string of at most max bytes at addr in thread tid's memory
// (process_vm_readv: the thread should be stopped, or waiting in a supervised call), or nil.
func ReadString(tid int, addr uint64, max int) []byte {
	var m memReader
	return m.read(tid, addr, max, true)
}
