package emit

import (
	"math/rand"
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
