package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMissingInterpreter: a script whose #! interpreter does not exist fails like in a shell:
// exit 127 (execve's ENOENT), not sctrace's own status 2.
func TestMissingInterpreter(t *testing.T) {
	script := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(script, []byte("#!/nonexistent/interpreter\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"record", "-q", "-o", os.DevNull, "--", script}} {
		cmd := exec.Command(sctraceBin, args...)
		cmd.Env = markedEnv()
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 127 {
			t.Errorf("sctrace %v: exit %d, want 127 as a shell gives\n%s", args, code, out)
		}
	}
}

// TestCannotExecute: a command that exists but cannot be executed exits 126, as in a shell,
// whatever the reason: a looping symlink, a path through a file, a file open for writing
// (ETXTBSY, which execve itself returns). They exited 2, sctrace's own status.
func TestCannotExecute(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop")
	os.Symlink(loop+"2", loop)
	os.Symlink(loop, loop+"2")
	busy := filepath.Join(dir, "busy")
	data, err := os.ReadFile(prog(t, "selfstate"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(busy, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close() // open for writing while sctrace runs it
	w.Write(data)
	prof := filepath.Join(dir, "p.json")
	if out, err := exec.Command(sctraceBin, "record", "-q", "-o", prof, "--", "true").CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	for _, cmdline := range []string{loop, filepath.Join(busy, "x"), busy} {
		for _, mode := range [][]string{{"record", "-q", "-o", os.DevNull}, {"run", "-q", "--profile", prof}} {
			cmd := exec.Command(sctraceBin, append(append(mode, "--"), cmdline)...)
			cmd.Env = markedEnv()
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 126 {
				t.Errorf("sctrace %s -- %s: exit %d, want 126 as a shell gives\n%s", mode[0], cmdline, code, out)
			}
		}
	}
}

// TestKillSctrace: one rule in record and run (README, "When sctrace dies"): if sctrace is
// killed, every process of the workload dies with it, children included.
func TestKillSctrace(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "sh.json")
	workload := []string{"sh", "-c", "sleep 60 & sleep 60 & echo ready; wait"}
	rec := exec.Command(sctraceBin, "record", "-q", "-o", base, "--", "sh", "-c", "sleep 0 & sleep 0 & echo ready; wait")
	rec.Env = markedEnv()
	if out, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name     string
		mode     []string
		workload []string
	}{
		{"record", []string{"record", "-q", "-o", filepath.Join(dir, "k.json"), "--"}, workload},
		{"run", []string{"run", "-q", "--profile", base, "--"}, workload},
		{"run-report", []string{"run", "-q", "--profile", base, "--on-deny", "report", "--"}, workload},
		// A clone(CLONE_UNTRACED) child escapes a tracer unless it clears the flag.
		{"record-untraced", []string{"record", "-q", "-o", filepath.Join(dir, "u.json"), "--"}, []string{prog(t, "untracedsleep")}},
		{"run-untraced", []string{"run", "-q", "--profile", untracedProfile(t, dir), "--"}, []string{prog(t, "untracedsleep")}},
	} {
		mode, workload := tc.mode, tc.workload
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(sctraceBin, append(mode, workload...)...)
			cmd.Env = markedEnv()
			stdout, _ := cmd.StdoutPipe()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("workload said %q\n%s", line, &stderr)
			}
			kids := descendants(cmd.Process.Pid)
			if len(kids) < 2 {
				t.Errorf("only %d workload processes found: %v", len(kids), kids)
			}
			cmd.Process.Kill()
			cmd.Process.Wait() // not cmd.Wait: a surviving child would hold the stdout pipe
			deadline := time.Now().Add(10 * time.Second)
			for _, pid := range kids {
				for alive(pid) && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if alive(pid) {
					t.Errorf("workload process %d outlived sctrace", pid)
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			cmd.Wait()
		})
	}
}

// untracedProfile records the profile untracedsleep runs under (its child cut short).
func untracedProfile(t *testing.T, dir string) string {
	out := filepath.Join(dir, "untraced.json")
	cmd := exec.Command(sctraceBin, "record", "-q", "-o", out, "--", prog(t, "untracedsleep"))
	cmd.Env = markedEnv()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(stdout).ReadString('\n')
	// End the child early: its sleep is cut short by SIGTERM... which kills it; record what
	// the parent does then too.
	for _, pid := range descendants(cmd.Process.Pid) {
		if cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); strings.Contains(string(cmdline), "untracedsleep") {
			syscall.Kill(pid, syscall.SIGTERM)
		}
	}
	cmd.Wait()
	return out
}

