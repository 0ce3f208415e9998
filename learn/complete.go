package learn

import "github.com/sctrace/sctrace/arch"

// Completion is a call that Complete added to a profile.
type Completion struct {
	Arch, Syscall, Reason string
}

// always lists calls a recording can miss but a program may need at any time (DESIGN trap 14).
var always = []struct{ name, reason string }{
	{"rt_sigreturn", "returns from every signal handler; a recording without signals misses it"},
	{"sigreturn", "returns from signal handlers on 32-bit ABIs"},
	{"restart_syscall", "the kernel restarts interrupted sleeps with it"},
	{"exit", "ends a thread"},
	{"exit_group", "ends the process"},
	{"clock_gettime", "served by the vDSO where recorded; a real call on hosts without it"},
	{"clock_gettime64", "served by the vDSO on 32-bit ABIs where recorded; a real call elsewhere"},
	{"clock_getres", "served by the vDSO where recorded; a real call on hosts without it"},
	{"gettimeofday", "served by the vDSO where recorded; a real call on hosts without it"},
	{"time", "served by the vDSO where recorded; a real call on hosts without it"},
	{"getcpu", "served by the vDSO where recorded; a real call on hosts without it"},
}

// Complete adds to p, in every arch it recorded, the calls any program may need though a
// recording rarely sees them, with count 0, and returns what it added so the caller can say so.
func Complete(p *Profile) []Completion {
	names := make([]string, len(always))
	reasons := map[string]string{}
	for i, c := range always {
		names[i], reasons[c.name] = c.name, c.reason
	}
	return CompleteFrom(p, nil, names, func(n string) string { return reasons[n] })
}

// Timing lists the calls whose occurrence depends on timing or load rather than on the
// program's input: a recording sees them on one run and not the next, so an enforced profile
// without them kills on the same input (node's sched_yield, the Go runtime's preemption). They
// are added where the executable can make them (sctrace inspect's analysis), never otherwise.
var Timing = []struct{ Name, Reason string }{
	{"sched_yield", "spin-wait back-off: only when another thread holds what this one waits for"},
	{"futex", "a contended lock or condition sleeps and wakes with it; an uncontended one never calls it"},
	{"futex_waitv", "a contended wait on several futexes"},
	{"futex_wait", "a contended lock (the futex2 calls)"},
	{"futex_wake", "a contended lock (the futex2 calls)"},
	{"futex_requeue", "a contended condition variable (the futex2 calls)"},
	{"nanosleep", "a retry or back-off sleep, taken under load"},
	{"clock_nanosleep", "a retry or back-off sleep, taken under load"},
	{"clock_nanosleep_time64", "a retry or back-off sleep on 32-bit ABIs"},
	{"madvise", "allocators and garbage collectors return memory when it crosses a threshold, which depends on timing"},
	{"membarrier", "JIT compilers and garbage collectors synchronise threads with it when they run"},
	{"getpid", "the Go runtime's preemption signals its own threads (getpid, then tgkill)"},
	{"gettid", "the Go runtime's preemption and profiling name their own thread"},
	{"tgkill", "the Go runtime preempts a running goroutine by signalling its own thread; allowed with SIGURG only (a filter cannot tell the caller's own threads from other processes', and SIGURG is ignored by default)"},
	{"tkill", "preemption signals of runtimes that use tkill; allowed with SIGURG only, as tgkill"},
}

// sigurgArgs are the arguments timing completion allows tgkill and tkill with: SIGURG as the
// signal, on the arches where SIGURG is 23 (not MIPS, 21, nor SPARC, 16).
func sigurgArgs(a *arch.Arch, name string) (*Args, bool) {
	switch a.Name {
	case "mips", "mipsel", "mips64", "mipsel64", "mips64n32", "mipsel64n32", "sparc", "sparc64":
		return nil, false
	}
	idx := 2 // tgkill(tgid, tid, sig)
	if name == "tkill" {
		idx = 1 // tkill(tid, sig)
	}
	return &Args{Index: []int{idx}, Mask: []uint64{whole}, Values: [][]uint64{{23}}}, true
}

// CompleteTiming adds the Timing calls the executables can make (possible: arch name -> call
// names), tgkill and tkill with SIGURG only.
func CompleteTiming(p *Profile, possible map[string]map[string]bool, reason func(string) string) []Completion {
	names := make([]string, len(Timing))
	for i, t := range Timing {
		names[i] = t.Name
	}
	added := CompleteFrom(p, possible, names, reason)
	kept := added[:0]
	for _, c := range added {
		if c.Syscall == "tgkill" || c.Syscall == "tkill" {
			a, _ := arch.ByName(c.Arch)
			args, ok := sigurgArgs(a, c.Syscall)
			if !ok {
				delete(p.Arches[c.Arch].Syscalls, c.Syscall)
				continue
			}
			p.Arches[c.Arch].Syscalls[c.Syscall].Args = args
		}
		kept = append(kept, c)
	}
	return kept
}

// CompleteFrom adds to p, in each arch, the calls of the list that can (every executable of the
// arch, together) be made according to possible (arch name -> call names; nil: every call), and
// are not in p yet. reason gives the reason of a call added.
func CompleteFrom(p *Profile, possible map[string]map[string]bool, list []string, reason func(string) string) []Completion {
	var added []Completion
	for _, archName := range p.ArchNames() {
		a, ok := arch.ByName(archName)
		if !ok {
			continue
		}
		set := p.Arches[archName]
		for _, name := range list {
			if possible != nil && !possible[archName][name] {
				continue
			}
			if _, ok := a.SyscallNumber(name); !ok {
				continue
			}
			if _, ok := set.Syscalls[name]; ok {
				continue
			}
			set.Syscalls[name] = &SyscallStat{}
			added = append(added, Completion{Arch: archName, Syscall: name, Reason: reason(name)})
		}
	}
	return added
}

// TimingReason is the reason a timing-class call is added ("" if it is not one).
func TimingReason(name string) string {
	for _, t := range Timing {
		if t.Name == name {
			return t.Reason
		}
	}
	return ""
}
