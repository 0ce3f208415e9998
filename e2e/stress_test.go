package e2e

// Stress tests for the tracer's hard cases: thousands of processes alive at once, threads created
// and destroyed as fast as possible on one CPU, threads that never stop making calls while
// another thread forks, execs or exits the whole group, a child the kernel would not let the
// tracer follow, a daemon that outlives its parent, a Ctrl-C the workload ignores, and a workload
// that must not notice it is traced.
//
// A tracer that loses track of a task hangs rather than fails, so every run here is guarded: it
// runs in its own process group, and when the guard expires the test describes every process
// still alive, kills them all and fails with "hung". The guards are generous (the runs take a
// second or two) and only guards: nothing here measures time.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// guard is how long a stress run may take before it counts as hung.
const guard = 60 * time.Second

// stressOpts says how to start sctrace for a stress run.
type stressOpts struct {
	prefix []string // a command that runs sctrace (taskset -c 0)
	flags  []string // more flags for sctrace record
	stdout *os.File // sctrace's stdout, which the workload inherits; a file if nil
}

// stressRun is one `sctrace record` running in its own process group.
type stressRun struct {
	t          *testing.T
	name       string // for messages: the command, and which run of several
	cmd        *exec.Cmd
	out        string // the profile
	stdoutPath string // sctrace's stdout, if stressOpts had none
	stderrPath string
	start      time.Time
	done       chan struct{}
}

// startStress starts `sctrace record -o FILE -- argv` with Setpgid: sctrace and the workload get
// a process group of their own, which a hung run is killed by. Its standard streams are files,
// not pipes copied by goroutines, so nothing the workload leaves behind can keep Wait waiting.
func startStress(t *testing.T, o stressOpts, argv ...string) *stressRun {
	t.Helper()
	dir := t.TempDir()
	r := &stressRun{t: t, name: strings.Join(argv, " "), out: filepath.Join(dir, "profile.json"),
		stderrPath: filepath.Join(dir, "stderr"), done: make(chan struct{})}
	args := append(append(append([]string(nil), o.prefix...), sctraceBin, "record", "-o", r.out), o.flags...)
	args = append(append(args, "--"), argv...)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = markedEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := os.Create(r.stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stderr = stderr
	if o.stdout != nil {
		cmd.Stdout = o.stdout
	} else {
		r.stdoutPath = filepath.Join(dir, "stdout")
		stdout, err := os.Create(r.stdoutPath)
		if err != nil {
			t.Fatal(err)
		}
		defer stdout.Close()
		cmd.Stdout = stdout
	}
	r.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.cmd = cmd
	go func() {
		cmd.Wait()
		close(r.done)
	}()
	return r
}

// wait waits up to d for sctrace to finish, then reads its profile and checks that it left no
// process behind. A run still going after d is killed, and the test fails with "hung".
func (r *stressRun) wait(d time.Duration) result {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(d):
		r.fail("hung: sctrace record %s did not finish within %v", r.name, d)
	}
	r.t.Logf("%s: exit %d after %v", r.name, r.cmd.ProcessState.ExitCode(),
		time.Since(r.start).Round(time.Millisecond))
	res := result{exit: r.cmd.ProcessState.ExitCode(), stderr: r.readFile(r.stderrPath)}
	if r.stdoutPath != "" {
		res.stdout = r.readFile(r.stdoutPath)
	}
	if res.exit < 0 {
		r.t.Fatalf("sctrace record %s: %v\n%s", r.name, r.cmd.ProcessState, res.stderr)
	}
	noLeftovers(r.t)
	if _, err := os.Stat(r.out); err != nil {
		r.t.Fatalf("sctrace record %s (exit %d) wrote no profile: %v\n%s", r.name, res.exit, err, res.stderr)
	}
	res.profile = loadProfile(r.t, r.out)
	return res
}

// fail describes every process of the run that is still alive, kills them all and fails the
// test with the description.
func (r *stressRun) fail(format string, args ...any) {
	r.t.Helper()
	pid := r.cmd.Process.Pid
	procs := describeProcs(append([]int{pid}, markedPids()...))
	syscall.Kill(-pid, syscall.SIGKILL) // sctrace, and with it (PTRACE_O_EXITKILL) its tracees
	killMarked()
	<-r.done
	killMarked()
	r.t.Fatalf("%s\nprocesses then (pid, parent, state, tracer, threads' states, command):\n%s\nstderr:\n%s",
		fmt.Sprintf(format, args...), procs, r.readFile(r.stderrPath))
}

