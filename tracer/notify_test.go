package tracer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// notifyFilter sends the native mkdirat and mkdir to the supervisor and allows everything else.
func notifyFilter(t *testing.T) []bpf.RawInstruction {
	t.Helper()
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.SYS_MKDIRAT, SkipTrue: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: sysMkdir, SkipFalse: 1},
		bpf.RetConstant{Val: unix.SECCOMP_RET_USER_NOTIF},
		bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW},
	})
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// TestSupervise: a denied call waits for the supervisor, fails with the errno it answers, and the
// workload never holds the listener.
func TestSupervise(t *testing.T) {
	if !NotifySupported() {
		t.Skip("no seccomp user notification here")
	}
	dir := t.TempDir()
	var mu sync.Mutex
	var seen []Event
	out := filepath.Join(dir, "out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	script := `mkdir ` + dir + `/a; echo "mkdir=$?"; ls -l /proc/self/fd/ | grep -c seccomp; exit 0`
	rep, err := Launch([]string{"sh", "-c", script}, Options{
		Filter: notifyFilter(t), FollowOnly: true, Stdout: f,
		Supervise: func(e *Event) int {
			if e.Nr != unix.SYS_MKDIRAT && e.Nr != sysMkdir {
				return 0 // the helper's execve, judged at the handover
			}
			mu.Lock()
			seen = append(seen, *e)
			mu.Unlock()
			return int(syscall.EACCES)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status.ExitCode() != 0 {
		t.Errorf("status %v", rep.Status)
	}
	b, _ := os.ReadFile(out)
	lines := strings.Fields(string(b))
	if len(lines) != 2 || lines[0] != "mkdir=1" || lines[1] != "0" {
		t.Errorf("workload printed %q, want mkdir=1 (failed) and 0 listeners in its descriptors", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Error("the directory was created")
	}
	if len(seen) != 1 || (seen[0].Nr != unix.SYS_MKDIRAT && seen[0].Nr != sysMkdir) || seen[0].Pid == 0 {
		t.Errorf("supervised %+v, want one mkdir", seen)
	}
	if rep.Supervised != 1 {
		t.Errorf("Report.Supervised %d, want 1", rep.Supervised)
	}
}

// TestSupervisorLost: if the supervisor cannot answer, the workload is killed at once (its
// waiting call, and every later one, could not be judged) and Launch says so.
func TestSupervisorLost(t *testing.T) {
	if !NotifySupported() {
		t.Skip("no seccomp user notification here")
	}
	real := notifIoctl
	defer func() { notifIoctl = real }()
	notifIoctl = func(fd int, req uint, arg unsafe.Pointer) syscall.Errno {
		if req == unix.SECCOMP_IOCTL_NOTIF_SEND {
			return syscall.EIO
		}
		return real(fd, req, arg)
	}
	dir := t.TempDir()
	start := time.Now()
	_, err := Launch([]string{"sh", "-c", "mkdir " + dir + "/a; sleep 30"}, Options{
		Filter: notifyFilter(t), FollowOnly: true,
		Supervise: func(e *Event) int { return 0 },
	})
	if err == nil || !strings.Contains(err.Error(), "supervisor") || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Launch: %v, want the supervisor's failure and the workload killed", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v: the workload was not killed", d)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Error("the unanswered call ran")
	}
}

// TestKilledDuringHandover: a workload's first process killed from outside while its listener
// is being taken (stopped at the handover execve) is a start-up cut short, an InterruptedError
// (exit 137 in the command), like a kill a moment earlier or later; it used to be an internal
// error ("pidfd_getfd: no such process") with status 2.
func TestKilledDuringHandover(t *testing.T) {
	if !NotifySupported() {
		t.Skip("no seccomp user notification here")
	}
	beforeHandover = func(tid int) {
		syscall.Kill(tid, syscall.SIGKILL)
		waitZombie(tid)
	}
	defer func() { beforeHandover = nil }()
	_, err := Launch([]string{"true"}, Options{Filter: notifyFilter(t), FollowOnly: true,
		Supervise: func(*Event) int { return 0 }})
	var ie *InterruptedError
	if !errors.As(err, &ie) || ie.Signal != syscall.SIGKILL {
		t.Errorf("got %v, want an InterruptedError for SIGKILL", err)
	}
}
