package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/bpf"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/emit"
	"github.com/sctrace/sctrace/learn"
	"github.com/sctrace/sctrace/tracer"
)

const runUsage = `Usage: sctrace run --profile FILE [--on-deny ACTION] [-o FILE] [-q] -- COMMAND [ARG...]

Runs COMMAND under a seccomp filter that allows exactly the calls FILE recorded (plus the few
every program may need, listed on stderr) and answers every other call with ACTION:

  errno    fail it with EPERM (ENOSYS for calls that libc falls back from, and for calls newer
           than sctrace's tables) (default)
  kill     kill the whole process (SIGSYS); sctrace says so and exits 159
  trap     send SIGSYS, which the program may handle; unhandled it kills like kill
  log      allow it and have the kernel log it (audit log / dmesg)
  report   complain mode: print each distinct call the profile lacks (arch, pid, executable,
           arguments) and let it run; -o FILE writes the profile extended with them
  explain  like report, then fail the call with EPERM

errno, kill, trap and log need no tracer: once COMMAND has started, it runs at native speed.
Exits with COMMAND's status.

Flags:
`

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", runUsage, stdout)
	profilePath := fs.String("profile", "", "the profile to enforce (`FILE`, required)")
	onDeny := fs.String("on-deny", "errno", "what a call the profile lacks gets: errno, kill, trap, log, report or explain")
	out := fs.String("o", "", "report mode: write the profile extended with the calls seen to `FILE`")
	quiet := fs.Bool("q", false, "do not list the calls added to the profile")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	argv := fs.Args()
	if *profilePath == "" {
		return usageErrorf("run: --profile is required (see 'sctrace run --help')")
	}
	if len(argv) == 0 {
		return usageErrorf("run: no command given (usage: sctrace run --profile FILE -- COMMAND [ARG...])")
	}
	var deny emit.Action
	traced := false
	switch *onDeny {
	case "errno":
		deny = emit.Errno(emit.EPERM)
	case "kill":
		deny = emit.ActKillProcess
	case "trap":
		deny = emit.ActTrap
	case "log":
		deny = emit.ActLog
	case "report", "explain":
		deny, traced = emit.ActTrace, true
	default:
		return usageErrorf("run: unknown --on-deny %q (want errno, kill, trap, log, report or explain)", *onDeny)
	}
	if *out != "" && !traced {
		return usageErrorf("run: -o needs --on-deny report or explain")
	}
	base, err := readProfile(*profilePath)
	if err != nil {
		return err
	}
	// Only the calls matter for the filter: copy them (Complete adds to the copy).
	enforced := learn.Merge(&learn.Profile{Version: learn.Version, Arches: base.Arches})
	added := learn.Complete(enforced)
	filter, err := compileFilter(enforced, traceData(deny))
	if err != nil {
		return err
	}
	if len(added) > 0 && !*quiet {
		fmt.Fprintf(stderr, "sctrace: also allowing what every program may need: %s\n", describeCompletions(added))
	}
	if !*quiet {
		warnIncomplete(stderr, *profilePath, base)
	}

	rec := learn.NewRecorder()
	seen := map[string]bool{}
	// Even without a tracer mode, clones with CLONE_UNTRACED stop in the tracer (see
	// compileFilter): their verdicts carry OwnTraceData.
	opt := tracer.Options{Filter: filter, ForwardSignals: true, FollowOnly: !traced, TraceData: tracer.OwnTraceData}
	fold := recordEvent(rec)
	opt.OnEvent = func(e *tracer.Event) {
		fold(e)
		if e.Kind == tracer.EventSyscall && traced {
			archName, key := learn.ArchName(e.Audit, e.Nr)
			exe := rec.Executable(e.Pid)
			id := archName + "/" + key + "/" + exe
			if seen[id] {
				return
			}
			seen[id] = true
			verdict := "allowed (report mode)"
			if *onDeny == "explain" {
				verdict = "failed with EPERM (explain mode)"
			}
			fmt.Fprintf(stderr, "sctrace: not in profile: %s %s by pid %d (%s) args %s: %s\n",
				archName, key, e.Pid, exe, formatArgs(e.Args), verdict)
		}
	}
	if *onDeny == "explain" {
		opt.Deny = func(*tracer.Event) int { return int(syscall.EPERM) }
	}
	rep, err := tracer.Launch(argv, opt)
	status := rep.Status
	if err != nil {
		var ee *tracer.ExecError
		if errors.As(err, &ee) && ee.Step == "execve" && !allowsExecve(enforced) {
			return &statusError{code: 126, err: fmt.Errorf("%w: %s does not allow execve, which starting the command needs",
				err, *profilePath)}
		}
		return launchError(err)
	}
	if traced && *out != "" {
		host := tracer.ThisHost()
		extended := learn.Merge(base, rec.Profile(learn.Recording{Command: argv, Kernel: host.Kernel,
			Machine: host.Machine, ExitCode: status.ExitCode()}))
		if err := writeProfile(*out, extended, stdout); err != nil {
			return err
		}
	}
	if status.Signal == int(syscall.SIGSYS) && (*onDeny == "kill" || *onDeny == "trap") {
		fmt.Fprintf(stderr, "sctrace: seccomp killed %s (SIGSYS): it made a call %s does not allow; "+
			"'sctrace run --on-deny report' names it\n", argv[0], *profilePath)
	}
	return exitStatus(status.ExitCode())
}

