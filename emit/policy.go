package emit

import (
	"fmt"
	"sort"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/learn"
)

// A Fallback is a call that C libraries and language runtimes try first and replace by an older
// call when, and only when, it fails with ENOSYS. A filter that answers one with EPERM breaks
// those programs on a newer kernel or libc than the one they were recorded with (DESIGN trap
// 11), so a filter that does not allow one of these returns ENOSYS for it.
type Fallback struct {
	Call string // the call tried first
	To   string // what the program falls back to
}

// Fallbacks lists the Fallback calls. It is a slice, which the linker lays out, not a map,
// which would be built at start-up; FallbackOf finds a call in it.
var Fallbacks = []Fallback{
	{"clone3", "clone (glibc 2.34+, musl, Go's runtime)"},
	{"faccessat2", "faccessat (glibc access with flags)"},
	{"fchmodat2", "fchmodat (glibc 2.39 fchmodat with flags)"},
	{"openat2", "openat"},
	{"statx", "newfstatat / fstatat64 (glibc stat family)"},
	{"close_range", "a close() loop (glibc closefrom, crun, systemd)"},
	{"epoll_pwait2", "epoll_pwait"},
	{"pidfd_open", "kill and wait by pid (Go's os package, systemd)"},
	{"pidfd_send_signal", "kill"},
	{"copy_file_range", "read and write (coreutils cp, Go's io.Copy)"},
	{"getrandom", "reading /dev/urandom"},
	{"preadv2", "preadv"},
	{"pwritev2", "pwritev"},
	{"renameat2", "renameat"},
	{"mlock2", "mlock"},
	{"membarrier", "a slower barrier (liburcu, JITs)"},
	{"io_uring_setup", "epoll or threads (libuv, tokio, liburing users)"},
	{"landlock_create_ruleset", "running without Landlock"},
	{"rseq", "running without restartable sequences (glibc 2.35+)"},
	{"futex_waitv", "futex"},
	{"map_shadow_stack", "running without shadow stacks"},
	// 32-bit ABIs: glibc calls the 64-bit-time variant first (Linux 5.1+).
	{"clock_gettime64", "clock_gettime"},
	{"clock_settime64", "clock_settime"},
	{"clock_adjtime64", "clock_adjtime"},
	{"clock_getres_time64", "clock_getres"},
	{"clock_nanosleep_time64", "clock_nanosleep"},
	{"timer_gettime64", "timer_gettime"},
	{"timer_settime64", "timer_settime"},
	{"timerfd_gettime64", "timerfd_gettime"},
	{"timerfd_settime64", "timerfd_settime"},
	{"utimensat_time64", "utimensat"},
	{"pselect6_time64", "pselect6"},
	{"ppoll_time64", "ppoll"},
	{"io_pgetevents_time64", "io_pgetevents"},
	{"recvmmsg_time64", "recvmmsg"},
	{"mq_timedsend_time64", "mq_timedsend"},
	{"mq_timedreceive_time64", "mq_timedreceive"},
	{"semtimedop_time64", "semtimedop"},
	{"rt_sigtimedwait_time64", "rt_sigtimedwait"},
	{"futex_time64", "futex"},
	{"sched_rr_get_interval_time64", "sched_rr_get_interval"},
}

// FallbackOf returns what a program falls back to when call fails with ENOSYS, if call is one of
// the Fallbacks.
func FallbackOf(call string) (string, bool) {
	for _, f := range Fallbacks {
		if f.Call == call {
			return f.To, true
		}
	}
	return "", false
}

