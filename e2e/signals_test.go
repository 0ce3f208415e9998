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

// startSleeper starts `sctrace record -- sleeper 600` (or, with viaShell, a shell that forks the
// sleeper) and waits until the sleeper runs.
func startSleeper(t *testing.T, viaShell bool) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "p.json")
	argv := []string{prog(t, "sleeper"), "600"}
	if viaShell {
		argv = []string{"sh", "-c", argv[0] + " 600; true"}
	}
	cmd := exec.Command(sctraceBin, append([]string{"record", "-o", out, "--"}, argv...)...)
	cmd.Env = markedEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 2 * time.Second // a surviving workload would hold stderr open
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if line != "ready\n" {
			t.Fatalf("sleeper said %q", line)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("sleeper did not start")
	}
	return cmd, out, &stderr
}

// waitTimeout waits for cmd, killing it after d.
func waitTimeout(t *testing.T, cmd *exec.Cmd, d time.Duration) int {
	t.Helper()
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Fatalf("sctrace did not exit within %v", d)
		return -1
	}
}

// TestForwardSignals: SIGINT and SIGTERM sent to sctrace reach a workload that is asleep (the
// tracer is blocked in wait4 with nothing to report), and sctrace exits with the workload's
// status and still writes the profile.
func TestForwardSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, out, stderr := startSleeper(t, false)
			time.Sleep(300 * time.Millisecond) // well into the sleep
			cmd.Process.Signal(sig)
			if code := waitTimeout(t, cmd, 10*time.Second); code != 128+int(sig) {
				t.Errorf("exit status %d, want %d\n%s", code, 128+int(sig), stderr)
			}
			if _, err := os.Stat(out); err != nil {
				t.Errorf("no profile after the workload was interrupted: %v", err)
			}
		})
	}
}

// TestTracerDeathKillsWorkload: if sctrace is killed, the kernel kills the workload too
// (PTRACE_O_EXITKILL), instead of leaving it running untraced or stuck in a ptrace stop. The
// sleeper is a grandchild here, forked by a shell, so only EXITKILL can reach it (a parent-death
// signal is not inherited across fork).
func TestTracerDeathKillsWorkload(t *testing.T) {
	cmd, _, _ := startSleeper(t, true)
	var kids []int
	for next := []int{cmd.Process.Pid}; len(next) > 0; {
		pid := next[0]
		next = append(next[1:], children(pid)...)
		if pid != cmd.Process.Pid {
			kids = append(kids, pid)
		}
	}
	if len(kids) < 3 {
		t.Fatalf("want sh, the sleeper and the ticker below sctrace, got %v", kids)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range kids {
		for alive(pid) {
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("workload %d still alive after sctrace was killed", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// children lists the child processes of pid.
func children(pid int) []int {
	var kids []int
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(s); err == nil {
				kids = append(kids, n)
			}
		}
	}
	return kids
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
