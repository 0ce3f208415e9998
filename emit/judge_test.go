package emit

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/learn"
)

// TestRedirected: the supervised filter sends to user space exactly the calls the mode's filter
// fails with an errno or logs, answers every other call as that filter does, keeps allowed
// calls cacheable, and the Judge of the mode's filter gives the mode's verdict for each.
func TestRedirected(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	x := arch.X86_64
	for _, deny := range []Action{Errno(EPERM), ActKillProcess, ActTrap, ActLog} {
		p := randomProfile(rng, 120, arch.X86_64, arch.X86)
		f, err := FilterFor(p, deny)
		if err != nil {
			t.Fatal(err)
		}
		TraceUntracedClones(f, ActTrace|0x5c7)
		prog, err := Compile(f)
		if err != nil {
			t.Fatal(err)
		}
		sup, err := Compile(Redirected(f, ActUserNotif))
		if err != nil {
			t.Fatal(err)
		}
		judge, err := NewJudge(prog, x)
		if err != nil {
			t.Fatal(err)
		}
		mode, supervised := newRunner(t, prog), newRunner(t, sup)
		for _, a := range []*arch.Arch{arch.X86_64, arch.X86, arch.X32, arch.AArch64} {
			for _, nr := range probeNumbers(a) {
				want, got := mode.call(a, nr), supervised.call(a, nr)
				switch want & 0xffff0000 {
				case ActErrno, ActLog:
					if got != ActUserNotif {
						t.Fatalf("%v: %s %d: mode says %v, supervised filter %v; want user-notif", deny, a, nr, want, got)
					}
				default:
					if got != want {
						t.Fatalf("%v: %s %d: mode says %v, supervised filter %v", deny, a, nr, want, got)
					}
				}
				if j := judge.Verdict(a.Audit, nr|int(a.SyscallBit), [6]uint64{}); j != want {
					t.Fatalf("%v: %s %d: judge says %v, filter %v", deny, a, nr, j, want)
				}
			}
		}
	}
}

// TestRefuseListeners: seccomp(2) asking for a listener gets EBUSY; other seccomp calls keep
// their verdict, and so does every other call.
func TestRefuseListeners(t *testing.T) {
	p := randomProfile(rand.New(rand.NewSource(3)), 20, arch.X86_64)
	p.Arches["x86_64"].Syscalls["seccomp"] = &learn.SyscallStat{Count: 1}
	f, err := FilterFor(p, ActTrace|0x5c7)
	if err != nil {
		t.Fatal(err)
	}
	RefuseListeners(f)
	prog, err := Compile(f)
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, prog)
	nr, _ := arch.X86_64.SyscallNumber("seccomp")
	if got := r.run(arch.X86_64, arch.X86_64.Audit, uint32(nr), [6]uint64{1, 0x8}); got != Errno(EBUSY) {
		t.Errorf("seccomp with NEW_LISTENER: %v, want EBUSY", got)
	}
	if got := r.run(arch.X86_64, arch.X86_64.Audit, uint32(nr), [6]uint64{1, 0x8 | 0x1}); got != Errno(EBUSY) {
		t.Errorf("seccomp with NEW_LISTENER|TSYNC: %v, want EBUSY", got)
	}
	if got := r.run(arch.X86_64, arch.X86_64.Audit, uint32(nr), [6]uint64{1, 0}); got != ActAllow {
		t.Errorf("seccomp without a listener: %v, want allow", got)
	}
}

// TestArgsProperty: for random learned arguments and random call arguments, the compiled filter
// (run in the judge's BPF VM) allows exactly the calls the profile's rule allows, an oracle
// written from the documented rule: a call is allowed when, for some learned combination, every
// learned argument's low 32 bits, masked, equal the combination's value; other calls of the
// number get the deny action; the rest of the profile's calls are allowed whatever their
// arguments. x86 (32-bit) too, and on x86_64 with garbage in the upper half of each argument.
func TestArgsProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	deny := Errno(EPERM)
	for iter := 0; iter < 300; iter++ {
		a := []*arch.Arch{arch.X86_64, arch.X86}[iter%2]
		p := learn.NewProfile()
		set := &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{"read": {Count: 1}, "write": {Count: 1}}}
		p.Arches[a.Name] = set
		// 1 to 3 arguments, each with a mask of a few random bits or the whole int.
		n := 1 + rng.Intn(3)
		args := &learn.Args{}
		args.Index = append(args.Index, rng.Perm(6)[:n]...)
		slices.Sort(args.Index)
		small := func(mask uint64) uint64 { return uint64(rng.Intn(4)) & mask }
		for range args.Index {
			mask := uint64(0xffffffff)
			if rng.Intn(2) == 0 {
				mask = uint64(rng.Uint32()) & 0x0f0f00f3
				if mask == 0 {
					mask = 3
				}
			}
			args.Mask = append(args.Mask, mask)
		}
		for k := rng.Intn(5); k >= 0; k-- {
			v := make([]uint64, n)
			for i := range v {
				v[i] = small(args.Mask[i])
			}
			args.Values = append(args.Values, v)
		}
		slices.SortFunc(args.Values, func(x, y []uint64) int { return slices.Compare(x, y) })
		args.Values = slices.CompactFunc(args.Values, func(x, y []uint64) bool { return slices.Equal(x, y) })
		set.Syscalls["socket"] = &learn.SyscallStat{Count: 1, Args: args}
		if _, ok := a.SyscallNumber("socket"); !ok {
			continue
		}
		prog := compileProfile(t, p, deny)
		j, err := NewJudge(prog, a)
		if err != nil {
			t.Fatal(err)
		}
		socket, _ := a.SyscallNumber("socket")
		read, _ := a.SyscallNumber("read")
		for trial := 0; trial < 40; trial++ {
			var call [6]uint64
			for i := range call {
				call[i] = small(0xffffffff)
				if rng.Intn(3) == 0 {
					call[i] = uint64(rng.Uint32())
				}
				if a.Bits == 64 && rng.Intn(2) == 0 {
					call[i] |= uint64(rng.Uint32()) << 32 // garbage in the upper half
				}
			}
			if trial%4 == 0 && len(args.Values) > 0 { // a learned combination, exactly
				v := args.Values[rng.Intn(len(args.Values))]
				for i, idx := range args.Index {
					call[idx] = call[idx]&^args.Mask[i] | v[i]
				}
			}
			want := deny
			for _, v := range args.Values {
				match := true
				for i, idx := range args.Index {
					if uint64(uint32(call[idx]))&args.Mask[i] != v[i] {
						match = false
					}
				}
				if match {
					want = ActAllow
				}
			}
			if got := j.Verdict(a.Audit, socket, call); got != want {
				t.Fatalf("%s: args %+v, call %#x: verdict %v, the rule says %v", a.Name, args, call, got, want)
			}
			if got := j.Verdict(a.Audit, read, call); got != ActAllow {
				t.Fatalf("%s: read with %#x: %v, want allow", a.Name, call, got)
			}
		}
	}
}