// descendants lists the live descendants of pid.
func descendants(pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		files, _ := filepath.Glob("/proc/" + strconv.Itoa(p) + "/task/*/children")
		for _, f := range files {
			b, _ := os.ReadFile(f)
			for _, s := range strings.Fields(string(b)) {
				c, _ := strconv.Atoi(s)
				if c == 0 {
					continue
				}
				if cmdline, _ := os.ReadFile("/proc/" + s + "/cmdline"); string(cmdline) != "sct-ticker\x00" {
					out = append(out, c)
				}
				queue = append(queue, c)
			}
		}
	}
	return out
}

// TestAttachThread: record -p with a thread id records the thread's whole process; a target
// that ends while traced gets its real exit status in the profile, and one still running at
// detach is marked as such.
func TestAttachThread(t *testing.T) {
	target := startTarget(t, "periodic")
	pid := target.Process.Pid
	var thread int
	dirs, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*")
	for _, d := range dirs {
		if tid, _ := strconv.Atoi(filepath.Base(d)); tid != pid {
			thread = tid
		}
	}
	if thread == 0 {
		t.Fatal("periodic has no second thread")
	}
	out := filepath.Join(t.TempDir(), "thread.json")
	cmd := exec.Command(sctraceBin, "record", "-o", out, "-p", strconv.Itoa(thread))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitChild(t, cmd.Process.Pid)
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	if code := waitTimeout(t, cmd, 10*time.Second); code != 0 {
		t.Fatalf("record -p %d: exit %d\n%s", thread, code, &stderr)
	}
	if !strings.Contains(stderr.String(), "thread of process "+strconv.Itoa(pid)) {
		t.Errorf("no word that %d is a thread of %d:\n%s", thread, pid, &stderr)
	}
	p := loadProfile(t, out)
	if got := p.Recordings[0].Tree; len(got) == 0 || got[0].Pid != pid {
		t.Errorf("tree %+v, want process %d first", got, pid)
	}
	if !p.Recordings[0].Running {
		t.Error("the target was running at detach, the profile does not say so")
	}

	// Now a target that exits while traced: its status is recorded, it is not "running".
	short := exec.Command("sh", "-c", "read x; exit 5")
	short.Env = markedEnv()
	in, _ := short.StdinPipe()
	if err := short.Start(); err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(t.TempDir(), "short.json")
	cmd = exec.Command(sctraceBin, "record", "-q", "-o", out2, "-p", strconv.Itoa(short.Process.Pid))
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitChild(t, cmd.Process.Pid)
	time.Sleep(300 * time.Millisecond)
	in.Write([]byte("x\n"))
	if code := waitTimeout(t, cmd, 10*time.Second); code != 5 {
		t.Fatalf("record -p of a process that exited 5: exit %d, want 5\n%s", code, &stderr)
	}
	short.Wait()
	p = loadProfile(t, out2)
	if r := p.Recordings[0]; r.Running || r.ExitCode != 5 {
		t.Errorf("recording of a target that exited 5: running %v, exit_code %d", r.Running, r.ExitCode)
	}
}

// TestHelperStartsEarly: the re-executed helper runs before the heavy packages of the binary are
// initialized (go-seccomp-bpf's tables, tablewriter's width tables, emit's maps): the start-up of
// every run and record pays them once, not twice. GODEBUG=inittrace=1 lists what was initialized.
func TestHelperStartsEarly(t *testing.T) {
	cmd := exec.Command(sctraceBin, "helper", "/bin/true", "true")
	cmd.Env = append(markedEnv(), "_SCTRACE_HELPER=exec", "GODEBUG=inittrace=1")
	out, _ := cmd.CombinedOutput() // without the tracer's pipes the helper fails at once
	if code := cmd.ProcessState.ExitCode(); code != 126 && code != 127 {
		t.Fatalf("helper without its pipes: exit %d, want 126 or 127\n%s", code, out)
	}
	var inited []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "init" {
			inited = append(inited, f[1])
		}
	}
	for _, p := range inited {
		for _, heavy := range []string{"go-seccomp-bpf", "tablewriter", "sctrace/emit", "sctrace/learn", "yaml", "moby"} {
			if strings.Contains(p, heavy) {
				t.Errorf("%s was initialized before the helper ran", p)
			}
		}
	}
	if len(inited) > 20 {
		t.Errorf("%d packages initialized before the helper ran: %v", len(inited), inited)
	}
}

