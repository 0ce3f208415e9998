package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sctrace/sctrace/learn"
)

// TestWithoutRoot records as an unprivileged user: nothing in the recording path needs root
// (no_new_privs lets anyone install a seccomp filter, and a parent may ptrace its own child).
func TestWithoutRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		// Not root already: every other test here proves the point.
		t.Skip("already running without root")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is needed to drop root")
	}
	dir, err := os.MkdirTemp("", "sctrace-nonroot")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o777)
	bin := filepath.Join(dir, "sctrace")
	data, err := os.ReadFile(sctraceBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "p.json")
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
		bin, "record", "-q", "-o", out, "--", "sh", "-c", "id -u; ls / >/dev/null")
	cmd.Env = markedEnv()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sctrace as uid 65534: %v\n%s", err, b)
	}
	if string(b) != "65534\n" {
		t.Errorf("workload output %q, want uid 65534", b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := learn.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if p.Count("x86_64", "getuid") == 0 || p.Recordings[0].Processes < 3 {
		t.Errorf("profile: getuid %d, processes %d", p.Count("x86_64", "getuid"), p.Recordings[0].Processes)
	}
}
