package main

import (
	"strings"
	"testing"

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
