package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sctrace/sctrace/learn/reach"
)

// TestInspectRiskPath: the risks table shows a call's path, preferring one from the entry point,
// and falls back to where the call is made when there is none.
func TestInspectRiskPath(t *testing.T) {
	r := &reach.Result{Path: "prog", Arches: map[string]*reach.Calls{"x86_64": {Nrs: map[int][]reach.Provenance{
		165: { // mount
			{Object: "/lib/libc.so.6", Function: "mount", Via: "direct", Path: []string{"address taken in libc.so.6 data: f (libc.so.6)", "mount (libc.so.6)"}},
			{Object: "/lib/libc.so.6", Function: "mount", Via: "direct", Path: []string{"entry point: _start (prog)", "main (prog, address taken)", "mount (libc.so.6)"}},
		},
		101: {{Object: "/lib/libc.so.6", Function: "ptrace", Via: "direct"}}, // ptrace, without a path
	}}}}
	var risks [][]string
	for _, tb := range inspectTables(r) {
		if tb.Section == "risks" {
			if tb.Header[3] != "path" {
				t.Errorf("risks header: %q", tb.Header)
			}
			risks = tb.Rows
		}
	}
	got := map[string]string{}
	for _, row := range risks {
		got[row[1]] = row[3]
	}
	if want := "entry point: _start (prog) → main (prog, address taken) → mount (libc.so.6)"; got["mount"] != want {
		t.Errorf("mount path %q, want %q", got["mount"], want)
	}
	if !strings.Contains(got["ptrace"], "ptrace in libc.so.6") {
		t.Errorf("ptrace without a path: %q", got["ptrace"])
	}
}

// TestExeCallsFormat: the executable cache's text format reads back what it wrote (paths with
// spaces, quotes and newlines, an error, no arches), and refuses another version, a cut file and
// a line it does not know, so that a damaged cache is recomputed rather than trusted.
func TestExeCallsFormat(t *testing.T) {
	for _, ec := range []*exeCalls{
		{Version: exeCacheVersion, Identity: "1:2:3:4.5", Digest: "ab12", Objects: []string{"/lib/libc.so.6", "/opt/a b/\"q\"\n.so"},
			Arches: map[string][]string{"x86_64": {"read", "write"}, "x86": {"exit"}}, Any: []string{"x32"}},
		{Version: exeCacheVersion, Identity: "9", Digest: "", Arches: map[string][]string{}, Error: "not an ELF file"},
	} {
		enc := ec.encode()
		back, ok := decodeExeCalls(enc)
		if !ok {
			t.Fatalf("cannot read back:\n%s", enc)
		}
		if again := back.encode(); !bytes.Equal(again, enc) {
			t.Errorf("read back differently:\n%s\nvs\n%s", enc, again)
		}
		if !slices.Equal(back.Objects, ec.Objects) || back.Error != ec.Error || back.Identity != ec.Identity {
			t.Errorf("read back %+v, wrote %+v", back, ec)
		}
		for _, bad := range [][]byte{enc[:len(enc)-1], bytes.Replace(enc, []byte("sctrace-exe-calls 5"), []byte("sctrace-exe-calls 4"), 1),
			append(bytes.Clone(enc), "extra line\n"...), []byte(`{"version":5}`)} {
			if _, ok := decodeExeCalls(bad); ok {
				t.Errorf("accepted:\n%s", bad)
			}
		}
	}
}