// TestPrespawnFirst: `record` starts its ticker from an init function that runs before the heavy
// packages initialize (cmd/sctrace/internal/early), so that the ticker starts while the command
// initializes; and the workloads of `record` and `run` get what they would get without sctrace
// (descriptors, directory, environment).
func TestPrespawnFirst(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "p.json")
	rec := exec.Command(sctraceBin, "record", "-q", "-o", prof, "--", "sh", "-c", "pwd; echo $E_X >&2; true")
	rec.Dir, rec.Env = "/", markedEnv() // $PWD is not the directory: pwd calls getcwd, as below
	if out, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	run := exec.Command(sctraceBin, "run", "-q", "--profile", prof, "--", "sh", "-c", "pwd")
	run.Dir, run.Env = dir, markedEnv()
	if out, err := run.Output(); err != nil || strings.TrimSpace(string(out)) != dir {
		t.Errorf("run: the workload's directory %q, want %q (%v)", out, dir, err)
	}
	cmd := exec.Command(sctraceBin, "record", "-q", "-o", filepath.Join(dir, "p2.json"), "--", "sh", "-c", "pwd; echo $E_X >&2")
	cmd.Env = append(markedEnv(), "GODEBUG=inittrace=1", "E_X=seen")
	cmd.Dir = dir
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("record: %v\n%s", err, stderr.String())
	}
	if got := strings.TrimSpace(stdout.String()); got != dir {
		t.Errorf("workload's directory %q, want %q\n%s", got, dir, stderr.String())
	}
	early, heavy := -1, -1
	for i, line := range strings.Split(stderr.String(), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) < 2 || f[0] != "init":
		case strings.HasSuffix(f[1], "cmd/sctrace/internal/early"):
			early = i
		case heavy < 0 && (strings.Contains(f[1], "go-seccomp-bpf") || strings.Contains(f[1], "tablewriter") || f[1] == "os"):
			heavy = i
		}
	}
	if !strings.Contains(stderr.String(), "\nseen\n") && !strings.HasPrefix(stderr.String(), "seen\n") {
		t.Errorf("the workload did not get its environment:\n%s", stderr.String())
	}
	if early < 0 || heavy < 0 || early > heavy {
		t.Errorf("package early initialized at line %d, the first heavy package (or os) at %d; want early first:\n%s", early, heavy, stderr.String())
	}
}

// TestInheritedIgnoredSignals: SIGHUP and SIGINT that sctrace was started with ignored (nohup,
// `trap "" INT`) are ignored in the workload too, as without sctrace, and sctrace itself does
// not forward them. (The Go runtime keeps only these two ignored: other signals inherited as
// ignored get its handlers, and execve resets those to the default: README, "Signals".)
func TestInheritedIgnoredSignals(t *testing.T) {
	wrap, self := prog(t, "sigwrap"), prog(t, "selfstate")
	sigIgn := func(out []byte) string {
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "SigIgn") {
				return line
			}
		}
		return ""
	}
	ignore := "1,2" // HUP INT
	bare := exec.Command(wrap, ignore, self)
	bare.Env = markedEnv()
	want, err := bare.Output()
	if err != nil {
		t.Fatal(err)
	}
	under := exec.Command(wrap, ignore, sctraceBin, "record", "-q", "-o", filepath.Join(t.TempDir(), "p.json"), "--", self)
	under.Env = markedEnv()
	got, err := under.Output()
	if err != nil {
		t.Fatal(err)
	}
	if sigIgn(got) == "" || sigIgn(got) != sigIgn(want) {
		t.Errorf("ignored signals under sctrace %q, alone %q", sigIgn(got), sigIgn(want))
	}
}