func (r *stressRun) readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		r.t.Error(err)
	}
	return string(b)
}

// markedPids lists the live processes that carry this run's marker (see markedEnv).
func markedPids() []int {
	want := []byte(marker + "=" + strconv.Itoa(os.Getpid()) + "\x00")
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if env, err := os.ReadFile(p + "/environ"); err == nil && bytes.Contains(env, want) && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killMarked kills every live process carrying this run's marker, and waits (up to 5 s) until
// none is left.
func killMarked() {
	for try := 0; try < 50; try++ {
		pids := markedPids()
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// noLeftovers fails the test if the run left a marked process alive, and kills what it left so
// that the next test starts clean.
func noLeftovers(t *testing.T) {
	t.Helper()
	if left := leftovers(); len(left) > 0 {
		t.Errorf("workloads left behind: %s", strings.Join(left, "; "))
		killMarked()
	}
}

// describeProcs says, one line per process (at most 60), who its parent and tracer are and what
// state it and its threads are in: enough to see which task a hung tracer lost.
func describeProcs(pids []int) string {
	seen := map[int]bool{}
	var lines []string
	for _, pid := range pids {
		if seen[pid] {
			continue
		}
		seen[pid] = true
		status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			continue
		}
		field := func(name string) string {
			for _, line := range strings.Split(string(status), "\n") {
				if v, ok := strings.CutPrefix(line, name+":"); ok {
					return strings.Join(strings.Fields(v), " ")
				}
			}
			return "?"
		}
		states := map[string]int{}
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/stat")
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
				states[string(b[i+2])]++
			}
		}
		var ts []string
		for s, n := range states {
			ts = append(ts, fmt.Sprintf("%s×%d", s, n))
		}
		sort.Strings(ts)
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		command := strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
		if len(command) > 100 {
			command = command[:100] + "…"
		} else if command == "" {
			command = "[" + field("Name") + "]"
		}
		lines = append(lines, fmt.Sprintf("  %d parent=%s %q tracer=%s threads=%s %s", pid, field("PPid"),
			field("State"), field("TracerPid"), strings.Join(ts, ","), command))
	}
	if len(lines) > 60 {
		lines = append(lines[:60], fmt.Sprintf("  … and %d more", len(lines)-60))
	}
	return strings.Join(lines, "\n")
}

// clip shortens a long stderr to its first 2000 bytes.
func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// stressCase is a workload recorded runs times, each run under its own guard.
type stressCase struct {
	argv      []string
	runs      int
	guard     time.Duration
	exit      int
	atLeast   counts // x86_64 calls the profile must count at least this often
	exactly   counts // and exactly this often
	processes int    // the recording's processes, at least
	exactProc bool   // processes is exact
	check     func(t *testing.T, r result)
}

func (c stressCase) run(t *testing.T) {
	t.Helper()
	runs := max(c.runs, 1)
	for i := 1; i <= runs; i++ {
		run := startStress(t, stressOpts{}, c.argv...)
		if runs > 1 {
			run.name = fmt.Sprintf("%s (run %d of %d)", run.name, i, runs)
		}
		r := run.wait(c.guard)
		var errs []string
		if r.exit != c.exit {
			errs = append(errs, fmt.Sprintf("exit status %d, want %d", r.exit, c.exit))
		}
		for a, keys := range c.atLeast {
			for k, n := range keys {
				if got := r.profile.Count(a, k); got < n {
					errs = append(errs, fmt.Sprintf("%s/%s: count %d, want at least %d", a, k, got, n))
				}
			}
		}
		for a, keys := range c.exactly {
			for k, n := range keys {
				if got := r.profile.Count(a, k); got != n {
					errs = append(errs, fmt.Sprintf("%s/%s: count %d, want %d", a, k, got, n))
				}
			}
		}
		if len(r.profile.Recordings) != 1 {
			errs = append(errs, fmt.Sprintf("%d recordings, want 1", len(r.profile.Recordings)))
		} else if n := r.profile.Recordings[0].Processes; n < c.processes || c.exactProc && n != c.processes {
			want := "at least "
			if c.exactProc {
				want = ""
			}
			errs = append(errs, fmt.Sprintf("%d processes, want %s%d", n, want, c.processes))
		}
		if len(errs) > 0 {
			t.Fatalf("%s:\n  %s\nstderr:\n%s", run.name, strings.Join(errs, "\n  "), clip(r.stderr))
		}
		if c.check != nil {
			c.check(t, r)
			if t.Failed() {
				t.FailNow()
			}
		}
	}
}

