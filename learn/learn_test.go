package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/arch"
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
	p := r.Profile(Recording{Command: []string{"sh", "-c", "prog32"}, ExitCode: 0})
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
		t.Errorf("prog32 arches %v", sortedKeys(prog.Arches))
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
		if err := r.Profile(Recording{Command: []string{"x"}}).Encode(&b); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b.Bytes()
		} else if !bytes.Equal(first, b.Bytes()) {
			t.Fatalf("run %d encoded differently:\n%s\nvs\n%s", i, first, b.Bytes())
		}
	}
	// And what is written reads back to the same bytes.
	p, err := Decode(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	p.Encode(&b)
	if !bytes.Equal(first, b.Bytes()) {
		t.Errorf("decode+encode changed the profile")
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "not a profile"},
		{"not json", `hello`, "not a profile"},
		{"truncated", `{"version": 1, "arches": {"x86_64": {"sysc`, "not a profile"},
		{"no version", `{"arches": {}}`, "no version field"},
		{"future", `{"version": 4, "arches": {}}`, "unsupported profile version 4"},
		{"args in version 2", `{"version": 2, "arches": {"x86_64": {"syscalls": {"socket": {"count": 1, "args": {"index": [0], "mask": [4294967295], "values": [[1]]}}}}}}`, "version 3 field"},
		{"args unsorted", `{"version": 3, "arches": {"x86_64": {"syscalls": {"socket": {"count": 1, "args": {"index": [0], "mask": [4294967295], "values": [[2], [1]]}}}}}}`, "sorted"},
		{"args outside mask", `{"version": 3, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [6], "values": [[1]]}}}}}}`, "outside its mask"},
		{"args 64-bit mask", `{"version": 3, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [4294967296], "values": []}}}}}}`, "32-bit mask"},
		{"args bad index", `{"version": 3, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [6], "mask": [1], "values": []}}}}}}`, "0 to 5"},
		{"args widened with values", `{"version": 3, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [6], "values": [[2]], "widened": true}}}}}}`, "widened, yet"},
		{"args on old_mmap", `{"version": 3, "arches": {"x86": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [6], "values": [[0]]}}}}}}`, "in memory"},
		{"args no values", `{"version": 3, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [6]}}}}}}`, "values"},
		{"partial in version 1", `{"version": 1, "arches": {}, "executables": {"/bin/x": {"processes": 1, "arches": {}, "partial": true}}}`, "version 2 field"},
		{"zero", `{"version": 0, "arches": {}}`, "unsupported profile version 0"},
		{"unknown field", `{"version": 1, "arches": {}, "allow_all": true}`, "unknown field"},
		{"wrong type", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": "many"}}}}}`, "line 1"},
		{"negative count", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": -1}}}}}`, "cannot unmarshal"},
		{"unknown arch", `{"version": 1, "arches": {"vax": {"syscalls": {}}}}`, `unknown arch "vax"`},
		{"unknown syscall", `{"version": 1, "arches": {"x86_64": {"syscalls": {"frob": {"count": 1}}}}}`, `unknown syscall "frob"`},
		{"null set", `{"version": 1, "arches": {"x86_64": null}}`, `$.arches["x86_64"] is null`},
		{"no arches", `{"version": 1}`, `missing field "arches"`},
		{"trailing", `{"version": 1, "arches": {}} {}`, "after top-level value"},
		// A profile must mean the same to sctrace as to jq: each of these grants ptrace to
		// encoding/json alone while jq shows no ptrace key.
		{"number of a named call", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}, "101": {"count": 1}}}}}`,
			`"101" is the number of ptrace`},
		{"zero next to read", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}, "0": {"count": 1}}}}}`,
			`"0" is the number of read`},
		{"case-folded field", `{"version": 1, "arches": {"x86_64": {"syscalls": {}, "SYSCALLS": {"ptrace": {"count": 1}}}}}`,
			`unknown field "SYSCALLS"`},
		{"long s folded", `{"version": 1, "arches": {"x86_64": {"ſyscalls": {"ptrace": {"count": 1}}}}}`,
			`unknown field "ſyscalls"`},
		{"upper-case top field", `{"VERSION": 1, "arches": {}}`, `unknown field "VERSION"`},
		{"duplicate field", `{"version": 1, "arches": {"x86_64": {"syscalls": {"ptrace": {"count": 1}}, "syscalls": {"read": {"count": 1}}}}}`,
			`duplicate field "syscalls"`},
		{"duplicate call", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}, "read": {"count": 2}}}}}`,
			`duplicate key "read"`},
		{"duplicate arch", `{"version": 1, "arches": {"x86_64": {"syscalls": {}}, "x86_64": {"syscalls": {"ptrace": {"count": 1}}}}}`,
			`duplicate key "x86_64"`},
		{"trailing brace", `{"version": 1, "arches": {}}}`, "after top-level value"},
		{"trailing bracket", `{"version": 1, "arches": {}}]`, "after top-level value"},
		{"missing count", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {}}}}}`, `missing field "count"`},
		{"null count", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": null}}}}}`, `count is null`},
		{"null version", `{"version": null, "arches": {}}`, "version"},
		{"table-less arch, second key", `{"version": 1, "arches": {"audit-0x12345678": {"syscalls": {"7": {"count": 1}, "ptrace": {"count": 1}}}}}`,
			`"ptrace" must be a number`},
	}
	for _, tt := range tests {
		_, err := Decode(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	_, err := Decode(strings.NewReader(`{"version": 9, "arches": {}}`))
	if !errors.Is(err, ErrVersion) {
		t.Errorf("future version: %v is not ErrVersion", err)
	}
	// The table-less arch check must not depend on map order: many tries, always rejected.
	for i := 0; i < 200; i++ {
		in := `{"version": 1, "arches": {"audit-0x12345678": {"syscalls": {"1": {"count": 1}, "2": {"count": 1}, "read": {"count": 1}, "3": {"count": 1}}}}}`
		if _, err := Decode(strings.NewReader(in)); err == nil {
			t.Fatalf("try %d: a name under a table-less arch was accepted", i)
		}
	}
	big := `{"version": 1, "arches": {}, "executables": {"` + strings.Repeat("a", MaxProfileSize) + `": null}}`
	if _, err := Decode(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized profile: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	r := NewRecorder()
	replay(r)
	var b bytes.Buffer
	r.Profile(Recording{Command: []string{"x"}}).Encode(&b)
	f.Add(b.Bytes())
	f.Add([]byte(`{"version": 1, "arches": {"audit-0x12345678": {"syscalls": {"7": {"count": 1}}}}}`))
	for _, seed := range []string{
		`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}, "101": {"count": 1}}}}}`,
		`{"version": 1, "arches": {"x86_64": {"syscalls": {}, "SYSCALLS": {"ptrace": {"count": 1}}}}}`,
		`{"version": 1, "arches": {"x86_64": {"syscalls": {"ptrace": {"count": 1}}, "syscalls": {}}}}`,
		`{"version": 1, "arches": {"x86": {"syscalls": {"read": {"count": 3}}}}, "executables": {"/bin/x": {"processes": 1, "arches": {}}}}`,
		`{"version": 2, "arches": {}, "files": {"/a\u0062": ["open", "create"], "/c\"d": ["exec"], "/e": []}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever Decode accepts, a plain JSON reader (exact-case keys, as jq sees them) must
		// see the same arches, calls and counts.
		var raw map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatalf("Decode accepted what encoding/json cannot read: %v", err)
		}
		// Files have their own decoder (FileUses): it must read what encoding/json reads.
		files, _ := raw["files"].(map[string]any)
		if len(files) != len(p.Files) {
			t.Fatalf("files: jq sees %d, sctrace %d", len(files), len(p.Files))
		}
		for path, uses := range files {
			list, _ := uses.([]any)
			got, ok := p.Files[path]
			if !ok || len(list) != len(got) {
				t.Fatalf("files[%q]: jq sees %v, sctrace %v", path, uses, got)
			}
			for i, u := range list {
				if u != got[i] {
					t.Fatalf("files[%q][%d]: jq sees %v, sctrace %q", path, i, u, got[i])
				}
			}
		}
		arches, _ := raw["arches"].(map[string]any)
		if len(arches) != len(p.Arches) {
			t.Fatalf("arches: jq sees %d, sctrace %d", len(arches), len(p.Arches))
		}
		for name, set := range p.Arches {
			rawSet, _ := arches[name].(map[string]any)
			calls, _ := rawSet["syscalls"].(map[string]any)
			if len(calls) != len(set.Syscalls) {
				t.Fatalf("%s: jq sees %d calls, sctrace %d", name, len(calls), len(set.Syscalls))
			}
			for key, st := range set.Syscalls {
				c, _ := calls[key].(map[string]any)
				if n, ok := c["count"].(float64); !ok || uint64(n) != st.Count {
					t.Fatalf("%s/%s: jq sees count %v, sctrace %d", name, key, c["count"], st.Count)
				}
			}
		}
		// Whatever Decode accepts must encode and decode again to the same bytes.
		var once, twice bytes.Buffer
		if err := p.Encode(&once); err != nil {
			t.Fatal(err)
		}
		q, err := Decode(bytes.NewReader(once.Bytes()))
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, once.Bytes())
		}
		q.Encode(&twice)
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatalf("not stable:\n%s\n%s", once.Bytes(), twice.Bytes())
		}
	})
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
	p := r.Profile(Recording{Command: []string{"sh"}})
	if n := len(p.Recordings[0].Tree); n != MaxProcesses {
		t.Errorf("tree has %d nodes, want the cap %d", n, MaxProcesses)
	}
	if p.Dropped == nil || p.Dropped.Processes != 100001-MaxProcesses {
		t.Errorf("dropped %+v, want %d processes", p.Dropped, 100001-MaxProcesses)
	}
	var buf bytes.Buffer
	if err := p.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(&buf); err != nil {
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
	p := r.Profile(Recording{Command: []string{"sh"}})
	if p.Executables[`/tmp/t\xff`] == nil || p.Executables[`/tmp/t\xfe`] == nil {
		t.Fatalf("executables %v", p.ExecutableNames())
	}
	var buf bytes.Buffer
	if err := p.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(&buf); err != nil {
		t.Errorf("sctrace cannot read what it wrote: %v", err)
	}
	bad := "{\"version\": 1, \"arches\": {}, \"executables\": {\"/x\xed\xa0\x80\": {\"processes\": 1, \"arches\": {}}}}"
	if _, err := Decode(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8 accepted: %v", err)
	}
}

// TestOldMmapNotLearned: i386's and s390x's mmap passes its arguments in memory (old_mmap): its
// registers say nothing, so its arguments must not be learned (or enforced).
func TestOldMmapNotLearned(t *testing.T) {
	for _, c := range []struct {
		arch, call string
		learned    bool
	}{{"x86", "mmap", false}, {"s390x", "mmap", false}, {"x86", "mmap2", true}, {"x86_64", "mmap", true}, {"aarch64", "mmap", true}} {
		a, ok := arch.ByName(c.arch)
		if !ok {
			continue
		}
		if got := LearnsArgs(a, c.call); got != c.learned {
			t.Errorf("%s %s: learned %v, want %v", c.arch, c.call, got, c.learned)
		}
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
	p := r.Profile(Recording{Command: []string{"x"}})
	for path, want := range map[string]string{"/etc/ok": "open", "/etc/missing": "open-failed", "/tmp/new": "create-failed", "/tmp/inflight": "open"} {
		if got := strings.Join(p.Files[path], ","); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}