// TestGroupSignalOnce: a signal sent to the whole process group without a terminal (a
// supervisor, timeout(1)) reaches the workload by itself; sctrace must not deliver it a second
// time. SIGQUIT is forwarded like the others, not a reason for sctrace to die. A workload that
// takes its signals from a signalfd shows no signal-delivery stop: it got SIGTERM twice before
// the ticker, in sctrace's process group, witnessed group signals (run: a witness process). A
// signal sent to sctrace alone still reaches the workload once; so does one that hits sctrace
// and its helper but not the workload (a pkill); a group's signal reaches a workload that left
// the group (setsid), which the witnesses made sctrace skip; a witness's note does not make a
// later signal to sctrace alone look delivered; and the forwarder's own delivery does not make
// the next signal, 200 ms later, look delivered.
func TestGroupSignalOnce(t *testing.T) {
	rec := []string{"record", "-q", "-o", filepath.Join(t.TempDir(), "p.json")}
	group := func(pid int, sig syscall.Signal) { syscall.Kill(-pid, sig) }
	alone := func(pid int, sig syscall.Signal) { syscall.Kill(pid, sig) }
	withHelper := func(pid int, sig syscall.Signal) {
		syscall.Kill(pid, sig)
		for _, h := range childrenNamed(pid, "sct-ticker", "sct-witness") {
			syscall.Kill(h, sig)
		}
	}
	twice := func(pid int, sig syscall.Signal) {
		syscall.Kill(pid, sig)
		time.Sleep(200 * time.Millisecond)
		syscall.Kill(pid, sig)
	}
	// Two signals, one to the group and one to sctrace alone, in either order and close
	// together: each delivery accounts for one of them.
	pair := func(first, second func(int, syscall.Signal), gap time.Duration) func(int, syscall.Signal) {
		return func(pid int, sig syscall.Signal) {
			first(pid, sig)
			time.Sleep(gap)
			second(pid, sig)
		}
	}
	groupTwice := func(pid int, sig syscall.Signal) {
		syscall.Kill(-pid, sig)
		time.Sleep(50 * time.Millisecond)
		syscall.Kill(-pid, sig)
	}
	// The witness killed (it is started again) or stopped (the loop kills it at the end).
	witnessKilled := func(pid int, sig syscall.Signal) {
		for _, h := range childrenNamed(pid, "sct-witness") {
			syscall.Kill(h, syscall.SIGKILL)
		}
		time.Sleep(300 * time.Millisecond)
		syscall.Kill(-pid, sig)
	}
	witnessStopped := func(pid int, sig syscall.Signal) {
		for _, h := range childrenNamed(pid, "sct-witness") {
			syscall.Kill(h, syscall.SIGSTOP)
		}
		syscall.Kill(pid, sig)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		signalCount(t, rec, "handler", false, group, sig, 1)
	}
	signalCount(t, rec, "handler", false, alone, syscall.SIGTERM, 1)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		signalCount(t, rec, "signalfd", false, group, sig, 1)
	}
	signalCount(t, rec, "signalfd", false, alone, syscall.SIGTERM, 1)
	signalCount(t, rec, "handler", false, withHelper, syscall.SIGTERM, 1)
	signalCount(t, rec, "signalfd", true, group, syscall.SIGTERM, 1)
	signalCount(t, rec, "handler", false, twice, syscall.SIGTERM, 2)
	signalCount(t, rec, "signalfd", false, groupTwice, syscall.SIGTERM, 2)
	signalCount(t, rec, "exitmain", false, group, syscall.SIGTERM, 1)
	signalCount(t, rec, "handler", false, pair(alone, group, 150*time.Millisecond), syscall.SIGTERM, 2)
	signalCount(t, rec, "handler", false, pair(group, alone, 50*time.Millisecond), syscall.SIGTERM, 2)
	signalCount(t, rec, "handler", false, pair(alone, group, 50*time.Millisecond), syscall.SIGTERM, 2)
	signalCount(t, rec, "signalfd", false, pair(group, alone, 50*time.Millisecond), syscall.SIGTERM, 2)
	// Forwarded sends whose deliveries were matched late (the forwarder handles one signal at
	// a time, up to 100 ms each) must not stay counted as pending: the group's TERM at the end
	// was sent again.
	signalCount(t, rec, "handler", false, func(pid int, sig syscall.Signal) {
		for _, step := range []struct {
			gap   time.Duration
			group bool
			sig   syscall.Signal
		}{{0, false, sig}, {117, false, syscall.SIGINT}, {86, false, sig}, {170, false, syscall.SIGINT}, {113, true, sig}} {
			time.Sleep(step.gap * time.Millisecond)
			if step.group {
				syscall.Kill(-pid, step.sig)
			} else {
				syscall.Kill(pid, step.sig)
			}
		}
	}, syscall.SIGTERM, 3)
	// run has no ticker: its witness process notes the group's signals.
	sc := prog(t, "sigcount")
	profile := record(t, "sh", "-c", sc+" 0 signalfd; "+sc+" 0 handler; setsid "+sc+" 0 signalfd; "+sc+" 0 exitmain").path
	run := []string{"run", "-q", "--profile", profile}
	signalCount(t, run, "signalfd", false, group, syscall.SIGTERM, 1)
	signalCount(t, run, "signalfd", false, alone, syscall.SIGTERM, 1)
	signalCount(t, run, "handler", false, withHelper, syscall.SIGTERM, 1)
	signalCount(t, run, "handler", false, pair(group, alone, 300*time.Millisecond), syscall.SIGTERM, 2)
	signalCount(t, run, "signalfd", true, group, syscall.SIGTERM, 1)
	signalCount(t, run, "signalfd", false, witnessKilled, syscall.SIGTERM, 1)
	signalCount(t, run, "handler", false, witnessStopped, syscall.SIGTERM, 1)
	signalCount(t, run, "exitmain", false, group, syscall.SIGTERM, 1)
}

