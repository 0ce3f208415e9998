package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/emit"
	"github.com/sctrace/sctrace/tracer"
)

// TestSummaryCountsRows: the refine summary's count of the calls a profile lacks is the number
// of rows it prints: a call two executables made is one call, on one row naming both (it was
// counted once and printed twice); the calls marked "not added" are those the closing line
// counts; and the new calls of the profile written that the list does not name are said to be
// the ones the run allowed beside the profile.
func TestSummaryCountsRows(t *testing.T) {
	const x86_64 = 0xc000003e
	ev := func(pid, nr int) *tracer.Event { return &tracer.Event{Pid: pid, Audit: x86_64, Nr: nr} }
	const write, getdents64, mkdir = 1, 217, 83
	for _, mode := range []string{"report", "errno"} {
		var b bytes.Buffer
		l := newLedger(&b, "p.json", mode, nil)
		v := emit.Action(emit.ActLog)
		if mode == "errno" {
			v = emit.Errno(emit.EPERM)
		}
		l.note(ev(10, write), v, "/usr/bin/ls")
		l.note(ev(10, getdents64), v, "/usr/bin/ls")
		l.note(ev(11, write), v, "/usr/bin/cat")
		l.note(ev(11, write), v, "/usr/bin/cat")
		l.note(ev(11, mkdir), v, "/usr/bin/cat")
		grown := []string{"x86_64 futex", "x86_64 getdents64", "x86_64 mkdir", "x86_64 write"}
		if mode == "errno" {
			// getdents64 and mkdir came after their processes' failed write: not added.
			grown = []string{"x86_64 futex", "x86_64 write"}
		}
		l.summary([]string{"sh", "-c", "ls; cat"}, "out.json", grown)
		out := b.String()
		m := regexp.MustCompile(`lacks ([0-9]+) calls? the workload made \(([0-9]+) times?\):\n`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s: no summary:\n%s", mode, out)
		}
		rows := regexp.MustCompile(`(?m)^  x86_64 +(\S+) +([0-9]+)×  (.*)$`).FindAllStringSubmatch(out, -1)
		if n, _ := strconv.Atoi(m[1]); n != len(rows) || n != 3 {
			t.Errorf("%s: the summary says %s calls and prints %d rows, want 3 of each:\n%s", mode, m[1], len(rows), out)
		}
		total := 0
		for _, r := range rows {
			n, _ := strconv.Atoi(r[2])
			total += n
			if r[1] == "write" && !strings.Contains(r[3], "/usr/bin/ls (1×), /usr/bin/cat (2×)") {
				t.Errorf("%s: write's row does not name both executables with their counts: %q", mode, r[0])
			}
		}
		if strconv.Itoa(total) != m[2] || total != 5 {
			t.Errorf("%s: the summary says %s times, its rows add up to %d, want 5:\n%s", mode, m[2], total, out)
		}
		marked := strings.Count(out, "not added)")
		switch mode {
		case "report":
			if marked != 0 || strings.Contains(out, "were not added") || strings.Contains(out, "was not added") {
				t.Errorf("report: calls marked not added:\n%s", out)
			}
		case "errno":
			if marked != 2 || !strings.Contains(out, "sctrace: 2 calls made after an earlier call had failed were not added") {
				t.Errorf("errno: %d rows marked not added, want 2, and a closing line that counts 2:\n%s", marked, out)
			}
		}
		if !strings.Contains(out, "sctrace: 1 of them (x86_64 futex) is not in the list above: the run allowed it beside p.json") {
			t.Errorf("%s: futex, new but not listed, is not explained:\n%s", mode, out)
		}
	}
}

// TestSummaryNothingDenied: a run whose workload made no call the profile lacks ends with one
// line that says so (README: "The run ends with a summary"), which -q leaves out; a run in
// which a filter killed a process at a call sctrace could not read does not say it.
func TestSummaryNothingDenied(t *testing.T) {
	for _, tt := range []struct {
		mode   string
		quiet  bool
		killed int
		want   string
	}{
		{"errno", false, 0, "sctrace: nothing denied: the workload made no call p.json lacks\n"},
		{"kill", false, 0, "sctrace: nothing denied: the workload made no call p.json lacks\n"},
		{"report", false, 0, "sctrace: nothing to report: the workload made no call p.json lacks\n"},
		{"errno", true, 0, ""},
		{"kill", false, 1, ""},
	} {
		var b bytes.Buffer
		l := newLedger(&b, "p.json", tt.mode, nil)
		l.quiet, l.killed = tt.quiet, tt.killed
		l.summary([]string{"true"}, "", nil)
		if b.String() != tt.want {
			t.Errorf("%s, quiet %v, %d killed: %q, want %q", tt.mode, tt.quiet, tt.killed, b.String(), tt.want)
		}
	}
	// With -o, the line comes before what the profile written has.
	var b bytes.Buffer
	l := newLedger(&b, "p.json", "report", nil)
	l.summary([]string{"true"}, "out.json", []string{"x86_64 futex"})
	want := "sctrace: nothing to report: the workload made no call p.json lacks\n" +
		"sctrace: out.json is p.json plus 1 new call: x86_64 futex\n" +
		"sctrace: the run allowed it beside p.json (what every program may need, the timing-dependent calls, --widen), and the workload made it\n"
	if b.String() != want {
		t.Errorf("with -o:\n%s\nwant:\n%s", b.String(), want)
	}
}
