package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/bpf"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/arch/decode"
	"github.com/sctrace/sctrace/emit"
	"github.com/sctrace/sctrace/learn"
	"github.com/sctrace/sctrace/learn/record"
	"github.com/sctrace/sctrace/tracer"
)

const runUsage = `Usage: sctrace run --profile FILE [--on-deny ACTION] [-o FILE] [--redact] [-q]
                   [--no-args | --any-args LIST] [--widen LIST | --no-static] -- COMMAND [ARG...]

Runs COMMAND under a seccomp filter that allows exactly the calls FILE recorded (plus the few
every program may need, listed on stderr) and answers every other call with ACTION:

  errno    fail it with EPERM (ENOSYS for calls that libc falls back from, for numbers
           sctrace's tables do not name, and for x32 calls from an x86_64 profile) (default)
  explain  the same as errno (kept for scripts written for earlier versions)
  kill     kill the process that made it (SIGSYS, as seccomp does); sctrace exits 159 if it
           was COMMAND's own process
  trap     send SIGSYS, which the program may handle; unhandled it kills like kill
  log      let it run
  report   let it run

In every mode sctrace names each call the profile lacks the moment it is made (arch, call with
its arguments decoded, pid, executable), once per call and executable, and ends with a summary
and the command that adds the calls to the profile. -o FILE writes the profile with them added
(refine: usually with report, which lets every call run); executables the base profile's calls
would hide are traced fully, so that their own sets in FILE stay exact. Calls the profile
allows run at native speed: the kernel answers them without asking sctrace.

Exits with COMMAND's status.

Flags:
`

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", runUsage, stdout)
	profilePath := fs.String("profile", "", "the profile to enforce (`FILE`, required)")
	onDeny := fs.String("on-deny", "errno", "what a call the profile lacks gets (`ACTION`): errno, explain, kill, trap, log or report")
	out := fs.String("o", "", "write the profile with the calls it lacked added to `FILE` (- for stdout); a call a process makes after one of its calls failed is not added")
	quiet := fs.Bool("q", false, "print no notes (the calls allowed beside the profile, warnings, the line that says nothing was denied): only the denials and the summary")
	redact := fs.Bool("redact", false, "with -o: "+redactHelp)
	noArgs := fs.Bool("no-args", false, "enforce call names only: allow every call the profile has with any arguments")
	anyArgs := fs.String("any-args", "", "allow these calls (a comma-separated `LIST`) with any arguments")
	noStatic := fs.Bool("no-static", false, "do not add the timing-dependent calls the executables can make (no analysis of them)")
	widen := fs.String("widen", "", "also allow the calls of these groups (a comma-separated `LIST`: files, network, ...; risky calls only by name) that the executables can make")
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
	tracer.PrepareSignals() // in the background, while the profile is read and compiled
	mode := *onDeny
	var deny emit.Action
	switch mode {
	case "errno", "explain":
		deny = emit.Errno(emit.EPERM)
	case "kill":
		deny = emit.ActKillProcess
	case "trap":
		deny = emit.ActTrap
	case "log", "report":
		deny = emit.ActLog
	default:
		return usageErrorf("run: unknown --on-deny %q (want errno, explain, kill, trap, log or report)", mode)
	}

	switch v := os.Getenv("SCTRACE_SUPERVISOR"); v {
	case "", "notify", "ptrace":
	default:
		return usageErrorf("SCTRACE_SUPERVISOR=%s: the values are notify (the default: the kernel's user notification where it has it) and ptrace", v)
	}
	if *out != "" {
		if err := checkWritable(*out); err != nil {
			return err
		}
	}
	base, err := readProfile(*profilePath)
	if err != nil {
		return err
	}
	// Only the calls matter for the filter: copy them (Complete adds to the copy).
	enforced := learn.Merge(&learn.Profile{Version: learn.Version, Arches: base.Arches})
	if err := dropArgs(enforced, *noArgs, *anyArgs); err != nil {
		return err
	}
	added := learn.Complete(enforced)
	var static []learn.Completion
	if !*noStatic {
		if static, err = completeStatic(enforced, base, *widen, stderr, *quiet); err != nil {
			return err
		}
	} else if *widen != "" {
		return usageErrorf("run: --widen needs the analysis that --no-static turns off")
	}
	f, err := filterFor(enforced, deny)
	if err != nil {
		return err
	}
	// clone3 gets ENOSYS below: clone, its fallback, is allowed wherever clone3 is.
	emit.AllowCloneFallback(f, emit.ActTrace|tracer.OwnTraceData)
	if !allowsExecve(enforced) {
		return &statusError{code: 126, err: fmt.Errorf("%s does not allow execve, which starting the command needs", *profilePath)}
	}
	prog, err := compile(f)
	if err != nil {
		if errors.Is(err, emit.ErrTooLong) {
			return fmt.Errorf("%w: learned arguments make a filter longer; allow some calls with any arguments (--any-args CALL,...) or all (--no-args)", err)
		}
		return err
	}
	judge, err := emit.NewJudge(prog, hostArch())
	if err != nil {
		return err
	}
	// The filter's errno and log verdicts go to sctrace, which names the call and answers it
	// with the judge's verdict, f's own: as the supervisor of the filter's user notifications,
	// or, on kernels without them, as the tracer (SCTRACE_SUPERVISOR=ptrace forces that).
	supervised := tracer.NotifySupported() && os.Getenv("SCTRACE_SUPERVISOR") != "ptrace"
	installed := emit.Redirected(f, emit.ActUserNotif)
	if !supervised {
		installed = emit.Redirected(f, emit.ActTrace|tracer.OwnTraceData)
		emit.RefuseListeners(installed)
	}
	// The workload must not reach sctrace itself (see tracer.Options.Protect), nor, where the
	// mode denies anything, create a child that escapes it: clone3's flags are out of a filter's
	// sight. log and report let every call run, clone3 too (a child it makes with a raced
	// CLONE_UNTRACED is still under the filter, only no longer killed with sctrace).
	emit.ProtectPid(installed, os.Getpid())
	if deny != emit.ActLog {
		emit.RefuseClone3(installed)
	}
	raw, err := compileRaw(installed)
	if err != nil {
		return err
	}
	if len(added) > 0 && !*quiet {
		fmt.Fprintf(stderr, "sctrace: also allowing what every program may need: %s\n", describeCompletions(added))
	}
	if len(static) > 0 && !*quiet {
		fmt.Fprintf(stderr, "sctrace: also allowing what the executables can make and a recording may miss (timing-dependent calls%s): %s\n",
			map[bool]string{true: ", and --widen " + *widen, false: ""}[*widen != ""], describeCompletions(static))
	}
	if !*quiet {
		warnOtherProgram(stderr, *profilePath, base, argv)
		warnIncomplete(stderr, *profilePath, base)
		warnReach(stderr, *profilePath, enforced)
	}

	l := newLedger(stderr, *profilePath, mode, judge)
	l.quiet = *quiet
	l.learned = func(archName, call string) *learn.Args {
		if set := enforced.Arches[archName]; set != nil && set.Syscalls[call] != nil {
			return set.Syscalls[call].Args
		}
		return nil
	}
	rec := record.NewRecorder()
	rec.NoFootprint = true
	var recMu sync.Mutex
	fold := recordEvent(rec)
	// exeOfEvent is the executable of the caller: its thread's (the thread is stopped or
	// waiting; the process's main thread may have exited), or what the recorder last saw it exec.
	exeOfEvent := func(e *tracer.Event) string {
		if exe := exeOf(e.Tid); exe != "?" {
			return exe
		}
		recMu.Lock()
		defer recMu.Unlock()
		if exe := rec.Executable(e.Pid); exe != "" {
			return exe
		}
		return "?"
	}
	// decide names a call the filter did not allow and returns the errno it fails with (0: it
	// runs). Calls the filter allows or traces (the supervisor's handover, CLONE_UNTRACED) are
	// not the profile's business.
	decide := func(e *tracer.Event) int {
		v := judge.Verdict(e.Audit, e.Nr, e.Args)
		switch v & 0xffff0000 {
		case emit.ActAllow, emit.ActTrace:
			return 0
		case emit.ActKillProcess, emit.ActKillThread, emit.ActTrap:
			return int(syscall.EPERM) // only the helper's execve can get here, and allowsExecve holds
		}
		exe := exeOfEvent(e)
		after := l.afterFailure(e.Pid)
		l.note(e, v, exe)
		if *out != "" && (mode == "report" || !after) {
			recMu.Lock()
			rec.SyscallIn(exe, e.Audit, e.Nr, &e.Args)
			recMu.Unlock()
		}
		if errno, ok := v.IsErrno(); ok {
			return int(errno)
		}
		return 0
	}
	root := 0
	sigsys := map[int]*tracer.Event{} // the last SIGSYS a filter raised in each process
	opt := tracer.Options{Filter: raw, ForwardSignals: true, TraceData: tracer.OwnTraceData,
		ExitStops: mode == "kill", Peek: decodePeek, Protect: true}
	if *out == "-" {
		opt.Stdout = os.Stderr // stdout carries the profile
	}
	if !*quiet {
		warnTerminal(stderr, *profilePath, base, tracer.IsTerminal(workloadStdout(opt)))
	}
	var ref *refiner
	if *out != "" {
		// The profile's calls run unobserved: trace the executables whose own set would then
		// be incomplete fully (see refiner).
		// Coverage is judged against the base, not the completed filter: the completion calls
		// (clock_gettime, getcpu, ...) every consumer of a profile adds again anyway, and
		// counting them would trace nearly every executable fully.
		ref = newRefiner(base)
		opt.FullTrace = ref.fullTrace
	}
	if supervised {
		// Without full tracing nothing stops in the tracer after the execve but forks, execs
		// and exits.
		opt.FollowOnly = ref == nil
		opt.Supervise = decide
	} else {
		opt.Deny = decide
	}
	opt.OnEvent = func(e *tracer.Event) {
		if ref != nil {
			ref.event(e)
		}
		switch e.Kind {
		case tracer.EventSyscall:
			if v := judge.Verdict(e.Audit, e.Nr, e.Args) & 0xffff0000; v != emit.ActAllow && v != emit.ActTrace {
				return // named and counted by decide
			}
			// An allowed call of a fully traced process: its executable's set must have it,
			// unless the process is on the path a denial sent it down (as for denied calls).
			if mode != "report" && l.afterFailure(e.Pid) {
				return
			}
		case tracer.EventSpawn:
			if e.Parent == 0 && root == 0 {
				root = e.Pid
			}
		case tracer.EventSigsys:
			v := judge.Verdict(e.Audit, e.Nr, e.Args)
			k := v & 0xffff0000
			if e.Nr >= 0 && k != emit.ActKillProcess && k != emit.ActKillThread && k != emit.ActTrap {
				return // a SIGSYS not of sctrace's filter, or a thread not killed by its own call
			}
			ev := *e
			ev.Mem = append([]byte(nil), e.Mem...)
			sigsys[e.Pid] = &ev
			if e.Nr >= 0 {
				exe := exeOfEvent(e)
				l.noteAs(&ev, v, exe, !e.Fatal) // a kill is named when the process is gone
				if *out != "" {
					// The call that killed (or trapped) is what the profile lacked.
					recMu.Lock()
					rec.SyscallIn(exe, e.Audit, e.Nr, &ev.Args)
					recMu.Unlock()
				}
			}
			return
		case tracer.EventExit:
			if ev := sigsys[e.Pid]; ev != nil && e.Status.Signal == int(syscall.SIGSYS) {
				l.killedBy(ev, rec.Executable(e.Pid), e.Pid == root)
			}
			delete(sigsys, e.Pid)
		}
		recMu.Lock()
		fold(e)
		recMu.Unlock()
	}
	rep, err := tracer.Launch(argv, opt)
	status := rep.Status
	if err != nil {
		if ee := (*tracer.ExecError)(nil); supervised && errors.As(err, &ee) && ee.Step == "seccomp listener" && errors.Is(err, syscall.EBUSY) {
			// The kernel allows one listener per filter chain: sctrace runs under a
			// supervisor's filter already (a container manager's seccomp notify).
			return fmt.Errorf("%w: sctrace already runs under a seccomp filter with a listener (a container's supervisor), and a chain has one; SCTRACE_SUPERVISOR=ptrace answers denied calls as a tracer instead", err)
		}
		return launchError(err)
	}
	var grew []string
	if *out != "" {
		host := tracer.ThisHost()
		seen := rec.Profile(learn.Recording{Command: argv, Kernel: host.Kernel,
			Machine: host.Machine, ExitCode: status.ExitCode(), Hidden: hiddenBy(rep)})
		ref.mark(seen)
		extended := learn.Merge(base, seen)
		if err := writeProfile(*out, extended, stdout, *redact); err != nil {
			return err
		}
		grew = newCalls(base, extended)
		if !*quiet {
			ref.warn(stderr)
		}
	}
	l.summary(argv, *out, grew)
	return exitStatus(status.ExitCode())
}

