package emit

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand"
	"runtime"
	"sort"
	"strings"
	"testing"

	seccomp "github.com/elastic/go-seccomp-bpf"
	sarch "github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/learn"
)

func seccompData(a *arch.Arch, audit uint32, nr uint32, args [6]uint64) []byte {
	b := SeccompData(a != nil && a.BigEndian, audit, nr, args)
	return b[:]
}

// runner runs a program in the VM and counts the instructions each run executes.
type runner struct {
	t    testing.TB
	prog []bpf.Instruction
	vm   *bpf.VM
}

func newRunner(t testing.TB, prog []bpf.Instruction) *runner {
	t.Helper()
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("program rejected by the VM: %v\n%s", err, disasm(prog))
	}
	if _, ok := prog[len(prog)-1].(bpf.RetConstant); !ok {
		t.Fatalf("program does not end in a return\n%s", disasm(prog))
	}
	return &runner{t: t, prog: prog, vm: vm}
}

func (r *runner) run(a *arch.Arch, audit, nr uint32, args [6]uint64) Action {
	r.t.Helper()
	v, err := r.vm.Run(seccompData(a, audit, nr, args))
	if err != nil {
		r.t.Fatalf("VM: %v", err)
	}
	return Action(uint32(v))
}

// call runs a call of arch a with its own number (x32: bit 30 added).
func (r *runner) call(a *arch.Arch, nr int) Action {
	return r.run(a, a.Audit, uint32(nr)|a.SyscallBit, [6]uint64{})
}

// pathLen counts the instructions executed for one input (jumps followed as the VM would).
func pathLen(prog []bpf.Instruction, data []byte) int {
	n := 0
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		n++
		switch in := prog[pc].(type) {
		case bpf.LoadAbsolute:
			acc = binary.BigEndian.Uint32(data[in.Off:])
		case bpf.ALUOpConstant:
			acc &= in.Val
		case bpf.Jump:
			pc += int(in.Skip)
		case bpf.JumpIf:
			var ok bool
			switch in.Cond {
			case bpf.JumpEqual:
				ok = acc == in.Val
			case bpf.JumpNotEqual:
				ok = acc != in.Val
			case bpf.JumpGreaterOrEqual:
				ok = acc >= in.Val
			case bpf.JumpGreaterThan:
				ok = acc > in.Val
			case bpf.JumpBitsSet:
				ok = acc&in.Val != 0
			case bpf.JumpLessThan:
				ok = acc < in.Val
			default:
				panic(fmt.Sprintf("pathLen: %v", in))
			}
			if ok {
				pc += int(in.SkipTrue)
			} else {
				pc += int(in.SkipFalse)
			}
		case bpf.RetConstant:
			return n
		default:
			panic(fmt.Sprintf("pathLen: %T", in))
		}
	}
	return n
}

func disasm(prog []bpf.Instruction) string {
	var b strings.Builder
	for i, in := range prog {
		fmt.Fprintf(&b, "%4d  %v\n", i, in)
	}
	return b.String()
}

// constAllow emulates the kernel's check of whether a call's verdict can be cached
// (kernel/seccomp.c, seccomp_is_const_allow, Linux 5.11+): it evaluates the filter knowing only
// the arch and the number; any other load, or an instruction outside the few it models, means
// "depends on the arguments", and only a constant SECCOMP_RET_ALLOW is cached.
func constAllow(prog []bpf.RawInstruction, audit, nr uint32) bool {
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Op {
		case 0x20: // BPF_LD | BPF_W | BPF_ABS
			switch in.K {
			case offNr:
				acc = nr
			case offArch:
				acc = audit
			default:
				return false
			}
		case 0x54: // BPF_ALU | BPF_AND | BPF_K
			acc &= in.K
		case 0x05: // BPF_JMP | BPF_JA
			pc += int(in.K)
		case 0x15, 0x35, 0x25, 0x45: // JEQ, JGE, JGT, JSET with K
			var ok bool
			switch in.Op {
			case 0x15:
				ok = acc == in.K
			case 0x35:
				ok = acc >= in.K
			case 0x25:
				ok = acc > in.K
			case 0x45:
				ok = acc&in.K != 0
			}
			if ok {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case 0x06: // BPF_RET | BPF_K
			return in.K == uint32(ActAllow)
		default:
			return false
		}
	}
	return false
}

