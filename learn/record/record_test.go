package record

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/learn"
)

const (
	auditX86_64 = 0xc000003e
	auditI386   = 0x40000003
)

// replay feeds a fixed event sequence: a root that execs a shell, which forks a child that execs
// a 32-bit program, and an x32 call.
func replay(r *Recorder) {
	r.Spawn(100, 0)
	r.Syscall(100, auditX86_64, 59) // the helper's execve belongs to what it starts
	r.Exec(100, "/bin/sh", []string{"sh", "-c", "prog32"})
	r.Syscall(100, auditX86_64, 0)
	r.Syscall(100, auditX86_64, 0)
	r.Syscall(100, auditX86_64, 57) // fork
	r.Spawn(101, 100)
	r.Syscall(101, auditX86_64, 1) // the child still runs /bin/sh
	r.Syscall(101, auditX86_64, 59)
	r.Exec(101, "/opt/prog32", []string{"prog32"})
	r.Syscall(101, auditI386, 20)
	r.Syscall(101, auditX86_64, 0x40000000|39)
	r.Syscall(101, auditX86_64, 999) // a number the table has no name for
	r.Exit(101)
	r.Exit(100)
}

func TestRecorder(t *testing.T) {
	r := NewRecorder()
	replay(r)
	p := r.Profile(learn.Recording{Command: []string{"sh", "-c", "prog32"}, ExitCode: 0})
	checks := []struct {
		arch, key string
		n         uint64
	}{
		{"x86_64", "execve", 2}, {"x86_64", "read", 2}, {"x86_64", "fork", 1}, {"x86_64", "write", 1},
		{"x86", "getpid", 1}, {"x32", "getpid", 1}, {"x86_64", "999", 1}, {"x86_64", "getpid", 0},
	}
	for _, c := range checks {
		if got := p.Count(c.arch, c.key); got != c.n {
			t.Errorf("%s/%s = %d, want %d", c.arch, c.key, got, c.n)
		}
	}
	if got := strings.Join(p.ExecutableNames(), " "); got != "/bin/sh /opt/prog32" {
		t.Fatalf("executables %q", got)
	}
	sh, prog := p.Executables["/bin/sh"], p.Executables["/opt/prog32"]
	if sh.Processes != 2 || prog.Processes != 1 {
		t.Errorf("processes: sh %d, prog32 %d; want 2, 1", sh.Processes, prog.Processes)
	}
	if n := sh.Arches["x86_64"].Syscalls["execve"].Count; n != 2 {
		t.Errorf("sh made %d execve calls, want 2 (the helper's and the child's)", n)
	}
	if _, ok := prog.Arches["x86"]; !ok || len(prog.Arches) != 3 {
		t.Errorf("prog32 arches %v", slices.Sorted(maps.Keys(prog.Arches)))
	}
	if p.Recordings[0].Processes != 2 {
		t.Errorf("recording %+v", p.Recordings[0])
	}
}

func TestDeterministic(t *testing.T) {
	var first []byte
	for i := 0; i < 20; i++ {
		r := NewRecorder()
		replay(r)
		var b bytes.Buffer
		if err := r.Profile(learn.Recording{Command: []string{"x"}}).Encode(&b); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b.Bytes()
		} else if !bytes.Equal(first, b.Bytes()) {
			t.Fatalf("run %d encoded differently:\n%s\nvs\n%s", i, first, b.Bytes())
		}
	}
	// And what is written reads back to the same bytes.
	p, err := learn.Decode(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	p.Encode(&b)
	if !bytes.Equal(first, b.Bytes()) {
		t.Errorf("decode+encode changed the profile")
	}
}

