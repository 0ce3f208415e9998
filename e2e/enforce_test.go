package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The enforcement tests run each --on-deny mode with both ways sctrace answers the calls a
// profile lacks: as the supervisor of the filter's user notifications (the default), and as a
// tracer of them (SCTRACE_SUPERVISOR=ptrace, the fallback for kernels without user notification).

var modes = []string{"errno", "explain", "kill", "trap", "log", "report"}

var supervisors = []string{"notify", "ptrace"}

// runUnder runs sctrace run with a supervisor ("" for the default); it returns the exit
// status, stdout and stderr.
func runUnder(t *testing.T, supervisor string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(sctraceBin, append([]string{"run"}, args...)...)
	cmd.Env = markedEnv()
	if supervisor != "" {
		cmd.Env = append(cmd.Env, "SCTRACE_SUPERVISOR="+supervisor)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// value returns the number after "key: " on a line of out, or -999.
func value(out, key string) int {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `: (-?\d+)$`).FindStringSubmatch(out)
	if m == nil {
		return -999
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestEveryMode: a program whose root makes one call the profile lacks and whose grandchild
// makes another, in every mode: what the calls get, the lines that name them (arch, decoded
// arguments, pid, executable), the kills, the exit status and the summary.
func TestEveryMode(t *testing.T) {
	bin := prog(t, "denials")
	dir := t.TempDir()
	profile := recordTo(t, bin, "quiet", dir)
	for _, sup := range supervisors {
		for _, mode := range modes {
			t.Run(sup+"/"+mode, func(t *testing.T) {
				work := t.TempDir()
				args := []string{"-q", "--on-deny", mode, "--profile", profile}
				extended := filepath.Join(work, "extended.json")
				if mode == "report" {
					args = append(args, "-o", extended)
				}
				code, stdout, stderr := runUnder(t, sup, append(args, "--", bin, "deny", work)...)
				rootPid, gcPid := value(stdout, "root pid"), value(stdout, "grandchild pid")
				mkdir := `x86_64 mkdirat: pid ` + strconv.Itoa(gcPid) + ` (` + bin + `) called mkdirat(AT_FDCWD, "` + work + `/g", 0700): `
				socket := `x86_64 socket: pid ` + strconv.Itoa(rootPid) + ` (` + bin + `) called socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0): `
				killedGC := `seccomp killed pid ` + strconv.Itoa(gcPid) + ` (` + bin + `) at x86_64 mkdirat(AT_FDCWD, "` + work + `/g", 0700)`
				killedRoot := `seccomp killed pid ` + strconv.Itoa(rootPid) + ` (` + bin + `) at x86_64 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)`
				var want []string
				_, statErr := os.Stat(filepath.Join(work, "g"))
				created := statErr == nil
				switch mode {
				case "errno", "explain":
					want = []string{mkdir + "failed with EPERM", socket + "failed with EPERM"}
					if code != 0 || value(stdout, "grandchild") != -1 || value(stdout, "root") != -1 || created {
						t.Errorf("exit %d, created %v, output:\n%s; want both calls failed with EPERM", code, created, stdout)
					}
				case "kill", "trap":
					want = []string{killedGC, killedRoot}
					if mode == "trap" {
						want = append(want, mkdir+"answered with SIGSYS", socket+"answered with SIGSYS")
					}
					if code != 159 || !strings.Contains(stdout, "grandchild ended: signal 31") || created {
						t.Errorf("exit %d, created %v, output:\n%s; want the grandchild and the root killed by SIGSYS, exit 159", code, created, stdout)
					}
				case "log", "report":
					want = []string{mkdir + "allowed (" + mode + " mode)", socket + "allowed (" + mode + " mode)"}
					if code != 0 || value(stdout, "grandchild") != 0 || value(stdout, "root") < 0 || !created {
						t.Errorf("exit %d, created %v, output:\n%s; want both calls to run", code, created, stdout)
					}
				}
				for _, w := range want {
					if strings.Count(stderr, w) != 1 {
						t.Errorf("stderr does not name %q once:\n%s", w, stderr)
					}
				}
				if !strings.Contains(stderr, "lacks 2 calls the workload made (2 times):") ||
					!strings.Contains(stderr, "sctrace run --profile "+profile+" --on-deny report -o ") && mode != "report" {
					t.Errorf("no summary with the next command:\n%s", stderr)
				}
				if mode == "report" {
					b, err := os.ReadFile(extended)
					if err != nil {
						t.Fatal(err)
					}
					var p struct {
						Executables map[string]struct {
							Arches map[string]struct {
								Syscalls map[string]any `json:"syscalls"`
							} `json:"arches"`
						} `json:"executables"`
					}
					if err := json.Unmarshal(b, &p); err != nil {
						t.Fatal(err)
					}
					calls := p.Executables[bin].Arches["x86_64"].Syscalls
					if calls["mkdirat"] == nil || calls["socket"] == nil {
						t.Errorf("-o: %s's calls lack mkdirat or socket: %v", bin, calls)
					}
				}
			})
		}
	}
}

// TestNoBypass: calls the profile lacks, made by 32-bit code (a -m32 program, and int 0x80 from
// a 64-bit one), through a listener filter of the workload's own, from a CLONE_UNTRACED child,
// or from a child the workload ptraces itself, create nothing in any denying mode, under either
// supervisor; in log and report mode they run and are named.
func TestNoBypass(t *testing.T) {
	tests := []struct{ prog, call, key string }{
		{"mkdir80", "x86 mkdir", "int80"},
		{"m32mkdir", "x86 mkdir", "m32"},
		{"listenmkdir", "x86_64 mkdirat", "mkdirat"},
		{"untracedmkdir", "x86_64 mkdirat", "untraced"},
		{"ptracemkdir", "x86_64 mkdirat", "traced child"},
	}
	for _, tt := range tests {
		bin := prog(t, tt.prog)
		profile := recordTo(t, bin, "quiet", t.TempDir())
		for _, sup := range supervisors {
			for _, mode := range modes {
				t.Run(tt.prog+"/"+sup+"/"+mode, func(t *testing.T) {
					work := t.TempDir()
					code, stdout, stderr := runUnder(t, sup, "-q", "--on-deny", mode, "--profile", profile, "--", bin, "deny", work)
					_, err := os.Stat(filepath.Join(work, "d"))
					created := err == nil
					named := strings.Contains(stderr, tt.call+": pid ") || strings.Contains(stderr, "seccomp killed pid ")
					switch mode {
					case "log", "report":
						if !created || value(stdout, tt.key) != 0 {
							t.Errorf("not created (exit %d):\n%s\n%s", code, stdout, stderr)
						}
					default:
						if created {
							t.Errorf("created (exit %d):\n%s\n%s", code, stdout, stderr)
						}
					}
					if !named {
						t.Errorf("%s not named:\n%s", tt.call, stderr)
					}
				})
			}
		}
	}
}

// TestSameAnswer: errno and explain give the same errno, under either supervisor, for a call
// libc falls back from (clone3), a number no table names and an x32 call from an x86_64
// program: ENOSYS, as from a kernel without them. A recorded syscall(-1) runs in every mode
// (the kernel fails it with ENOSYS; kill and trap do not kill for it).
func TestSameAnswer(t *testing.T) {
	bin := prog(t, "answers")
	profile := recordTo(t, bin, "quiet")
	for _, sup := range supervisors {
		for _, mode := range modes {
			code, stdout, stderr := runUnder(t, sup, "-q", "--on-deny", mode, "--profile", profile, "--", bin, "deny")
			if value(stdout, "minus-one") != -38 || value(stdout, "clone3") == -999 {
				t.Errorf("%s/%s: syscall(-1) gave %d, want -ENOSYS (exit %d)\n%s", sup, mode, value(stdout, "minus-one"), code, stderr)
			}
			if mode == "log" || mode == "report" {
				// log = allowed + named: a fallback call runs (clone3 with no arguments: EINVAL).
				if v := value(stdout, "clone3"); v == -38 || !strings.Contains(stderr, "x86_64 clone3") {
					t.Errorf("%s/%s: clone3 got %d or was not named, want it run and named\n%s", sup, mode, v, stderr)
				}
			}
			if mode != "errno" && mode != "explain" {
				continue
			}
			for _, k := range []string{"clone3", "unknown", "x32"} {
				if v := value(stdout, k); v != -38 {
					t.Errorf("%s/%s: %s got %d, want -38 (ENOSYS)\n%s", sup, mode, k, v, stderr)
				}
			}
			if code != 0 {
				t.Errorf("%s/%s: exit %d", sup, mode, code)
			}
		}
	}
}

// profileOf reads a profile file into the shape the refine tests look at.
type refinedProfile struct {
	Arches      map[string]struct{ Syscalls map[string]any } `json:"arches"`
	Executables map[string]struct {
		Arches  map[string]struct{ Syscalls map[string]any } `json:"arches"`
		Partial bool                                         `json:"partial"`
	} `json:"executables"`
}

func readRefined(t *testing.T, path string) refinedProfile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p refinedProfile
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// exeCalls lists an executable's calls as "arch name", without execve (which a recording of the
// program alone counts for it, and a shell's recording for the shell that made it).
func exeCalls(p refinedProfile, exe string) map[string]bool {
	out := map[string]bool{}
	for a, set := range p.Executables[exe].Arches {
		for k := range set.Syscalls {
			if k != "execve" {
				out[a+" "+k] = true
			}
		}
	}
	return out
}

// TestRefineExact: a refine run (record --base, run --on-deny report -o) whose base lets calls
// run unobserved still gives each executable exactly the calls it makes (here: ls and a 32-bit
// program started by a shell whose base recording ran neither), not marked partial, so that
// emit --exe builds their filters.
func TestRefineExact(t *testing.T) {
	m32 := prog(t, "m32")
	ls, err := exec.LookPath("ls")
	if err != nil {
		t.Skip("no ls")
	}
	ls, _ = filepath.EvalSymlinks(ls)
	base := recordTo(t, "sh", "-c", "echo base >/dev/null")
	script := "ls / >/dev/null; " + m32
	alone := map[string]map[string]bool{
		ls:  exeCalls(readRefined(t, recordTo(t, ls, "/")), ls),
		m32: exeCalls(readRefined(t, recordTo(t, m32)), m32),
	}
	dir := t.TempDir()
	refined := map[string]string{
		"record --base": filepath.Join(dir, "record.json"),
		"run report -o": filepath.Join(dir, "run.json"),
	}
	cmd := exec.Command(sctraceBin, "record", "-q", "--base", base, "-o", refined["record --base"], "--", "sh", "-c", script)
	cmd.Env = markedEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("record --base: %v\n%s", err, b)
	}
	if code, _, stderr := runUnder(t, "notify", "-q", "--on-deny", "report", "-o", refined["run report -o"], "--profile", base, "--", "sh", "-c", script); code != 0 {
		t.Fatalf("run report: exit %d\n%s", code, stderr)
	}
	for how, path := range refined {
		p := readRefined(t, path)
		for exe, want := range alone {
			if p.Executables[exe].Partial {
				t.Errorf("%s: %s marked partial", how, exe)
			}
			got := exeCalls(p, exe)
			for c := range want {
				if !got[c] {
					t.Errorf("%s: %s lacks %s, which it makes alone", how, exe, c)
				}
			}
			for c := range got {
				if !want[c] {
					t.Errorf("%s: %s has %s, which it does not make alone", how, exe, c)
				}
			}
		}
		emitted := filepath.Join(t.TempDir(), "ls.json")
		out, err := exec.Command(sctraceBin, "emit", "--format", "oci", "--exe", ls, "-o", emitted, path).CombinedOutput()
		if err != nil {
			t.Errorf("%s: emit --exe %s: %v\n%s", how, ls, err, out)
		}
		// The shell's execve started ls: a filter installed before ls starts must allow it.
		if b, _ := os.ReadFile(emitted); !strings.Contains(string(b), `"execve"`) {
			t.Errorf("%s: emit --exe %s lacks execve", how, ls)
		}
	}
}

// TestPartialRefused: a per-executable filter is never built from a set marked partial.
func TestPartialRefused(t *testing.T) {
	p := writeFileE2E(t, `{"version": 2, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}},
		"executables": {"/bin/x": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}, "partial": true}}}`)
	out, err := exec.Command(sctraceBin, "emit", "--format", "oci", "--exe", "/bin/x", p).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "partial") {
		t.Errorf("emit --exe on a partial set: %v\n%s", err, out)
	}
	out, _ = exec.Command(sctraceBin, "report", p).CombinedOutput()
	if !strings.Contains(string(out), "/bin/x (partial)") {
		t.Errorf("report does not show the partial set:\n%s", out)
	}
}

func writeFileE2E(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestErrorPathNotAdded: explain -o adds the denied call to the profile, but not the calls the
// program made only because it failed (its error path); report -o, under which the call runs,
// adds it alone.
func TestErrorPathNotAdded(t *testing.T) {
	bin := prog(t, "errpath")
	profile := recordTo(t, bin, "quiet", t.TempDir())
	for _, mode := range []string{"explain", "report"} {
		for _, sup := range supervisors {
			out := filepath.Join(t.TempDir(), "out.json")
			_, _, stderr := runUnder(t, sup, "-q", "--on-deny", mode, "-o", out, "--profile", profile, "--", bin, "deny", t.TempDir())
			p := readRefined(t, out)
			calls := p.Arches["x86_64"].Syscalls
			if calls["mkdirat"] == nil {
				t.Errorf("%s/%s: mkdirat not added\n%s", mode, sup, stderr)
			}
			if calls["sched_yield"] != nil || calls["getpgid"] != nil {
				t.Errorf("%s/%s: the error path's calls were added\n%s", mode, sup, stderr)
			}
			if mode == "explain" && !strings.Contains(stderr, "after an earlier call had failed") {
				t.Errorf("%s/%s: the summary does not say which calls came after a failure\n%s", mode, sup, stderr)
			}
		}
	}
}

// TestRuns: record --runs says what each run added and when the profile stopped growing.
func TestRuns(t *testing.T) {
	out := filepath.Join(t.TempDir(), "p.json")
	cmd := exec.Command(sctraceBin, "record", "--runs", "3", "-o", out, "--", "true")
	cmd.Env = markedEnv()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	for _, want := range []string{"run 1 of 3: true exit status 0; ", "run 2 of 3: true exit status 0; no new calls",
		"run 3 of 3: true exit status 0; no new calls", "stopped growing after run 1 of 3"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("no %q in:\n%s", want, b)
		}
	}
}

// TestRefineFootprint: record --base sees every file and endpoint, also those opened through
// calls its base allows.
func TestRefineFootprint(t *testing.T) {
	base := recordTo(t, "cat", "/etc/hostname")
	out := filepath.Join(t.TempDir(), "p.json")
	cmd := exec.Command(sctraceBin, "record", "-q", "--base", base, "-o", out, "--", "cat", "/etc/passwd")
	cmd.Env = markedEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), `"/etc/passwd"`) {
		t.Errorf("the refined profile's files lack /etc/passwd")
	}
}