// TestStressXargs: a shell pipeline into xargs -P 8 runs 300 short shells, 8 at a time, each with
// a pipeline of its own: processes start, exec and end concurrently, and the recording ends with
// the script's own status.
func TestStressXargs(t *testing.T) {
	runs := 20
	if testing.Short() {
		runs = 10
	}
	stressCase{
		argv: []string{"sh", "-c", `seq 300 | xargs -P 8 -n 1 sh -c "echo \$0 | cat >/dev/null"; exit 3`},
		runs: runs, guard: guard, exit: 3,
		// the script, seq, xargs, and 300 × (sh, cat)
		processes: 603, atLeast: counts{"x86_64": {"execve": 603}},
	}.run(t)
}

// TestStressTree: every process of a tree forks all its children before waiting for any, so
// hundreds to thousands of processes are alive, forking and exiting at once.
func TestStressTree(t *testing.T) {
	for _, tt := range []struct {
		depth, width, runs int
	}{
		{6, 3, 20},
		{10, 2, 1},
	} {
		t.Run(fmt.Sprintf("%dx%d", tt.depth, tt.width), func(t *testing.T) {
			leaves, procs := 1, 1
			for i := 0; i < tt.depth; i++ {
				leaves *= tt.width
				procs += leaves
			}
			stressCase{
				argv: []string{prog(t, "tree"), strconv.Itoa(tt.depth), strconv.Itoa(tt.width)},
				runs: tt.runs, guard: guard, exit: 0,
				processes: procs, exactProc: true,
				exactly: counts{"x86_64": {"getppid": uint64(leaves)}},
			}.run(t)
		})
	}
}

// TestStressChurn: 4 threads create and join 200 short-lived threads each, with sctrace, its
// ticker and the workload all pinned to one CPU by taskset, so the tracer and the threads it
// follows take turns on it.
func TestStressChurn(t *testing.T) {
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("taskset (util-linux) is not installed")
	}
	p := prog(t, "churn")
	for i := 1; i <= 20; i++ {
		run := startStress(t, stressOpts{prefix: []string{"taskset", "-c", "0"}}, p, "200")
		run.name = fmt.Sprintf("%s (run %d of 20, on CPU 0)", run.name, i)
		r := run.wait(guard)
		if r.exit != 0 || r.stdout != "done\n" {
			t.Fatalf("run %d/20: exit %d, stdout %q, want 0 and \"done\\n\"\n%s", i, r.exit, r.stdout, r.stderr)
		}
		// 4 creators and 800 short threads: clone3 (or clone, with an older libc) and exit each.
		if n := r.profile.Count("x86_64", "clone3") + r.profile.Count("x86_64", "clone"); n < 804 {
			t.Fatalf("run %d/20: %d clone3 and clone calls, want at least 804", i, n)
		}
		if n := r.profile.Count("x86_64", "exit"); n < 804 {
			t.Fatalf("run %d/20: %d exit calls, want at least 804", i, n)
		}
		if n := r.profile.Recordings[0].Processes; n != 1 {
			t.Fatalf("run %d/20: %d processes, want 1", i, n)
		}
	}
}

// TestStressLoopThreads: the shape of strace's looping_threads test. 10 threads never stop
// calling getppid while the main thread forks 100 children one by one (each makes a getpgid
// call), then the main thread ends the process with exit_group while every thread still runs.
func TestStressLoopThreads(t *testing.T) {
	stressCase{
		argv: []string{prog(t, "loopthreads"), "10", "100"},
		// the program's own alarm fires at 60 s (exit 142): the guard is later
		guard: 90 * time.Second, exit: 0,
		processes: 101, exactProc: true,
		atLeast: counts{"x86_64": {"exit_group": 1}},
		exactly: counts{"x86_64": {"getpgid": 100}},
	}.run(t)
}

// TestStressStarve: a thread making 200 getpid calls must get through while 16 threads spin on
// getppid: a tracer that always serves whoever stopped first can starve it.
func TestStressStarve(t *testing.T) {
	stressCase{
		argv:  []string{prog(t, "starve"), "16", "200"},
		guard: 90 * time.Second, exit: 0,
		processes: 1, exactProc: true,
		atLeast: counts{"x86_64": {"getpid": 200}},
	}.run(t)
}