// randomProfile records n distinct calls in each of the given arches.
func randomProfile(rng *rand.Rand, n int, arches ...*arch.Arch) *learn.Profile {
	p := learn.NewProfile()
	for _, a := range arches {
		set := &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{}}
		tab := a.Syscalls()
		for len(set.Syscalls) < n && len(set.Syscalls) < len(tab) {
			set.Syscalls[tab[rng.Intn(len(tab))].Name] = &learn.SyscallStat{Count: 1}
		}
		p.Arches[a.Name] = set
	}
	return p
}

func compileProfile(t testing.TB, p *learn.Profile, deny Action) []bpf.Instruction {
	t.Helper()
	f, err := FilterFor(p, deny)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := Compile(f)
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// probeNumbers are the numbers TestProperties tries in arch a: every number up to 1100 (past
// every regular table), the numbers around each named call beyond that (ARM's private block at
// 0x0f0000), and a few far ones.
func probeNumbers(a *arch.Arch) []int {
	seen := map[int]bool{}
	var out []int
	add := func(nr int) {
		if nr >= 0 && !seen[nr] {
			seen[nr] = true
			out = append(out, nr)
		}
	}
	for nr := 0; nr <= 1100; nr++ {
		add(nr)
	}
	for _, sc := range a.Syscalls() {
		for d := -2; d <= 2; d++ {
			add(sc.Nr + d)
		}
	}
	for _, nr := range []int{4096, 0x0effff, 0x0f0000, 0x100000, 1<<30 - 1} {
		add(nr)
	}
	return out
}

// expected is the verdict FilterFor promises for a call.
func expected(p *learn.Profile, deny Action, a *arch.Arch, nr int) Action {
	enosys := Errno(ENOSYS)
	if deny == ActTrace || deny == ActLog { // every call runs, or goes to the tracer
		enosys = deny
	}
	if p.Arches[a.Name] == nil {
		if a == arch.X32 && p.Arches["x86_64"] != nil {
			if _, ok := deny.IsErrno(); ok {
				return enosys
			}
		}
		return deny
	}
	if p.Count(a.Name, a.Key(nr)) > 0 {
		return ActAllow
	}
	// The README's rule: a number the arch's table has no name for gets ENOSYS (a call this
	// kernel may not have), wherever it lies.
	name, known := a.SyscallName(nr)
	if !known {
		return enosys
	}
	if _, ok := FallbackOf(name); ok && known {
		return enosys
	}
	return deny
}

// TestProperties: over random profiles of several arches, every call gets what FilterFor
// promises, allowed calls are cacheable, and the program is deterministic.
func TestProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	abis := []*arch.Arch{arch.X86_64, arch.X86, arch.X32, arch.AArch64, arch.ARM, arch.RISCV64, arch.S390X, arch.MIPS}
	denies := []Action{Errno(EPERM), ActKillProcess, ActTrap, ActLog, ActTrace}
	for iter := 0; iter < 60; iter++ {
		var recorded []*arch.Arch
		for _, a := range abis {
			if rng.Intn(3) == 0 || (a == arch.X86_64 && iter%2 == 0) {
				recorded = append(recorded, a)
			}
		}
		if len(recorded) == 0 {
			recorded = []*arch.Arch{arch.AArch64}
		}
		n := 1 + rng.Intn(350)
		p := randomProfile(rng, n, recorded...)
		deny := denies[iter%len(denies)]
		prog := compileProfile(t, p, deny)
		if again := compileProfile(t, p, deny); disasm(again) != disasm(prog) {
			t.Fatal("same profile, different programs")
		}
		raw, err := bpf.Assemble(prog)
		if err != nil {
			t.Fatal(err)
		}
		r := newRunner(t, prog)
		for _, a := range abis {
			for _, nr := range probeNumbers(a) {
				want := expected(p, deny, a, nr)
				got := r.call(a, nr)
				if got != want {
					name, _ := a.SyscallName(nr)
					t.Fatalf("profile %d (%d calls of %v, deny %v): %s %d (%s) got %v, want %v\n%s",
						iter, n, recorded, deny, a, nr, name, got, want, disasm(prog))
				}
				if want == ActAllow && a.SyscallBit == 0 && !constAllow(raw, a.Audit, uint32(nr)) {
					t.Fatalf("%s %d is allowed but not cacheable", a, nr)
				}
			}
		}
		// Odd numbers: negative, huge, bit 31.
		for _, nr := range []uint32{0xffffffff, 0x80000000, 0x7fffffff, 0x3fffffff, 0xbfffffff} {
			for _, a := range []*arch.Arch{arch.X86_64, arch.AArch64} {
				got := r.run(a, a.Audit, nr, [6]uint64{})
				if got == ActAllow {
					t.Fatalf("%s number %#x allowed", a, nr)
				}
			}
		}
	}
}

