package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAttach: record -p follows every thread of a running process with pure ptrace; SIGINT
// detaches, writes the profile and leaves the process running, untraced and not stopped.
func TestAttach(t *testing.T) {
	target := startTarget(t, "periodic")
	out := filepath.Join(t.TempDir(), "attached.json")
	cmd := exec.Command(sctraceBin, "record", "-q", "-o", out, "-p", strconv.Itoa(target.Process.Pid))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	if code := waitTimeout(t, cmd, 10*time.Second); code != 0 {
		t.Fatalf("record -p: exit %d\n%s", code, &stderr)
	}
	status, _ := os.ReadFile("/proc/" + strconv.Itoa(target.Process.Pid) + "/status")
	if !strings.Contains(string(status), "TracerPid:\t0\n") || strings.Contains(string(status), "State:\tt") ||
		strings.Contains(string(status), "State:\tT") {
		t.Errorf("after the detach the target is not running freely:\n%s", status)
	}
	time.Sleep(50 * time.Millisecond)
	if !alive(target.Process.Pid) {
		t.Error("the target died")
	}
	p := loadProfile(t, out)
	// Two threads, 5 ms apart each, for half a second: both threads' calls are seen.
	if n := p.Count("x86_64", "getppid"); n < 40 {
		t.Errorf("getppid counted %d times, want both threads' calls (≥ 40)", n)
	}
	if p.Count("x86_64", "clock_nanosleep")+p.Count("x86_64", "nanosleep") == 0 {
		t.Error("no sleeps recorded")
	}
	if names := p.ExecutableNames(); len(names) != 1 || !strings.HasSuffix(names[0], "/periodic") {
		t.Errorf("executables %v", names)
	}
}

// TestAttachChurn: attaching to a process that keeps creating threads races with the kernel,
// which attaches threads created by already-seized threads itself (PTRACE_SEIZE on them then
// fails with EPERM: DESIGN trap 20). Each of many attach + Ctrl-C rounds must detach within a
// second, write a profile and leave no thread of the target traced or stopped.
func TestAttachChurn(t *testing.T) {
	rounds := 50
	if testing.Short() {
		rounds = 10
	}
	target := startTarget(t, "churnforever")
	pid := target.Process.Pid
	dir := t.TempDir()
	for i := 0; i < rounds; i++ {
		out := filepath.Join(dir, fmt.Sprintf("churn%d.json", i))
		cmd := exec.Command(sctraceBin, "record", "-o", out, "-p", strconv.Itoa(pid))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Interrupt at varying moments once sctrace handles SIGINT: during the attach, just
		// after, and well after. (Before it has a handler, SIGINT ends any program; its
		// ticker child is started after the handler is in place.)
		waitChild(t, cmd.Process.Pid)
		time.Sleep(time.Duration(i%5) * 30 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGINT)
		start := time.Now()
		code := waitTimeout(t, cmd, 20*time.Second)
		if d := time.Since(start); d > 3*time.Second { // the issue asks for 1 s; 3 s guards against a noisy machine
			t.Errorf("round %d: detach took %v", i, d)
		}
		switch {
		case code == 130 && strings.Contains(stderr.String(), "interrupted before anything was attached"):
			// Ctrl-C before the first thread was seized: nothing to write.
		case code != 0:
			t.Fatalf("round %d: exit %d (%v)\n%s", i, code, cmd.ProcessState, &stderr)
		default:
			if _, err := os.Stat(out); err != nil {
				t.Fatalf("round %d: no profile: %v\n%s", i, err, &stderr)
			}
		}
		if bad := tracedThreads(pid); len(bad) > 0 {
			t.Fatalf("round %d: threads left traced or stopped: %v\n%s", i, bad, &stderr)
		}
	}
	if !alive(pid) {
		t.Fatal("the target died")
	}
}

// tracedThreads lists the threads of pid that are still traced or in a stop, after a grace
// period for the detach to take (a thread that was running a system call reports late).
func tracedThreads(pid int) []string {
	var bad []string
	for try := 0; try < 20; try++ {
		bad = bad[:0]
		dirs, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*")
		for _, d := range dirs {
			b, err := os.ReadFile(d + "/status")
			if err != nil {
				continue
			}
			s := string(b)
			if !strings.Contains(s, "TracerPid:\t0\n") || strings.Contains(s, "State:\tt") || strings.Contains(s, "State:\tT") {
				bad = append(bad, filepath.Base(d))
			}
		}
		if len(bad) == 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return bad
}

// waitChild waits until process pid has a child process.
func waitChild(t *testing.T, pid int) {
	t.Helper()
	for try := 0; try < 2000; try++ {
		files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
		if len(files) == 0 {
			return // gone: the caller's wait reports why
		}
		for _, f := range files {
			if b, _ := os.ReadFile(f); len(strings.TrimSpace(string(b))) > 0 {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("process %d started no child", pid)
}

// startTarget starts a test program to attach to and waits for its "ready"; the test's cleanup
// kills and reaps it.
func startTarget(t *testing.T, name string) *exec.Cmd {
	t.Helper()
	target := exec.Command(prog(t, name))
	target.Env = markedEnv()
	stdout, _ := target.StdoutPipe()
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		target.Process.Kill()
		target.Wait()
	})
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("%s said %q", name, line)
	}
	return target
}
