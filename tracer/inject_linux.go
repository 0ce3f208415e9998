package tracer

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Full tracing (Options.FullTrace): after an execve, the tracer makes the process install one
// more filter, which sends every call to the tracer (SECCOMP_RET_TRACE). Filters stack and the
// strictest verdict wins, so the base filter's ALLOW no longer hides any call of the process or
// of its descendants (which inherit the filter); a denial or a supervised call still wins over
// the trace. The process makes the seccomp(2) call itself: the tracer resumes it to its first
// system call after the execve (a syscall-enter stop), turns that call into
// seccomp(SECCOMP_SET_MODE_FILTER, 0, prog), with the program written on the process's stack,
// and at its exit stop puts the registers back one instruction earlier, so that the original
// call runs again, now under the new filter (the kernel restarts interrupted calls the same way).
// The process already has no_new_privs, which an unprivileged filter needs.
//
// The injected call carries the handover's kind of cookie in its unused fourth and fifth
// arguments, so that a supervisor that receives it (the base filter may send seccomp to user
// space) lets it run unnamed (injection.matches).

type injectState uint8

const (
	injectAwaitEntry injectState = iota + 1 // resumed with PTRACE_SYSCALL after the execve
	injectAwaitExit                         // the seccomp call is running
)

type injection struct {
	state   injectState
	pid     int
	saved   savedRegs
	filters int // Seccomp_filters of the task before the injection (-1: unknown)
}

// injectCookie marks the injected calls (see above); drawn once per tracer.
type injectCookie [2]uint32

func (c injectCookie) matches(e *Event) bool {
	return uint32(e.Args[3]) == c[0] && uint32(e.Args[4]) == c[1] && isSeccompCall(e.Audit, e.Nr)
}

// startFullTrace begins the injection in process pid, stopped at its execve: the caller resumes
// it with PTRACE_SYSCALL.
func (t *tracer) startFullTrace(pid int) {
	if t.inject == nil {
		t.inject = map[int]*injection{}
	}
	t.inject[pid] = &injection{state: injectAwaitEntry, pid: pid}
}

// injectStop handles a syscall stop of a task being made fully traced.
func (t *tracer) injectStop(tid int, inj *injection) {
	var info syscallInfo
	if errno := getSyscallInfo(tid, &info); errno != 0 {
		t.endInjection(tid, inj, "PTRACE_GET_SYSCALL_INFO: "+errno.Error())
		return
	}
	switch inj.state {
	case injectAwaitEntry:
		if info.Op != unix.PTRACE_SYSCALL_INFO_ENTRY {
			ptrace(unix.PTRACE_SYSCALL, tid, 0, 0)
			return
		}
		inj.filters = seccompFilters(tid)
		saved, why := injectSeccomp(tid, info.Arch, t.injectCookie)
		if why != "" {
			t.endInjection(tid, inj, why)
			return
		}
		inj.saved, inj.state = saved, injectAwaitExit
		if errno := ptrace(unix.PTRACE_SYSCALL, tid, 0, 0); errno != 0 {
			t.endInjection(tid, inj, "resume: "+errno.Error())
		}
	case injectAwaitExit:
		if info.Op != unix.PTRACE_SYSCALL_INFO_EXIT {
			ptrace(unix.PTRACE_SYSCALL, tid, 0, 0)
			return
		}
		// struct ptrace_syscall_info's exit member {s64 rval; u8 is_error} overlays nr.
		why := ""
		if rval := int64(info.Nr); rval != 0 {
			why = "seccomp: " + syscall.Errno(-rval).Error()
		}
		if why == "" && inj.filters >= 0 && seccompFilters(tid) != inj.filters+1 {
			// The call "succeeded" without adding a filter: a filter of the workload's own
			// answered it (SECCOMP_RET_ERRNO with 0, say).
			why = "the filter did not go in (a seccomp filter of the workload's own answered the call)"
		}
		if !restartCall(tid, &inj.saved) {
			why = "could not restore the registers"
			unix.Kill(tid, unix.SIGKILL) // it would run on with a changed call
		}
		t.endInjection(tid, inj, why)
	}
}

// endInjection reports the outcome and resumes the task normally.
func (t *tracer) endInjection(tid int, inj *injection, failed string) {
	delete(t.inject, tid)
	if failed == "" {
		t.setFull(inj.pid)
	}
	t.emit(&Event{Kind: EventFullTrace, Pid: inj.pid, Tid: tid, Failed: failed})
	t.cont(tid, 0)
}

// setFull marks a process as fully traced; its descendants inherit the mark (see emit).
func (t *tracer) setFull(pid int) {
	if t.full == nil {
		t.full = map[int]bool{}
	}
	t.full[pid] = true
}

// filterTraceAll is struct sock_filter {BPF_RET|BPF_K, 0, 0, SECCOMP_RET_TRACE|OwnTraceData}.
func filterTraceAll() []byte {
	var b [8]byte
	b[0] = unix.BPF_RET | unix.BPF_K
	k := uint32(unix.SECCOMP_RET_TRACE | OwnTraceData)
	putNative32(b[4:], k)
	return b[:]
}

// seccompFilters reads the number of seccomp filters of a task (Seccomp_filters in
// /proc/TID/status, Linux 5.9); -1 if unknown.
func seccompFilters(tid int) int { return statusNumber(tid, "Seccomp_filters") }

// onStack reports whether [lo, hi) lies in the task's stack mapping ([stack] in its maps): the
// injection writes its program only there, where nothing of the process lives below the stack
// pointer. A process that moved its stack pointer elsewhere is not injected.
func onStack(tid int, lo, hi uint64) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/maps")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasSuffix(line, "[stack]") {
			continue
		}
		span, _, _ := strings.Cut(line, " ")
		from, to, _ := strings.Cut(span, "-")
		start, err1 := strconv.ParseUint(from, 16, 64)
		end, err2 := strconv.ParseUint(to, 16, 64)
		return err1 == nil && err2 == nil && lo >= start && hi <= end
	}
	return false
}
