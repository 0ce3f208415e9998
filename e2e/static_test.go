package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTimingCompletion: a Go program whose calls depend on the scheduler (preemption signals,
// futexes), recorded once, runs under --on-deny kill again and again: run adds the
// timing-dependent calls the executable can make (sctrace inspect's analysis, cached per
// executable) and says so. The analysis happens once: the second run reads the cache.
func TestTimingCompletion(t *testing.T) {
	bin, prof, env := recordGoHTTP(t)
	for i := 0; i < 12; i++ {
		cmd := exec.Command(sctraceBin, "run", "--on-deny", "kill", "--profile", prof, "--", bin)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, out)
		}
		analysed := strings.Contains(string(out), "analysing "+bin)
		if analysed != (i == 0) {
			t.Errorf("run %d: analysed %v, want only in the first run\n%s", i+1, analysed, out)
		}
		if i == 0 {
			// The Go runtime's preemption and parking calls: recorded, or added and said so.
			recorded := loadProfile(t, prof).Arches["x86_64"].Syscalls
			for _, c := range []string{"tgkill", "futex", "getpid"} {
				if recorded[c] == nil && !strings.Contains(string(out), c) {
					t.Errorf("%s is neither in the recording nor among the calls run added:\n%s", c, out)
				}
			}
		}
	}
}

// TestWiden: --widen GROUPS allows the calls of those groups the executable can make though the
// recording lacks them; --no-static adds nothing.
func TestWiden(t *testing.T) {
	bin, prof, env := recordGoHTTP(t)
	minus := withoutCall(t, prof, "openat")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(sctraceBin, append(append([]string{"run", "--on-deny", "kill"}, args...), "--profile", minus, "--", bin)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(); err == nil {
		t.Errorf("without openat the program ran:\n%s", out)
	}
	out, err := run("--widen", "files")
	if err != nil || !strings.Contains(out, "--widen files") || !strings.Contains(out, "openat") {
		t.Errorf("--widen files: %v\n%s", err, out)
	}
	if out, err := run("--widen", "nonsense"); err == nil || !strings.Contains(out, "neither a call group") {
		t.Errorf("--widen nonsense: %v\n%s", err, out)
	}
	if out, err := run("--no-static", "--widen", "files"); err == nil || !strings.Contains(out, "--no-static") {
		t.Errorf("--no-static --widen: %v\n%s", err, out)
	}
}

// recordGoHTTP records testprogs/gohttp once, with a cache of its own: the program, the profile,
// and the environment to run sctrace with.
func recordGoHTTP(t *testing.T) (bin, prof string, env []string) {
	t.Helper()
	bin = prog(t, "gohttp")
	dir := t.TempDir()
	env = append(markedEnv(), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	prof = filepath.Join(dir, "p.json")
	rec := exec.Command(sctraceBin, "record", "-q", "-o", prof, "--", bin)
	rec.Env = env
	if out, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	return bin, prof, env
}