// TestKilledThread: a call a non-main thread makes is named with the process, the thread and
// the executable, also when kill mode kills the process for it.
func TestKilledThread(t *testing.T) {
	bin := prog(t, "threaddeny")
	profile := recordTo(t, bin, "quiet")
	for i := 0; i < 10; i++ {
		for _, mode := range []string{"kill", "errno"} {
			code, _, stderr := runUnder(t, "notify", "-q", "--on-deny", mode, "--profile", profile, "--", bin, "deny")
			if !regexp.MustCompile(`pid \d+ \(thread \d+\) \(`+regexp.QuoteMeta(bin)+`\)`).MatchString(stderr) ||
				strings.Contains(stderr, "?") {
				t.Fatalf("%s: thread not named with its process, thread and executable (exit %d):\n%s", mode, code, stderr)
			}
			if mode == "kill" && code != 159 {
				t.Fatalf("kill: exit %d", code)
			}
		}
	}
}

// TestNoStealing: a workload cannot take sctrace's seccomp listener (pidfd_getfd on its parent)
// to answer its own denied calls, nor stop sctrace: as root (which passes ptrace checks, so the
// filter must deny the calls that reach sctrace's pid) and as an unprivileged user (sctrace is
// not dumpable).
func TestNoStealing(t *testing.T) {
	src := prog(t, "stealer")
	t.Run("root", func(t *testing.T) {
		profile := recordTo(t, src, "quiet", t.TempDir())
		work := t.TempDir()
		code, stdout, stderr := runUnder(t, "notify", "-q", "--profile", profile, "--", src, "attack", work)
		if _, err := os.Stat(filepath.Join(work, "d")); err == nil || value(stdout, "steal") >= 0 {
			t.Errorf("the listener was taken (exit %d):\n%s\n%s", code, stdout, stderr)
		}
	})
	t.Run("nobody", func(t *testing.T) {
		dir, as := nobodyDir(t)
		bin := filepath.Join(dir, "stealer")
		data, _ := os.ReadFile(src)
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		profile := filepath.Join(dir, "p.json")
		if out, err := as("record", "-q", "-o", profile, "--", bin, "quiet", dir).CombinedOutput(); err != nil {
			t.Fatalf("record: %v\n%s", err, out)
		}
		cmd := as("run", "-q", "--profile", profile, "--", bin, "attack", dir)
		cmd.Env = markedEnv()
		out, _ := cmd.CombinedOutput()
		if _, err := os.Stat(filepath.Join(dir, "d")); err == nil || value(string(out), "steal") >= 0 {
			t.Errorf("the listener was taken:\n%s", out)
		}
	})
}

