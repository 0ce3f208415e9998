//go:build linux && !mips && !mipsle && !mips64 && !mips64le

package helper

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSelfTraced: selfTraced tells a process under a tracer (a debugger; strace here) from one
// that is not: under one, the workload's first process is forked, not cloned into this
// process's memory, whose breakpoints the debugger would otherwise remove.
func TestSelfTraced(t *testing.T) {
	if os.Getenv("SCTRACE_TEST_TRACED") != "" {
		if !selfTraced() {
			t.Fatal("selfTraced() false under strace")
		}
		return
	}
	if selfTraced() {
		t.Skip("the test itself runs under a tracer")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is needed")
	}
	cmd := exec.Command(strace, "-o", os.DevNull, os.Args[0], "-test.run=^TestSelfTraced$", "-test.v")
	cmd.Env = append(os.Environ(), "SCTRACE_TEST_TRACED=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestSelfTraced") {
		t.Errorf("under strace: %v\n%s", err, out)
	}
}
