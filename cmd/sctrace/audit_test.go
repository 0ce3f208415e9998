package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sctrace/sctrace/emit/audit"
	"github.com/sctrace/sctrace/learn"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const reportProfile = "../../emit/audit/testdata/report-profile.json"

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/sctrace -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (-update rewrites it):\n%s", name, got)
	}
}

// TestReportFormats: the three report formats, byte for byte, with Docker's real default profile.
func TestReportFormats(t *testing.T) {
	for _, format := range []string{"table", "json", "markdown"} {
		code, stdout, stderr := sctrace(t, "report", "--format", format, reportProfile)
		if code != 0 || stderr != "" {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		golden(t, "report."+format+".golden", []byte(stdout))
		for _, want := range []string{"/usr/bin/python3.11", "ptrace", "127.0.0.1", "/etc/hostname", "cat /etc/hostname"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s report lacks %q", format, want)
			}
		}
	}
	if code, _, stderr := sctrace(t, "report", "--format", "yaml", reportProfile); code != 2 || !strings.Contains(stderr, "unknown --format") {
		t.Errorf("bad format: exit %d %q", code, stderr)
	}
}

func TestDiffExit(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.json")
	big := filepath.Join(dir, "big.json")
	os.WriteFile(small, []byte(`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}`), 0o644)
	os.WriteFile(big, []byte(`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}, "bpf": {"count": 1}}}}}`), 0o644)
	code, stdout, _ := sctrace(t, "diff", small, big)
	if code != 1 || !strings.Contains(stdout, "+ x86_64 bpf  !! loads programs") {
		t.Errorf("diff small big: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = sctrace(t, "diff", big, small)
	if code != 0 || !strings.Contains(stdout, "- x86_64 bpf") {
		t.Errorf("diff big small: exit %d\n%s", code, stdout)
	}
	if code, stdout, _ := sctrace(t, "diff", big, big); code != 0 || !strings.Contains(stdout, "no difference") {
		t.Errorf("diff big big: exit %d\n%s", code, stdout)
	}
	if code, _, _ := sctrace(t, "diff", big); code != 2 {
		t.Errorf("diff with one profile: exit %d", code)
	}
}

func TestMergeCLI(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	b := filepath.Join(dir, "b.json")
	out := filepath.Join(dir, "out.json")
	os.WriteFile(a, []byte(`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}`), 0o644)
	os.WriteFile(b, []byte(`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 2}}}, "x86": {"syscalls": {"getpid": {"count": 3}}}}}`), 0o644)
	if code, _, stderr := sctrace(t, "merge", "-o", out, a, b); code != 0 {
		t.Fatalf("merge: exit %d %s", code, stderr)
	}
	f, _ := os.Open(out)
	p, err := learn.Decode(f)
	f.Close()
	if err != nil || p.Count("x86_64", "read") != 3 || p.Count("x86", "getpid") != 3 {
		t.Errorf("merged: %v %+v", err, p)
	}
	future := filepath.Join(dir, "future.json")
	os.WriteFile(future, []byte(`{"version": 4, "arches": {}}`), 0o644)
	os.Remove(out)
	code, _, stderr := sctrace(t, "merge", "-o", out, a, future)
	if code != 2 || !strings.Contains(stderr, "unsupported profile version 4") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("merge with a newer profile: exit %d %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed merge left an output file")
	}
	if code, _, _ := sctrace(t, "merge", a); code != 2 {
		t.Errorf("merge without -o: exit %d", code)
	}
}

func TestEmitExe(t *testing.T) {
	code, stdout, stderr := sctrace(t, "emit", "-q", "--format", "minijail", "--exe", "/usr/bin/cat", reportProfile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"openat: 1", "read: 1", "write: 1", "exit_group: 1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("cat's policy lacks %q", want)
		}
	}
	for _, other := range []string{"connect", "ptrace", "clone"} {
		if strings.Contains(stdout, other+": 1") {
			t.Errorf("cat's policy allows %s, which only other executables made", other)
		}
	}
	code, _, stderr = sctrace(t, "emit", "--format", "oci", "--exe", "/no/such", reportProfile)
	if code != 2 || !strings.Contains(stderr, `no executable "/no/such"`) {
		t.Errorf("unknown exe: exit %d %q", code, stderr)
	}
	// An unknown format is refused before anything else is done (no analysis, no notes).
	code, _, stderr = sctrace(t, "emit", "--format", "yaml", reportProfile)
	if code != 2 || !strings.HasPrefix(stderr, `sctrace: emit: unknown --format "yaml"`) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unknown format: exit %d %q", code, stderr)
	}
}

