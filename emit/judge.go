package emit

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/net/bpf"

	"github.com/sctrace/sctrace/arch"
)

// Judge evaluates a compiled filter in user space, on the values the kernel would give it: the
// supervisor of `sctrace run` asks it what each call it is handed gets, so that the answer is the
// filter's own by construction.
type Judge struct {
	vm        *bpf.VM
	bigEndian bool
}

// NewJudge returns a Judge for prog, a filter for a machine whose native ABI is host (its byte
// order decides where the halves of each argument are).
func NewJudge(prog []bpf.Instruction, host *arch.Arch) (*Judge, error) {
	vm, err := bpf.NewVM(prog)
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	return &Judge{vm: vm, bigEndian: host != nil && host.BigEndian}, nil
}

// Verdict returns what the filter answers call nr of ABI audit with args.
func (j *Judge) Verdict(audit uint32, nr int, args [6]uint64) Action {
	b := SeccompData(j.bigEndian, audit, uint32(nr), args)
	v, err := j.vm.Run(b[:])
	if err != nil {
		// Compile's programs never fault; a verdict nobody can honour fails closed.
		return ActKillProcess
	}
	return Action(uint32(v))
}

// SeccompData lays out struct seccomp_data (nr, arch, instruction pointer, args) for
// golang.org/x/net/bpf's VM, whose 32-bit loads are big-endian: each 32-bit word the kernel
// would store in the machine's byte order is stored so that the VM reads the value the kernel's
// load would give.
func SeccompData(bigEndian bool, audit, nr uint32, args [6]uint64) [64]byte {
	var b [64]byte
	binary.BigEndian.PutUint32(b[0:], nr)
	binary.BigEndian.PutUint32(b[4:], audit)
	for i, v := range args {
		lo, hi := 16+8*i, 16+8*i+4
		if bigEndian {
			lo, hi = hi, lo
		}
		binary.BigEndian.PutUint32(b[lo:], uint32(v))
		binary.BigEndian.PutUint32(b[hi:], uint32(v>>32))
	}
	return b
}

// Redirected returns a copy of f whose errno and log verdicts are to: ActUserNotif for a
// supervisor, which names each such call and answers it with f's own verdict (a Judge of f's
// program), or a trace verdict for a tracer that does the same (kernels without user
// notification). Allowing verdicts stay constant, so the kernel still caches them; kills, traps
// and traces stay with the kernel.
func Redirected(f *Filter, to Action) *Filter {
	m := func(a Action) Action {
		switch a & 0xffff0000 {
		case ActErrno, ActLog:
			return to
		}
		return a
	}
	g := &Filter{BadArch: m(f.BadArch)}
	for _, af := range f.Arches {
		af.Default, af.Unknown = m(af.Default), m(af.Unknown)
		rules := make([]Rule, len(af.Rules))
		for i, r := range af.Rules {
			r.Action, r.Else = m(r.Action), m(r.Else)
			if r.Actions != nil {
				acts := make([]Action, len(r.Actions))
				for j, a := range r.Actions {
					acts[j] = m(a)
				}
				r.Actions = acts
			}
			rules[i] = r
		}
		af.Rules = rules
		g.Arches = append(g.Arches, af)
	}
	return g
}

// seccompNewListener is SECCOMP_FILTER_FLAG_NEW_LISTENER; EBUSY what the kernel answers a
// second listener in a filter chain with.
const (
	seccompNewListener = 0x8
	EBUSY              = 16
)

// RefuseListeners makes f answer seccomp(2) calls that ask for a listener
// (SECCOMP_FILTER_FLAG_NEW_LISTENER) with EBUSY, as the kernel answers them under a filter that
// has one. A filter whose denials go to a tracer (SECCOMP_RET_TRACE) needs it: a listener filter
// the workload installed would outrank the tracer's verdicts (USER_NOTIF comes before TRACE) and
// could let every denied call run.
func RefuseListeners(f *Filter) {
	eachRule(f, "seccomp", func(r *Rule) {
		guardAllow(r, Cond{Arg: 1, Op: OpMaskedEq, Mask: seccompNewListener, Value: seccompNewListener, Is32: true}, Errno(EBUSY))
	})
}

// protectedCalls are the calls that reach another process by pid, with the argument that holds
// it: ptrace and process_vm_* read and write its memory, pidfd_open leads to pidfd_getfd (a
// copy of any of its descriptors), the kill family stops it.
var protectedCalls = []struct {
	name string
	arg  int
}{
	{"ptrace", 1}, {"pidfd_open", 0}, {"process_vm_readv", 0}, {"process_vm_writev", 0},
	{"kill", 0}, {"tkill", 0}, {"tgkill", 0}, {"rt_sigqueueinfo", 0}, {"rt_tgsigqueueinfo", 0},
}

// ProtectPid makes f answer EPERM to the calls that would reach process pid (the supervisor)
// where f allows them: a workload must not stop its supervisor, read or write its memory, or copy
// its seccomp listener out of it (pidfd_getfd) to answer its own calls. It is applied to the
// filter installed, not to the one a Judge evaluates: these answers are not the profile's.
func ProtectPid(f *Filter, pid int) {
	for _, pc := range protectedCalls {
		eachRule(f, pc.name, func(r *Rule) {
			guardAllow(r, Cond{Arg: pc.arg, Op: OpEq, Value: uint64(uint32(pid)), Is32: true}, Errno(EPERM))
		})
	}
}
