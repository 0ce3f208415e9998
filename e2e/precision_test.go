package e2e

import (
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

// TestStaticPrecision records real programs used in varied ways (testdata/varied.sh: ls, git,
// python3, node, busybox and java, as a user would run them; sqlite3, xz and curl for soundness) and compares, per program, inspect's static set
// with the union of the calls its processes made. Every recorded call must be in the static
// set (soundness, for every executable of the recording, as report --coverage says); the
// precision, static set over recorded union, is logged per program with the median (issue
// target: at most 2.5x). Copies of one program (git and git-core/git) count as one.
func TestStaticPrecision(t *testing.T) {
	if testing.Short() {
		t.Skip("records and analyses real programs")
	}
	for _, p := range []string{"git", "python3"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed", p)
		}
	}
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o755)
	script, err := filepath.Abs("testdata/varied.sh")
	if err != nil {
		t.Fatal(err)
	}
	prof := filepath.Join(dir, "varied.json")
	cmd := exec.Command(sctraceBin, "record", "-q", "-o", prof, "--", "bash", script, work)
	cmd.Env = markedEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	cache := filepath.Join(dir, "cache")
	out, err := exec.Command(sctraceBin, "report", "--coverage", "--cache", cache, "--format", "json", prof).Output()
	if err != nil {
		t.Fatalf("report --coverage: %v", err)
	}
	checkCoverage(t, out, 10)

	// The union of what each program's copies made.
	p := loadProfile(t, prof)
	digest := func(path string) [32]byte {
		b, err := os.ReadFile(path)
		if err != nil {
			return [32]byte{}
		}
		return sha256.Sum256(b)
	}
	var ratios []float64
	for _, name := range []string{"ls", "git", "python3", "node", "busybox", "java"} {
		bin, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if name == "python3" {
			// The interpreter itself: python3 may be a wrapper script (pyenv's shims).
			out, err := exec.Command(bin, "-c", "import sys; print(sys.executable)").Output()
			if err != nil {
				t.Fatal(err)
			}
			bin = string(bytes.TrimSpace(out))
		}
		if bin, err = filepath.EvalSymlinks(bin); err != nil {
			t.Fatal(err)
		}
		want := digest(bin)
		union := map[string]bool{}
		var copies []string
		for path, e := range p.Executables {
			if s := e.Arches["x86_64"]; s != nil && digest(path) == want {
				copies = append(copies, path)
				for call := range s.Syscalls {
					union[call] = true
				}
			}
		}
		if len(union) == 0 {
			t.Errorf("%s (%s): not in the recording", name, bin)
			continue
		}
		r := inspectJSON(t, cache, bin)[0].Arches["x86_64"]
		var missed []string
		for call := range union {
			if _, ok := r.Syscalls[call]; !ok && !r.Unbounded {
				missed = append(missed, call)
			}
		}
		sort.Strings(missed)
		if len(missed) > 0 || r.Unbounded {
			t.Errorf("%s: unbounded %v; recorded calls the analysis says it cannot make: %v", bin, r.Unbounded, missed)
			continue
		}
		ratio := float64(len(r.Syscalls)) / float64(len(union))
		if name != "busybox" && name != "java" { // the median is of the four measured from the start
			ratios = append(ratios, ratio)
		}
		sort.Strings(copies)
		t.Logf("%s: static %d, recorded %d (%v), precision %.2fx", name, len(r.Syscalls), len(union), copies, ratio)
	}
	slices.Sort(ratios)
	if n := len(ratios); n > 0 {
		med := ratios[n/2]
		if n%2 == 0 {
			med = (ratios[n/2-1] + ratios[n/2]) / 2
		}
		t.Logf("median precision of ls, git, python3 and node (%d of them): %.2fx (target: at most 2.5x)", n, med)
	}
}