// signalCount runs sigcount (mode: handler or signalfd; in a session of its own with setsid)
// under sctrace sub, in a process group of sctrace's own and without a terminal, sends signals
// with send once it is ready, and checks that the workload counted want of sig.
func signalCount(t *testing.T, sub []string, mode string, setsid bool, send func(int, syscall.Signal), sig syscall.Signal, want int) {
	t.Helper()
	argv := []string{prog(t, "sigcount"), "1", mode}
	// The cases mostly wait: they run side by side, each sctrace in a process group of its own.
	t.Run(fmt.Sprintf("%s-%s-%v-%d-%p", sub[0], mode, sig, want, send), func(t *testing.T) {
		t.Parallel()
		signalCountRun(t, sub, argv, mode, setsid, send, sig, want)
	})
}

func signalCountRun(t *testing.T, sub, argv []string, mode string, setsid bool, send func(int, syscall.Signal), sig syscall.Signal, want int) {
	if setsid {
		argv = append([]string{"setsid"}, argv...)
	}
	cmd := exec.Command(sctraceBin, append(append(sub[:len(sub):len(sub)], "--"), argv...)...)
	cmd.Env = markedEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no terminal
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	if line, _ := r.ReadString('\n'); line != "ready\n" {
		t.Fatalf("workload said %q", line)
	}
	time.Sleep(200 * time.Millisecond)
	send(cmd.Process.Pid, sig)
	counts, _ := r.ReadString('\n')
	waitTimeout(t, cmd, 20*time.Second)
	name := map[syscall.Signal]string{syscall.SIGINT: "INT", syscall.SIGTERM: "TERM", syscall.SIGHUP: "HUP", syscall.SIGQUIT: "QUIT"}[sig]
	if !slices.Contains(strings.Fields(counts), fmt.Sprintf("%s=%d", name, want)) {
		t.Errorf("%s %s (setsid %v), %v: the workload counted %q, want %s=%d\n%s", sub[0], mode, setsid, sig, strings.TrimSpace(counts), name, want, &stderr)
	}
}

// childrenNamed returns the children of pid whose name is one of names.
func childrenNamed(pid int, names ...string) []int {
	var out []int
	for _, c := range children(pid) {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(c) + "/comm")
		if slices.Contains(names, strings.TrimSpace(string(comm))) {
			out = append(out, c)
		}
	}
	return out
}

// TestTermAfterRoot: once the first process has ended, SIGTERM to sctrace reaches the processes
// the workload left behind (a daemon), so that sctrace can be stopped.
func TestTermAfterRoot(t *testing.T) {
	cmd := exec.Command(sctraceBin, "record", "-q", "-o", filepath.Join(t.TempDir(), "p.json"), "--",
		"sh", "-c", "(setsid sleep 30 &); exit 0")
	cmd.Env = markedEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	start := time.Now()
	waitTimeout(t, cmd, 20*time.Second)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("sctrace ran on for %v after SIGTERM, until the daemon ended by itself", d)
	}
}

// TestAttachZombieLeader: a process whose main thread has exited (a zombie, which ptrace cannot
// seize) is attached through its other threads; when it ends, sctrace says it ended, not that it
// was still running.
func TestAttachZombieLeader(t *testing.T) {
	target := startTarget(t, "zombieleader")
	out := filepath.Join(t.TempDir(), "z.json")
	cmd := exec.Command(sctraceBin, "record", "-o", out, "-p", strconv.Itoa(target.Process.Pid))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitTimeout(t, cmd, 20*time.Second)
	if !strings.Contains(stderr.String(), "ended") {
		t.Errorf("sctrace did not say the process ended:\n%s", &stderr)
	}
	if p := loadProfile(t, out); p.Recordings[0].Running {
		t.Error("the profile says the process was still running")
	}
}

