package record

import (
	"github.com/sctrace/sctrace/arch"
)

// A recording sees the calls that reach sctrace's filter and tracer. Some calls of the workload
// change that (seccomp(2): filter precedence; ptrace(2): one tracer per task): its own seccomp
// filters answer calls before sctrace's TRACE verdict, a user-notification listener outranks it,
// and a workload that traces processes itself competes with sctrace. The recorder notes them, and
// the profile says that calls may be missing (Recording.Hidden).

type watchKind uint8

const (
	watchNone watchKind = iota
	watchSeccomp
	watchPrctl
	watchPtrace
)

type hideFlags uint8

const (
	hideFilter hideFlags = 1 << iota
	hideListener
	hideStrict
	hidePtrace
)

// Values from include/uapi/linux/seccomp.h, prctl.h and ptrace.h; the same on every arch.
const (
	seccompSetModeStrict   = 0
	seccompSetModeFilter   = 1
	seccompFlagNewListener = 1 << 3
	prSetSeccomp           = 22
	prSeccompModeStrict    = 1 // prctl's own numbering: SECCOMP_MODE_STRICT, SECCOMP_MODE_FILTER = 2
	ptraceTraceme          = 0
	ptraceAttach           = 16
	ptraceSeize            = 0x4206
)

// HidingCalls lists the calls that can hide others from a recording (see Recorder.Call): a
// refine run must see them even where its base allows them.
func HidingCalls() []string { return []string{"prctl", "ptrace", "seccomp"} }

func watchFor(audit uint32, nr int) watchKind {
	a, n := arch.Classify(audit, nr)
	if a == nil {
		return watchNone
	}
	switch name, _ := a.SyscallName(n); name {
	case "seccomp":
		return watchSeccomp
	case "prctl":
		return watchPrctl
	case "ptrace":
		return watchPtrace
	}
	return watchNone
}

func (w watchKind) hides(args *[6]uint64) hideFlags {
	if args == nil {
		return 0
	}
	switch w {
	case watchSeccomp:
		switch uint32(args[0]) {
		case seccompSetModeFilter:
			if uint32(args[1])&seccompFlagNewListener != 0 {
				return hideFilter | hideListener
			}
			return hideFilter
		case seccompSetModeStrict:
			return hideStrict
		}
	case watchPrctl:
		if uint32(args[0]) == prSetSeccomp {
			if uint32(args[1]) == prSeccompModeStrict {
				return hideStrict
			}
			return hideFilter
		}
	case watchPtrace:
		switch uint32(args[0]) {
		case ptraceTraceme, ptraceAttach, ptraceSeize:
			return hidePtrace
		}
	}
	return 0
}

func (h hideFlags) reasons() []string {
	var out []string
	if h&hideFilter != 0 {
		out = append(out, "the workload installs (or tried to install) seccomp filters of its own: calls they deny, trap or kill never reach sctrace")
	}
	if h&hideListener != 0 {
		out = append(out, "the workload installs (or tried to install) a seccomp user-notification listener: calls its supervisor answers never reach sctrace")
	}
	if h&hideStrict != 0 {
		out = append(out, "the workload asked for SECCOMP_MODE_STRICT, which fails under a filter (EINVAL): it took another path than it would alone")
	}
	if h&hidePtrace != 0 {
		out = append(out, "the workload traces processes itself (ptrace): a task has one tracer, so its attempts fail under sctrace and it may behave differently")
	}
	return out
}