// TestInjectionHonest: a refine run marks an executable partial, rather than exact, when the
// filter it injects did not go in (a filter of the workload's own answered the seccomp call with
// success), and never writes into a process whose stack pointer is not in its stack.
func TestInjectionHonest(t *testing.T) {
	dir := t.TempDir()
	src := prog(t, "seccompok")
	data, _ := os.ReadFile(src)
	a, b := filepath.Join(dir, "seccompok-a"), filepath.Join(dir, "seccompok-b")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	od := prog(t, "odstack")
	for _, tc := range []struct {
		name, exe     string
		quiet, attack []string
	}{
		{"own filter", b, []string{a, "quiet"}, []string{a, "attack"}},
		{"odd stack", od, []string{"sh", "-c", "true"}, []string{"sh", "-c", od + "; echo status $?"}},
	} {
		base := recordTo(t, tc.quiet...)
		out := filepath.Join(t.TempDir(), "r.json")
		cmd := exec.Command(sctraceBin, append([]string{"record", "-q", "--base", base, "-o", out, "--"}, tc.attack...)...)
		cmd.Env = markedEnv()
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, b)
		}
		if strings.Contains(string(b), "status 66") {
			t.Errorf("%s: the injection wrote into the process's data", tc.name)
		}
		if p := readRefined(t, out); !p.Executables[tc.exe].Partial {
			t.Errorf("%s: %s not marked partial:\n%s", tc.name, tc.exe, b)
		}
	}
}

