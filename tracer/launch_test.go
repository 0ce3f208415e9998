package tracer

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// These tests launch workloads from the test process itself: the filter is installed only in the
// helper child (never in this process), and the tests run one at a time because Launch reaps
// every child of the process.

func TestLaunchEvents(t *testing.T) {
	var kinds []EventKind
	var execPath string
	var calls int
	rep, err := Launch([]string{"true"}, Options{OnEvent: func(e *Event) {
		if len(kinds) == 0 || kinds[len(kinds)-1] != e.Kind {
			kinds = append(kinds, e.Kind)
		}
		switch e.Kind {
		case EventExec:
			execPath = e.Path
		case EventSyscall:
			calls++
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status.ExitCode() != 0 {
		t.Errorf("status %v", rep.Status)
	}
	want := []EventKind{EventSpawn, EventSyscall, EventExec, EventSyscall, EventExit}
	if len(kinds) != len(want) {
		t.Fatalf("event kinds %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("event kinds %v, want %v", kinds, want)
		}
	}
	if filepath.Base(execPath) != "true" {
		t.Errorf("exec path %q", execPath)
	}
	if calls < 10 {
		t.Errorf("only %d calls", calls)
	}
}

func TestLaunchErrors(t *testing.T) {
	if _, err := Launch([]string{"no-such-command-sctrace"}, Options{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing command: %v, want ErrNotFound", err)
	}
	// A file with the execute bit but no valid format: the helper's execve fails with ENOEXEC.
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(bad, []byte{0x7f, 'E', 'L', 'F', 0, 0, 0}, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Launch([]string{bad}, Options{})
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Step != "execve" || !errors.Is(err, syscall.ENOEXEC) {
		t.Errorf("bad executable: %v, want an execve ExecError with ENOEXEC", err)
	}
}

// TestStopTheWorldWhileIdle: the tracer blocks in a raw wait4 that the Go runtime cannot preempt.
// While the workload sleeps, a stop-the-world (here runtime.GC) must still complete; the ticker
// process is what makes it so. Without it this GC waits for the workload to exit.
func TestStopTheWorldWhileIdle(t *testing.T) {
	started := make(chan int, 1)
	done := make(chan Status, 1)
	go func() {
		rep, err := Launch([]string{"sleep", "20"}, Options{OnEvent: func(e *Event) {
			if e.Kind == EventExec {
				started <- e.Pid
			}
		}})
		if err != nil {
			t.Error(err)
		}
		done <- rep.Status
	}()
	var pid int
	select {
	case pid = <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("workload did not start")
	}
	time.Sleep(200 * time.Millisecond) // let the tracer block in wait4
	gc := make(chan struct{})
	go func() {
		runtime.GC()
		close(gc)
	}()
	select {
	case <-gc:
	case <-time.After(5 * time.Second):
		t.Error("runtime.GC did not complete while the tracer waited for an idle workload")
	}
	syscall.Kill(pid, syscall.SIGKILL)
	st := <-done
	if st.Signal != int(syscall.SIGKILL) || st.ExitCode() != 137 {
		t.Errorf("status %v, want killed by SIGKILL", st)
	}
}

// TestNoSyscallInfo: on a kernel without PTRACE_GET_SYSCALL_INFO (Linux < 5.3, EIO) Launch
// fails before the workload starts, with ErrNoSyscallInfo, never with an empty recording.
func TestNoSyscallInfo(t *testing.T) {
	defer func(f func(int, *syscallInfo) syscall.Errno) { getSyscallInfo = f }(getSyscallInfo)
	getSyscallInfo = func(int, *syscallInfo) syscall.Errno { return syscall.EIO }
	started := false
	_, err := Launch([]string{"true"}, Options{OnEvent: func(e *Event) {
		if e.Kind == EventExec {
			started = true
		}
	}})
	if !errors.Is(err, ErrNoSyscallInfo) {
		t.Errorf("error %v, want ErrNoSyscallInfo", err)
	}
	if started {
		t.Error("the workload was started")
	}
}

// TestUnreadStops: a stop whose call cannot be read is counted and reported, never dropped
// in silence.
func TestUnreadStops(t *testing.T) {
	defer func(f func(int, *syscallInfo) syscall.Errno) { getSyscallInfo = f }(getSyscallInfo)
	n := 0
	getSyscallInfo = func(tid int, info *syscallInfo) syscall.Errno {
		n++
		if n > 1 && n%5 == 0 { // the first call is the probe
			return syscall.EIO
		}
		return rawGetSyscallInfo(tid, info)
	}
	calls := 0
	rep, err := Launch([]string{"true"}, Options{OnEvent: func(e *Event) {
		if e.Kind == EventSyscall {
			calls++
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unread == 0 || len(rep.Errors) == 0 {
		t.Errorf("report %+v: no unread stop counted", rep)
	}
	if calls+rep.Unread != n-1 {
		t.Errorf("%d calls read + %d unread, want %d stops", calls, rep.Unread, n-1)
	}
}
