package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/learn"
)

// counts is the exact count expected of some calls: arch -> key -> count.
type counts map[string]map[string]uint64

func checkCounts(t *testing.T, p *learn.Profile, want counts) {
	t.Helper()
	for a, keys := range want {
		for k, n := range keys {
			if got := p.Count(a, k); got != n {
				t.Errorf("%s/%s: count %d, want %d", a, k, got, n)
			}
		}
	}
}

// onlyCalls asserts that arch a holds exactly these calls and counts.
func onlyCalls(t *testing.T, p *learn.Profile, a string, want map[string]uint64) {
	t.Helper()
	got := map[string]uint64{}
	for _, k := range p.Syscalls(a) {
		got[k] = p.Count(a, k)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: calls %v, want exactly %v", a, got, want)
	}
}

// sameAsStrace asserts that sctrace and strace saw the same (arch, syscall) set.
func sameAsStrace(t *testing.T, p *learn.Profile, argv []string) {
	t.Helper()
	ours, theirs := fromProfile(p), straceFootprint(t, argv)
	if extra := ours.minus(theirs); len(extra) > 0 {
		t.Errorf("sctrace saw, strace did not: %v", extra)
	}
	if missing := theirs.minus(ours); len(missing) > 0 {
		t.Errorf("strace saw, sctrace did not: %v", missing)
	}
}

func TestTestprogs(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		t.Fatalf("strace is needed for the cross-check (.ci/run installs it): %v", err)
	}
	tests := []struct {
		name      string
		args      []string
		exit      int
		processes int
		want      counts
		check     func(t *testing.T, p *learn.Profile)
	}{
		{name: "threads", exit: 0, processes: 1, want: counts{"x86_64": {"getppid": 40}}},
		{name: "forkchain", args: []string{"4"}, exit: 3, processes: 5,
			want: counts{"x86_64": {"getppid": 5, "wait4": 4, "clone": 4}}},
		// No exact clone count: a fork with a signal pending (SIGCHLD from the children, which
		// ptrace keeps even though it is ignored) restarts, and seccomp sees it again.
		{name: "forkmany", args: []string{"64"}, exit: 0, processes: 65,
			want: counts{"x86_64": {"getppid": 64, "exit_group": 65}}},
		{name: "vfork", exit: 0, processes: 2, want: counts{"x86_64": {"getppid": 1, "vfork": 1}}},
		{name: "execthread", exit: 5, processes: 1, want: counts{"x86_64": {"getppid": 3, "execve": 2}}},
		{name: "stopcont", exit: 0, processes: 2, want: counts{"x86_64": {"getppid": 1, "kill": 2}}},
		{name: "sighandler", exit: 0, processes: 2,
			want: counts{"x86_64": {"getppid": 1, "ppoll": 1, "rt_sigreturn": 1, "kill": 1}}},
		{name: "killed", exit: 0, processes: 2},
		{name: "killed", args: []string{"self"}, exit: 143, processes: 1},
		{name: "m32", exit: 0, processes: 1, check: func(t *testing.T, p *learn.Profile) {
			// The helper's execve is the only 64-bit call; everything after it is i386.
			onlyCalls(t, p, "x86_64", map[string]uint64{"execve": 1})
			checkCounts(t, p, counts{"x86": {"getppid": 7, "exit_group": 1}})
		}},
		{name: "int80", exit: 0, processes: 1, check: func(t *testing.T, p *learn.Profile) {
			onlyCalls(t, p, "x86", map[string]uint64{"getpid": 3})
			if p.Count("x86_64", "getpid") != 0 {
				t.Error("int 0x80 calls counted under x86_64")
			}
		}},
		{name: "x32", exit: 0, processes: 1, check: func(t *testing.T, p *learn.Profile) {
			// 13 is x86_64's rt_sigaction; x32 has no call 13, so it stays a number.
			onlyCalls(t, p, "x32", map[string]uint64{"getpid": 2, "13": 1})
			if p.Count("x86_64", "getpid") != 0 || p.Count("x86_64", "rt_sigaction") > 1 {
				t.Error("x32 calls counted under x86_64")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{tt.name}, tt.args...), "_"), func(t *testing.T) {
			argv := append([]string{prog(t, tt.name)}, tt.args...)
			r := record(t, argv...)
			if r.exit != tt.exit {
				t.Errorf("exit status %d, want %d\n%s", r.exit, tt.exit, r.stderr)
			}
			if len(r.profile.Recordings) != 1 || r.profile.Recordings[0].Processes != tt.processes {
				t.Errorf("recordings %+v, want one with %d processes", r.profile.Recordings, tt.processes)
			}
			if len(r.profile.Executables) != 1 || r.profile.Executables[argv[0]] == nil {
				t.Errorf("executables %v, want only %s", r.profile.ExecutableNames(), argv[0])
			}
			checkCounts(t, r.profile, tt.want)
			if tt.check != nil {
				tt.check(t, r.profile)
			}
			sameAsStrace(t, r.profile, argv)
		})
	}
}

