// Package e2e runs the sctrace binary on the test programs and on real programs installed on the
// machine, and cross-checks what it records against strace.
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sctrace/sctrace/learn"
	"github.com/sctrace/sctrace/testprogs"
)

var (
	sctraceBin string
	progDir    string
	builtProgs = map[string]string{}
	buildErrs  = map[string]error{}
)

// marker is put in the environment of every workload, so TestMain can find any left behind.
const marker = "SCTRACE_E2E_WORKLOAD"

func markedEnv() []string {
	return append(os.Environ(), marker+"="+strconv.Itoa(os.Getpid()))
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sctrace-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	sctraceBin = filepath.Join(dir, "sctrace")
	build := exec.Command("go", "build", "-o", sctraceBin, "../cmd/sctrace")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	progDir = dir
	code := m.Run()
	if left := leftovers(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: workloads left behind: %s\n", strings.Join(left, "; "))
		return 1
	}
	return code
}

// leftovers lists live processes that carry this run's marker, after a grace period for the
// kernel to finish reaping.
func leftovers() []string {
	want := []byte(marker + "=" + strconv.Itoa(os.Getpid()) + "\x00")
	var left []string
	for try := 0; try < 20; try++ {
		left = left[:0]
		procs, _ := filepath.Glob("/proc/[0-9]*")
		for _, p := range procs {
			env, err := os.ReadFile(p + "/environ")
			if err != nil || !bytes.Contains(env, want) {
				continue
			}
			status, _ := os.ReadFile(p + "/status")
			state := ""
			for _, line := range strings.Split(string(status), "\n") {
				if strings.HasPrefix(line, "State:") || strings.HasPrefix(line, "Name:") || strings.HasPrefix(line, "TracerPid:") {
					state += strings.Join(strings.Fields(line), " ") + " "
				}
			}
			if strings.Contains(state, "State: Z") {
				continue
			}
			left = append(left, filepath.Base(p)+": "+state)
		}
		if len(left) == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return left
}

// prog builds a test program once and returns its path.
func prog(t *testing.T, name string) string {
	t.Helper()
	if p, ok := builtProgs[name]; ok {
		return p
	}
	if err, ok := buildErrs[name]; ok {
		t.Fatal(err)
	}
	var p string
	var err error
	if slices.Contains(testprogs.GoPrograms, name) {
		p, err = testprogs.BuildGoProgram(progDir, name)
	} else {
		p, err = testprogs.Build(progDir, name)
	}
	if err != nil {
		buildErrs[name] = err
		t.Fatal(err)
	}
	builtProgs[name] = p
	return p
}

// result is one run of sctrace record.
type result struct {
	profile *learn.Profile
	exit    int
	stdout  string
	stderr  string
	path    string // the profile file
}

// record runs `sctrace record -o FILE -- argv` and reads the profile.
func record(t *testing.T, argv ...string) result {
	t.Helper()
	out := filepath.Join(t.TempDir(), "profile.json")
	cmd := exec.Command(sctraceBin, append([]string{"record", "-o", out, "--"}, argv...)...)
	cmd.Env = markedEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{exit: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String(), path: out}
	if err != nil && r.exit < 0 {
		t.Fatalf("sctrace record %v: %v\n%s", argv, err, &stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("sctrace record %v wrote no profile: %v\n%s", argv, err, &stderr)
	}
	r.profile = loadProfile(t, out)
	return r
}

// fromProfile is the set of (arch, key) in a profile.
func fromProfile(p *learn.Profile) footprint {
	fp := footprint{}
	for _, a := range p.ArchNames() {
		for _, k := range p.Syscalls(a) {
			fp.add(a, k)
		}
	}
	return fp
}

// loadProfile reads and validates a profile file.
func loadProfile(t *testing.T, path string) *learn.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := learn.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}