// FilterFor builds the filter that allows exactly the calls p recorded, per arch, and answers
// the rest with deny:
//   - a call of a recorded arch that p lacks gets deny, unless it is one of the Fallbacks or a
//     number the arch's table has no name for (a gap, a range the arch does not use, anything
//     above the table): those get ENOSYS, which programs expect from a kernel that lacks a call;
//   - a call from an arch p did not record gets deny (so int 0x80 from an x86_64-only workload
//     is denied); an x32 call from an x86_64 workload that made none gets ENOSYS when deny is an
//     errno, as from the many kernels built without x32;
//
// With deny = ActTrace (refine modes) or ActLog (log and complain modes: every call runs)
// every call the profile lacks gets deny, fallbacks and unknown numbers included.
//
// A recorded negative number (syscall(-1), which the kernel fails with ENOSYS whatever the
// filter says) is allowed: it is in the profile.
func FilterFor(p *learn.Profile, deny Action) (*Filter, error) {
	enosys := Errno(ENOSYS)
	if k := deny & 0xffff0000; k == ActTrace || k == ActLog {
		enosys = deny
	}
	names := p.ArchNames()
	if m := p.Machine(); m != nil {
		// The machine's own ABI first: its check is one comparison cheaper.
		sort.SliceStable(names, func(i, j int) bool { return names[i] == m.Name && names[j] != m.Name })
	}
	f := &Filter{BadArch: deny}
	recorded := map[*arch.Arch]bool{}
	for _, name := range names {
		a, ok := arch.ByName(name)
		if !ok {
			return nil, fmt.Errorf("arch %q: sctrace has no table for it, so cannot filter it", name)
		}
		recorded[a] = true
		af := ArchFilter{Arch: a, Default: deny, Unknown: enosys}
		allowed := map[int]bool{}
		for _, key := range p.Syscalls(name) {
			nr, ok := a.ParseKey(key)
			if !ok {
				return nil, fmt.Errorf("%s: bad syscall %q", name, key)
			}
			if nr >= 1<<20 || nr < -1<<31 {
				// Not a number seccomp_data.nr can hold, or beyond every table and range:
				// Unknown answers it.
				continue
			}
			allowed[nr] = true
			af.Rules = append(af.Rules, ruleFor(nr, p.Arches[name].Syscalls[key].Args, deny))
		}
		for _, f := range Fallbacks {
			if nr, ok := a.SyscallNumber(f.Call); ok && !allowed[nr] {
				af.Rules = append(af.Rules, Rule{Nr: nr, Action: enosys})
			}
		}
		sort.Slice(af.Rules, func(i, j int) bool { return af.Rules[i].Nr < af.Rules[j].Nr })
		f.Arches = append(f.Arches, af)
	}
	for _, af := range f.Arches {
		// An ABI that shares a recorded one's AUDIT_ARCH value (x32 beside x86_64) must be
		// listed, or its calls would be judged by the other's table. Unrecorded, it gets ENOSYS
		// under an errno action, as from the many kernels built without it.
		if sib := af.Arch.Sibling(); sib != nil && sib.SyscallBit != 0 && !recorded[sib] {
			act := deny
			if _, ok := deny.IsErrno(); ok {
				act = Errno(ENOSYS)
			}
			f.Arches = append(f.Arches, ArchFilter{Arch: sib, Default: act, Unknown: act})
			recorded[sib] = true
		}
	}
	return f, nil
}

// ruleFor is the rule of a call a profile allows: unconditionally, or, with learned arguments,
// for those argument values only (each combination a clause; every other call of the number
// gets deny). The kernel reads each learned argument as a C int, or as a flag word whose bits of
// interest are in the low half: the comparisons are of the low 32 bits (DESIGN trap 12).
func ruleFor(nr int, args *learn.Args, deny Action) Rule {
	if args == nil || args.Widened {
		return Rule{Nr: nr, Action: ActAllow}
	}
	if len(args.Values) == 0 {
		return Rule{Nr: nr, Action: deny}
	}
	r := Rule{Nr: nr, Action: ActAllow, Else: deny}
	for _, v := range args.Values {
		clause := make([]Cond, len(args.Index))
		for i, idx := range args.Index {
			clause[i] = Cond{Arg: idx, Op: OpEq, Value: v[i], Is32: true}
			if args.Mask[i] != 0xffffffff {
				clause[i].Op, clause[i].Mask = OpMaskedEq, args.Mask[i]
			}
		}
		r.When = append(r.When, clause)
	}
	return r
}

// cloneUntraced is CLONE_UNTRACED (include/uapi/linux/sched.h), the same on every arch.
const cloneUntraced = 0x00800000

// TraceUntracedClones changes f, a filter sctrace installs under its own tracer, so that a
// clone the profile allows stops in the tracer (trace, an ActTrace verdict) when it asks for
// CLONE_UNTRACED, and so does every allowed clone3, whose flags are in memory where a filter
// cannot read them. The tracer clears the flag at that stop (in a clone3's memory, which another
// thread can race: run refuses clone3 outright, see RefuseClone3), so the child stays traced: recorded
// in refine mode, and killed with sctrace in every mode (DESIGN trap 23). Filters for other
// programs (emit) must not get this: with no tracer, TRACE fails the call with ENOSYS.
func TraceUntracedClones(f *Filter, trace Action) {
	for i := range f.Arches {
		af := &f.Arches[i]
		clone, hasClone := af.Arch.SyscallNumber("clone")
		clone3, hasClone3 := af.Arch.SyscallNumber("clone3")
		for j := range af.Rules {
			r := &af.Rules[j]
			if hasClone && r.Nr == clone && r.Action == ActAllow && len(r.When) > 0 {
				traceUntracedLearned(r, af.Arch.CloneFlagsArg, trace)
				continue
			}
			if r.Action != ActAllow || len(r.When) > 0 {
				continue
			}
			switch {
			case hasClone && r.Nr == clone:
				// Trap 12: the flags are a C unsigned long on 64-bit ABIs, an int on 32-bit
				// ones; the flag is in the low half either way.
				r.When = [][]Cond{{{Arg: af.Arch.CloneFlagsArg, Op: OpMaskedEq, Mask: cloneUntraced,
					Value: cloneUntraced, Is32: true}}}
				r.Action, r.Else = trace, ActAllow
			case hasClone3 && r.Nr == clone3:
				r.Action = trace
			}
		}
	}
}