// TestRedact: with --redact, the secrets of the recorded command line and of the programs the
// workload executed stay out of the profile; the calls are the same.
func TestRedact(t *testing.T) {
	dir := t.TempDir()
	plain, redacted := filepath.Join(dir, "plain.json"), filepath.Join(dir, "redacted.json")
	argv := []string{"sh", "-c", `env API_TOKEN=SECRET1 true --password SECRET2 "Authorization: Bearer SECRET3"`, "https://u:SECRET4@example.com/"}
	for _, c := range []struct {
		out  string
		flag []string
	}{{plain, nil}, {redacted, []string{"--redact"}}} {
		args := append(append([]string{"record", "-q", "-o", c.out}, c.flag...), "--")
		if out, err := exec.Command(sctraceBin, append(args, argv...)...).CombinedOutput(); err != nil {
			t.Fatalf("record %v: %v\n%s", c.flag, err, out)
		}
	}
	p, r := loadProfile(t, plain), loadProfile(t, redacted)
	raw, err := os.ReadFile(redacted)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"SECRET1", "SECRET2", "SECRET3", "SECRET4"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the redacted profile holds %s:\n%s", secret, raw)
		}
	}
	if !strings.Contains(string(raw), "API_TOKEN=[redacted]") || !strings.Contains(string(raw), "https://u:[redacted]@example.com/") {
		t.Errorf("redacted profile lacks the redacted values:\n%s", raw)
	}
	if !reflect.DeepEqual(p.Arches["x86_64"].Syscalls["execve"], r.Arches["x86_64"].Syscalls["execve"]) || len(p.Programs) != len(r.Programs) {
		t.Errorf("--redact changed more than the command lines")
	}
}

// TestFilesResolved: relative paths are recorded resolved against the working directory or the
// openat directory descriptor they were relative to; a redirection to /dev/null is an open, not
// a creation; an open that failed is recorded as such.
func TestFilesResolved(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "in.txt"), []byte("x\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "deep.txt"), []byte("y\n"), 0o644)
	prof := filepath.Join(t.TempDir(), "p.json")
	script := `cd "$1" && cat in.txt >/dev/null && echo z > out.txt && python3 -c 'import os; d = os.open("sub", os.O_RDONLY); os.close(os.open("deep.txt", os.O_RDONLY, dir_fd=d))' && (cat nothere.txt 2>/dev/null; true)`
	cmd := exec.Command(sctraceBin, "record", "-q", "-o", prof, "--", "sh", "-c", script, "sh", dir)
	cmd.Env = markedEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	p := loadProfile(t, prof)
	for path, want := range map[string]string{
		filepath.Join(dir, "in.txt"):          "open",
		filepath.Join(dir, "out.txt"):         "create",
		filepath.Join(dir, "sub", "deep.txt"): "open",
		"/dev/null":                           "open",
		filepath.Join(dir, "nothere.txt"):     "open-failed",
	} {
		if got := strings.Join(p.Files[path], ","); got != want {
			t.Errorf("files[%q] = %q, want %q", path, got, want)
		}
	}
	for path := range p.Files {
		if path == "in.txt" || path == "deep.txt" || path == "out.txt" {
			t.Errorf("a relative path was kept unresolved: %q", path)
		}
	}
}