// TestClone3Refused: under run, clone3 (whose CLONE_UNTRACED a filter cannot see, and which
// another thread could set again after a tracer cleared it) fails with ENOSYS, and the clone a
// program falls back to is allowed wherever clone3 was, its CLONE_UNTRACED cleared.
func TestClone3Refused(t *testing.T) {
	bin := prog(t, "clone3untraced")
	profile := editProfile(t, recordTo(t, bin), func(p map[string]any) {
		delete(syscallsOf(p, "x86_64"), "clone")
	})
	code, stdout, stderr := runUnder(t, "notify", "-q", "--on-deny", "kill", "--profile", profile, "--", bin)
	if code != 0 || value(stdout, "clone3") != -38 {
		t.Errorf("exit %d, output %q; want clone3 to fail with ENOSYS and clone to run\n%s", code, stdout, stderr)
	}
}

// TestCloneParent: a child made with CLONE_PARENT has its creator's parent as /proc's parent;
// its calls belong to its creator's executable, also when its first stop comes before its
// creator's clone event (the tracer keeps it there until the event names the creator).
func TestCloneParent(t *testing.T) {
	dir := t.TempDir()
	data, _ := os.ReadFile(prog(t, "cloneparent"))
	x, y := filepath.Join(dir, "cloneparent-x"), filepath.Join(dir, "cloneparent-y")
	for _, p := range []string{x, y} {
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 20; i++ {
		p := readRefined(t, recordTo(t, x))
		if exeCalls(p, x)["x86_64 getpgid"] || !exeCalls(p, y)["x86_64 getpgid"] {
			t.Fatalf("run %d: getpgid charged to %s, not to %s (its creator's executable)", i, x, y)
		}
	}
}

// TestOutputFirst: an -o that cannot be written stops record and run before the workload
// runs (a long recording must not be lost to a typo), and with -o - the workload's own output
// goes to stderr, not into the profile on stdout.
func TestOutputFirst(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	profile := recordTo(t, "true")
	for _, args := range [][]string{
		{"record", "-q", "-o", "/nonexistent-dir/p.json", "--", "touch", marker},
		{"run", "-q", "--profile", profile, "-o", "/nonexistent-dir/p.json", "--", "touch", marker},
		{"record", "-q", "-o", t.TempDir(), "--", "touch", marker},
	} {
		cmd := exec.Command(sctraceBin, args...)
		cmd.Env = markedEnv()
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != 2 || strings.Count(string(out), "\n") != 1 {
			t.Errorf("%v: exit %d, output %q; want 2 and one line", args, cmd.ProcessState.ExitCode(), out)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%v: the workload ran", args)
		}
	}
	cmd := exec.Command(sctraceBin, "record", "-q", "-o", "-", "--", "echo", "hello")
	cmd.Env = markedEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &p); err != nil || !strings.Contains(stderr.String(), "hello") {
		t.Errorf("record -o -: stdout is not the profile alone (%v), or the workload's output is not on stderr (%q)", err, stderr.String())
	}
}

