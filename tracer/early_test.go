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

// launchForked launches argv with opt and reports whether the workload's first process was
// forked from this process (helper.ForkNow) rather than the exec helper: when it is seized it
// still has this process's name, where the exec helper has the name of its executable.
func launchForked(t *testing.T, argv []string, opt Options) (Report, bool, error) {
	t.Helper()
	self, _ := os.ReadFile("/proc/self/comm")
	forked := false
	inner := opt.OnEvent
	opt.OnEvent = func(e *Event) {
		if e.Kind == EventSpawn && e.Parent == 0 {
			comm, _ := os.ReadFile("/proc/" + strconv.Itoa(e.Pid) + "/comm")
			forked = len(self) > 0 && string(comm) == string(self)
		}
		if inner != nil {
			inner(e)
		}
	}
	rep, err := Launch(argv, opt)
	return rep, forked, err
}

// TestForkedChild: the child Launch forks (helper.ForkNow) becomes the workload as the exec
// helper would: its exit status, working directory, descriptors 0 to 2 mapped among the
// command's own (run -o - gives the workload stderr for stdout) or other files, signals the
// command ignores, a supervised filter's listener handed over, and each failed step reported as
// the helper reports it.
func TestForkedChild(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	read := func() string {
		b, _ := os.ReadFile(out)
		os.Remove(out)
		return strings.TrimSpace(string(b))
	}

	rep, forked, err := launchForked(t, []string{"sh", "-c", "exit 3"}, Options{})
	if err != nil || !forked || rep.Status.ExitCode() != 3 {
		t.Errorf("exit 3: status %v, forked %v, %v", rep.Status, forked, err)
	}

	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	_, forked, err = launchForked(t, []string{"sh", "-c", "pwd > " + out}, Options{Dir: sub})
	if got := read(); err != nil || !forked || got != sub {
		t.Errorf("Dir: the workload ran in %q, want %q (forked %v, %v)", got, sub, forked, err)
	}

	// The command's descriptor 0 as the workload's 1: a mapping that shows (under go test, 1 and
	// 2 are often the same pipe).
	_, forked, err = launchForked(t, []string{"sh", "-c", "x=$(readlink /proc/$$/fd/1); echo $x > " + out}, Options{Stdout: os.Stdin})
	want, _ := os.Readlink("/proc/self/fd/0")
	if got := read(); err != nil || !forked || got != want {
		t.Errorf("Stdout: os.Stdin: the workload's descriptor 1 is %q, want %q (forked %v, %v)", got, want, forked, err)
	}
	if one, _ := os.Readlink("/proc/self/fd/1"); one == want {
		t.Log("descriptors 0 and 1 are the same file here: the mapping is not checked")
	}

	f, err := os.Create(filepath.Join(dir, "file"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, forked, err = launchForked(t, []string{"sh", "-c", "echo file"}, Options{Stdout: f})
	if b, _ := os.ReadFile(f.Name()); err != nil || !forked || string(b) != "file\n" {
		t.Errorf("Stdout: a file: it holds %q, want \"file\\n\" (forked %v, %v)", b, forked, err)
	}

	// Ignored by the command: the Message makes the child ignore it.
	signal.Ignore(syscall.SIGUSR2)
	_, forked, err = launchForked(t,
		[]string{"sh", "-c", "grep SigIgn /proc/self/status > " + out}, Options{})
	signal.Reset(syscall.SIGUSR2)
	if got := read(); err != nil || !forked || !strings.HasSuffix(got, "800") {
		t.Errorf("ignored SIGUSR2: the workload has %q, want bit 11 (0x800) set (forked %v, %v)", got, forked, err)
	}

	if NotifySupported() {
		script := `mkdir ` + dir + `/a; echo "mkdir=$?" > ` + out + `; ls -l /proc/self/fd/ | grep -c seccomp >> ` + out
		rep, forked, err := launchForked(t, []string{"sh", "-c", script}, Options{
			Filter: notifyFilter(t), FollowOnly: true,
			Supervise: func(e *Event) int {
				if e.Nr != unix.SYS_MKDIRAT && e.Nr != sysMkdir {
					return 0
				}
				return int(syscall.EACCES)
			},
		})
		if got := strings.Fields(read()); err != nil || !forked || rep.Supervised != 1 || len(got) != 2 || got[0] != "mkdir=1" || got[1] != "0" {
			t.Errorf("supervised: printed %q, %d answered, forked %v, %v", got, rep.Supervised, forked, err)
		}
	}

	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte{0x7f, 'E', 'L', 'F', 0, 0, 0}, 0o755)
	_, forked, err = launchForked(t, []string{bad}, Options{})
	var ee *ExecError
	if !forked || !errors.As(err, &ee) || ee.Step != "execve" || !errors.Is(err, syscall.ENOEXEC) {
		t.Errorf("bad executable: %v (forked %v), want an execve ExecError with ENOEXEC", err, forked)
	}
	_, forked, err = launchForked(t, []string{"true"}, Options{Dir: filepath.Join(dir, "missing")})
	if !forked || !errors.As(err, &ee) || ee.Step != "chdir" || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("missing Dir: %v (forked %v), want a chdir ExecError with ENOENT", err, forked)
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

// TestEarlyTickerKilled: a ticker started forked and killed before the launch is replaced.
func TestEarlyTickerKilled(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	helper.Prespawn()
	pid := helper.TickerPid()
	if pid == 0 {
		t.Fatal("no forked ticker")
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
// with, not the one Go raised it to, from a child forked at the launch and the exec helper alike.
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
	check := func(how string, forked, wantEarly bool, err error) {
		b, _ := os.ReadFile(out)
		if err != nil || strings.TrimSpace(string(b)) != want || forked != wantEarly {
			t.Errorf("%s: the workload's soft limit %q, want %s (forked %v, %v)", how, b, want, forked, err)
		}
	}
	argv := []string{"sh", "-c", "ulimit -Sn > " + out}
	_, forked, err := launchForked(t, argv, Options{})
	check("forked at the launch", forked, true, err)
	forceExecHelper = true
	_, err = Launch(argv, Options{})
	forceExecHelper = false
	check("exec helper", false, false, err)
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
	var forked, onMain bool
	var err error
	// Launch forks from the thread it runs on, which must not be the main thread: hold the main
	// thread with one goroutine while another launches.
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		launch := func() {
			defer close(done)
			onMain = syscall.Gettid() == pid
			syscall.Setpriority(syscall.PRIO_PROCESS, pid, 7)
			syscall.RawSyscall(syscall.SYS_IOPRIO_SET, 1, uintptr(pid), 3<<13) // idle
			var param int32
			syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(pid), 3 /* SCHED_BATCH */, uintptr(unsafe.Pointer(&param)))
			os.WriteFile("/proc/"+strconv.Itoa(pid)+"/timerslack_ns", []byte("123456"), 0)
			_, forked, err = launchForked(t, []string{"sh", "-c", "echo $(cut -d' ' -f19,41 /proc/self/stat) $(cat /proc/self/timerslack_ns) $(ionice -p $$) > " + out}, Options{})
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
	if want := "7 3 123456 idle"; err != nil || !forked || strings.TrimSpace(string(b)) != want {
		t.Errorf("the workload's nice, policy, timer slack and I/O class %q, want %q (forked %v; %v)", b, want, forked, err)
	}
}