// traceUntracedLearned makes a clone rule with learned flags (whose mask has CLONE_UNTRACED)
// trace every combination it allows with CLONE_UNTRACED set, as TraceUntracedClones does for an
// unconditional clone. The tracer clears the flag, and the kernel then checks the call again
// (seccomp re-runs the filter after a tracer's stop, since Linux 4.8): so each learned
// combination is allowed without the flag and traced with it, whichever of the two was
// recorded. Nothing else widens: the flag decides only whether the child is traced.
func traceUntracedLearned(r *Rule, flagsArg int, trace Action) {
	untraced := func(clause []Cond) int {
		for i, cd := range clause {
			if cd.Arg == flagsArg && cd.Op == OpMaskedEq && cd.Mask&cloneUntraced != 0 {
				return i
			}
		}
		return -1
	}
	var when [][]Cond
	var acts []Action
	seen := map[string]bool{}
	add := func(clause []Cond, act Action) {
		key := fmt.Sprint(clause)
		if !seen[key] {
			seen[key] = true
			when, acts = append(when, clause), append(acts, act)
		}
	}
	for _, clause := range r.When {
		i := untraced(clause)
		if i < 0 { // not a learned clone clause: leave it
			add(clause, ActAllow)
			continue
		}
		without := append([]Cond(nil), clause...)
		without[i].Value &^= cloneUntraced
		with := append([]Cond(nil), clause...)
		with[i].Value |= cloneUntraced
		add(without, ActAllow)
		add(with, trace)
	}
	r.When, r.Actions = when, acts
}

// TraceCalls changes f so that the calls named, where f allows them unconditionally, stop in the
// tracer (trace, an ActTrace verdict) instead: a refine run that records a footprint must see
// every file opened and every address connected to, also through calls its base allows.
func TraceCalls(f *Filter, names []string, trace Action) {
	for _, n := range names {
		eachRule(f, n, func(r *Rule) {
			// Learned arguments too: the calls the rule allows stop in the tracer instead.
			if r.Action == ActAllow {
				r.Action = trace
			}
			for i, a := range r.Actions {
				if a == ActAllow {
					r.Actions[i] = trace
				}
			}
		})
	}
}

// eachRule calls fn for every rule of f for the call named name, in every arch that has it.
func eachRule(f *Filter, name string, fn func(r *Rule)) {
	for i := range f.Arches {
		af := &f.Arches[i]
		nr, ok := af.Arch.SyscallNumber(name)
		if !ok {
			continue
		}
		for j := range af.Rules {
			if af.Rules[j].Nr == nr {
				fn(&af.Rules[j])
			}
		}
	}
}

// plainAllow reports whether r allows its call whatever the arguments.
func plainAllow(r *Rule) bool { return r.Action == ActAllow && len(r.When) == 0 }

// guardAllow turns r, a plain allow, into act for the calls whose arguments meet cd, allow for
// the others.
func guardAllow(r *Rule, cd Cond, act Action) {
	if plainAllow(r) {
		r.When, r.Action, r.Else = [][]Cond{{cd}}, act, ActAllow
	}
}

// AllowCloneFallback makes f allow clone wherever it allows clone3 (trace: the verdict
// TraceUntracedClones gives an allowed clone3), the same privilege: see RefuseClone3, which
// sends programs from clone3 to clone.
func AllowCloneFallback(f *Filter, trace Action) {
	for i := range f.Arches {
		af := &f.Arches[i]
		nr3, ok3 := af.Arch.SyscallNumber("clone3")
		clone, ok := af.Arch.SyscallNumber("clone")
		if !ok3 || !ok {
			continue
		}
		allowed, has := false, false
		for _, r := range af.Rules {
			allowed = allowed || (r.Nr == nr3 && (r.Action == ActAllow || r.Action == trace))
			has = has || r.Nr == clone
		}
		if allowed && !has {
			af.Rules = append(af.Rules, Rule{Nr: clone, Action: ActAllow})
		}
	}
	TraceUntracedClones(f, trace)
}

// RefuseClone3 makes f answer every clone3 with ENOSYS, as a kernel without the call would:
// clone3's flags are in memory, where a filter cannot read them and another thread can change
// them after a tracer has, so under sctrace a program creates its threads and processes with
// clone (libc and Go's runtime fall back to it on ENOSYS), whose CLONE_UNTRACED the filter sees.
// Apply AllowCloneFallback first, to the filter a Judge evaluates too; apply this one to the
// filter installed only (the ENOSYS is sctrace's, not the profile's). Only for filters sctrace
// installs under its own tracer (Docker's default profile does the same for every container).
func RefuseClone3(f *Filter) {
	eachRule(f, "clone3", func(r *Rule) {
		r.Action, r.When, r.Else = Errno(ENOSYS), nil, 0
	})
}
