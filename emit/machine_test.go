package emit

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/learn"
)

// machineProfile is a profile recorded on a machine of arch a: a few calls of a, and uname -m.
func machineProfile(a *arch.Arch, names ...string) *learn.Profile {
	p := learn.NewProfile()
	set := &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{}}
	for _, n := range names {
		set.Syscalls[n] = &learn.SyscallStat{Count: 1}
	}
	p.Arches[a.Name] = set
	machine := ""
	if len(a.Uname) > 0 {
		machine = a.Uname[0]
	}
	p.Recordings = []learn.Recording{{Command: []string{"app"}, Machine: machine}}
	return p
}

// TestRuntimeOnItsMachine: `emit --runtime` adds the runtime's calls to the ABI of the machine
// the profile is for, never to the host's that runs sctrace: an aarch64 profile gets aarch64
// capset, setresuid and close (allowed, not EPERM), and no x86_64 arch appears.
func TestRuntimeOnItsMachine(t *testing.T) {
	p := machineProfile(arch.AArch64, "execve", "exit_group", "write")
	for rt, want := range map[string][]string{"runc": {"capset", "close"}, "crun": {"capset", "setresuid", "close"}} {
		q, notes, err := completeForFormats(p, Options{Runtime: rt, Host: arch.X86_64})
		if err != nil {
			t.Fatal(err)
		}
		if q.Arches[arch.X86_64.Name] != nil {
			t.Errorf("%s: the runtime's calls went to x86_64: %v", rt, q.Syscalls(arch.X86_64.Name))
		}
		for _, n := range notes {
			if n.Arch != "" && n.Arch != arch.AArch64.Name {
				t.Errorf("%s: note for another arch: %v", rt, n)
			}
		}
		// Through the compiled filter: each is allowed on aarch64.
		r := newRunner(t, compileProfile(t, q, Errno(EPERM)))
		for _, name := range want {
			nr, _ := arch.AArch64.SyscallNumber(name)
			if got := r.call(arch.AArch64, nr); got != ActAllow {
				t.Errorf("%s: aarch64 %s: %v, want allow", rt, name, got)
			}
		}
	}
}

// TestRawByteOrder: the raw filter is written in the byte order of the machine it is for.
func TestRawByteOrder(t *testing.T) {
	for _, a := range []*arch.Arch{arch.X86_64, arch.AArch64, arch.S390X, arch.PPC64} {
		out, _, err := Emit("bpf", machineProfile(a, "execve", "exit_group"), Options{Host: arch.X86_64})
		if err != nil {
			t.Fatal(err)
		}
		// The first instruction loads seccomp_data.arch: BPF_LD|BPF_W|BPF_ABS (0x20), k = 4.
		var order binary.ByteOrder = binary.LittleEndian
		if a.BigEndian {
			order = binary.BigEndian
		}
		if op, k := order.Uint16(out[0:2]), order.Uint32(out[4:8]); op != 0x20 || k != 4 {
			t.Errorf("%s: first instruction op %#x k %d in %v order, want a load of the arch", a, op, k, order)
		}
	}
}

// TestMachineUnknown: a profile whose machine cannot be told falls back to the host given.
func TestMachineUnknown(t *testing.T) {
	p := learn.NewProfile()
	p.Arches["x86_64"] = &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{"execve": {Count: 1}}}
	p.Arches["aarch64"] = &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{"execve": {Count: 1}}}
	if m := p.Machine(); m != nil {
		t.Fatalf("machine %v for a profile of two unrelated arches", m)
	}
	_, _, err := completeForFormats(p, Options{Runtime: "runc"})
	if err == nil || !strings.Contains(err.Error(), "cannot tell which machine") {
		t.Errorf("error %v", err)
	}
	if _, _, err := completeForFormats(p, Options{Runtime: "runc", Host: arch.AArch64}); err != nil {
		t.Error(err)
	}
}

// TestTraceUntracedClones: in sctrace's own filters a clone with CLONE_UNTRACED goes to the
// tracer, in the argument each ABI passes the flags in (s390x: the second), and so does clone3;
// a clone without the flag stays allowed.
func TestTraceUntracedClones(t *testing.T) {
	trace := ActTrace | 0x5c7
	for _, a := range []*arch.Arch{arch.X86_64, arch.X86, arch.AArch64, arch.S390X} {
		p := learn.NewProfile()
		p.Arches[a.Name] = &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{
			"clone": {Count: 1}, "clone3": {Count: 1}, "exit_group": {Count: 1}}}
		f, err := FilterFor(p, Errno(EPERM))
		if err != nil {
			t.Fatal(err)
		}
		TraceUntracedClones(f, trace)
		prog, err := Compile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := newRunner(t, prog)
		clone, _ := a.SyscallNumber("clone")
		clone3, _ := a.SyscallNumber("clone3")
		var untraced, plain [6]uint64
		untraced[a.CloneFlagsArg] = 0x00800000 | 0x11 // CLONE_UNTRACED|SIGCHLD
		plain[a.CloneFlagsArg] = 0x11
		plain[1-a.CloneFlagsArg] = 0x00800000 // the flag in the other argument means nothing
		if got := r.run(a, a.Audit, uint32(clone), untraced); got != trace {
			t.Errorf("%s clone(CLONE_UNTRACED): %v, want trace", a, got)
		}
		if got := r.run(a, a.Audit, uint32(clone), plain); got != ActAllow {
			t.Errorf("%s clone without CLONE_UNTRACED: %v, want allow", a, got)
		}
		if got := r.run(a, a.Audit, uint32(clone3), [6]uint64{}); got != trace {
			t.Errorf("%s clone3: %v, want trace", a, got)
		}
	}
}

// TestRuntimeOn32BitMachines: on a 32-bit machine the runtime is a 32-bit program: its calls go
// to arm (armv7l) and x86 (i686); mips machines do not tell their byte order, the recorded arch
// does, and the raw filter follows it.
func TestRuntimeOn32BitMachines(t *testing.T) {
	for _, tc := range []struct {
		a       *arch.Arch
		machine string
	}{{arch.ARM, "armv7l"}, {arch.X86, "i686"}, {arch.MIPSel, "mips"}, {arch.MIPSel64, "mips64"}} {
		p := machineProfile(tc.a, "execve", "exit_group", "write")
		p.Recordings[0].Machine = tc.machine
		if m := p.Machine(); m != tc.a {
			t.Errorf("%s on %s: machine %v", tc.a, tc.machine, m)
		}
		q, _, err := completeForFormats(p, Options{Runtime: "runc", Host: arch.X86_64})
		if err != nil {
			t.Fatal(err)
		}
		if q.Arches[tc.a.Name].Syscalls["capget"] == nil && q.Arches[tc.a.Name].Syscalls["prctl"] == nil {
			t.Errorf("%s: runc's calls not added to it: %v", tc.a, q.Syscalls(tc.a.Name))
		}
		if len(q.Arches) != 1 {
			t.Errorf("%s: arches %v, want only %s", tc.a, q.ArchNames(), tc.a)
		}
		out, _, err := Emit("bpf", p, Options{Host: arch.X86_64})
		if err != nil {
			t.Fatal(err)
		}
		if out[0] != 0x20 { // little-endian BPF_LD|BPF_W|BPF_ABS
			t.Errorf("%s: raw filter not little-endian: % x", tc.a, out[:8])
		}
	}
}