// TestSignalBeforeLaunch: run and record register the signals they forward early, in the
// background (tracer.PrepareSignals, for start-up time). A SIGTERM or SIGINT that comes before
// the workload starts (here: while run waits for a FIFO profile's writer) must still end
// sctrace at once, as it did before the registration, not wait in the queue for a workload.
func TestSignalBeforeLaunch(t *testing.T) {
	// SIGQUIT too: it ends sctrace as it ends a C program, not with Go's goroutine dump.
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT} {
		dir := t.TempDir()
		fifo := filepath.Join(dir, "p.json")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		marker := filepath.Join(dir, "started")
		cmd := exec.Command(sctraceBin, "run", "-q", "--profile", fifo, "--", "/bin/touch", marker)
		cmd.Env = markedEnv()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // waiting for a writer by now
		start := time.Now()
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		took := time.Since(start)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != sig || strings.Contains(stderr.String(), "goroutine") {
			t.Errorf("%v while reading the profile: sctrace ended with %v, want killed by the signal\n%s", sig, err, stderr.String())
		}
		if took > 2*time.Second {
			t.Errorf("%v while reading the profile: sctrace took %v to end", sig, took)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("%v while reading the profile: the workload ran anyway", sig)
		}
	}
}

// TestInstrumentedBuilds: sctrace built with the race detector, and without optimisation (what
// debuggers build), launches workloads. On x86_64 the workload's first process runs in
// sctrace's memory until its execve (tracer/internal/helper, cloneVM): through the ABI0 wrapper
// the race detector's bookkeeping ran in that child, on sctrace's own race state (a workload in
// 15 of 300 launches, and sctrace in 3 of 780, died of SIGSEGV), and a build without optimisation
// did not link (its nosplit frames were over the linker's limit).
func TestInstrumentedBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sctrace twice")
	}
	dir := t.TempDir()
	prof := filepath.Join(dir, "p.json")
	if out, err := exec.Command(sctraceBin, "record", "-q", "-o", prof, "--", "true").CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	for _, build := range []struct{ name, flag string }{{"race", "-race"}, {"noopt", "-gcflags=all=-N -l"}} {
		bin := filepath.Join(dir, "sctrace-"+build.name)
		if out, err := exec.Command("go", "build", build.flag, "-o", bin, "../cmd/sctrace").CombinedOutput(); err != nil {
			if build.name == "race" && strings.Contains(string(out), "cgo") {
				t.Logf("no race build here: %s", out)
				continue
			}
			t.Errorf("go build %s: %v\n%s", build.flag, err, out)
			continue
		}
		bad := 0
		for i := 0; i < 60; i++ {
			args := []string{"run", "-q", "--profile", prof, "--", "true"}
			if i%3 == 2 {
				args = []string{"record", "-q", "-o", filepath.Join(dir, "r.json"), "--", "true"}
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = markedEnv()
			if out, err := cmd.CombinedOutput(); err != nil {
				if bad++; bad <= 3 {
					t.Errorf("%s build, %s: %v\n%s", build.name, args[0], err, out)
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s build: %d of 60 launches failed", build.name, bad)
		}
	}
}

// TestSmallNofile: run works under a small soft limit on open files, and the workload gets that
// limit. The workload's first process holds copies of sctrace's descriptors until its execve;
// after it restored the limit, the listener it creates found no free descriptor under it (soft
// limits 1 to 8 failed with EMFILE). It now closes sctrace's own first.
func TestSmallNofile(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) is needed")
	}
	prof := filepath.Join(t.TempDir(), "p.json")
	if out, err := exec.Command(sctraceBin, "record", "-q", "-o", prof, "--", "sh", "-c", "ulimit -Sn").CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	for _, soft := range []string{"5", "8", "40"} {
		for _, env := range []string{"", "SCTRACE_SUPERVISOR=ptrace"} {
			cmd := exec.Command(prlimit, "--nofile="+soft+":4096", sctraceBin, "run", "-q", "--profile", prof, "--", "sh", "-c", "ulimit -Sn")
			cmd.Env = markedEnv()
			if env != "" {
				cmd.Env = append(cmd.Env, env)
			}
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != soft {
				t.Errorf("soft limit %s %s: %v, printed %q, want %s", soft, env, err, out, soft)
			}
		}
	}
}
