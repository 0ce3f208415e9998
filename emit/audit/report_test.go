package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/emit/internal/golden"
	"github.com/sctrace/sctrace/learn"
)

// fakeDocker stands in for Docker's default profile in golden tests (the real one is judged by
// the command line, from github.com/moby/profiles/seccomp).
func fakeDocker(arch, name string) string {
	if name == "mseal" {
		return "blocks it (EPERM)"
	}
	return ""
}

// TestReportGolden: the report's tables and JSON, byte for byte (the command line renders the
// tables as text or markdown; its tests cover the rendering).
func TestReportGolden(t *testing.T) {
	p := golden.Profile(t, "report-profile.json")
	r := BuildReport(p, fakeDocker)
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "report.json.golden", b)
	var text bytes.Buffer
	for _, tb := range r.Tables() {
		text.WriteString("## " + tb.Title + "\n" + strings.Join(tb.Header, " | ") + "\n")
		for _, row := range tb.Rows {
			text.WriteString(strings.Join(row, " | ") + "\n")
		}
		if tb.Note != "" {
			text.WriteString(tb.Note + "\n")
		}
	}
	golden.Check(t, "report.tables.golden", text.Bytes())
}

func TestReportContent(t *testing.T) {
	p := golden.Profile(t, "report-profile.json")
	r := BuildReport(p, fakeDocker)
	var risky []string
	for _, x := range r.Risks {
		risky = append(risky, x.Name)
	}
	if strings.Join(risky, " ") != "ptrace" {
		t.Errorf("risks %v, want only ptrace", risky)
	}
	if len(r.Docker) != 1 || r.Docker[0].Name != "mseal" {
		t.Errorf("docker rows %+v", r.Docker)
	}
	// The tree is depth first: the shell, then its children.
	if len(r.Tree) != 3 || r.Tree[0].Depth != 0 || r.Tree[1].Depth != 1 || r.Tree[1].Parent != r.Tree[0].Pid {
		t.Errorf("tree %+v", r.Tree)
	}
	groups := map[string]string{}
	for _, s := range r.Syscalls {
		groups[s.Name] = s.Group
	}
	for name, want := range map[string]string{"openat": "files", "connect": "network", "clone": "processes",
		"mmap": "memory", "ptrace": "privileged", "rt_sigaction": "signals", "clock_nanosleep": "time",
		"setxattr": "files", "futex": "ipc"} {
		if groups[name] != want {
			t.Errorf("%s in group %q, want %q", name, groups[name], want)
		}
	}
	var back map[string]any
	b, _ := r.JSON()
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"syscalls", "risks", "docker_default_blocks", "executables", "process_tree", "files", "programs", "endpoints"} {
		if _, ok := back[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestDiff(t *testing.T) {
	base := golden.Profile(t, "report-profile.json")
	same := learn.Merge(base)
	if d := Diff(base, same); len(d.Added)+len(d.Removed) != 0 || d.NeedsMore() {
		t.Errorf("a profile differs from itself: %+v", d)
	}
	grown := learn.Merge(base)
	grown.Arches["x86_64"].Syscalls["bpf"] = &learn.SyscallStat{Count: 1}
	grown.Executables["/usr/bin/dash"].Arches["x86_64"].Syscalls["bpf"] = &learn.SyscallStat{Count: 1}
	delete(grown.Arches["x86_64"].Syscalls, "write")
	d := Diff(base, grown)
	if !d.NeedsMore() || len(d.Added) != 2 || d.Added[0].Syscall != "bpf" || d.Added[0].Risk == "" {
		t.Errorf("added %+v", d.Added)
	}
	if len(d.Removed) != 1 || d.Removed[0].Syscall != "write" {
		t.Errorf("removed %+v", d.Removed)
	}
	if back := Diff(grown, base); back.NeedsMore() != true || len(back.Removed) != 2 {
		// base has write, grown lacks it: base "needs more" than grown.
		t.Errorf("reverse diff %+v", back)
	}
	shrunk := learn.Merge(base)
	delete(shrunk.Arches["x86_64"].Syscalls, "write")
	if Diff(base, shrunk).NeedsMore() {
		t.Error("a smaller profile needs more")
	}
}

// TestDiffWidened: a combination of arguments NEW allows and OLD does not is a widening that
// fails the gate, with the reason it matters; a narrowing is not.
func TestDiffWidened(t *testing.T) {
	prof := func(values ...[]uint64) *learn.Profile {
		p := learn.NewProfile()
		p.Arches["x86_64"] = &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{
			"clone": {Count: 1, Args: &learn.Args{Index: []int{0}, Mask: []uint64{0x7e820000}, Values: values}},
		}}
		return p
	}
	old, cur := prof([]uint64{0}), prof([]uint64{0}, []uint64{0x10000000})
	d := Diff(old, cur)
	if len(d.Widened) != 1 || !d.NeedsMore() || !strings.Contains(d.Widened[0].String(), "CLONE_NEWUSER") || !strings.Contains(d.Widened[0].Risk, "user namespace") {
		t.Errorf("widened: %+v, needs more %v", d.Widened, d.NeedsMore())
	}
	if d := Diff(cur, old); len(d.Widened) != 0 || d.NeedsMore() {
		t.Errorf("narrowed: %+v", d.Widened)
	}
	any := prof()
	any.Arches["x86_64"].Syscalls["clone"].Args = nil
	if d := Diff(old, any); len(d.Widened) != 1 || d.Widened[0].Values[0] != "any" {
		t.Errorf("to any arguments: %+v", d.Widened)
	}
}

// TestGateFiles: a file fails the gate when NEW uses it in a way OLD did not, outside the places
// whose names differ between runs; paths are judged cleaned.
func TestGateFiles(t *testing.T) {
	for _, c := range []struct {
		path     string
		old, cur []string
		gate     bool
	}{
		{"/etc/new.conf", nil, []string{"open"}, true},
		{"/etc/app.conf", []string{"open-failed"}, []string{"open"}, true},
		{"/etc/app.conf", []string{"open"}, []string{"open", "create"}, true},
		{"/etc/app.conf", []string{"open"}, []string{"open"}, false},
		{"/etc/missing", nil, []string{"open-failed"}, false},
		{"/tmp/x", nil, []string{"create"}, false},
		{"/tmp/../etc/shadow", nil, []string{"open"}, true},
		{"/proc/self/root/etc/passwd", nil, []string{"open"}, true},
		{"/proc/1234/status", nil, []string{"open"}, false},
		{"/proc/sys/kernel/core_pattern", nil, []string{"create"}, true},
		{"/sys/class/net/eth0/mtu", nil, []string{"create"}, true},
	} {
		if got := countsForGate(c.path, c.old, c.cur); got != c.gate {
			t.Errorf("%s %v -> %v: gate %v, want %v", c.path, c.old, c.cur, got, c.gate)
		}
	}
}

// TestReportSyscallsOnly: a profile recorded with --syscalls-only looked for no files, programs or
// endpoints; its summary must not say the workload had none.
func TestReportSyscallsOnly(t *testing.T) {
	p := golden.Profile(t, "report-profile.json")
	p.Files, p.Programs, p.Endpoints = nil, nil, nil
	line := func(r *Report, key string) string {
		for _, row := range r.summary().Rows {
			if row[0] == key {
				return row[1]
			}
		}
		return ""
	}
	if got := line(BuildReport(p, fakeDocker), "files"); got != "none" {
		t.Errorf("files %q with the footprint recorded, want none", got)
	}
	for i := range p.Recordings {
		p.Recordings[i].SyscallsOnly = true
	}
	r := BuildReport(p, fakeDocker)
	for _, k := range []string{"files", "programs", "endpoints"} {
		if got := line(r, k); !strings.Contains(got, "not recorded") {
			t.Errorf("%s %q, want \"not recorded\"", k, got)
		}
	}
	for _, tb := range r.Tables() {
		if s := tb.Section; (s == "files" || s == "programs" || s == "endpoints") && !strings.Contains(tb.Note, "not recorded") {
			t.Errorf("the %s section says %q, want \"not recorded\"", s, tb.Note)
		}
	}
}

// TestDiffSyscallsOnly: a profile recorded with --syscalls-only has no files, programs or
// endpoints; diff must neither call them removed nor, the other way round, new (the gate failed
// on every file of the full recording).
func TestDiffSyscallsOnly(t *testing.T) {
	full := golden.Profile(t, "report-profile.json")
	bare := learn.Merge(full)
	bare.Files, bare.Programs, bare.Endpoints = nil, nil, nil
	for i := range bare.Recordings {
		bare.Recordings[i].SyscallsOnly = true
	}
	for _, d := range []*Difference{Diff(full, bare), Diff(bare, full)} {
		if d.NeedsMore() || !d.Empty() || d.NotCompared == "" || len(d.Files.Removed)+len(d.Programs.Removed)+len(d.Endpoints.Removed) != 0 {
			t.Errorf("diff with a --syscalls-only profile: %+v", d)
		}
	}
	if d := Diff(full, learn.Merge(full)); d.NotCompared != "" {
		t.Errorf("full profiles not compared: %q", d.NotCompared)
	}
	// Merged with a full recording, the --syscalls-only run still leaves OLD's files partial.
	mixed := learn.Merge(full, bare)
	if d := Diff(mixed, full); d.NotCompared == "" || d.NeedsMore() {
		t.Errorf("OLD partly --syscalls-only: %+v", d)
	}
	for _, row := range BuildReport(mixed, fakeDocker).summary().Rows {
		if row[0] == "files" && !strings.Contains(row[1], "did not look") {
			t.Errorf("files %q: the --syscalls-only run not mentioned", row[1])
		}
	}
}

// coverageSummary is the summary's coverage line of a report with these rows.
func coverageSummary(rows []CoverageRow) string {
	r := &Report{Coverage: rows}
	for _, row := range r.summary().Rows {
		if row[0] == "coverage" {
			return row[1]
		}
	}
	return ""
}

// TestCoverageSummaryNotAnalysed: an executable the analysis could not read is said in the
// summary, with how many were analysed ("0 of 0 possible calls seen" said nothing of it).
func TestCoverageSummaryNotAnalysed(t *testing.T) {
	gone := CoverageRow{Executable: "/tmp/gone", Arch: "x86_64", Error: "open /tmp/gone: no such file or directory"}
	ls := NewCoverageRow("/usr/bin/ls", "x86_64", []string{"read", "write", "openat", "ptrace"}, []string{"read", "write"}, false)
	for _, tt := range []struct {
		rows []CoverageRow
		want string
	}{
		{[]CoverageRow{gone}, "0 of 1 executable analysed: /tmp/gone could not be (open /tmp/gone: no such file or directory)"},
		{[]CoverageRow{ls, gone}, "2 of 4 possible calls seen (50%); 1 of 2 executables analysed: /tmp/gone could not be"},
		{[]CoverageRow{gone, {Executable: "/tmp/gone2", Arch: "x86_64", Error: "no"}}, "0 of 2 executables analysed: 2 could not be"},
	} {
		if got := coverageSummary(tt.rows); !strings.HasPrefix(got, tt.want) {
			t.Errorf("coverage %q, want it to start %q", got, tt.want)
		}
	}
}

// TestCoverageSummaryUnit: summed over executables the counts are (executable, call) pairs,
// not calls (479 "possible calls" exceeded the calls x86_64 has), and one risky call is singular.
func TestCoverageSummaryUnit(t *testing.T) {
	a := NewCoverageRow("/bin/a", "x86_64", []string{"read", "write", "ptrace"}, []string{"read"}, false)
	b := NewCoverageRow("/bin/b", "x86_64", []string{"read", "write"}, []string{"read", "write"}, false)
	b32 := NewCoverageRow("/bin/b", "x86", []string{"read"}, []string{"read"}, false)
	for _, tt := range []struct {
		rows []CoverageRow
		want string
	}{
		{[]CoverageRow{a}, "1 of 3 possible calls seen (33%); 1 risky call possible but never seen"},
		{[]CoverageRow{a, b}, "3 of 5 possible (executable, call) pairs seen (60%); all 2 executables analysed; 1 risky call possible but never seen"},
		{[]CoverageRow{a, b, b32}, "4 of 6 possible (executable, arch, call) triples seen (67%); all 2 executables analysed; 1 risky call possible but never seen"},
	} {
		if got := coverageSummary(tt.rows); got != tt.want {
			t.Errorf("coverage %q, want %q", got, tt.want)
		}
	}
	j, err := (&Report{Coverage: []CoverageRow{a, b}}).JSON()
	if err != nil || !strings.Contains(string(j), `"possible_per_executable": 5`) || !strings.Contains(string(j), `"seen_per_executable": 3`) {
		t.Errorf("JSON lacks the totals: %v\n%s", err, j)
	}
}

// TestReportPlurals: a count of one takes the singular ("1 calls allowed only with learned
// values", "and 1 more processes").
func TestReportPlurals(t *testing.T) {
	p := &learn.Profile{Version: learn.Version, Arches: map[string]*learn.SyscallSet{"x86_64": {Syscalls: map[string]*learn.SyscallStat{
		"socket": {Count: 1, Args: &learn.Args{Index: []int{0}, Mask: []uint64{0xffffffff}, Values: [][]uint64{{1}}}}}}},
		Dropped: &learn.Dropped{Processes: 1, Files: 1}}
	var text []string
	for _, tb := range BuildReport(p, nil).Tables() {
		text = append(text, tb.Note)
		for _, row := range tb.Rows {
			text = append(text, strings.Join(row, " "))
		}
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{"1 call allowed only with learned values", "and 1 more process, over the cap", "and 1 more path, over the cap"} {
		if !strings.Contains(all, want) {
			t.Errorf("lacks %q:\n%s", want, all)
		}
	}
}

// TestCoverageUnboundedAndChanged (helper-34): an unbounded executable's calls found are no
// count of what it can make, so they stay out of the summary's sums; a recorded call the file
// at that path cannot make now is not blamed on the analysis alone (the file may have changed).
func TestCoverageUnboundedAndChanged(t *testing.T) {
	ls := NewCoverageRow("/usr/bin/ls", "x86_64", []string{"read", "write", "openat", "ptrace"}, []string{"read", "write"}, false)
	unb := NewCoverageRow("/tmp/hello", "x86_64", []string{"read", "write", "exit_group"}, []string{"read"}, true)
	want := "2 of 4 possible calls seen (50%)"
	if got := coverageSummary([]CoverageRow{ls, unb}); !strings.HasPrefix(got, want) || !strings.Contains(got, "1 executable is unbounded (any call possible: not in the counts)") {
		t.Errorf("coverage %q, want it to start %q and say the unbounded one is not counted", got, want)
	}
	changed := NewCoverageRow("/tmp/h3", "x86_64", []string{"read"}, []string{"read", "brk"}, false)
	tb := (&Report{Coverage: []CoverageRow{changed}}).coverageTable()
	if !strings.Contains(tb.Note, "the file changed since the recording") || !strings.Contains(strings.Join(tb.Rows[0], " "), "recorded but not possible now: brk") {
		t.Errorf("note %q, row %q", tb.Note, tb.Rows[0])
	}
}
