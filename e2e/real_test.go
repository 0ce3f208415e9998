package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pythonThreads starts 4 threads that each open a file; the interpreter itself starts none.
const pythonThreads = `
import threading
def work(i):
    with open("/etc/hostname") as f:
        f.read()
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("done")
`

// shellScript forks and execs several programs, with a pipe and a subshell.
const shellScript = `set -e
ls / > /dev/null
echo hello | cat | wc -c
( cd /etc && cat hostname > /dev/null )
true && uname -r > /dev/null
`

// TestRealPrograms records programs installed on the machine and cross-checks with strace.
//
// Some calls depend on timing, not on the program: whether a thread has to wait on a futex,
// whether the Go runtime yields or preempts (SIGURG, tgkill, rt_sigreturn), and whether a
// preemption signal lands in a sleep, which the kernel then resumes with restart_syscall. For
// those programs, racy lists the calls allowed to differ between the strace run and the sctrace
// run; every other call must be in both.
func TestRealPrograms(t *testing.T) {
	tests := []struct {
		name  string
		argv  []string
		exes  []string // executables the profile must name (suffixes)
		racy  []string
		multi bool // several processes expected
		// varies is set when the output changes between runs (ls -la / counts processes in /proc)
		varies bool
	}{
		{name: "ls", argv: []string{"ls", "-la", "/"}, exes: []string{"/ls"}, varies: true},
		{name: "ls-usr", argv: []string{"ls", "-la", "/usr"}, exes: []string{"/ls"}},
		{name: "sh", argv: []string{"sh", "-c", shellScript}, multi: true,
			exes: []string{"/dash", "/ls", "/cat", "/wc", "/uname"}},
		{name: "python3-debian", argv: []string{"/usr/bin/python3", "-c", pythonThreads},
			exes: []string{"/python3.11"}, racy: []string{"futex"}},
		{name: "python3-shim", argv: []string{"python3", "-c", pythonThreads}, multi: true,
			exes: []string{"/bash"}, racy: []string{"futex"}},
		{name: "go", argv: []string{"@goprog"}, multi: true, exes: []string{"/goprog", "/true"},
			racy: []string{"futex", "nanosleep", "sched_yield", "tgkill", "getpid", "rt_sigreturn", "madvise", "restart_syscall"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			argv := append([]string(nil), tt.argv...)
			if argv[0] == "@goprog" {
				argv[0] = prog(t, "goprog")
			} else if path, err := exec.LookPath(argv[0]); err != nil {
				t.Skipf("%s not installed", argv[0])
			} else if tt.name == "python3-shim" && !isScript(path) {
				t.Skipf("python3 on PATH (%s) is not a shim script here", path)
			}
			r := record(t, argv...)
			if r.exit != 0 {
				t.Fatalf("exit status %d\n%s", r.exit, r.stderr)
			}
			want, err := exec.Command(argv[0], argv[1:]...).Output()
			if err != nil {
				t.Fatal(err)
			}
			if !tt.varies && r.stdout != string(want) {
				t.Errorf("output under sctrace %q, alone %q", r.stdout, want)
			}
			names := r.profile.ExecutableNames()
			for _, suffix := range tt.exes {
				found := false
				for _, n := range names {
					found = found || strings.HasSuffix(n, suffix)
				}
				if !found {
					t.Errorf("no executable ending in %s among %v", suffix, names)
				}
			}
			if procs := r.profile.Recordings[0].Processes; tt.multi != (procs > 1) {
				t.Errorf("%d processes recorded", procs)
			}
			racy := map[string]bool{}
			for _, k := range tt.racy {
				racy[k] = true
			}
			ours, theirs := fromProfile(r.profile), straceFootprint(t, argv)
			for _, d := range []struct {
				what string
				keys []string
			}{{"sctrace saw, strace did not", ours.minus(theirs)}, {"strace saw, sctrace did not", theirs.minus(ours)}} {
				for _, k := range d.keys {
					if racy[k[strings.Index(k, "/")+1:]] {
						t.Logf("%s: %s (timing-dependent, allowed)", d.what, k)
						continue
					}
					t.Errorf("%s: %s", d.what, k)
				}
			}
		})
	}
}

// isScript reports whether a file starts with "#!".
func isScript(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 2)
	n, _ := f.Read(b)
	return n == 2 && string(b) == "#!"
}