// TestStressSpinKids: a child with 20 threads spinning on getppid makes 100 getuid calls from its
// main thread and calls exit_group; its parent must see it exit.
func TestStressSpinKids(t *testing.T) {
	stressCase{
		argv:  []string{prog(t, "spinkids")},
		guard: 90 * time.Second, exit: 0,
		processes: 2, exactProc: true,
		atLeast: counts{"x86_64": {"getuid": 100}},
	}.run(t)
}

// TestStressUntraced: a child created with CLONE_UNTRACED is not made a tracee by the kernel,
// yet it inherits the filter whose action is SECCOMP_RET_TRACE; it must still run (exit 3, so
// the parent exits 0) and its getpgid call must be recorded.
func TestStressUntraced(t *testing.T) {
	stressCase{
		argv:  []string{prog(t, "untraced")},
		guard: guard, exit: 0,
		processes: 2,
		atLeast:   counts{"x86_64": {"getpgid": 1}},
	}.run(t)
}

// TestStressForks: 1000 short-lived children, one after the other.
func TestStressForks(t *testing.T) {
	stressCase{
		argv:  []string{prog(t, "forks"), "1000"},
		guard: guard, exit: 0,
		processes: 1001,
	}.run(t)
}

// TestStressManyThreads: 200 threads alive at once (a barrier holds them until all exist), each
// making a gettid call.
// TestStressCloneParent: CLONE_PARENT children (whose /proc parent is not their creator) from
// four threads at once, and from creators killed right after the clone (whose clone event may
// never come): the tracer keeps each new process at its first stop until its creator is known,
// and must never keep one for good.
func TestStressCloneParent(t *testing.T) {
	stressCase{
		argv:  []string{prog(t, "cpstorm")},
		guard: guard, exit: 0,
		exactly:   counts{"x86_64": {"getpgid": 800}},
		processes: 802, exactProc: true,
	}.run(t)
	stressCase{
		argv:  []string{prog(t, "cpkill")},
		guard: guard, exit: 0,
		processes: 101, exactProc: true,
	}.run(t)
	// A thread that forks killed by its process's execve before its fork event is reported:
	// the held child must still be let go.
	stressCase{
		argv:  []string{prog(t, "forkexec"), "100"},
		guard: guard, exit: 0,
		processes: 101,
	}.run(t)
}

// TestStressClone3Race: a workload that races its own clone3 arguments (setting CLONE_UNTRACED
// again after the tracer cleared it) gets children past the recording; sctrace must notice each
// (at the clone3's exit), kill it (under the recording's filter without the tracer it could not
// even exit), say calls are hidden, and leave nothing behind (TestMain checks).
func TestStressClone3Race(t *testing.T) {
	stressCase{
		argv:  []string{prog(t, "clone3race"), "10"},
		guard: guard, exit: 0,
	}.run(t)
}

func TestStressManyThreads(t *testing.T) {
	stressCase{
		argv:  []string{prog(t, "manythreads"), "200"},
		guard: guard, exit: 0,
		processes: 1, exactProc: true,
		atLeast: counts{"x86_64": {"gettid": 200}},
	}.run(t)
}

// TestStressExecChain: one process execs itself 500 times.
func TestStressExecChain(t *testing.T) {
	stressCase{
		argv:  []string{prog(t, "execchain"), "500"},
		guard: guard, exit: 0,
		processes: 1, exactProc: true,
		atLeast: counts{"x86_64": {"execve": 501}},
	}.run(t)
}

// TestStressDaemon: a double-forked daemon outlives the workload's main process by 200 ms;
// sctrace follows every process, so it waits for the daemon and records its getpgid call, and
// the exit status is still the main process's.
func TestStressDaemon(t *testing.T) {
	file := filepath.Join(t.TempDir(), "daemon.out")
	stressCase{
		argv:  []string{prog(t, "daemon"), file},
		guard: guard, exit: 0,
		processes: 3, exactProc: true,
		atLeast: counts{"x86_64": {"getpgid": 1}},
		check: func(t *testing.T, r result) {
			if b, err := os.ReadFile(file); err != nil || string(b) != "done\n" {
				t.Errorf("the daemon's file, read when sctrace finished: %q, %v; want \"done\\n\"", b, err)
			}
		},
	}.run(t)
}

