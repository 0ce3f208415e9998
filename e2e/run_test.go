package e2e

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sctraceRun runs `sctrace run` and returns exit status, stdout and stderr.
func sctraceRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runUnder(t, "", args...)
}

// recordTo records argv into a profile file and returns its path.
func recordTo(t *testing.T, argv ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "profile.json")
	cmd := exec.Command(sctraceBin, append([]string{"record", "-q", "-o", out, "--"}, argv...)...)
	cmd.Env = markedEnv()
	if b, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() < 0 {
		t.Fatalf("record %v: %v\n%s", argv, err, b)
	}
	return out
}

// editProfile rewrites a profile file through a function on its JSON.
func editProfile(t *testing.T, path string, edit func(p map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	edit(p)
	b, _ = json.Marshal(p)
	out := filepath.Join(t.TempDir(), "edited.json")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func syscallsOf(p map[string]any, archName string) map[string]any {
	return p["arches"].(map[string]any)[archName].(map[string]any)["syscalls"].(map[string]any)
}

// TestReplay: a workload recorded with sctrace record runs under sctrace run with its own
// profile exactly as it runs alone: same status, same output.
//
// The Go program runs under errno only: the Go runtime preempts goroutines with tgkill and yields
// with sched_yield when timing says so, and a single recording may not see those calls (under
// errno they fail harmlessly; under kill, record such programs several times with --base).
func TestReplay(t *testing.T) {
	both := []string{"errno", "kill"}
	tests := []struct {
		name  string
		argv  []string
		modes []string
	}{
		{"ls", []string{"ls", "-la", "/usr"}, both},
		{"sh", []string{"sh", "-c", shellScript}, both},
		{"python3-threads", []string{"/usr/bin/python3", "-c", pythonThreads}, both},
		{"python3-shim", []string{"python3", "-c", pythonThreads}, both},
		{"go", []string{"@goprog"}, []string{"errno"}},
		{"m32", []string{"@m32"}, both},
		{"forkchain", []string{"@forkchain", "3"}, both},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			argv := append([]string(nil), tt.argv...)
			if name, ok := strings.CutPrefix(argv[0], "@"); ok {
				argv[0] = prog(t, name)
			} else if _, err := exec.LookPath(argv[0]); err != nil {
				t.Skipf("%s not installed", argv[0])
			}
			alone := exec.Command(argv[0], argv[1:]...)
			want, _ := alone.Output()
			wantCode := alone.ProcessState.ExitCode()
			profile := recordTo(t, argv...)
			for _, mode := range tt.modes {
				code, stdout, stderr := sctraceRun(t, append([]string{"-q", "--on-deny", mode, "--profile", profile, "--"}, argv...)...)
				if code != wantCode || stdout != string(want) {
					t.Errorf("--on-deny %s: exit %d, output %q; alone: exit %d, output %q\nstderr: %s",
						mode, code, stdout, wantCode, want, stderr)
				}
			}
		})
	}
}