// TestAgainstGoSeccompBPF: for argument-free x86_64 profiles, every (arch, number) that both
// models can express gets the same verdict from our program and from go-seccomp-bpf's
// Policy.Assemble. Its model cannot express ENOSYS for single calls, so the Fallbacks and the
// numbers above the table are left out (TestProperties covers them).
func TestAgainstGoSeccompBPF(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("go-seccomp-bpf assembles for the host arch only")
	}
	rng := rand.New(rand.NewSource(2))
	for iter := 0; iter < 40; iter++ {
		n := 1 + rng.Intn(300)
		p := randomProfile(rng, n, arch.X86_64)
		ours := newRunner(t, compileProfile(t, p, Errno(EPERM)))
		names := p.Syscalls("x86_64")
		var theirNames []string
		for _, name := range names {
			if _, ok := sarch.X86_64.SyscallNames[name]; ok {
				theirNames = append(theirNames, name)
			}
		}
		policy := seccomp.Policy{DefaultAction: seccomp.ActionErrno,
			Syscalls: []seccomp.SyscallGroup{{Names: theirNames, Action: seccomp.ActionAllow}}}
		prog, err := policy.Assemble()
		if err != nil {
			t.Fatal(err)
		}
		theirs := newRunner(t, prog)
		compared := 0
		check := func(a *arch.Arch, audit, nr uint32, what string) {
			got, want := ours.run(a, audit, nr, [6]uint64{}), theirs.run(a, audit, nr, [6]uint64{})
			if got != want {
				t.Fatalf("%s %#x: ours %v, go-seccomp-bpf %v", what, nr, got, want)
			}
			compared++
		}
		for nr := 0; nr <= 1100; nr++ {
			name, known := arch.X86_64.SyscallName(nr)
			_, fallback := FallbackOf(name)
			_, theyKnow := sarch.X86_64.SyscallNumbers[nr]
			if !known || !theyKnow || nr > arch.X86_64.Max() || (fallback && p.Count("x86_64", name) == 0) {
				continue
			}
			check(arch.X86_64, arch.X86_64.Audit, uint32(nr), "x86_64")
		}
		for nr := 0; nr <= 1100; nr++ {
			check(arch.X32, arch.X86_64.Audit, uint32(nr)|arch.X32SyscallBit, "x32")
			check(arch.X86, arch.X86.Audit, uint32(nr), "i386")
			check(arch.AArch64, arch.AArch64.Audit, uint32(nr), "aarch64")
		}
		if compared < 3000 {
			t.Fatalf("only %d verdicts compared", compared)
		}
	}
}

// worstPath is the longest instruction path over every number of a's table.
func worstPath(prog []bpf.Instruction, a *arch.Arch) int {
	worst := 0
	for nr := 0; nr <= a.Max()+10; nr++ {
		if n := pathLen(prog, seccompData(a, a.Audit, uint32(nr), [6]uint64{})); n > worst {
			worst = n
		}
	}
	return worst
}