// TestDiffGate: diff fails the gate for a new executable, program or endpoint even when no call
// is new, not for a new file alone; --format json says the same.
func TestDiffGate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, extra string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(`{"version": 2, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}`+extra+`}`), 0o644)
		return p
	}
	base := write("base.json", `, "executables": {"/bin/a": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}}`)
	newExe := write("exe.json", `, "executables": {"/bin/a": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}},
		"/bin/b": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}}`)
	newEndpoint := write("ep.json", `, "executables": {"/bin/a": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}},
		"endpoints": [{"call": "connect", "family": "inet", "address": "10.0.0.1", "port": 443}]`)
	tmpFile := write("tmp.json", `, "executables": {"/bin/a": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}},
		"files": {"/tmp/x": ["create"]}`)
	newFile := write("file.json", `, "executables": {"/bin/a": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}},
		"files": {"/etc/newconf": ["open"]}`)
	failedFile := write("failed.json", `, "executables": {"/bin/a": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}},
		"files": {"/etc/missing": ["open-failed"]}`)
	if b, err := os.ReadFile(failedFile); err == nil { // open-failed is a version 3 use
		os.WriteFile(failedFile, []byte(strings.Replace(string(b), `"version": 2`, `"version": 3`, 1)), 0o644)
	}
	for _, tc := range []struct {
		path, want string
		code       int
	}{
		{newExe, "+ executable /bin/b", 1},
		{newEndpoint, "+ endpoint connect inet 10.0.0.1:443", 1},
		{tmpFile, "+ file /tmp/x  (temporary or failed: does not count)", 0},
		{newFile, "+ file /etc/newconf", 1},
		{failedFile, "+ file /etc/missing  (temporary or failed", 0},
	} {
		code, stdout, _ := sctrace(t, "diff", base, tc.path)
		if code != tc.code || !strings.Contains(stdout, tc.want) {
			t.Errorf("diff %s: exit %d, output %q; want %d and %q", filepath.Base(tc.path), code, stdout, tc.code, tc.want)
		}
	}
	code, stdout, _ := sctrace(t, "diff", "--format", "json", base, newExe)
	var d struct {
		NeedsMore   bool `json:"needs_more"`
		Executables struct {
			Added []string `json:"added"`
		} `json:"executables"`
	}
	if err := json.Unmarshal([]byte(stdout), &d); err != nil || code != 1 || !d.NeedsMore || len(d.Executables.Added) != 1 {
		t.Errorf("diff --format json: exit %d, %+v (%v)\n%s", code, d, err, stdout)
	}
}

// wideProfile writes a profile whose report is wide and long: 25 executables with long paths
// that all make the same calls, a risky call, many files, processes and programs.
func wideProfile(t *testing.T) string {
	t.Helper()
	p := learn.NewProfile()
	p.Executables = map[string]*learn.Executable{}
	p.Files = learn.FileUses{}
	rec := learn.Recording{Command: []string{"make", "-j8", "CFLAGS=-O2 -g"}, Kernel: "6.1.0", Machine: "x86_64", Processes: 25}
	calls := []string{"read", "write", "openat", "close", "mmap", "ptrace", "clone", "execve"}
	set := func() *learn.SyscallSet {
		s := &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{}}
		for i, c := range calls {
			s.Syscalls[c] = &learn.SyscallStat{Count: uint64(1000*i + 7)}
		}
		return s
	}
	p.Arches["x86_64"] = set()
	for i := 0; i < 25; i++ {
		path := fmt.Sprintf("/opt/vendor/toolchain-%02d/libexec/gcc/x86_64-linux-gnu/12/cc1plus-%02d", i, i)
		p.Executables[path] = &learn.Executable{Processes: 1, Arches: map[string]*learn.SyscallSet{"x86_64": set()}}
		p.Programs = append(p.Programs, learn.Program{Path: path, Argv: []string{path, "-quiet", "-o", fmt.Sprintf("/tmp/cc%02d.s", i), "it's a long argument list"}})
		rec.Tree = append(rec.Tree, learn.Node{Pid: 100 + i, Parent: 99 + i, Exec: []string{path}})
	}
	for i := 0; i < 30; i++ {
		p.Files[fmt.Sprintf("/usr/include/c++/12/bits/a-very-long-header-name-number-%02d.h", i)] = []string{learn.UseOpen}
	}
	p.Recordings = []learn.Recording{rec}
	path := filepath.Join(t.TempDir(), "wide.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := p.Encode(f); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReportWidth: at 80 and 200 columns, no line of the report is wider than the terminal, and
// the layout is the golden one.
func TestReportWidth(t *testing.T) {
	prof := wideProfile(t)
	for _, width := range []int{80, 200} {
		code, stdout, stderr := sctrace(t, "report", "--width", strconv.Itoa(width), prof)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for i, line := range strings.Split(stdout, "\n") {
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("width %d: line %d is %d columns: %s", width, i+1, n, line)
			}
		}
		// The golden files hold the report with the temporary path replaced.
		golden(t, fmt.Sprintf("report.w%d.golden", width), []byte(strings.ReplaceAll(stdout, prof, "wide.json")))
	}
}

