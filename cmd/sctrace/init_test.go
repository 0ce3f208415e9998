package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoTableInit: the packages that hold sctrace's tables have no package initialisation, which
// every command, `run -- /bin/true` included, would pay before main: their tables are slices and
// switches the linker lays out, not map literals or compiled regexps. The test binary links them
// as the command does; GODEBUG=inittrace=1 lists every package whose initialisation ran.
func TestNoTableInit(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	none := map[string]bool{}
	for _, p := range []string{"arch", "arch/decode", "learn", "learn/reach", "emit", "emit/audit"} {
		none["github.com/sctrace/sctrace/"+p] = true
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "init" && none[f[1]] {
			t.Errorf("%s has a package initialisation: %s", f[1], line)
		}
	}
}