// TestInstructionCountsArgs prints the worst-case path with learned arguments: a call with
// conditions is tested before the search (the filter runs for every one of them), every other
// number pays one comparison per such call at most.
func TestInstructionCountsArgs(t *testing.T) {
	p := learn.NewProfile()
	set := &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{}}
	p.Arches["x86_64"] = set
	for _, sc := range arch.X86_64.Syscalls()[:300] {
		set.Syscalls[sc.Name] = &learn.SyscallStat{Count: 1}
	}
	combos := map[string]int{"socket": 8, "fcntl": 6, "ioctl": 10, "mmap": 3, "mprotect": 2, "clone": 1, "prctl": 5}
	for name, n := range combos {
		a := &learn.Args{Index: []int{1}, Mask: []uint64{0xffffffff}}
		for v := 0; v < n; v++ {
			a.Values = append(a.Values, []uint64{uint64(v)})
		}
		set.Syscalls[name] = &learn.SyscallStat{Count: 1, Args: a}
	}
	prog := compileProfile(t, p, Errno(EPERM))
	plain, cond := 0, 0
	for _, sc := range arch.X86_64.Syscalls() {
		n := pathLen(prog, seccompData(arch.X86_64, arch.X86_64.Audit, uint32(sc.Nr), [6]uint64{0xffffffff, 0xffffffff}))
		if _, ok := combos[sc.Name]; ok {
			cond = max(cond, n)
		} else {
			plain = max(plain, n)
		}
	}
	t.Logf("300 syscalls, %d with argument conditions: worst path %d instructions for a call with conditions (no combination matching), %d for the others (program %d)",
		len(combos), cond, plain, len(prog))
	if limit := 8 + bits.Len(uint(600+len(Fallbacks))) + len(combos); plain > limit {
		t.Errorf("worst path of calls without conditions %d > %d", plain, limit)
	}
	if limit := 6 + len(combos) + 2*10 + 1; cond > limit {
		t.Errorf("worst path of calls with conditions %d > %d", cond, limit)
	}
}

// TestInstructionCounts prints the worst-case path length (instructions run for one call) of our
// program and of go-seccomp-bpf's linear chain for the same profiles, and checks that ours grows
// with log n.
func TestInstructionCounts(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, n := range []int{50, 150, 300} {
		// n calls that both tables know.
		var both []string
		for _, sc := range arch.X86_64.Syscalls() {
			if _, ok := sarch.X86_64.SyscallNames[sc.Name]; ok {
				both = append(both, sc.Name)
			}
		}
		rng.Shuffle(len(both), func(i, j int) { both[i], both[j] = both[j], both[i] })
		p := learn.NewProfile()
		p.Arches["x86_64"] = &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{}}
		for _, name := range both[:n] {
			p.Arches["x86_64"].Syscalls[name] = &learn.SyscallStat{Count: 1}
		}
		prog := compileProfile(t, p, Errno(EPERM))
		ours := worstPath(prog, arch.X86_64)
		policy := seccomp.Policy{DefaultAction: seccomp.ActionErrno,
			Syscalls: []seccomp.SyscallGroup{{Names: p.Syscalls("x86_64"), Action: seccomp.ActionAllow}}}
		theirProg, err := policy.Assemble()
		if err != nil {
			t.Fatal(err)
		}
		theirs := worstPath(theirProg, arch.X86_64)
		t.Logf("%3d syscalls: worst path %2d instructions (program %4d), go-seccomp-bpf %3d (program %4d)",
			n, ours, len(prog), theirs, len(theirProg))
		// ABI check (4) + x32 check + one comparison per level of the tree + return.
		limit := 8 + bits.Len(uint(2*n+len(Fallbacks)))
		if ours > limit {
			t.Errorf("%d syscalls: worst path %d > %d", n, ours, limit)
		}
		if ours >= theirs {
			t.Errorf("%d syscalls: ours %d not shorter than go-seccomp-bpf's %d", n, ours, theirs)
		}
	}
}