// TestReportSections: the long sections are cut in the default view and whole when chosen;
// --no-NAME leaves one out; flags may follow the profile; - reads standard input.
func TestReportSections(t *testing.T) {
	prof := wideProfile(t)
	_, stdout, _ := sctrace(t, "report", prof)
	if !strings.HasPrefix(stdout, "Summary\n") || !strings.Contains(stdout, "… and 10 more rows (sctrace report --section files "+prof+" shows them all)") {
		t.Errorf("default view: no summary first, or files not cut:\n%s", stdout)
	}
	_, stdout, _ = sctrace(t, "report", prof, "--section", "files")
	if strings.Count(stdout, "a-very-long-header-name") != 30 || strings.Contains(stdout, "Summary") {
		t.Errorf("--section files: want the 30 files alone:\n%s", stdout)
	}
	_, stdout, _ = sctrace(t, "report", "--no-calls", "--no-tree", prof)
	if strings.Contains(stdout, "System calls by arch and group") || strings.Contains(stdout, "Process tree") || !strings.Contains(stdout, "Files") {
		t.Errorf("--no-calls --no-tree:\n%s", stdout)
	}
	code, _, stderr := sctrace(t, "report", "--section", "flies", prof)
	if code != 2 || !strings.Contains(stderr, "did you mean files?") {
		t.Errorf("unknown section: exit %d %q", code, stderr)
	}
	data, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code = exitCode(run([]string{"report", "-", "--section", "summary"}, bytes.NewReader(data), &out, &errb), &errb)
	if code != 0 || !strings.Contains(out.String(), "25 executables") {
		t.Errorf("report - (stdin): exit %d %s\n%s", code, errb.String(), out.String())
	}
}

// TestFlagsAfterFiles: commands whose arguments are files take flags after them too.
func TestFlagsAfterFiles(t *testing.T) {
	prof := wideProfile(t)
	if code, stdout, stderr := sctrace(t, "emit", prof, "--format", "oci", "-q"); code != 0 || !strings.Contains(stdout, `"defaultAction"`) {
		t.Errorf("emit PROFILE --format oci: exit %d %s", code, stderr)
	}
	if code, stdout, stderr := sctrace(t, "diff", prof, prof, "--format", "json"); code != 0 || !strings.Contains(stdout, `"needs_more": false`) {
		t.Errorf("diff A B --format json: exit %d %s\n%s", code, stderr, stdout)
	}
	// After --, everything is a file, even what looks like a flag.
	if code, _, stderr := sctrace(t, "report", "--", "--format"); code != 2 || !strings.Contains(stderr, "--format") {
		t.Errorf("report -- --format: exit %d %q", code, stderr)
	}
}