// allowsExecve reports whether this machine's ABI may call execve under p.
func allowsExecve(p *learn.Profile) bool {
	set := p.Arches[hostArch().Name]
	return set != nil && set.Syscalls["execve"] != nil
}

// hostArch is the ABI of this machine's native programs (sctrace's own).
func hostArch() *arch.Arch { return arch.Native() }

// readProfile reads and validates a profile file; every failure is a usage error (exit 2).
func readProfile(path string) (*learn.Profile, error) {
	f, err := openProfile(path)
	if err != nil {
		return nil, &statusError{code: 2, err: fmt.Errorf("read profile: %w", err)}
	}
	defer f.Close()
	p, err := learn.Decode(f)
	if os.IsTimeout(err) {
		err = fmt.Errorf("not a regular file, and no whole profile came within %v", profileReadTimeout)
	}
	if err != nil {
		return nil, &statusError{code: 2, err: fmt.Errorf("%s: %w", path, err)}
	}
	if len(p.Arches) == 0 {
		return nil, &statusError{code: 2, err: fmt.Errorf("%s: the profile records no arch, so it would allow nothing", path)}
	}
	return p, nil
}

// profileReadTimeout bounds reading a profile from a pipe or FIFO.
var profileReadTimeout = 10 * time.Second

// openProfile opens a profile without ever blocking for good: a FIFO is opened without waiting
// for a writer, and a pipe or FIFO must deliver the whole profile within profileReadTimeout (a
// regular file is read as it is; /dev/zero and the like hit Decode's size cap).
func openProfile(path string) (*os.File, error) {
	if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
		// A FIFO: wait for its writer (opening for reading blocks until one comes), within
		// the same deadline, in a goroutine that is left behind if none comes.
		opened := make(chan *os.File, 1)
		go func() {
			if f, err := os.Open(path); err == nil {
				opened <- f
			}
		}()
		select {
		case f := <-opened:
			f.SetReadDeadline(time.Now().Add(profileReadTimeout))
			return f, nil
		case <-time.After(profileReadTimeout):
			return nil, fmt.Errorf("%s is a FIFO, and nothing opened it for writing within %v", path, profileReadTimeout)
		}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case fi.IsDir():
		f.Close()
		return nil, fmt.Errorf("%s is a directory", path)
	case fi.Mode()&os.ModeNamedPipe != 0:
		// The poller serves a pipe opened non-blocking: a read waits, within the deadline.
		f.SetReadDeadline(time.Now().Add(profileReadTimeout))
	}
	return f, nil
}

// compileFilter turns a profile into the raw program the helper installs.
func compileFilter(p *learn.Profile, deny emit.Action) ([]bpf.RawInstruction, error) {
	f, err := emit.FilterFor(p, deny)
	if err != nil {
		return nil, &statusError{code: 2, err: err}
	}
	// sctrace's tracer is always there (record, run in every mode): untraced clones stop in it.
	emit.TraceUntracedClones(f, emit.ActTrace|tracer.OwnTraceData)
	prog, err := emit.Compile(f)
	if err != nil {
		return nil, &statusError{code: 2, err: err}
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("assemble filter: %w", err)
	}
	return raw, nil
}

func describeCompletions(added []learn.Completion) string {
	byName := map[string][]string{}
	for _, c := range added {
		byName[c.Syscall] = append(byName[c.Syscall], c.Arch)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n
		if len(byName[n]) > 1 || byName[n][0] != hostArch().Name {
			parts[i] += " (" + strings.Join(byName[n], ", ") + ")"
		}
	}
	return strings.Join(parts, ", ")
}

func formatArgs(args [6]uint64) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = fmt.Sprintf("%#x", a)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// traceData marks sctrace's own SECCOMP_RET_TRACE verdicts, so the tracer can tell them from the
// workload's own filters' (see tracer.OwnTraceData).
func traceData(deny emit.Action) emit.Action {
	if deny == emit.ActTrace {
		return deny | tracer.OwnTraceData
	}
	return deny
}