// TestExeCacheNotRegular: a FIFO (or a device) where run's per-executable cache file belongs is
// not read (the read blocked for good), and the executable is analysed instead.
func TestExeCacheNotRegular(t *testing.T) {
	exe, err := filepath.EvalSymlinks("/bin/true")
	if err != nil {
		t.Skip(err)
	}
	cache := t.TempDir()
	sum := sha256.Sum256([]byte(exe))
	dir := filepath.Join(cache, "exe")
	os.MkdirAll(dir, 0o700)
	if err := syscall.Mkfifo(filepath.Join(dir, hex.EncodeToString(sum[:16])+".calls"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := exeCallsOf(exe, cache, func() bool { return true })
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exeCallsOf: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("exeCallsOf blocks on a FIFO in the cache")
	}
}

// TestSummaryPointsToSections: a summary line whose detail is in another section says "listed
// below" only when that section is shown, and otherwise which --section lists it (inspect's
// "assumptions 22 (listed below)" pointed at nothing under --section summary; report's hidden
// calls likewise).
func TestSummaryPointsToSections(t *testing.T) {
	r := &reach.Result{Path: "prog", Arches: map[string]*reach.Calls{"x86_64": {Nrs: map[int][]reach.Provenance{0: {{Function: "read", Via: "direct"}}}}},
		Unresolved:  []reach.Site{{Arch: "x86_64", Object: "/lib/libc.so.6", Function: "syscall", Reasons: []string{"an argument"}}},
		Assumptions: []string{"one", "two"}}
	line := func(v view, name string) string {
		for _, tb := range v.apply(inspectTables(r)) {
			for _, row := range tb.Rows {
				if tb.Section == "summary" && row[0] == name {
					return row[1]
				}
			}
		}
		return ""
	}
	all, _ := chooseSections("inspect", inspectSections, "", map[string]*bool{})
	only, _ := chooseSections("inspect", inspectSections, "summary", map[string]*bool{})
	for _, tt := range []struct {
		v          view
		name, want string
	}{
		{all, "assumptions", "2 (listed below)"},
		{only, "assumptions", "2 (--section assumptions lists them)"},
		{all, "unresolved", "1 site (listed below)"},
		{only, "unresolved", "1 site (--section unresolved lists them)"},
	} {
		if got := line(tt.v, tt.name); got != tt.want {
			t.Errorf("%v: %s %q, want %q", tt.v.sections, tt.name, got, tt.want)
		}
	}
	p := writeFile(t, `{"version": 3, "arches": {"x86_64": {"syscalls": {"execve": {"count": 1}}}},
		"recordings": [{"command": ["prog"], "kernel": "6.1", "machine": "x86_64", "exit_code": 0, "processes": 1, "hidden": ["its own seccomp filter"]}]}`)
	for args, want := range map[string]string{
		"report":                   "possible: its own seccomp filter (listed below)",
		"report --section summary": "possible: its own seccomp filter (--section recordings lists them)",
		"report --no-recordings":   "possible: its own seccomp filter (--section recordings lists them)",
		"report --format markdown": "possible: its own seccomp filter (listed below)",
	} {
		_, stdout, stderr := sctrace(t, append(strings.Fields(args), p)...)
		if !strings.Contains(stdout, want) {
			t.Errorf("%s: lacks %q (stderr %q):\n%s", args, want, stderr, stdout)
		}
	}
}

// TestInspectNarrow: inspect's tables fit 60, 80 and 100 columns by wrapping, not cutting: a
// REACHED FROM cell keeps its object ("epoll_create1 in +1" had lost libc.so.6), a call name is
// never cut, and a long symbol or path is broken after its _, / or . rather than cut.
func TestInspectNarrow(t *testing.T) {
	libc := "/usr/lib/x86_64-linux-gnu/libc.so.6"
	r := &reach.Result{Path: "/usr/bin/prog", Arches: map[string]*reach.Calls{"x86_64": {Nrs: map[int][]reach.Provenance{
		291: {{Object: libc, Function: "epoll_create1", Via: "direct"}},                                        // epoll_create1
		17:  {{Object: libc, Function: "__pread64_nocancel", Via: "direct"}},                                   // pread64
		146: {{Object: libc, Function: "sched_get_priority_max", Via: "direct"}},                               // sched_get_priority_max
		254: {{Object: libc, Function: "inotify_add_watch", Via: "wrapper: number from syscall in libc.so.6"}}, // inotify_add_watch
		165: {{Object: libc, Function: "mount", Via: "direct", Path: []string{"entry point: _start (prog)", "main (prog, address taken)",
			"__libc_start_call_main (libc.so.6)", "mount (libc.so.6)"}}}, // mount
	}}},
		Unresolved: []reach.Site{{Arch: "x86_64", Object: libc, Function: "__libc_very_long_internal_syscall_helper", Addr: 0x12345,
			Reasons: []string{"the number is an argument of a function whose callers are not known"}}},
		Objects: []reach.Object{{Path: "/usr/lib/x86_64-linux-gnu/gconv/CENTRAL_EUROPEAN.so", Kind: "module", How: "gconv module", Functions: 10, Reached: 8}},
	}
	for _, width := range []int{60, 80, 100} {
		var b bytes.Buffer
		all, _ := chooseSections("inspect", inspectSections, "calls,risks,unresolved", map[string]*bool{})
		renderTables(&b, all.apply(inspectTables(r)), width)
		out := b.String()
		for i, line := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("width %d: line %d is %d columns: %s", width, i+1, n, line)
			}
		}
		if strings.Contains(out, "…") || regexp.MustCompile(` \+[0-9]`).MatchString(out) {
			t.Errorf("width %d: a cell was cut:\n%s", width, out)
		}
		flat := strings.Join(strings.Fields(strings.NewReplacer("|", " ", "+", " ", "-", "").Replace(out)), " ")
		for _, want := range []string{"epoll_create1 in libc.so.6", "sched_get_priority_max", "inotify_add_watch"} {
			if !strings.Contains(flat, want) && !strings.Contains(strings.ReplaceAll(flat, " ", ""), strings.ReplaceAll(want, " ", "")) {
				t.Errorf("width %d: %q is missing:\n%s", width, want, out)
			}
		}
	}
}

