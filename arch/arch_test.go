package arch

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	sarch "github.com/elastic/go-seccomp-bpf/arch"
)

// TestGenerated fails when `go generate` would change zsyscalls.go or zaudit.go.
func TestGenerated(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to check the generated tables: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(gobin, "run", "gen.go", "-dir", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen.go: %v\n%s", err, out)
	}
	for _, name := range []string{"zsyscalls.go", "zaudit.go"} {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go generate ./arch`", name)
		}
	}
}

func TestKnownNumbers(t *testing.T) {
	tests := []struct {
		arch *Arch
		name string
		nr   int
	}{
		{X86_64, "read", 0},
		{X86_64, "newfstatat", 262},
		{X86_64, "pread64", 17},
		{X86_64, "clone3", 435},
		{X86_64, "rt_sigaction", 13},
		{X86, "_llseek", 140},
		{X86, "getpid", 20},
		{X86, "fstatat64", 300},
		{X86, "socketcall", 102},
		{X32, "getpid", 39},
		{X32, "rt_sigaction", 512},
		{X32, "execve", 520},
		{X32, "pwritev2", 547},
		{AArch64, "newfstatat", 79},
		{AArch64, "openat", 56},
		{ARM, "restart_syscall", 0},
		{ARM, "arm_fadvise64_64", 270},
		{ARM, "cacheflush", 0x0f0002},
		{MIPS, "read", 4003},
		{MIPS64, "read", 5000},
		{RISCV64, "openat", 56},
		{S390X, "getpid", 20},
	}
	for _, tt := range tests {
		nr, ok := tt.arch.SyscallNumber(tt.name)
		if !ok || nr != tt.nr {
			t.Errorf("%s: SyscallNumber(%q) = %d, %v; want %d", tt.arch, tt.name, nr, ok, tt.nr)
		}
		name, ok := tt.arch.SyscallName(tt.nr)
		if !ok || name != tt.name {
			t.Errorf("%s: SyscallName(%d) = %q, %v; want %q", tt.arch, tt.nr, name, ok, tt.name)
		}
	}
	// The x86_64-only numbers are not x32 calls: the kernel's x32 entry there is sys_ni_syscall.
	if name, ok := X32.SyscallName(13); ok {
		t.Errorf("x32 13 = %q, want no name", name)
	}
}

func TestTablesSane(t *testing.T) {
	for _, a := range All() {
		tab := a.Syscalls()
		if len(tab) < 250 {
			t.Errorf("%s: only %d syscalls", a, len(tab))
		}
		if !sort.SliceIsSorted(tab, func(i, j int) bool { return tab[i].Nr < tab[j].Nr }) {
			t.Errorf("%s: table not sorted", a)
		}
		seen := map[string]bool{}
		for _, s := range tab {
			if seen[s.Name] {
				t.Errorf("%s: %s appears twice", a, s.Name)
			}
			seen[s.Name] = true
			if s.Name != strings.ToLower(s.Name) || s.Name == "" {
				t.Errorf("%s: bad name %q", a, s.Name)
			}
			// The generated name index finds every call, at its own number.
			if nr, ok := a.SyscallNumber(s.Name); !ok || nr != s.Nr {
				t.Errorf("%s: SyscallNumber(%q) = %d, %v; want %d", a, s.Name, nr, ok, s.Nr)
			}
			if _, ok := a.SyscallNumber(s.Name + "_"); ok {
				t.Errorf("%s: SyscallNumber(%q) found a call", a, s.Name+"_")
			}
		}
		if len(a.names) != len(tab) {
			t.Errorf("%s: the name index has %d entries, the table %d", a, len(a.names), len(tab))
		}
		if a.Audit == 0 {
			t.Errorf("%s: no AUDIT_ARCH value", a)
		}
		if b, ok := ByName(a.Name); !ok || b != a {
			t.Errorf("ByName(%q) failed", a.Name)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		audit  uint32
		nr     int
		arch   *Arch
		wantNr int
	}{
		{0xc000003e, 39, X86_64, 39},
		{0xc000003e, X32SyscallBit | 39, X32, 39},
		{0xc000003e, X32SyscallBit | 512, X32, 512},
		{0x40000003, 20, X86, 20},
		{0xc00000b7, 172, AArch64, 172},
		{0xc000003e, -1, X86_64, -1},
		{0x12345678, 1, nil, 1},
	}
	for _, tt := range tests {
		a, nr := Classify(tt.audit, tt.nr)
		if a != tt.arch || nr != tt.wantNr {
			t.Errorf("Classify(%#x, %#x) = %v, %d; want %v, %d", tt.audit, tt.nr, a, nr, tt.arch, tt.wantNr)
		}
	}
}

func TestKeys(t *testing.T) {
	if k := X86_64.Key(1); k != "write" {
		t.Errorf("Key(1) = %q", k)
	}
	if k := X86_64.Key(9999); k != "9999" {
		t.Errorf("Key(9999) = %q", k)
	}
	for _, key := range []string{"write", "9999", "-1"} {
		nr, ok := X86_64.ParseKey(key)
		if !ok || X86_64.Key(nr) != key {
			t.Errorf("ParseKey(%q) = %d, %v", key, nr, ok)
		}
	}
	for _, bad := range []string{"", "nosuchcall", "007", "+1", "1.0"} {
		if nr, ok := X86_64.ParseKey(bad); ok {
			t.Errorf("ParseKey(%q) = %d, want failure", bad, nr)
		}
	}
}

// TestAgainstGoSeccompBPF cross-checks the tables with github.com/elastic/go-seccomp-bpf/arch (built
// from Linux 6.15 headers). Every disagreement must have a known reason; the test lists them all.
func TestAgainstGoSeccompBPF(t *testing.T) {
	// Calls added to Linux after 6.15, which x/sys already knows.
	newer := map[string]bool{"uprobe": true, "file_getattr": true, "file_setattr": true, "listns": true, "rseq_slice_yield": true}
	explain := func(a *Arch, nr int, ours, theirs string) string {
		switch {
		case theirs == "" && newer[ours]:
			return "added to Linux after 6.15, the version go-seccomp-bpf's tables come from"
		case a == AArch64 && nr == 79 && theirs == "fstatat":
			return "the kernel and libseccomp call aarch64's 79 newfstatat; go-seccomp-bpf says fstatat"
		case a == AArch64 && ours == "" && nr >= 403 && nr <= 423:
			return "time64 calls exist only on 32-bit ABIs; aarch64's native table has no " + theirs
		case a == X32 && ours == "":
			if nr2, ok := X32.SyscallNumber(theirs); ok && nr2 >= 512 {
				return "x32 makes this call as number " + strconv.Itoa(nr2) + "; its entry at " + strconv.Itoa(nr) + " is sys_ni_syscall (syscall_64.tbl abi \"64\")"
			}
			if _, ok := X86_64.SyscallName(nr); ok {
				return "abi \"64\" in syscall_64.tbl: not an x32 call"
			}
		}
		return ""
	}
	pairs := []struct {
		ours   *Arch
		theirs *sarch.Info
	}{
		{X86_64, sarch.X86_64}, {X86, sarch.I386}, {X32, sarch.X32}, {AArch64, sarch.AARCH64}, {ARM, sarch.ARM},
	}
	var n int
	for _, p := range pairs {
		if p.ours.Audit != uint32(p.theirs.ID) {
			t.Errorf("%s: audit %#x, go-seccomp-bpf %#x", p.ours, p.ours.Audit, uint32(p.theirs.ID))
		}
		nrs := map[int]bool{}
		for nr := range p.theirs.SyscallNumbers {
			nrs[nr] = true
		}
		for _, s := range p.ours.Syscalls() {
			nrs[s.Nr] = true
		}
		sorted := make([]int, 0, len(nrs))
		for nr := range nrs {
			sorted = append(sorted, nr)
		}
		sort.Ints(sorted)
		for _, nr := range sorted {
			ours, _ := p.ours.SyscallName(nr)
			theirs := p.theirs.SyscallNumbers[nr]
			if ours == theirs {
				continue
			}
			n++
			why := explain(p.ours, nr, ours, theirs)
			if why == "" {
				t.Errorf("%s %d: ours %q, go-seccomp-bpf %q: unexplained disagreement", p.ours, nr, ours, theirs)
				continue
			}
			t.Logf("%s %d: ours %q, go-seccomp-bpf %q: %s", p.ours, nr, ours, theirs, why)
		}
	}
	t.Logf("%d disagreements, all explained", n)
}

// TestDescriptors checks the hand-written descriptors against the generated tables and against
// each other.
func TestDescriptors(t *testing.T) {
	seen := map[string]map[string]bool{"name": {}, "oci": {}, "systemd": {}, "docker": {}, "uname": {}}
	once := func(kind, v string, a *Arch) {
		if v == "" {
			return
		}
		if seen[kind][v] {
			t.Errorf("%s: %s name %q used twice", a, kind, v)
		}
		seen[kind][v] = true
	}
	for _, a := range All() {
		once("name", a.Name, a)
		once("oci", a.OCI, a)
		once("systemd", a.Systemd, a)
		once("docker", a.Docker, a)
		for _, u := range a.Uname {
			once("uname", u, a)
			if got, ok := ForMachine(u); !ok || got != a {
				t.Errorf("ForMachine(%q) = %v, want %s", u, got, a)
			}
		}
		if ((a.OCI == "" || a.Systemd == "") && a != SPARC64) || a.Docker == "" || a.OCreat == 0 {
			t.Errorf("%s: incomplete descriptor %+v", a, a)
		}
		if h := a.Host(); h == nil || h.Bits != 64 || h.Host() != h {
			t.Errorf("%s: host %v is not a 64-bit ABI of its own", a, h)
		}
		if a.Bits == 64 && a.Host() != a {
			t.Errorf("%s: a 64-bit ABI is its own host, not %v", a, a.Host())
		}
		_, hasSocketcall := a.SyscallNumber("socketcall")
		if a.Socketcall && !hasSocketcall {
			t.Errorf("%s: marked as multiplexing sockets, but its table has no socketcall", a)
		}
		_, hasIPC := a.SyscallNumber("ipc")
		if a.IPC && !hasIPC {
			t.Errorf("%s: marked as multiplexing IPC, but its table has no ipc", a)
		}
		if a.Private != 0 {
			// No call between the regular table and the private block.
			for _, sc := range a.Syscalls() {
				if sc.Nr >= 1024 && sc.Nr < a.Private {
					t.Errorf("%s: %s (%d) lies between the regular calls and the private block", a, sc.Name, sc.Nr)
				}
			}
			if a.Max() < a.Private {
				t.Errorf("%s: private block at %#x is empty", a, a.Private)
			}
		}
		if a.CloneFlagsArg < 0 || a.CloneFlagsArg > 5 {
			t.Errorf("%s: clone flags argument %d", a, a.CloneFlagsArg)
		}
	}
	if X86.Host() != X86_64 || X32.Host() != X86_64 || ARM.Host() != AArch64 || S390X.CloneFlagsArg != 1 {
		t.Error("host and clone layout of the common arches")
	}
}
