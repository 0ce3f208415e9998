package tracer

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sctrace/sctrace/tracer/internal/helper"
	"github.com/sctrace/sctrace/tracer/internal/nofile"
)

// launchEarly forks an early child (as the sctrace command does from its init) and launches argv
// with opt; it reports whether the workload's first process was that child.
func launchEarly(t *testing.T, argv []string, opt Options) (Report, bool, error) {
	return launchEarlyThen(t, nil, argv, opt)
}

// launchEarlyThen is launchEarly, with then run between the fork and the launch.
func launchEarlyThen(t *testing.T, then func(), argv []string, opt Options) (Report, bool, error) {
	t.Helper()
	// The child has the parent-death signal of the thread that forks it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	helper.Prespawn(false)
	early := helper.EarlyPid()
	if early == 0 {
		t.Fatal("no early child")
	}
	if then != nil {
		then()
	}
	root := 0
	inner := opt.OnEvent
	opt.OnEvent = func(e *Event) {
		if e.Kind == EventSpawn && e.Parent == 0 && root == 0 {
			root = e.Pid
		}
		if inner != nil {
			inner(e)
		}
	}
	rep, err := Launch(argv, opt)
	return rep, root == early, err
}

// TestEarlyChild: the early child (helper.Prespawn) becomes the workload as the exec helper
// would: its exit status, working directory, descriptors 0 to 2 mapped among the command's own
// (run -o - gives the workload stderr for stdout), signals the command was started with ignored,
// a supervised filter's listener handed over, and each failed step reported as the helper reports
// it. Other descriptors are the exec helper's job.
func TestEarlyChild(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	read := func() string {
		b, _ := os.ReadFile(out)
		os.Remove(out)
		return strings.TrimSpace(string(b))
	}

	rep, early, err := launchEarly(t, []string{"sh", "-c", "exit 3"}, Options{})
	if err != nil || !early || rep.Status.ExitCode() != 3 {
		t.Errorf("exit 3: status %v, early child %v, %v", rep.Status, early, err)
	}

	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	_, early, err = launchEarly(t, []string{"sh", "-c", "pwd > " + out}, Options{Dir: sub})
	if got := read(); err != nil || !early || got != sub {
		t.Errorf("Dir: the workload ran in %q, want %q (early child %v, %v)", got, sub, early, err)
	}

	// The command's descriptor 0 as the workload's 1: a mapping that shows (under go test, 1 and
	// 2 are often the same pipe).
	_, early, err = launchEarly(t, []string{"sh", "-c", "x=$(readlink /proc/$$/fd/1); echo $x > " + out}, Options{Stdout: os.Stdin})
	want, _ := os.Readlink("/proc/self/fd/0")
	if got := read(); err != nil || !early || got != want {
		t.Errorf("Stdout: os.Stdin: the workload's descriptor 1 is %q, want %q (early child %v, %v)", got, want, early, err)
	}
	if one, _ := os.Readlink("/proc/self/fd/1"); one == want {
		t.Log("descriptors 0 and 1 are the same file here: the mapping is not checked")
	}

	f, err := os.Create(filepath.Join(dir, "file"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, early, err = launchEarly(t, []string{"true"}, Options{Stdout: f})
	if err != nil || early {
		t.Errorf("Stdout: a file: early child %v (want the exec helper), %v", early, err)
	}

	// Ignored after the fork: only the Message makes the child ignore it.
	_, early, err = launchEarlyThen(t, func() { signal.Ignore(syscall.SIGUSR2) },
		[]string{"sh", "-c", "grep SigIgn /proc/self/status > " + out}, Options{})
	signal.Reset(syscall.SIGUSR2)
	if got := read(); err != nil || !early || !strings.HasSuffix(got, "800") {
		t.Errorf("ignored SIGUSR2: the workload has %q, want bit 11 (0x800) set (early child %v, %v)", got, early, err)
	}

	if NotifySupported() {
		script := `mkdir ` + dir + `/a; echo "mkdir=$?" > ` + out + `; ls -l /proc/self/fd/ | grep -c seccomp >> ` + out
		rep, early, err := launchEarly(t, []string{"sh", "-c", script}, Options{
			Filter: notifyFilter(t), FollowOnly: true,
			Supervise: func(e *Event) int {
				if e.Nr != unix.SYS_MKDIRAT && e.Nr != sysMkdir {
					return 0
				}
				return int(syscall.EACCES)
			},
		})
		if got := strings.Fields(read()); err != nil || !early || rep.Supervised != 1 || len(got) != 2 || got[0] != "mkdir=1" || got[1] != "0" {
			t.Errorf("supervised: printed %q, %d answered, early child %v, %v", got, rep.Supervised, early, err)
		}
	}

	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte{0x7f, 'E', 'L', 'F', 0, 0, 0}, 0o755)
	_, early, err = launchEarly(t, []string{bad}, Options{})
	var ee *ExecError
	if !early || !errors.As(err, &ee) || ee.Step != "execve" || !errors.Is(err, syscall.ENOEXEC) {
		t.Errorf("bad executable: %v (early child %v), want an execve ExecError with ENOEXEC", err, early)
	}
	_, early, err = launchEarly(t, []string{"true"}, Options{Dir: filepath.Join(dir, "missing")})
	if !early || !errors.As(err, &ee) || ee.Step != "chdir" || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("missing Dir: %v (early child %v), want a chdir ExecError with ENOENT", err, early)
	}
}