// TestDeny: the profile minus one call the workload needs makes it fail with EPERM under errno,
// die by SIGSYS under kill (sctrace says so and exits 159), and named under report and explain.
func TestDeny(t *testing.T) {
	argv := []string{"ls", "/"}
	profile := editProfile(t, recordTo(t, argv...), func(p map[string]any) {
		delete(syscallsOf(p, "x86_64"), "getdents64")
	})
	code, _, stderr := sctraceRun(t, append([]string{"-q", "--profile", profile, "--"}, argv...)...)
	if code == 0 || !strings.Contains(stderr, "Operation not permitted") {
		t.Errorf("errno: exit %d, stderr %q; want a failure with EPERM", code, stderr)
	}
	code, _, stderr = sctraceRun(t, append([]string{"-q", "--on-deny", "kill", "--profile", profile, "--"}, argv...)...)
	if code != 159 || !regexp.MustCompile(`sctrace: seccomp killed pid \d+ \(/usr/bin/ls\) at x86_64 getdents64\(3, 0x`).MatchString(stderr) {
		t.Errorf("kill: exit %d, stderr %q; want 159 and a line saying seccomp killed it", code, stderr)
	}
	for _, mode := range []string{"report", "explain"} {
		extended := filepath.Join(t.TempDir(), "extended.json")
		code, stdout, stderr := sctraceRun(t, append([]string{"-q", "--on-deny", mode, "-o", extended, "--profile", profile, "--"}, argv...)...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		var named []string
		for _, l := range lines {
			if strings.HasPrefix(l, "sctrace: "+profile+" lacks x86_64 getdents64: pid ") {
				named = append(named, l)
			}
		}
		if len(named) != 1 || !strings.Contains(named[0], "(/usr/bin/ls) called getdents64(3, 0x") {
			t.Errorf("%s: named %q, want one line naming getdents64, the pid, ls and the arguments", mode, named)
		}
		if mode == "report" && (code != 0 || !strings.Contains(stdout, "usr")) {
			t.Errorf("report: exit %d, output %q; want the call allowed", code, stdout)
		}
		if mode == "explain" && (code == 0 || !strings.Contains(stderr, "Operation not permitted")) {
			t.Errorf("explain: exit %d; want the call failed with EPERM", code)
		}
		b, err := os.ReadFile(extended)
		if err != nil || !strings.Contains(string(b), `"getdents64"`) {
			t.Errorf("%s -o: the extended profile lacks getdents64 (%v)", mode, err)
		}
	}
}

// TestForeignABIsDenied: a 64-bit workload whose profile has no i386 or x32 calls cannot make
// them: int 0x80 fails with EPERM (or kills), x32 calls kill under --on-deny kill.
func TestForeignABIsDenied(t *testing.T) {
	int80 := prog(t, "int80")
	profile := editProfile(t, recordTo(t, int80), func(p map[string]any) {
		delete(p["arches"].(map[string]any), "x86")
	})
	if code, _, stderr := sctraceRun(t, "-q", "--profile", profile, "--", int80); code != 1 {
		t.Errorf("int 0x80 under errno: exit %d (stderr %q), want 1 (the call failed)", code, stderr)
	}
	if code, _, _ := sctraceRun(t, "-q", "--on-deny", "kill", "--profile", profile, "--", int80); code != 159 {
		t.Errorf("int 0x80 under kill: exit %d, want 159", code)
	}
	x32 := prog(t, "x32")
	profile = editProfile(t, recordTo(t, x32), func(p map[string]any) {
		delete(p["arches"].(map[string]any), "x32")
	})
	if code, _, _ := sctraceRun(t, "-q", "--on-deny", "kill", "--profile", profile, "--", x32); code != 159 {
		t.Errorf("x32 call under kill: exit %d, want 159", code)
	}
}

// TestRefine: record --base with the workload's own profile traces (almost) nothing and writes
// the same set of calls back; with a call removed from the base, the call comes back.
func TestRefine(t *testing.T) {
	argv := []string{"sh", "-c", shellScript}
	full := recordTo(t, argv...)
	minus := editProfile(t, full, func(p map[string]any) { delete(syscallsOf(p, "x86_64"), "getdents64") })
	out := filepath.Join(t.TempDir(), "refined.json")
	cmd := exec.Command(sctraceBin, append([]string{"record", "-q", "--base", minus, "-o", out, "--"}, argv...)...)
	cmd.Env = markedEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("record --base: %v\n%s", err, b)
	}
	got, want := readFootprint(t, out), readFootprint(t, full)
	if extra, missing := got.minus(want), want.minus(got); len(extra)+len(missing) > 0 {
		t.Errorf("refined profile differs from a full recording: extra %v, missing %v", extra, missing)
	}
}

func readFootprint(t *testing.T, path string) footprint {
	t.Helper()
	return fromProfile(loadProfile(t, path))
}