// TestConditions: argument rules compare 64-bit values as two halves, 32-bit ones on the low half
// only, and never let a different syscall through (go-seccomp-bpf's bug, DESIGN trap 18).
func TestConditions(t *testing.T) {
	const nrIoctl, nrRead = 16, 0
	f := &Filter{BadArch: ActKillProcess, Arches: []ArchFilter{
		{Arch: arch.X86_64, Default: Errno(EPERM), Unknown: Errno(ENOSYS), Rules: []Rule{
			{Nr: nrRead, Action: ActAllow},
			{Nr: nrIoctl, Action: ActAllow, Else: Errno(EPERM), When: [][]Cond{
				{{Arg: 0, Op: OpEq, Value: 1, Is32: true}, {Arg: 1, Op: OpEq, Value: 0x5401}},
				{{Arg: 2, Op: OpMaskedEq, Mask: 0xff00000000, Value: 0x1200000000}},
				{{Arg: 3, Op: OpNe, Value: 0x100000000}},
			}},
		}},
		{Arch: arch.X86, Default: Errno(EPERM), Unknown: Errno(ENOSYS), Rules: []Rule{
			{Nr: 54, Action: ActAllow, Else: Errno(EPERM), When: [][]Cond{{{Arg: 1, Op: OpEq, Value: 0x5401}}}},
		}},
	}}
	prog, err := Compile(f)
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, prog)
	x := arch.X86_64
	ne := uint64(0x100000000) // arg 3 equal to this fails the third clause
	tests := []struct {
		nr   uint32
		args [6]uint64
		want Action
	}{
		{nrIoctl, [6]uint64{1, 0x5401, 0, ne}, ActAllow},
		{nrIoctl, [6]uint64{0xffffffff00000001, 0x5401, 0, ne}, ActAllow}, // fd is an int: upper half ignored
		{nrIoctl, [6]uint64{2, 0x5401, 0, ne}, Errno(EPERM)},
		{nrIoctl, [6]uint64{1, 0x100005401, 0, ne}, Errno(EPERM)}, // 64-bit: upper half compared
		{nrIoctl, [6]uint64{0, 0, 0x12ffffffff, ne}, ActAllow},    // masked
		{nrIoctl, [6]uint64{0, 0, 0x13ffffffff, ne}, Errno(EPERM)},
		{nrIoctl, [6]uint64{0, 0, 0, 0}, ActAllow},            // arg 3 != 1<<32 (upper differs)
		{nrIoctl, [6]uint64{0, 0, 0, 0x1}, ActAllow},          // lower differs
		{nrIoctl, [6]uint64{0, 0, 0, ne}, Errno(EPERM)},       // equal: no clause holds
		{nrRead, [6]uint64{7, 7, 7, 7, 7, 7}, ActAllow},       // other calls ignore arguments
		{1, [6]uint64{1, 0x5401, 0x12ffffffff}, Errno(EPERM)}, // matching arguments don't help write
	}
	for _, tt := range tests {
		if got := r.run(x, x.Audit, tt.nr, tt.args); got != tt.want {
			t.Errorf("x86_64 %d %x: %v, want %v\n%s", tt.nr, tt.args, got, tt.want, disasm(prog))
		}
	}
	// i386: 32-bit arguments, low half only.
	if got := r.run(arch.X86, arch.X86.Audit, 54, [6]uint64{0, 0xdead00005401}); got != ActAllow {
		t.Errorf("i386 ioctl with garbage upper half: %v", got)
	}
	// Whatever the arguments, no number other than the rule's changes verdict.
	rng := rand.New(rand.NewSource(4))
	for i := 0; i < 20000; i++ {
		nr := uint32(rng.Intn(500))
		var args [6]uint64
		for j := range args {
			args[j] = rng.Uint64()
			if rng.Intn(2) == 0 {
				args[j] = uint64([]uint32{0, 1, 16, 0x5401, nrIoctl}[rng.Intn(5)])
			}
		}
		if nr == nrIoctl {
			continue
		}
		want := Errno(EPERM)
		if nr == nrRead {
			want = ActAllow
		} else if _, named := x.SyscallName(int(nr)); !named {
			want = Errno(ENOSYS) // a number the table has no name for (README: ENOSYS)
		}
		if got := r.run(x, x.Audit, nr, args); got != want {
			t.Fatalf("x86_64 %d with %x: %v, want %v", nr, args, got, want)
		}
	}
}