// TestBoundedTree: the process tree is capped like files and programs, with a dropped count,
// and memory follows the live processes: a recording of 100 000 short-lived processes gives a
// profile that sctrace reads back.
func TestBoundedTree(t *testing.T) {
	r := NewRecorder()
	r.Spawn(1, 0)
	r.Exec(1, "/bin/sh", []string{"sh"})
	for pid := 2; pid < 100002; pid++ {
		r.Spawn(pid, 1)
		r.Syscall(pid, auditX86_64, 39)
		r.Exit(pid)
	}
	if len(r.procs) != 1 || len(r.fp.nodes) != 1 {
		t.Errorf("%d processes and %d tree nodes kept after their exit, want 1", len(r.procs), len(r.fp.nodes))
	}
	p := r.Profile(learn.Recording{Command: []string{"sh"}})
	if n := len(p.Recordings[0].Tree); n != learn.MaxProcesses {
		t.Errorf("tree has %d nodes, want the cap %d", n, learn.MaxProcesses)
	}
	if p.Dropped == nil || p.Dropped.Processes != 100001-learn.MaxProcesses {
		t.Errorf("dropped %+v, want %d processes", p.Dropped, 100001-learn.MaxProcesses)
	}
	var buf bytes.Buffer
	if err := p.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := learn.Decode(&buf); err != nil {
		t.Errorf("sctrace cannot read the profile it wrote: %v", err)
	}
}

// TestHides: the calls that hide others from a recording, with the argument values of
// seccomp(2), prctl(2) (whose SECCOMP_MODE_* numbering differs from seccomp's operations) and
// ptrace(2).
func TestHides(t *testing.T) {
	tests := []struct {
		name string
		args [6]uint64
		want hideFlags
	}{
		{"seccomp", [6]uint64{1, 0}, hideFilter},                          // SECCOMP_SET_MODE_FILTER
		{"seccomp", [6]uint64{1, 8}, hideFilter | hideListener},           // ... FLAG_NEW_LISTENER
		{"seccomp", [6]uint64{0, 0}, hideStrict},                          // SECCOMP_SET_MODE_STRICT
		{"seccomp", [6]uint64{2, 0}, 0},                                   // SECCOMP_GET_ACTION_AVAIL
		{"prctl", [6]uint64{22, 1}, hideStrict},                           // PR_SET_SECCOMP, SECCOMP_MODE_STRICT
		{"prctl", [6]uint64{22, 2}, hideFilter},                           // PR_SET_SECCOMP, SECCOMP_MODE_FILTER
		{"prctl", [6]uint64{15, 0}, 0},                                    // PR_SET_NAME
		{"ptrace", [6]uint64{0}, hidePtrace},                              // PTRACE_TRACEME
		{"ptrace", [6]uint64{0x4206, 1}, hidePtrace},                      // PTRACE_SEIZE
		{"ptrace", [6]uint64{16, 1}, hidePtrace},                          // PTRACE_ATTACH
		{"ptrace", [6]uint64{7, 1}, 0},                                    // PTRACE_CONT
		{"prctl", [6]uint64{0xffffffff00000016, 0x100000002}, hideFilter}, // int arguments: low halves
	}
	for _, tc := range tests {
		nr, _ := arch.X86_64.SyscallNumber(tc.name)
		w := watchFor(auditX86_64, nr)
		if got := w.hides(&tc.args); got != tc.want {
			t.Errorf("%s%x: %b, want %b", tc.name, tc.args[:2], got, tc.want)
		}
	}
}

// TestInvalidUTF8: paths that are not valid UTF-8 stay apart in the profile (as \xNN), so that
// sctrace reads back what it wrote; a profile that is not valid UTF-8 is refused, since JSON
// readers repair it in different ways.
func TestInvalidUTF8(t *testing.T) {
	r := NewRecorder()
	r.Spawn(1, 0)
	r.Exec(1, "/tmp/t\xff", []string{"t\xff"})
	r.Spawn(2, 1)
	r.Exec(2, "/tmp/t\xfe", []string{"t\xfe"})
	p := r.Profile(learn.Recording{Command: []string{"sh"}})
	if p.Executables[`/tmp/t\xff`] == nil || p.Executables[`/tmp/t\xfe`] == nil {
		t.Fatalf("executables %v", p.ExecutableNames())
	}
	var buf bytes.Buffer
	if err := p.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := learn.Decode(&buf); err != nil {
		t.Errorf("sctrace cannot read what it wrote: %v", err)
	}
	bad := "{\"version\": 1, \"arches\": {}, \"executables\": {\"/x\xed\xa0\x80\": {\"processes\": 1, \"arches\": {}}}}"
	if _, err := learn.Decode(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8 accepted: %v", err)
	}
}