// TestReportArguments: learned arguments are decoded, the ones that matter flagged, and each
// compared with Docker's default profile; a call whose arguments sctrace learns allowed with any
// is flagged too.
func TestReportArguments(t *testing.T) {
	p := filepath.Join(t.TempDir(), "args.json")
	os.WriteFile(p, []byte(`{"version": 3, "arches": {"x86_64": {"syscalls": {
		"clone": {"count": 2, "args": {"index": [0], "mask": [2122448896], "values": [[0], [268435456]]}},
		"socket": {"count": 2, "args": {"index": [0, 1, 2], "mask": [4294967295, 15, 4294967295], "values": [[1, 1, 0], [17, 3, 0], [40, 1, 0]]}},
		"personality": {"count": 1, "args": {"index": [0], "mask": [4294967295], "values": [[4194304]]}},
		"mprotect": {"count": 1, "args": {"index": [2], "mask": [6], "values": [[6]]}},
		"ioctl": {"count": 1}}}}}`), 0o644)
	code, stdout, stderr := sctrace(t, "report", "--section", "arguments", "--format", "json", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Arguments []struct {
			Syscall, Docker string
			Allowed, Flags  []string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range r.Arguments {
		got[a.Syscall] = strings.Join(a.Allowed, "; ") + " | " + strings.Join(a.Flags, "; ") + " | " + a.Docker
	}
	for call, want := range map[string][]string{
		"clone":       {"arg0=none of CLONE_NEWNS|CLONE_UNTRACED", "; arg0=CLONE_NEWUSER", "user namespace", "looser: Docker refuses arg0=CLONE_NEWUSER"},
		"socket":      {"arg0=AF_UNIX, arg1=SOCK_STREAM, arg2=0", "AF_PACKET", "raw sockets", "looser: Docker refuses arg0=AF_VSOCK, arg1=SOCK_STREAM, arg2=0"},
		"personality": {"READ_IMPLIES_EXEC", "looser"},
		"mprotect":    {"W^X"},
		"ioctl":       {"any", "any arguments: the request"},
	} {
		for _, w := range want {
			if !strings.Contains(got[call], w) {
				t.Errorf("%s: %q lacks %q", call, got[call], w)
			}
		}
	}
}

// TestK8sNameOf: the default k8s resource name comes from the profile's file name.
func TestK8sNameOf(t *testing.T) {
	for in, want := range map[string]string{"app.json": "app", "/x/My App.sctrace.json": "my-app", "-.json": "", "a_b.v2.json": "a-b.v2"} {
		if got := k8sNameOf(in); got != want {
			t.Errorf("k8sNameOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFitEnds: fitting a table to a narrow screen ends, and narrows what it can, when the
// widest column is text holding a word longer than the room (wrapping cannot break it) or a
// word cutting cannot shorten. It used to loop for good (report --format table with
// COLUMNS=120 on a recording whose reasons held a long path).
func TestFitEnds(t *testing.T) {
	long := "/usr/lib/x86_64-linux-gnu/" + strings.Repeat("averylongnamewithoutbreaks", 4) + ".so"
	tables := []audit.Table{
		{Header: []string{"CALL", "WHY"}, Rows: [][]string{{"openat", "opened, then read: " + long}}, Shrink: -1},
		{Header: []string{"CALL", "WHY", "MORE"}, Rows: [][]string{{"x", "a, b " + long, long + " " + long}}, Shrink: -1, Wrap: 1},
		{Header: []string{"A", "B"}, Rows: [][]string{{strings.Repeat("w", 90), "c, d " + strings.Repeat("z", 90)}}, Shrink: 0},
	}
	for i, tab := range tables {
		for width := 10; width <= 200; width += 7 {
			done := make(chan [][]string, 1)
			go func() { done <- fit(tab, width) }()
			select {
			case rows := <-done:
				if len(rows) != len(tab.Rows) {
					t.Errorf("table %d, width %d: %d rows, want %d", i, width, len(rows), len(tab.Rows))
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("table %d, width %d: fit did not end", i, width)
			}
		}
	}
	// Where the long word is the only thing too wide, it is cut to the room.
	rows := fit(tables[0], 60)
	for _, line := range strings.Split(rows[0][1], "\n") {
		if n := utf8.RuneCountInString(line); n > 60 {
			t.Errorf("a line of %d columns at width 60: %q", n, line)
		}
	}
}

// TestArgumentsNarrow: at any usual width the Arguments table says in full what each call is
// allowed with: a set of flags is broken into lines after its |, never cut to "arg0=none of +1";
// a column empty in every row (WHAT MATTERS when nothing matters) and the ARCH every row shares
// give up their room when the table is too wide, and a note says so.
func TestArgumentsNarrow(t *testing.T) {
	p := writeFile(t, `{"version": 3, "arches": {"x86_64": {"syscalls": {
		"clone": {"count": 40, "args": {"index": [0], "mask": [2122448896], "values": [[0]]}},
		"fcntl": {"count": 87, "args": {"index": [1], "mask": [4294967295], "values": [[0], [1], [2], [3]]}},
		"ioctl": {"count": 142, "args": {"index": [1], "mask": [4294967295], "values": [[21505], [21519], [21523]]}},
		"mmap": {"count": 957, "args": {"index": [2], "mask": [6], "values": [[0], [2], [4]]}},
		"mprotect": {"count": 151, "args": {"index": [2], "mask": [6], "values": [[0]]}},
		"socket": {"count": 1, "args": {"index": [0, 1, 2], "mask": [4294967295, 15, 4294967295], "values": [[2, 1, 0]]}}}}}}`)
	_, full, _ := sctrace(t, "report", "--section", "arguments", p)
	words := regexp.MustCompile(`[A-Z][A-Z0-9_]{2,}|arg[0-9]=`).FindAllString(full, -1)
	for _, width := range []int{60, 80, 100, 200} {
		code, stdout, stderr := sctrace(t, "report", "--width", strconv.Itoa(width), "--section", "arguments", p)
		if code != 0 {
			t.Fatalf("width %d: exit %d: %s", width, code, stderr)
		}
		for i, line := range strings.Split(stdout, "\n") {
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("width %d: line %d is %d columns: %s", width, i+1, n, line)
			}
		}
		if regexp.MustCompile(`\+[0-9]|…`).MatchString(stdout) {
			t.Errorf("width %d: a cell was cut:\n%s", width, stdout)
		}
		for _, w := range words {
			if !strings.Contains(stdout, w) {
				t.Errorf("width %d: %q is missing:\n%s", width, w, stdout)
			}
		}
		flat := strings.Join(strings.Fields(stdout), " ") // the note is wrapped
		drawn, noted := strings.Contains(stdout, "| WHAT MATTERS"), strings.Contains(flat, "WHAT MATTERS (empty in every row)")
		if drawn == noted || drawn != (width == 200) {
			t.Errorf("width %d: the empty WHAT MATTERS column drawn %v, said to be left out %v:\n%s", width, drawn, noted, stdout)
		}
	}
}

// TestWrapBreaksFlags: a word longer than the width is broken after its |, =, , or -, and the
// pieces are joined back without a space where they fit; a word without them stays whole.
func TestWrapBreaksFlags(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"arg0=none of CLONE_NEWNS|CLONE_NEWUSER|CLONE_NEWNET", 27, "arg0=none of CLONE_NEWNS|\nCLONE_NEWUSER|CLONE_NEWNET"},
		{"arg1=SOCK_STREAM, arg2=0", 12, "arg1=\nSOCK_STREAM,\narg2=0"},
		{"and writable-and-executable memory", 15, "and writable-\nand-executable\nmemory"},
		{"a CLONE_UNTRACED b", 8, "a\nCLONE_UNTRACED\nb"},
		{"PROT_WRITE|PROT_EXEC", 40, "PROT_WRITE|PROT_EXEC"},
	}
	for _, tt := range tests {
		if got := wrap(tt.in, tt.width, ""); got != tt.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

// TestNotAProfile: a file that is not JSON at all (a program) is "not a profile" in every
// command that reads profiles, with one line and exit 2; "not valid UTF-8" is kept for a file
// that is JSON text with a bad byte.
func TestNotAProfile(t *testing.T) {
	elf := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(elf, []byte("\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe\x00"), 0o755); err != nil {
		t.Fatal(err)
	}
	good := writeFile(t, `{"version": 3, "arches": {"x86_64": {"syscalls": {"execve": {"count": 1}}}}}`)
	want := elf + ": not a profile: not JSON text (an ELF file)"
	for _, args := range [][]string{
		{"report", elf},
		{"diff", elf, good},
		{"diff", good, elf},
		{"merge", "-o", filepath.Join(t.TempDir(), "out.json"), good, elf},
		{"emit", "--format", "oci", "--no-static", elf},
		{"run", "--profile", elf, "--", "true"},
	} {
		code, _, stderr := sctrace(t, args...)
		if code != 2 || stderr != "sctrace: "+want+"\n" {
			t.Errorf("%s: exit %d %q, want 2 and %q", strings.Join(args, " "), code, stderr, want)
		}
	}
	bad := writeFile(t, "{\"version\": 3, \"arches\": {\"x86_64\": {\"syscalls\": {\"\xff\": {\"count\": 1}}}}}")
	if _, _, stderr := sctrace(t, "report", bad); !strings.Contains(stderr, "bad profile: not valid UTF-8") {
		t.Errorf("JSON text with a bad byte: %q", stderr)
	}
}

// TestEmitChecksFlagsFirst: every flag value emit takes is checked before any work: a bad one is
// one line and exit 2, with no analysis of the executables and no "also allowing" line first.
func TestEmitChecksFlagsFirst(t *testing.T) {
	exe, err := filepath.EvalSymlinks("/bin/ls")
	if err != nil {
		t.Skip(err)
	}
	p := writeFile(t, `{"version": 3, "arches": {"x86_64": {"syscalls": {"execve": {"count": 1}}}},
		"executables": {"`+exe+`": {"processes": 1, "arches": {"x86_64": {"syscalls": {"execve": {"count": 1}}}}}}}`)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "oci", "--runtime", "podman"}, `unknown --runtime "podman"`},
		{[]string{"--format", "oci", "--runtime", "runc", "--nnp", "maybe"}, `--nnp takes true or false, not "maybe"`},
		{[]string{"--format", "k8s", "--name", "Bad_Name"}, `"Bad_Name" is not a Kubernetes resource name`},
		{[]string{"--format", "oci", "--widen", "filez"}, `--widen: "filez" is neither`},
		{[]string{"--format", "oci", "-o", filepath.Join(t.TempDir(), "no", "such", "dir", "out.json")}, "cannot write there"},
	} {
		code, stdout, stderr := sctrace(t, append(append([]string{"emit"}, tt.args...), p)...)
		if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("emit %s: exit %d, stdout %q, stderr %q; want 2 and the one line %q", strings.Join(tt.args, " "), code, stdout, stderr, tt.want)
		}
	}
}

// TestEmitExeSymlink: --exe names an executable through a symlink (/bin/ls on a usr-merged
// system, where the profile has /usr/bin/ls), and the profile's names are resolved too; two
// names of the same file are ambiguous.
func TestEmitExeSymlink(t *testing.T) {
	dir := t.TempDir()
	real, link, link2 := filepath.Join(dir, "real"), filepath.Join(dir, "link"), filepath.Join(dir, "link2")
	os.WriteFile(real, []byte("#!/bin/sh\n"), 0o755)
	os.Symlink("real", link)
	os.Symlink("real", link2)
	profile := func(exes ...string) string {
		var parts []string
		for _, e := range exes {
			parts = append(parts, `"`+e+`": {"processes": 1, "arches": {"x86_64": {"syscalls": {"getppid": {"count": 1}}}}}`)
		}
		return writeFile(t, `{"version": 3, "arches": {"x86_64": {"syscalls": {"execve": {"count": 1}, "getppid": {"count": 1}}}},
			"executables": {`+strings.Join(parts, ", ")+`}}`)
	}
	for _, tt := range []struct {
		exes []string
		exe  string
		want string // on stderr; "" for a filter with getppid
	}{
		{[]string{real}, real, ""},
		{[]string{real}, link, "the profile's " + real + " (the same file)"},
		{[]string{link}, real, "the profile's " + link + " (the same file)"},
		{[]string{real}, filepath.Join(dir, "other"), `the profile has no executable "` + filepath.Join(dir, "other") + `"`},
		{[]string{real, link}, link2, "is the same file as " + link + " and " + real},
	} {
		code, stdout, stderr := sctrace(t, "emit", "--no-static", "--format", "minijail", "--exe", tt.exe, profile(tt.exes...))
		if !strings.Contains(stderr, tt.want) {
			t.Errorf("profile %v, --exe %s: stderr %q, want %q", tt.exes, tt.exe, stderr, tt.want)
		}
		if ok := strings.Contains(tt.want, "same file)") || tt.want == ""; ok != (code == 0 && strings.Contains(stdout, "getppid: 1")) {
			t.Errorf("profile %v, --exe %s: exit %d, stdout %q", tt.exes, tt.exe, code, stdout)
		}
	}
}