// TestLongJumps builds a program far longer than a conditional jump's 255-instruction reach.
func TestLongJumps(t *testing.T) {
	af := ArchFilter{Arch: arch.X86_64, Default: Errno(EPERM), Unknown: Errno(ENOSYS)}
	for nr := 0; nr < 300; nr += 2 {
		af.Rules = append(af.Rules, Rule{Nr: nr, Action: ActAllow, Else: Errno(13), When: [][]Cond{
			{{Arg: 0, Op: OpEq, Value: uint64(nr) + 1}, {Arg: 1, Op: OpEq, Value: uint64(nr+1) << 32}},
		}})
	}
	prog, err := Compile(&Filter{Arches: []ArchFilter{af}, BadArch: ActKillProcess})
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) < 1000 {
		t.Fatalf("program only %d instructions long", len(prog))
	}
	far := 0
	for _, in := range prog {
		if j, ok := in.(bpf.Jump); ok && j.Skip > 255 {
			far++
		}
	}
	if far == 0 {
		t.Fatal("no long jump was needed: the test does not test what it should")
	}
	r := newRunner(t, prog)
	for nr := 0; nr < 310; nr++ {
		args := [6]uint64{uint64(nr) + 1, uint64(nr+1) << 32}
		want := Errno(EPERM)
		if nr < 300 && nr%2 == 0 {
			want = ActAllow
		}
		if got := r.run(arch.X86_64, arch.X86_64.Audit, uint32(nr), args); got != want {
			t.Fatalf("%d: %v, want %v", nr, got, want)
		}
		if nr < 300 && nr%2 == 0 {
			if got := r.run(arch.X86_64, arch.X86_64.Audit, uint32(nr), [6]uint64{uint64(nr) + 1}); got != Errno(13) {
				t.Fatalf("%d with a wrong argument: %v, want errno 13", nr, got)
			}
		}
	}
	t.Logf("%d instructions, %d long jumps", len(prog), far)
}

func TestCompileRejects(t *testing.T) {
	x := arch.X86_64
	bad := []Filter{
		{Arches: []ArchFilter{{Arch: x}, {Arch: x}}},
		{Arches: []ArchFilter{{Arch: x, Rules: []Rule{{Nr: 1}, {Nr: 1}}}}},
		{Arches: []ArchFilter{{Arch: x, Rules: []Rule{{Nr: -1, When: [][]Cond{{{Arg: 0, Op: OpEq}}}}}}}},
		{Arches: []ArchFilter{{Arch: x, Rules: []Rule{{Nr: 2, When: [][]Cond{{{Arg: 6, Op: OpEq}}}}}}}},
		{Arches: []ArchFilter{{Arch: x, Rules: []Rule{{Nr: 2, When: [][]Cond{{}}}}}}},
		{Arches: []ArchFilter{{}}},
	}
	for i, f := range bad {
		if _, err := Compile(&f); err == nil {
			t.Errorf("filter %d compiled", i)
		}
	}
	// Too long: a condition on every number of four arches.
	var f Filter
	for _, a := range []*arch.Arch{arch.X86_64, arch.X86, arch.AArch64, arch.ARM} {
		af := ArchFilter{Arch: a}
		for _, s := range a.Syscalls() {
			af.Rules = append(af.Rules, Rule{Nr: s.Nr, When: [][]Cond{{{Arg: 0, Op: OpEq, Value: 1}}}})
		}
		f.Arches = append(f.Arches, af)
	}
	if _, err := Compile(&f); err == nil || !strings.Contains(err.Error(), "4096") {
		t.Errorf("oversized filter: %v", err)
	}
}

