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
	var added []Completion
	for _, name := range p.ArchNames() {
		a, ok := arch.ByName(name)
		if !ok {
			continue
		}
		set := p.Arches[name]
		for _, c := range always {
			if _, ok := a.SyscallNumber(c.name); !ok {
				continue
			}
			if _, ok := set.Syscalls[c.name]; ok {
				continue
			}
			set.Syscalls[c.name] = &SyscallStat{}
			added = append(added, Completion{Arch: name, Syscall: c.name, Reason: c.reason})
		}
	}
	return added
}