// TestEarlyChildKilled: an early child killed before the launch (by a signal meant for someone
// else, say) is not an error: the exec helper starts the workload instead.
func TestEarlyChildKilled(t *testing.T) {
	rep, early, err := launchEarlyThen(t, func() {
		pid := helper.EarlyPid()
		syscall.Kill(pid, syscall.SIGKILL)
		for i := 0; i < 100; i++ { // until it is a zombie
			if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(b), ") Z ") {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}, []string{"sh", "-c", "exit 4"}, Options{})
	if err != nil || early || rep.Status.ExitCode() != 4 {
		t.Errorf("status %v, early child %v (want the exec helper), %v", rep.Status, early, err)
	}
}

// TestForkNow: where the early child cannot serve, Launch forks a child then: when the process
// changed since start-up (here a resource limit, as a supervisor's prlimit would), the workload
// gets the changed state; and with descriptors that were not the command's.
func TestForkNow(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	var old syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_CORE, &old)
	lowered := old
	lowered.Cur = 4096
	if lowered.Max < lowered.Cur {
		t.Skip("core limit too low to lower")
	}
	rep, early, err := launchEarlyThen(t, func() { syscall.Setrlimit(syscall.RLIMIT_CORE, &lowered) },
		[]string{"sh", "-c", "ulimit -c > " + out}, Options{})
	syscall.Setrlimit(syscall.RLIMIT_CORE, &old)
	b, _ := os.ReadFile(out)
	if err != nil || early || rep.Status.ExitCode() != 0 || strings.TrimSpace(string(b)) != "8" { // 4096 bytes: 8 blocks of 512
		t.Errorf("changed limit: the workload's ulimit -c %q (want 8), early child %v (want a new child), %v", b, early, err)
	}
}

