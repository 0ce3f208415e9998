package e2e

import (
	"bufio"
	"bytes"
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
	target := exec.Command(prog(t, "periodic"))
	target.Env = markedEnv()
	stdout, _ := target.StdoutPipe()
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		target.Process.Kill()
		target.Wait()
	}()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("target said %q", line)
	}
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