func TestFallbacksExist(t *testing.T) {
	var missing []string
	for _, f := range Fallbacks {
		found := false
		for _, a := range arch.All() {
			_, ok := a.SyscallNumber(f.Call)
			found = found || ok
		}
		if !found {
			missing = append(missing, f.Call)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("fallbacks no arch has: %v", missing)
	}
}

// TestBogusNumbers: a recorded syscall(-1) (the kernel fails it with ENOSYS whatever the filter
// says) is allowed in every mode, though as an unsigned number it lies above every table and
// has x32's bit; unrecorded, it gets what the mode gives an x32 call. A key that no
// seccomp_data.nr can hold changes nothing.
func TestBogusNumbers(t *testing.T) {
	for _, deny := range []Action{Errno(EPERM), ActKillProcess, ActTrap, ActLog, ActTrace} {
		p := randomProfile(rand.New(rand.NewSource(5)), 40, arch.X86_64)
		without := newRunner(t, compileProfile(t, p, deny))
		if got := without.run(arch.X86_64, arch.X86_64.Audit, 0xffffffff, [6]uint64{}); got == ActAllow {
			t.Errorf("%v: unrecorded -1 allowed", deny)
		}
		p.Arches["x86_64"].Syscalls["-1"] = &learn.SyscallStat{Count: 1}
		want := disasm(compileProfile(t, p, deny))
		with := newRunner(t, compileProfile(t, p, deny))
		if got := with.run(arch.X86_64, arch.X86_64.Audit, 0xffffffff, [6]uint64{}); got != ActAllow {
			t.Errorf("%v: recorded -1 got %v, want allow", deny, got)
		}
		if got := with.run(arch.X86_64, arch.X86_64.Audit, 0xfffffffe, [6]uint64{}); got == ActAllow {
			t.Errorf("%v: -2 allowed", deny)
		}
		p.Arches["x86_64"].Syscalls["4294967295"] = &learn.SyscallStat{Count: 1}
		if got := disasm(compileProfile(t, p, deny)); got != want {
			t.Errorf("%v: a number beyond 32 bits changed the program", deny)
		}
	}
}

// TestUnknownNumbers is the README's contract for numbers, per arch, written from the rules and
// not from the tables' highest number: a number the arch's table names and the profile lacks
// gets the deny action (EPERM here); a number it has no name for gets ENOSYS wherever it lies —
// in a gap of the table, between ARM's regular calls and its private block at 0x0f0000, in
// x32's 472-511, for an x86_64-only call made with the x32 bit, or far above everything.
func TestUnknownNumbers(t *testing.T) {
	for _, a := range arch.All() {
		p := learn.NewProfile()
		p.Arches[a.Name] = &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{
			"exit_group": {Count: 1},
		}}
		r := newRunner(t, compileProfile(t, p, Errno(EPERM)))
		named := map[int]bool{}
		for _, sc := range a.Syscalls() {
			named[sc.Nr] = true
		}
		checked := 0
		for nr := 0; nr < 1<<21; nr++ {
			// Every number up to 1100, then a sample: every 997th and the neighbours of
			// each named call.
			if nr > 1100 && nr%997 != 0 && !named[nr] && !named[nr-1] && !named[nr+1] {
				continue
			}
			name, _ := a.SyscallName(nr)
			_, fallback := FallbackOf(name)
			want := Errno(EPERM)
			switch {
			case name == "exit_group":
				want = ActAllow
			case !named[nr]:
				want = Errno(ENOSYS)
			case fallback:
				want = Errno(ENOSYS)
			}
			if got := r.call(a, nr); got != want {
				t.Fatalf("%s %d (%#x, %q): %v, want %v", a, nr, nr, name, got, want)
			}
			checked++
		}
		if checked < 1100 {
			t.Fatalf("%s: only %d numbers checked", a, checked)
		}
	}
	// The cases the issue names, spelled out.
	p := learn.NewProfile()
	for _, n := range []string{"x86_64", "x32", "arm"} {
		p.Arches[n] = &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{"exit_group": {Count: 1}}}
	}
	r := newRunner(t, compileProfile(t, p, Errno(EPERM)))
	for _, tc := range []struct {
		a    *arch.Arch
		nr   int
		want Action
	}{
		{arch.ARM, 500, Errno(ENOSYS)},
		{arch.ARM, 0x0effff, Errno(ENOSYS)},
		{arch.ARM, 0x0f0002, Errno(EPERM)}, // cacheflush, a private call with a name
		{arch.X32, 480, Errno(ENOSYS)},
		{arch.X32, 453, Errno(ENOSYS)}, // map_shadow_stack is x86_64-only
		{arch.X86_64, 400, Errno(ENOSYS)},
		{arch.X86_64, 101, Errno(EPERM)}, // ptrace
	} {
		if got := r.call(tc.a, tc.nr); got != tc.want {
			t.Errorf("%s %#x: %v, want %v", tc.a, tc.nr, got, tc.want)
		}
	}
}

// TestOptionsCheck: Options.Check refuses what Emit would refuse of them, before any work.
func TestOptionsCheck(t *testing.T) {
	for _, tt := range []struct {
		format string
		opt    Options
		ok     bool
	}{
		{"oci", Options{}, true},
		{"oci", Options{Runtime: "crun", NoNewPrivs: "false"}, true},
		{"oci", Options{Runtime: "podman"}, false},
		{"oci", Options{NoNewPrivs: "maybe"}, false},
		{"k8s", Options{Name: "my-app"}, true},
		{"k8s", Options{Name: "My_App"}, false},
		{"oci", Options{Name: "My_App"}, true}, // only k8s names a resource
	} {
		if err := tt.opt.Check(tt.format); (err == nil) != tt.ok {
			t.Errorf("%s %+v: %v", tt.format, tt.opt, err)
		}
	}
}