// TestStressSurvivorSIGINT: Ctrl-C reaches the whole process group — sctrace, its ticker and the
// workload. The workload ignores SIGINT and runs on, so sctrace must too: it finishes when the
// workload does, with its status (7), and records the call the workload makes after the signal.
func TestStressSurvivorSIGINT(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	run := startStress(t, stressOpts{stdout: pw}, prog(t, "survivor"))
	pw.Close()
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(pr).ReadString('\n')
		ready <- line
		io.Copy(io.Discard, pr)
	}()
	select {
	case line := <-ready:
		if line != "ready\n" {
			run.fail("survivor said %q, want \"ready\\n\"", line)
		}
	case <-time.After(30 * time.Second):
		run.fail("hung: survivor did not say ready within 30 s")
	}
	syscall.Kill(-run.cmd.Process.Pid, syscall.SIGINT)
	// The ticker (which bounds the tracer's raw wait) is out of the reach of the terminal's
	// signals: it must survive a Ctrl-C to the whole group (DESIGN trap 25).
	time.Sleep(300 * time.Millisecond)
	if !hasTicker(run.cmd.Process.Pid) {
		t.Error("sctrace's ticker died of the SIGINT sent to the process group")
	}
	r := run.wait(30 * time.Second)
	if r.exit != 7 {
		t.Errorf("exit status %d, want 7 (the workload's own: it ignores SIGINT)\n%s", r.exit, r.stderr)
	}
	if r.profile.Count("x86_64", "getpgid") != 1 {
		t.Errorf("getpgid counted %d times, want 1: the workload's calls after the SIGINT were not recorded",
			r.profile.Count("x86_64", "getpgid"))
	}
}

// TestSelfState: a workload under sctrace inherits nothing from it — no parent-death signal, no
// ignored or blocked signals, no extra file descriptors, no _SCTRACE variables — compared with
// the same program started directly with the same standard streams (stdin /dev/null, stdout a
// pipe, stderr a file). The NoNewPrivs and Seccomp lines of /proc/self/status legitimately
// differ and are not compared.
func TestSelfState(t *testing.T) {
	p := prog(t, "selfstate")
	// pipeOut runs start with a fresh pipe for stdout and returns what was written to it.
	pipeOut := func(start func(stdout *os.File) func()) string {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		wait := start(pw)
		pw.Close()
		out := make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(pr)
			out <- string(b)
		}()
		wait()
		select {
		case s := <-out:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("the workload's stdout is still open after it finished")
			return ""
		}
	}

	bare := pipeOut(func(stdout *os.File) func() {
		cmd := exec.Command(p)
		cmd.Env = markedEnv()
		stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
		if err != nil {
			t.Fatal(err)
		}
		defer stderr.Close()
		cmd.Stdout, cmd.Stderr = stdout, stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return func() {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("selfstate: %v", err)
			}
		}
	})
	var r result
	traced := pipeOut(func(stdout *os.File) func() {
		run := startStress(t, stressOpts{flags: []string{"-q"}, stdout: stdout}, p)
		return func() { r = run.wait(guard) }
	})
	if r.exit != 0 {
		t.Errorf("sctrace record: exit %d\n%s", r.exit, r.stderr)
	}
	b, s := strings.Split(bare, "\n"), strings.Split(traced, "\n")
	if len(b) != 6 {
		t.Fatalf("bare selfstate printed %q, want 5 lines", bare)
	}
	for i := range b {
		if i >= len(s) {
			t.Errorf("under sctrace, line %d missing; bare: %q", i+1, b[i])
		} else if b[i] != s[i] {
			t.Errorf("under sctrace: %q, bare: %q", s[i], b[i])
		}
	}
	if len(s) > len(b) {
		t.Errorf("under sctrace, more lines: %q", s[len(b):])
	}
}

// hasTicker reports whether process pid has a live ticker child.
func hasTicker(pid int) bool {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		comm, err := os.ReadFile(p + "/comm")
		if err != nil || string(comm) != "sct-ticker\n" {
			continue
		}
		status, _ := os.ReadFile(p + "/status")
		if strings.Contains(string(status), "\nPPid:\t"+strconv.Itoa(pid)+"\n") && alive(mustAtoi(filepath.Base(p))) {
			return true
		}
	}
	return false
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