// TestTerminalNote: a profile recorded on a terminal says so (recordings[].terminal), and run
// notes when its own output is not one, since programs take other paths on a terminal.
func TestTerminalNote(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script (util-linux) is needed for a terminal")
	}
	out := filepath.Join(t.TempDir(), "p.json")
	cmd := exec.Command(script, "-qec", sctraceBin+" record -q -o "+out+" -- true", "/dev/null")
	cmd.Env = markedEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), `"terminal": true`) {
		t.Fatalf("the recording does not say it ran on a terminal:\n%s", b)
	}
	if _, _, stderr := runUnder(t, "", "--profile", out, "--", "true"); !strings.Contains(stderr, "was on a terminal and this run is not") {
		t.Errorf("run says nothing of the terminal:\n%s", stderr)
	}
}

// TestRunsInheritDescriptors: a descriptor the command was given (3 here) reaches the workload in
// every run of record --runs, as it does without sctrace (the first run's process is forked at
// start-up, the others at their launch).
func TestRunsInheritDescriptors(t *testing.T) {
	f, err := os.Open("/etc/hostname")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	cmd := exec.Command(sctraceBin, "record", "-q", "--runs", "3", "-o", filepath.Join(t.TempDir(), "p.json"), "--", "sh", "-c", "cat <&3 >/dev/null && echo read3")
	cmd.ExtraFiles = []*os.File{f}
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Count(string(out), "read3") != 3 {
		t.Errorf("descriptor 3 in 3 runs: %v\n%s", err, out)
	}
}

