package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestHidden: a workload can hide calls from a seccomp + ptrace recorder (DESIGN trap 22): its
// own filters answer before sctrace's TRACE verdict, a user-notification listener outranks it,
// a tracer of its own competes with sctrace. The recording must behave as the workload would
// alone where it can, and say in the profile, in the summary and in the report that calls may
// be missing.
func TestHidden(t *testing.T) {
	tests := []struct {
		prog string
		want []string // substrings of the profile's hidden reasons
		not  []string // calls that must not be recorded
	}{
		{prog: "ownfilter", want: []string{"seccomp filters of its own", "asked for a tracer 1 time "}},
		{prog: "ownlistener", want: []string{"seccomp filters of its own", "user-notification listener"},
			not: []string{"getppid"}},
		{prog: "ownptrace", want: []string{"traces processes itself"}},
	}
	for _, tc := range tests {
		t.Run(tc.prog, func(t *testing.T) {
			r := record(t, prog(t, tc.prog))
			if r.exit != 0 {
				t.Fatalf("exit %d (alone it exits 0)\n%s%s", r.exit, r.stdout, r.stderr)
			}
			hidden := strings.Join(r.profile.Recordings[0].Hidden, "\n")
			for _, w := range tc.want {
				if !strings.Contains(hidden, w) {
					t.Errorf("hidden reasons %q lack %q", hidden, w)
				}
				if !strings.Contains(r.stderr, w) {
					t.Errorf("the summary does not say %q:\n%s", w, r.stderr)
				}
			}
			for _, c := range tc.not {
				if r.profile.Count("x86_64", c) != 0 {
					t.Errorf("%s recorded: the test program is not doing what it should", c)
				}
			}
		})
	}
	// The report says it too.
	r := record(t, prog(t, "ownlistener"))
	out, err := exec.Command(sctraceBin, "report", r.path).CombinedOutput()
	if err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Calls may be hidden") || !strings.Contains(string(out), "user-notification listener") {
		t.Errorf("report does not say calls may be hidden:\n%s", out)
	}
}
