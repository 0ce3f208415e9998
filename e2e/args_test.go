package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// argCases are the kinds of argument condition: a call recorded with some arguments, the same
// call with one argument changed, and what the denial must name.
var argCases = []struct {
	name           string
	learned, other []string
	named          string
}{
	{"socket family", []string{"socket", "1", "1", "0"}, []string{"socket", "10", "1", "0"}, "socket(AF_INET6, SOCK_STREAM, 0)"},
	{"socket type (masked)", []string{"socket", "1", "0x80001", "0"}, []string{"socket", "1", "2", "0"}, "socket(AF_UNIX, SOCK_DGRAM, 0)"},
	{"ioctl request", []string{"ioctl", "0x5401"}, []string{"ioctl", "0x5412"}, "TIOCSTI"},
	{"clone namespaces (masked)", []string{"clone", "0"}, []string{"clone", "0x10000000"}, "CLONE_NEWUSER"},
	{"unshare", []string{"unshare", "0"}, []string{"unshare", "0x10000000"}, "unshare(CLONE_NEWUSER"},
	{"mprotect W^X (masked)", []string{"mprotect", "1"}, []string{"mprotect", "7"}, "PROT_READ|PROT_WRITE|PROT_EXEC"},
	{"prctl option", []string{"prctl", "16"}, []string{"prctl", "15"}, "PR_SET_NAME"},
	{"personality", []string{"personality", "0xffffffff"}, []string{"personality", "0x0400000"}, "READ_IMPLIES_EXEC"},
	{"fcntl command", []string{"fcntl", "1"}, []string{"fcntl", "3"}, "F_GETFL"},
	{"setsockopt level and name", []string{"setsockopt", "1", "2"}, []string{"setsockopt", "1", "9"}, "setsockopt"},
}

// TestArgsEnforced: per kind of argument condition, a program that recorded a call passes under
// its profile making the same call, and making it with one argument changed is denied (EPERM)
// and named with the argument decoded; under the supervisor and the ptrace fallback alike.
func TestArgsEnforced(t *testing.T) {
	bin := prog(t, "argcalls")
	for _, sup := range []string{"", "ptrace"} {
		for _, c := range argCases {
			t.Run(c.name+"/"+sup, func(t *testing.T) {
				prof := filepath.Join(t.TempDir(), "p.json")
				rec := exec.Command(sctraceBin, append([]string{"record", "-q", "-o", prof, "--", bin}, c.learned...)...)
				rec.Env = markedEnv()
				if out, err := rec.CombinedOutput(); err != nil && !strings.Contains(string(out), "errno") {
					t.Fatalf("record: %v\n%s", err, out)
				}
				env := append(markedEnv(), "SCTRACE_SUPERVISOR="+sup)
				same := exec.Command(sctraceBin, append([]string{"run", "-q", "--profile", prof, "--", bin}, c.learned...)...)
				same.Env = env
				out, _ := same.CombinedOutput()
				if strings.Contains(string(out), "lacks") {
					t.Errorf("the recorded call was denied:\n%s", out)
				}
				args := append(append(append([]string{"run", "-q", "--profile", prof, "--", bin}, c.learned...), "then"), c.other...)
				other := exec.Command(sctraceBin, args...)
				other.Env = env
				out, _ = other.CombinedOutput()
				if !strings.Contains(string(out), c.other[0]+": errno 1\n") || !strings.Contains(string(out), c.named) {
					t.Errorf("with an argument changed: want %s to fail with EPERM and %q named:\n%s", c.other[0], c.named, out)
				}
			})
		}
	}
}

// TestArgsOff: --no-args and --any-args allow the changed argument; record --no-args learns none.
func TestArgsOff(t *testing.T) {
	bin := prog(t, "argcalls")
	dir := t.TempDir()
	prof, noargs := filepath.Join(dir, "p.json"), filepath.Join(dir, "n.json")
	for _, c := range []struct {
		out  string
		flag []string
	}{{prof, nil}, {noargs, []string{"--no-args"}}} {
		args := append(append([]string{"record", "-q", "-o", c.out}, c.flag...), "--", bin, "socket", "1", "1", "0")
		if out, err := exec.Command(sctraceBin, args...).CombinedOutput(); err != nil {
			t.Fatalf("record %v: %v\n%s", c.flag, err, out)
		}
	}
	if b, _ := os.ReadFile(noargs); strings.Contains(string(b), `"args"`) {
		t.Errorf("record --no-args learned arguments")
	}
	for _, c := range []struct {
		prof string
		flag []string
	}{{prof, []string{"--no-args"}}, {prof, []string{"--any-args", "socket"}}, {noargs, nil}} {
		args := append(append(append([]string{"run", "-q"}, c.flag...), "--profile", c.prof, "--", bin), "socket", "10", "1", "0")
		if out, err := exec.Command(sctraceBin, args...).CombinedOutput(); err != nil {
			t.Errorf("run %v with AF_INET6: %v\n%s", c.flag, err, out)
		}
	}
	if out, err := exec.Command(sctraceBin, "run", "--any-args", "read", "--profile", prof, "--", bin, "socket", "1", "1", "0").CombinedOutput(); err == nil || !strings.Contains(string(out), "no learned arguments for read") {
		t.Errorf("--any-args read: %v\n%s", err, out)
	}
}

// TestMinijailArgs: minijail0 itself enforces the argument conditions `emit --format minijail`
// writes: per kind of condition, the recorded call passes and the call with one argument changed
// is a policy violation (minijail0 exits 253). Debian has no minijail package: the test runs where
// minijail0 is on PATH or named by $SCTRACE_MINIJAIL0 (built from its source; its libraries beside
// it), and is skipped elsewhere; TestMinijailArgs in emit checks the conditions against minijail's
// semantics everywhere.
func TestMinijailArgs(t *testing.T) {
	mj := os.Getenv("SCTRACE_MINIJAIL0")
	if mj == "" {
		var err error
		if mj, err = exec.LookPath("minijail0"); err != nil {
			t.Skip("no minijail0 here (Debian does not package it)")
		}
	}
	bin := prog(t, "argcalls")
	for _, c := range argCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			prof, policy := filepath.Join(dir, "p.json"), filepath.Join(dir, "p.policy")
			exec.Command(sctraceBin, append([]string{"record", "-q", "-o", prof, "--", bin}, c.learned...)...).Run()
			if out, err := exec.Command(sctraceBin, "emit", "--format", "minijail", "-o", policy, prof).CombinedOutput(); err != nil {
				t.Fatalf("emit: %v\n%s", err, out)
			}
			run := func(args ...string) (int, string) {
				cmd := exec.Command(mj, append([]string{"-T", "static", "-S", policy, "--", bin}, args...)...)
				cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Dir(mj))
				out, _ := cmd.CombinedOutput()
				return cmd.ProcessState.ExitCode(), string(out)
			}
			if code, out := run(c.learned...); code == 253 || strings.Contains(out, "violation") || strings.Contains(out, "failed to compile") {
				t.Errorf("the recorded call was refused (exit %d):\n%s", code, out)
			}
			if code, out := run(append(append(c.learned, "then"), c.other...)...); code != 253 {
				t.Errorf("with an argument changed: exit %d, want 253 (a policy violation):\n%s", code, out)
			}
		})
	}
}