// TestRunsInterrupted: SIGTERM to sctrace during record --runs stops the recording, not only the
// current run: no more runs, the profile so far is written, and the status is the workload's
// (143).
func TestRunsInterrupted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "p.json")
	cmd := exec.Command(sctraceBin, "record", "--runs", "3", "-o", out, "--", "sleep", "1")
	cmd.Env = markedEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Errorf("exit %d (%v), want 143\n%s", code, err, stderr.String())
	}
	if strings.Contains(stderr.String(), "run 2 of 3") || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("the recording went on, or did not say it stopped:\n%s", stderr.String())
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("no profile: %v", err)
	}
}

// TestSuggestionRuns: the command sctrace suggests after a denial names sctrace as it was
// invoked (./sctrace after the README's build), so that it runs as printed; it said "sctrace",
// which is not on PATH then.
func TestSuggestionRuns(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "p.json")
	if out, err := exec.Command(sctraceBin, "record", "-q", "-o", prof, "--", "true").CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	cmd := exec.Command("./"+filepath.Base(sctraceBin), "run", "--profile", prof, "--", "sh", "-c", "true")
	cmd.Dir, cmd.Env = filepath.Dir(sctraceBin), markedEnv()
	out, _ := cmd.CombinedOutput()
	want := "./" + filepath.Base(sctraceBin) + " run --profile " + prof + " --on-deny report -o " + prof
	if !strings.Contains(string(out), want) {
		t.Errorf("the suggestion does not name sctrace as invoked (%q):\n%s", want, out)
	}
}

// TestNothingDenied: a run in which the workload made no call the profile lacks ends with one
// line on stderr that says so (without it, a run printed nothing of its own), and -q leaves it out.
func TestNothingDenied(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "p.json")
	if out, err := exec.Command(sctraceBin, "record", "-q", "-o", prof, "--", "true").CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	for _, quiet := range []bool{false, true} {
		args := []string{"run", "--no-static", "--profile", prof, "--", "true"}
		if quiet {
			args = append([]string{"run", "-q"}, args[1:]...)
		}
		cmd := exec.Command(sctraceBin, args...)
		cmd.Env = markedEnv()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
		last := lines[len(lines)-1]
		switch {
		case quiet && stderr.Len() != 0:
			t.Errorf("-q: stderr %q, want nothing", stderr.String())
		case !quiet && last != "sctrace: nothing denied: the workload made no call "+prof+" lacks":
			t.Errorf("no line saying nothing was denied at the end:\n%s", stderr.String())
		}
	}
}