// TestInspectPluralsAndPlaceholders: counts of one take the singular in inspect's summary ("1
// calls", "1 modules in"), and emit --help names --name's value NAME, not "string".
func TestInspectPluralsAndPlaceholders(t *testing.T) {
	r := &reach.Result{Path: "prog", Arches: map[string]*reach.Calls{"x86_64": {Nrs: map[int][]reach.Provenance{0: {{Function: "read", Via: "direct"}}}}},
		Objects: []reach.Object{{Path: "/lib/gconv/A.so", Kind: "module"}}}
	var text []string
	for _, tb := range inspectTables(r) {
		for _, row := range tb.Rows {
			text = append(text, strings.Join(row, " "))
		}
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{"x86_64 1 call", "1 module in /lib/gconv"} {
		if !strings.Contains(all, want) {
			t.Errorf("lacks %q:\n%s", want, all)
		}
	}
	_, stdout, _ := sctrace(t, "emit", "--help")
	if !strings.Contains(stdout, "--name NAME") || strings.Contains(stdout, "string") {
		t.Errorf("emit --help:\n%s", stdout)
	}
}

// TestInspectUserErrors: what helper-34 met as a new user, in a user's terms: a script run by
// env names the interpreter env runs, a directory says so, an empty file says so, and a
// negative --width is refused.
func TestInspectUserErrors(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "tool")
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(script, []byte("#!/usr/bin/env -S bash -e\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "--no-cache", script}, "inspect its interpreter (bash, which /usr/bin/env runs from $PATH)"},
		{[]string{"inspect", "--no-cache", dir}, "is a directory"},
		{[]string{"inspect", "--no-cache", empty}, "an empty file"},
		{[]string{"inspect", "--width", "-5", empty}, "--width -5: want a number of columns"},
	} {
		if _, _, stderr := sctrace(t, c.args...); !strings.Contains(stderr, c.want) {
			t.Errorf("%v: %q lacks %q", c.args, stderr, c.want)
		}
	}
}