// TestExecHelperBigMessage: the exec helper (what MIPS gets) reads a message larger than a pipe
// holds while the tracer runs (it wrote it before, and both waited for good).
func TestExecHelperBigMessage(t *testing.T) {
	forceExecHelper = true
	defer func() { forceExecHelper = false }()
	env := os.Environ()
	for i := 0; i < 8; i++ { // 800 KB in all: each under execve's 128 KiB per string
		env = append(env, "BIG"+strconv.Itoa(i)+"="+strings.Repeat("b", 100000))
	}
	done := make(chan error, 1)
	go func() {
		rep, err := Launch([]string{"sh", "-c", "exit 5"}, Options{Env: env})
		if err == nil && rep.Status.ExitCode() != 5 {
			err = errors.New("status " + rep.Status.String())
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("hung: the helper never got its message")
	}
}

// TestEarlyTickerKilled: a ticker started early and killed before the launch is replaced.
func TestEarlyTickerKilled(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	helper.Prespawn(true)
	pid := helper.TickerPid()
	if pid == 0 {
		t.Fatal("no early ticker")
	}
	syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 100; i++ {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(b), ") Z ") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	rep, err := Launch([]string{"sh", "-c", "exit 6"}, Options{})
	if err != nil || rep.Status.ExitCode() != 6 {
		t.Errorf("status %v, %v", rep.Status, err)
	}
}

// TestTickerInterrupted: a ticker forked at the launch and killed by a signal for sctrace's
// process group before its setsid (a Ctrl-C, 1 launch in 300-400) is replaced; it used to fail
// the launch with a ptrace error.
func TestTickerInterrupted(t *testing.T) {
	DiscardEarly()
	real := forkTicker
	defer func() { forkTicker = real }()
	calls := 0
	forkTicker = func() (int, error) {
		calls++
		if calls > 1 {
			return real()
		}
		// A child that died of SIGINT before the seize.
		pid, err := syscall.ForkExec("/bin/sleep", []string{"sleep", "60"}, &syscall.ProcAttr{})
		if err == nil {
			syscall.Kill(pid, syscall.SIGINT)
			waitZombie(pid)
		}
		return pid, err
	}
	rep, err := Launch([]string{"sh", "-c", "exit 6"}, Options{})
	if err != nil || rep.Status.ExitCode() != 6 || calls != 2 {
		t.Errorf("status %v, %v (%d tickers forked)", rep.Status, err, calls)
	}
}

// waitZombie waits (up to a second) until pid has ended and not been reaped.
func waitZombie(pid int) {
	for i := 0; i < 100; i++ {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(b), ") Z ") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestInterruptedStart: a signal that ends the workload's first process before its execve (a
// Ctrl-C to the process group during start-up) is an interruption, not an exec failure.
func TestInterruptedStart(t *testing.T) {
	_, err := Launch([]string{"true"}, Options{OnEvent: func(e *Event) {
		if e.Kind == EventSpawn && e.Parent == 0 {
			syscall.Kill(e.Pid, syscall.SIGTERM) // seized, not yet let go
		}
	}})
	var ie *InterruptedError
	if !errors.As(err, &ie) || ie.Signal != syscall.SIGTERM {
		t.Errorf("got %v, want an InterruptedError for SIGTERM", err)
	}
}

// TestWorkloadNofile: the workload gets the soft limit on open files the command was started
// with, not the one Go raised it to, from the early child, a child forked at the launch and the
// exec helper alike.
func TestWorkloadNofile(t *testing.T) {
	if !nofile.Known {
		t.Skip("the original limit is not read on this arch")
	}
	var now syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now)
	if nofile.Orig[0] >= now.Cur {
		// Started with the soft limit at the hard one: nothing was raised. Run again, started
		// with a lower soft limit (a shell's ulimit), which Go raises.
		if os.Getenv("SCTRACE_TEST_NOFILE") != "" || now.Max < 2048 {
			t.Skipf("Go did not raise the limit here (started with %d, now %d)", nofile.Orig[0], now.Cur)
		}
		cmd := exec.Command("sh", "-c", `ulimit -Sn 1024 && exec "$0" -test.run='^TestWorkloadNofile$' -test.v`, os.Args[0])
		cmd.Env = append(os.Environ(), "SCTRACE_TEST_NOFILE=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestWorkloadNofile") {
			t.Errorf("with a soft limit of 1024: %v\n%s", err, out)
		}
		return
	}
	want := strconv.FormatUint(nofile.Orig[0], 10)
	out := filepath.Join(t.TempDir(), "out")
	check := func(how string, early, wantEarly bool, err error) {
		b, _ := os.ReadFile(out)
		if err != nil || strings.TrimSpace(string(b)) != want || early != wantEarly {
			t.Errorf("%s: the workload's soft limit %q, want %s (early child %v, %v)", how, b, want, early, err)
		}
	}
	argv := []string{"sh", "-c", "ulimit -Sn > " + out}
	_, early, err := launchEarly(t, argv, Options{})
	check("early child", early, true, err)
	_, err = Launch(argv, Options{})
	check("forked at the launch", false, false, err)
	forceExecHelper = true
	_, err = Launch(argv, Options{})
	forceExecHelper = false
	check("exec helper", false, false, err)
}

// TestEarlyChildInterrupted: an early child killed by a signal a terminal sends the whole
// process group (SIGINT) means sctrace was interrupted too: the command does not start (a new
// child would run it after the Ctrl-C).
func TestEarlyChildInterrupted(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	_, _, err := launchEarlyThen(t, func() {
		pid := helper.EarlyPid()
		syscall.Kill(pid, syscall.SIGINT)
		for i := 0; i < 100; i++ {
			if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(b), ") Z ") {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}, []string{"touch", marker}, Options{})
	var ie *InterruptedError
	if !errors.As(err, &ie) || ie.Signal != syscall.SIGINT {
		t.Errorf("got %v, want an InterruptedError for SIGINT", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran")
	}
}

// TestForkNowScheduling: renice, ionice, chrt and a write to /proc/PID/timerslack_ns change the
// main thread only; a child forked at the launch from another thread still gets the main
// thread's nice value, I/O priority, scheduling policy and timer slack.
func TestForkNowScheduling(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to set the nice value back")
	}
	out := filepath.Join(t.TempDir(), "out")
	pid := os.Getpid()
	var early, onMain bool
	var err error
	// Launch forks from the thread it runs on, which must not be the main thread: hold the main
	// thread with one goroutine while another launches.
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		launch := func() {
			defer close(done)
			_, early, err = launchEarlyThen(t, func() {
				onMain = syscall.Gettid() == pid
				syscall.Setpriority(syscall.PRIO_PROCESS, pid, 7)
				syscall.RawSyscall(syscall.SYS_IOPRIO_SET, 1, uintptr(pid), 3<<13) // idle
				var param int32
				syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(pid), 3 /* SCHED_BATCH */, uintptr(unsafe.Pointer(&param)))
				os.WriteFile("/proc/"+strconv.Itoa(pid)+"/timerslack_ns", []byte("123456"), 0)
			}, []string{"sh", "-c", "echo $(cut -d' ' -f19,41 /proc/self/stat) $(cat /proc/self/timerslack_ns) $(ionice -p $$) > " + out}, Options{})
		}
		if syscall.Gettid() != pid {
			launch()
			return
		}
		inner := make(chan struct{})
		go func() { launch(); close(inner) }()
		<-inner
	}()
	<-done
	syscall.Setpriority(syscall.PRIO_PROCESS, pid, 0)
	syscall.RawSyscall(syscall.SYS_IOPRIO_SET, 1, uintptr(pid), 0)
	var param int32
	syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(pid), 0 /* SCHED_OTHER */, uintptr(unsafe.Pointer(&param)))
	os.WriteFile("/proc/"+strconv.Itoa(pid)+"/timerslack_ns", []byte("0"), 0)
	if onMain {
		t.Fatal("launched on the main thread")
	}
	b, _ := os.ReadFile(out)
	// nice 7, policy 3 (SCHED_BATCH), slack 123456 ns, I/O class idle
	if want := "7 3 123456 idle"; err != nil || early || strings.TrimSpace(string(b)) != want {
		t.Errorf("the workload's nice, policy, timer slack and I/O class %q, want %q (early child %v, want a new child; %v)", b, want, early, err)
	}
}