// decodePeek asks the decoder which memory of a call it shows (a path, a socket address).
func decodePeek(e *tracer.Event) (uint64, int, bool) {
	a, n := arch.Classify(e.Audit, e.Nr)
	if a == nil {
		return 0, 0, false
	}
	_, addr, max, str, ok := decode.Peek(a, n, e.Args)
	if !ok {
		return 0, 0, false
	}
	return addr, max, str
}

// allowsExecve reports whether this machine's ABI may call execve under p.
func allowsExecve(p *learn.Profile) bool {
	set := p.Arches[hostArch().Name]
	return set != nil && set.Syscalls["execve"] != nil
}

// dropArgs applies --no-args and --any-args to a profile about to be enforced or emitted.
func dropArgs(p *learn.Profile, none bool, calls string) error {
	if none && calls != "" {
		return usageErrorf("--no-args and --any-args exclude each other (--no-args drops every argument condition)")
	}
	if none {
		p.DropArgs()
		return nil
	}
	if calls == "" {
		return nil
	}
	names := strings.Split(calls, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	if missing := p.DropArgs(names...); len(missing) > 0 {
		return usageErrorf("--any-args: the profile has no learned arguments for %s", strings.Join(missing, ", "))
	}
	return nil
}

// standardInput is the command's standard input (run's stdin): the profile "-" is read from it.
var standardInput io.Reader = os.Stdin

// hostArch is the ABI of this machine's native programs (sctrace's own).
func hostArch() *arch.Arch { return arch.Native() }

// readProfile reads and validates a profile file (- is standard input); every failure is a
// usage error (exit 2).
func readProfile(path string) (*learn.Profile, error) {
	var r io.Reader
	if path == "-" {
		if tracer.IsTerminal(standardInput) {
			return nil, &statusError{code: 2, err: errors.New("read profile: - means standard input, which is a terminal: pipe or redirect a profile into it")}
		}
		r, path = standardInput, "standard input"
	} else {
		f, err := openProfile(path)
		if err != nil {
			return nil, &statusError{code: 2, err: fmt.Errorf("read profile: %w", err)}
		}
		defer f.Close()
		r = f
	}
	p, err := learn.Decode(r)
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

// filterFor turns a profile into the filter sctrace installs under its own tracer: deny for what
// the profile lacks, and clones that ask for CLONE_UNTRACED stop in the tracer.
func filterFor(p *learn.Profile, deny emit.Action) (*emit.Filter, error) {
	f, err := emit.FilterFor(p, deny)
	if err != nil {
		return nil, &statusError{code: 2, err: err}
	}
	// sctrace's tracer is always there (record, run in every mode): untraced clones stop in it.
	emit.TraceUntracedClones(f, emit.ActTrace|tracer.OwnTraceData)
	return f, nil
}

func compile(f *emit.Filter) ([]bpf.Instruction, error) {
	prog, err := emit.Compile(f)
	if err != nil {
		return nil, &statusError{code: 2, err: err}
	}
	return prog, nil
}

// compileRaw compiles and assembles a filter for the helper.
func compileRaw(f *emit.Filter) ([]bpf.RawInstruction, error) {
	prog, err := compile(f)
	if err != nil {
		return nil, err
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

// traceData marks sctrace's own SECCOMP_RET_TRACE verdicts, so the tracer can tell them from the
// workload's own filters' (see tracer.OwnTraceData).
func traceData(deny emit.Action) emit.Action {
	if deny == emit.ActTrace {
		return deny | tracer.OwnTraceData
	}
	return deny
}

// warnReach says what a filter cannot stop that the profile lets the workload do.
func warnReach(w io.Writer, path string, p *learn.Profile) {
	has := func(name string) bool {
		for _, set := range p.Arches {
			if set.Syscalls[name] != nil {
				return true
			}
		}
		return false
	}
	if has("io_uring_setup") {
		fmt.Fprintf(w, "sctrace: warning: %s allows io_uring_setup: operations submitted through io_uring (open, "+
			"mkdir, connect, ...) are not system calls, so no seccomp filter sees or denies them\n", path)
	}
	if os.Geteuid() != 0 {
		return
	}
	reach := []string{"/proc/PID/mem"}
	for _, name := range []string{"ptrace", "pidfd_getfd", "process_vm_writev"} {
		if has(name) {
			reach = append(reach, name)
		}
	}
	fmt.Fprintf(w, "sctrace: warning: the workload runs as root: with CAP_SYS_PTRACE it can reach into sctrace "+
		"(%s) and answer its own denied calls; run untrusted workloads as another user\n", strings.Join(reach, ", "))
}