// TestRunForwardsSignals: under sctrace run (no tracer once the workload runs) SIGTERM still
// reaches the workload, and its status is sctrace's.
func TestRunForwardsSignals(t *testing.T) {
	sleeper := prog(t, "sleeper")
	profile := recordTo(t, sleeper, "0")
	cmd := exec.Command(sctraceBin, "run", "-q", "--profile", profile, "--", sleeper, "600")
	cmd.Env = markedEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 6)
	if _, err := io.ReadFull(stdout, line); err != nil || string(line) != "ready\n" {
		cmd.Process.Kill()
		t.Fatalf("sleeper did not start: %q %v", line, err)
	}
	time.Sleep(200 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := waitTimeout(t, cmd, 10*time.Second); code != 143 {
		t.Errorf("exit %d, want 143", code)
	}
}

// TestRunOutCallsOnly: `run -o` adds calls, not the footprint: it sees only the calls the profile
// lacks (and those of fully traced new executables), without their results, so a file it saw
// would be half the story (a failed open written as an open, which diff's gate then counts).
// record --base records the footprint. And a call allowed beside the profile that a process makes
// on the path a denial sent it down is not added, as a denied one is not.
func TestRunOutCallsOnly(t *testing.T) {
	dir := t.TempDir()
	base, out := filepath.Join(dir, "base.json"), filepath.Join(dir, "out.json")
	if b, err := exec.Command(sctraceBin, "record", "-q", "-o", base, "--", "sh", "-c", "/bin/true; true").CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, b)
	}
	missing := filepath.Join(dir, "nonexistent")
	cmd := exec.Command(sctraceBin, "run", "-q", "--on-deny", "report", "-o", out, "--profile", base, "--", "sh", "-c", "cat "+missing+"; true")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run: %v\n%s", err, b)
	}
	var bp, op struct {
		Files map[string][]string `json:"files"`
	}
	for path, p := range map[string]any{base: &bp, out: &op} {
		b, _ := os.ReadFile(path)
		if err := json.Unmarshal(b, p); err != nil {
			t.Fatal(err)
		}
	}
	if uses, ok := op.Files[missing]; ok {
		t.Errorf("run -o wrote the file it could not open as %v", uses)
	}
	if len(op.Files) != len(bp.Files) {
		t.Errorf("run -o changed the files: %d, the base has %d", len(op.Files), len(bp.Files))
	}

	// errpath is new to the base, so it is traced fully; after its denied mkdirat it makes
	// sched_yield (allowed beside the profile: timing-dependent) and getpgid.
	errpath := prog(t, "errpath")
	cmd = exec.Command(sctraceBin, "run", "-q", "--on-deny", "errno", "-o", out, "--profile", base, "--", "sh", "-c", errpath+" deny "+dir+"; true")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, b)
	}
	p := readRefined(t, out)
	calls := p.Arches["x86_64"].Syscalls
	if calls["mkdirat"] == nil {
		t.Errorf("the denied mkdirat was not added\n%s", b)
	}
	if calls["sched_yield"] != nil || calls["getpgid"] != nil {
		t.Errorf("calls of the error path were added (sched_yield %v, getpgid %v)\n%s", calls["sched_yield"] != nil, calls["getpgid"] != nil, b)
	}
}

// TestDenialSecondPath: a denied call with two paths (rename's) is named with both, read from the
// waiting caller, under the supervisor and the ptrace fallback.
func TestDenialSecondPath(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "p.json")
	if b, err := exec.Command(sctraceBin, "record", "-q", "-o", prof, "--", "true").CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, b)
	}
	from, to := filepath.Join(dir, "from"), filepath.Join(dir, "to")
	os.WriteFile(from, nil, 0o644)
	for _, sup := range []string{"", "ptrace"} {
		cmd := exec.Command(sctraceBin, "run", "-q", "--profile", prof, "--", "mv", from, to)
		cmd.Env = append(markedEnv(), "SCTRACE_SUPERVISOR="+sup)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), `"`+from+`", AT_FDCWD, "`+to+`"`) {
			t.Errorf("supervisor %q: the rename is not named with both paths:\n%s", sup, out)
		}
	}
}
