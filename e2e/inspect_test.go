package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// inspectResult is the part of `sctrace inspect --format json` the tests read.
type inspectResult struct {
	Path   string `json:"path"`
	Arches map[string]struct {
		Unbounded bool `json:"unbounded"`
		Syscalls  map[string][]struct {
			Function string `json:"function"`
			Via      string `json:"via"`
		} `json:"syscalls"`
	} `json:"arches"`
}

func inspectJSON(t *testing.T, cache string, files ...string) []inspectResult {
	t.Helper()
	args := append([]string{"inspect", "--format", "json", "--cache", cache}, files...)
	out, err := exec.Command(sctraceBin, args...).Output()
	if err != nil {
		t.Fatalf("sctrace %v: %v", args, err)
	}
	var rs []inspectResult
	if err := json.Unmarshal(out, &rs); err != nil {
		t.Fatalf("inspect json: %v\n%s", err, out)
	}
	return rs
}

// TestInspectExact: a static program without libc that makes getpid and exit_group with
// constants next to its syscall instructions can make exactly those (besides the calls every
// program is credited with by rule: its execve, restart_syscall, the vDSO's fallbacks).
func TestInspectExact(t *testing.T) {
	rs := inspectJSON(t, t.TempDir(), prog(t, "odstack"))
	a := rs[0].Arches["x86_64"]
	var found []string
	for name, ps := range a.Syscalls {
		if len(ps) > 0 && !strings.HasPrefix(ps[0].Via, "rule:") {
			found = append(found, name)
		}
	}
	slices.Sort(found)
	if a.Unbounded || strings.Join(found, " ") != "exit_group getpid" {
		t.Errorf("odstack: unbounded %v, calls found in code %v; want exit_group getpid", a.Unbounded, found)
	}
}

// TestInspectArches: a 32-bit program's calls are reported under x86.
func TestInspectArches(t *testing.T) {
	rs := inspectJSON(t, t.TempDir(), prog(t, "m32"))
	if _, ok := rs[0].Arches["x86"]; !ok {
		t.Errorf("m32: arches %v, want x86", rs[0].Arches)
	}
	if _, ok := rs[0].Arches["x86_64"]; ok {
		t.Errorf("m32: x86_64 calls reported for a 32-bit program")
	}
}

// TestInspectSound: for real programs run with varied inputs under sctrace record, every
// recorded call of every executable is one inspect says it can make (report --coverage names
// any it missed).
func TestInspectSound(t *testing.T) {
	if testing.Short() {
		t.Skip("analyses real programs")
	}
	dir := t.TempDir()
	script := `
set -e
cd "$1"
ls -la / >/dev/null
printf 'a\nb\n' | sort -r | wc -l >/dev/null
find /usr/share/doc -maxdepth 1 -name 'lib*' -exec basename {} \; | head -3 >/dev/null
tar cf t.tar -C /etc hostname passwd && tar xf t.tar && rm -f t.tar
python3 -c 'import json, os, socket, hashlib; print(json.dumps(os.listdir(".")), hashlib.sha256(b"x").hexdigest())' >/dev/null
python3 -c 'import sqlite3; c = sqlite3.connect(":memory:"); c.execute("select 1")' >/dev/null
git init -q repo && cd repo && git config user.email t@t && git config user.name t && echo x > f && git add f && git commit -q -m m && git log --oneline >/dev/null
`
	prof := filepath.Join(dir, "real.json")
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o755)
	cmd := exec.Command(sctraceBin, "record", "-q", "-o", prof, "--", "bash", "-c", script, "bash", work)
	cmd.Env = markedEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	out, err := exec.Command(sctraceBin, "report", "--coverage", "--cache", filepath.Join(dir, "cache"), "--format", "json", prof).Output()
	if err != nil {
		t.Fatalf("report --coverage: %v", err)
	}
	checkCoverage(t, out, 8)
}

// checkCoverage reads `report --coverage --format json` and fails for every executable not
// analysed, or with recorded calls its static set lacks; it wants at least min executables.
func checkCoverage(t *testing.T, out []byte, min int) {
	t.Helper()
	var r struct {
		Coverage []struct {
			Executable, Arch string
			Possible, Seen   int
			Unbounded        bool
			Missed           []string
			Error            string
		} `json:"coverage"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Coverage) < min {
		t.Errorf("coverage of %d executables, want %d at least", len(r.Coverage), min)
	}
	for _, c := range r.Coverage {
		switch {
		case c.Error != "":
			t.Errorf("%s: not analysed: %s", c.Executable, c.Error)
		case len(c.Missed) > 0:
			t.Errorf("%s (%s): recorded calls the analysis says it cannot make: %v", c.Executable, c.Arch, c.Missed)
		default:
			t.Logf("%s (%s): %d possible, %d seen, unbounded %v", c.Executable, c.Arch, c.Possible, c.Seen, c.Unbounded)
		}
	}
}