// TestFileResults: with results, an open that failed is noted as such, one that succeeded as an
// open, and one whose result never came (the thread died in it) as attempted.
func TestFileResults(t *testing.T) {
	a := arch.X86_64
	openat, _ := a.SyscallNumber("openat")
	r := NewRecorder()
	r.WantResults()
	r.Spawn(10, 0)
	call := func(tid int, path string, flags uint64) {
		r.Call(10, a.Audit, openat, &[6]uint64{uint64(0xffffff9c), 0x1000, flags})
		r.Memory(tid, a.Audit, openat, [6]uint64{uint64(0xffffff9c), 0x1000, flags}, []byte(path), "")
	}
	call(10, "/etc/ok", 0)
	r.Result(10, a.Audit, openat, 3)
	call(10, "/etc/missing", 0)
	r.Result(10, a.Audit, openat, -2)
	call(11, "/tmp/new", 0o100)
	r.Result(11, a.Audit, openat, -13)
	call(12, "/tmp/inflight", 0)
	p := r.Profile(learn.Recording{Command: []string{"x"}})
	for path, want := range map[string]string{"/etc/ok": "open", "/etc/missing": "open-failed", "/tmp/new": "create-failed", "/tmp/inflight": "open"} {
		if got := strings.Join(p.Files[path], ","); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}

// TestResultMatters: the tracer is asked to stop at a file call's exit only where the result can
// change the footprint; where it cannot (both outcomes known, or a new path past the cap), the
// call is accounted for at once, with the same profile as if its result had come.
func TestResultMatters(t *testing.T) {
	a := arch.X86_64
	openat, _ := a.SyscallNumber("openat")
	r := NewRecorder()
	r.WantResults()
	r.Spawn(10, 0)
	call := func(path string, flags uint64) bool {
		args := [6]uint64{uint64(0xffffff9c), 0x1000, flags}
		r.Call(10, a.Audit, openat, &args)
		r.Memory(10, a.Audit, openat, args, []byte(path), "")
		return r.ResultMatters(10)
	}
	steps := []struct {
		path  string
		flags uint64
		ret   int64
		want  bool
	}{
		{"/a", 0, 3, true},       // new
		{"/a", 0, 3, true},       // its failure is not known yet
		{"/a", 0, -2, true},      // now it is
		{"/a", 0, 3, false},      // both known
		{"/a", 0o100, 3, true},   // a create is another use
		{"/a", 0o100, -13, true}, //
		{"/a", 0o100, -13, false},
	}
	for i, s := range steps {
		if got := call(s.path, s.flags); got != s.want {
			t.Fatalf("step %d: ResultMatters %v, want %v", i, got, s.want)
		} else if got {
			r.Result(10, a.Audit, openat, s.ret)
		}
	}
	if !call("/u\xff", 0) {
		t.Fatal("a new path needs its result")
	}
	r.Result(10, a.Audit, openat, 3)
	for len(r.fp.files) < learn.MaxFiles {
		if !call(fmt.Sprintf("/f%d", len(r.fp.files)), 0) {
			t.Fatal("a new path below the cap needs its result")
		}
		r.Result(10, a.Audit, openat, 3)
	}
	if call("/past-the-cap", 0) || !call("/f2", 0) {
		t.Error("past the cap: a new path needs no result, a known one still does")
	}
	r.Result(10, a.Audit, openat, 3)
	// A path that is not UTF-8 is stored escaped: it is known under that name.
	if !call("/u\xff", 0) {
		t.Fatal("a known path that is not UTF-8 needs its result")
	}
	r.Result(10, a.Audit, openat, -2)
	p := r.Profile(learn.Recording{Command: []string{"x"}})
	if got := strings.Join(p.Files["/u\\xff"], ","); got != "open,open-failed" {
		t.Errorf("/u\\xff: %q, want open,open-failed", got)
	}
	if got := strings.Join(p.Files["/a"], ","); got != "create,create-failed,open,open-failed" || p.Dropped == nil || p.Dropped.Files != 1 || len(p.Files) != learn.MaxFiles {
		t.Errorf("/a: %q, dropped %+v, %d files", got, p.Dropped, len(p.Files))
	}
}
