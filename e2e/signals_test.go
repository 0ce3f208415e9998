package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sctrace/sctrace/learn"
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

// TestSignalWhileWriting: a Ctrl-C (or kill) that comes after the workload ended, while sctrace
// writes the profile, is held until the profile is written: it used to end sctrace with the
// recording lost. The profile goes to a FIFO, so that sctrace waits in its write for as long as
// the test likes; it exits with the workload's status once the profile is read. A second
// signal while one is held ends sctrace (the user insists: a FIFO nobody reads would hold it for
// good). A FIFO given to -o gets the whole profile: checking that it can be written used to open
// and close it, which its reader took for the end.
func TestSignalWhileWriting(t *testing.T) {
	for _, mode := range []string{"launch", "attach", "insist"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "profile")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			var args []string
			var target *exec.Cmd
			if mode != "attach" {
				args = []string{"record", "-o", fifo, "--", "sh", "-c", "exit 3"}
			} else {
				target = exec.Command(prog(t, "sleeper"), "600")
				target.Env = markedEnv()
				if err := target.Start(); err != nil {
					t.Fatal(err)
				}
				defer func() {
					target.Process.Kill()
					target.Wait()
				}()
				args = []string{"record", "-o", fifo, "-p", strconv.Itoa(target.Process.Pid)}
			}
			cmd := exec.Command(sctraceBin, args...)
			cmd.Env = markedEnv()
			var stderr lockedBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			if mode == "attach" {
				waitFor(t, "attached", func() bool { return strings.Contains(stderr.String(), "attached") })
				cmd.Process.Signal(syscall.SIGINT) // detach
			}
			// The workload ended (or was detached) once sctrace has no child left but the ticker.
			waitFor(t, "the workload to end", func() bool { return len(children(cmd.Process.Pid)) <= 1 })
			time.Sleep(100 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGTERM)
			time.Sleep(100 * time.Millisecond)
			alive := func() bool {
				st, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat")
				return err == nil && !bytes.Contains(st, []byte(") Z "))
			}
			if !alive() {
				t.Fatalf("sctrace ended before its profile was read\n%s", stderr.String())
			}
			if mode == "insist" {
				cmd.Process.Signal(syscall.SIGINT)
				waitFor(t, "sctrace to end", func() bool { return !alive() })
				cmd.Wait()
				if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
					t.Errorf("after a second signal: %v, want killed by SIGINT\n%s", cmd.ProcessState, stderr.String())
				}
				return
			}
			b, err := os.ReadFile(fifo)
			if err != nil {
				t.Fatal(err)
			}
			code := waitTimeout(t, cmd, 30*time.Second)
			p, err := learn.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("the profile (%d bytes): %v\n%s", len(b), err, stderr.String())
			}
			if len(p.Syscalls("x86_64")) == 0 {
				t.Fatalf("an empty profile\n%s", stderr.String())
			}
			want := 3
			if mode == "attach" {
				want = 0
			}
			if code != want || !strings.Contains(stderr.String(), "exits once what it recorded is written") {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, want, stderr.String())
			}
		})
	}
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// lockedBuffer is a bytes.Buffer that a test may read while a command writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestHelperNames: sctrace's helper processes are named so that pgrep and pkill, with or without
// -f and sctrace's command line, do not take them for sctrace (a pkill that hit sctrace and its
// ticker looked like a signal for the whole process group).
func TestHelperNames(t *testing.T) {
	sleeper := prog(t, "sleeper")
	profile := record(t, sleeper, "0").path
	for _, c := range []struct {
		args   []string
		helper string
	}{
		{[]string{"record", "-q", "-o", filepath.Join(t.TempDir(), "p.json")}, "sct-ticker"},
		{[]string{"run", "-q", "--profile", profile}, "sct-witness"},
	} {
		cmd := exec.Command(sctraceBin, append(c.args, "--", sleeper, "600")...)
		cmd.Env = markedEnv()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var helpers []int
		waitFor(t, c.helper, func() bool {
			helpers = childrenNamed(cmd.Process.Pid, c.helper)
			return len(helpers) == 1
		})
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(helpers[0]) + "/cmdline")
		if got := string(b); got != c.helper+"\x00" {
			t.Errorf("%s: the helper's command line is %q, want %q", c.args[0], got, c.helper)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		waitTimeout(t, cmd, 20*time.Second)
	}
}
