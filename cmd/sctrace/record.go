package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/sctrace/sctrace/emit"
	"github.com/sctrace/sctrace/emit/audit"
	"github.com/sctrace/sctrace/learn"
	"github.com/sctrace/sctrace/learn/record"
	"github.com/sctrace/sctrace/tracer"
)

const recordUsage = `Usage: sctrace record [-o FILE] [--base PROFILE] [--runs N] [--syscalls-only] [--no-args] [--redact] [-q] -- COMMAND [ARG...]
       sctrace record [-o FILE] [--syscalls-only] [--no-args] [--redact] [-q] -p PID

Runs COMMAND under a seccomp filter that stops it at every system call, follows every process
and thread it starts, and writes the calls it made as a profile (JSON, see README.md). A summary
goes to stderr. Exits with COMMAND's status. With -o -, the profile goes to stdout and COMMAND's
own standard output to stderr.

With --base, the filter lets the calls PROFILE already has run untraced and stops only at the
others (refine mode: re-recording a known workload runs at near-native speed). An executable
whose own calls in PROFILE do not cover every call PROFILE allows is traced fully from its
execve on, so that its calls in the result stay exact. The result is PROFILE plus what was new
(the summary lists it); counts of the calls PROFILE had are not updated.

With --runs N, COMMAND runs N times and the profile is the union; each run's new calls are
listed, and the summary says after which run the profile stopped growing.

Flags:
`

// usages holds each flag set's --help printer. The flag package calls a set's Usage on every
// parse error too, which must print nothing: a usage error is one line on stderr.
var usages = map[*flag.FlagSet]func(){}

// newFlagSet returns a flag set that reports errors through run instead of printing them.
func newFlagSet(name, help string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	usages[fs] = func() {
		fmt.Fprint(stdout, help)
		printFlags(stdout, fs)
	}
	return fs
}

// printFlags lists fs's flags as the synopses write them: --name for a long one, -x for a
// letter (package flag's own list writes one dash for all, which both forms parse).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		dashes := "--"
		if len(f.Name) == 1 {
			dashes = "-"
		}
		arg, usage := flag.UnquoteUsage(f)
		if arg != "" {
			arg = " " + arg
		}
		fmt.Fprintf(w, "  %s%s%s\n    \t%s", dashes, f.Name, arg, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if d := f.DefValue; d != "" && d != "false" && d != "0" {
			if g, ok := f.Value.(flag.Getter); ok {
				if _, isString := g.Get().(string); isString {
					d = strconv.Quote(d)
				}
			}
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
}

// parseFlags parses args; --help prints the usage to stdout and ends the command with status 0.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		usages[fs]()
		return exitStatus(0)
	}
	if err != nil {
		hint := ""
		if _, name, ok := strings.Cut(err.Error(), "flag provided but not defined: -"); ok {
			var names []string
			fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
			if m := closest(strings.TrimLeft(name, "-"), names); len(m) == 1 {
				hint = fmt.Sprintf("did you mean -%s? ", m)
			} else if m != "" {
				hint = fmt.Sprintf("did you mean --%s? ", m)
			}
		}
		return usageErrorf("%s: %v (%ssee 'sctrace %s --help')", fs.Name(), err, hint, fs.Name())
	}
	return nil
}

// parseInterspersed parses the flags of a command whose arguments are files, not a command
// line: flags may follow them (`sctrace emit app.json --format oci`). Everything after "--" is
// an argument, and so is "-" (standard input).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos, tail []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, tail = args[:i], args[i+1:]
	}
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	return append(pos, tail...), nil
}

// closest returns the candidate nearest to s (edit distance at most 2 and less than s's length,
// or a prefix), or "": "x" is not a misspelt "o".
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := editDistance(s, c)
		if len(s) >= 2 && strings.HasPrefix(c, s) {
			d = 1
		}
		if d < bestD && d < len(s) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func cmdRecord(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("record", recordUsage, stdout)
	out := fs.String("o", "", "write the profile to `FILE` (- for stdout; default COMMAND.sctrace.json)")
	quiet := fs.Bool("q", false, "print no summary")
	basePath := fs.String("base", "", "refine `PROFILE`: trace only the calls it lacks, write it plus what was new")
	noFootprint := fs.Bool("syscalls-only", false, "record calls and the process tree only: no files, programs or endpoints")
	noArgs := fs.Bool("no-args", false, "learn call names only, not the arguments that decide what some calls can do (socket families, clone namespaces, ioctl requests, ...)")
	runs := fs.Int("runs", 1, "record `N` runs of COMMAND into one profile, saying what each added (timing-dependent calls show up over runs)")
	attachPid := fs.Int("p", 0, "attach to the running process `PID` (pure ptrace, slower); Ctrl-C detaches and writes the profile")
	redact := fs.Bool("redact", false, redactHelp)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	argv := fs.Args()
	if *attachPid != 0 {
		if len(argv) > 0 || *basePath != "" || *runs != 1 {
			return usageErrorf("record: -p takes no command, no --base and no --runs")
		}
		return recordAttached(*attachPid, *out, *quiet, keep{!*noFootprint, !*noArgs}, *redact, stdout, stderr)
	}
	if len(argv) == 0 {
		return usageErrorf("record: no command given (usage: sctrace record [-o FILE] -- COMMAND [ARG...])")
	}
	tracer.PrepareSignals()
	dest := *out
	if dest == "" {
		dest = filepath.Base(argv[0]) + ".sctrace.json"
		if _, err := os.Stat(dest); err == nil {
			// Never overwrite silently under a name the user did not give.
			fmt.Fprintf(stderr, "sctrace: %s exists and will be replaced (-o chooses another name)\n", dest)
		}
	}

	if err := checkWritable(dest); err != nil {
		return err
	}
	var base *learn.Profile
	var filter []bpf.RawInstruction
	if *basePath != "" {
		var err error
		if base, err = readProfile(*basePath); err != nil {
			return err
		}
		if !*quiet {
			warnOtherProgram(stderr, *basePath, base, argv)
		}
		if filter, err = refineFilter(base, *noFootprint); err != nil {
			return err
		}
	}

	if *runs < 1 {
		return usageErrorf("record: --runs wants a number of runs, at least 1")
	}
	var p *learn.Profile
	var status tracer.Status
	var nproc int
	var added string
	var ref *refiner
	var interrupted syscall.Signal
	unreadable := 0   // reads of the footprint the kernel refused, over the runs
	cutShort := false // runs were left out
	stableSince := 0
	for i := 1; i <= *runs; i++ {
		q, r, rep, n, err := recordOnce(argv, base, filter, keep{!*noFootprint, !*noArgs}, dest == "-")
		var ie *tracer.InterruptedError
		if errors.As(err, &ie) && p != nil {
			// Interrupted before this run's command started: keep the runs recorded so far.
			interrupted = ie.Signal
			fmt.Fprintf(stderr, "sctrace: interrupted (%v) before run %d of %d: the profile has the %s\n", interrupted, i, *runs, plural(i-1, "run", "runs"))
			*runs, cutShort = i-1, true
			break
		}
		if err != nil {
			return err
		}
		status, nproc, ref = rep.Status, n, r
		interrupted = rep.Interrupted
		unreadable += rep.MemDenied
		before := base
		if before == nil {
			before = p
		}
		if before == nil {
			before = learn.NewProfile()
		}
		var grown []string
		if p == nil && base == nil {
			// The first run of a recording without a base: every call is new, and the
			// profile is the run's own (merging it with nothing and diffing it against nothing
			// only doubled the memory at the end: 3 MiB more after a file walk).
			grown = allCalls(q)
			added = plural(len(grown), "call", "calls")
		} else {
			q = learn.Merge(before, q)
			grown = newCalls(before, q)
			added = describeNew(grown)
		}
		if len(grown) > 0 || i == 1 {
			stableSince = i
		}
		p = q
		if *runs > 1 && !*quiet {
			fmt.Fprintf(stderr, "sctrace: run %d of %d: %s %s; %s\n", i, *runs, argv[0], status, added)
		}
		if interrupted != 0 && i < *runs {
			// Ctrl-C or a kill: the user stops the recording, not only this run.
			fmt.Fprintf(stderr, "sctrace: interrupted (%v): no more runs; the profile has the %s\n", interrupted, plural(i, "run", "runs"))
			*runs, cutShort = i, true
			break
		}
		if base == nil {
			continue
		}
		base = p // the next run refines this one
		if filter, err = refineFilter(base, *noFootprint); err != nil {
			return err
		}
	}
	if *runs > 1 && !*quiet && interrupted == 0 {
		if stableSince < *runs {
			fmt.Fprintf(stderr, "sctrace: the profile stopped growing after run %d of %d\n", stableSince, *runs)
		} else {
			fmt.Fprintf(stderr, "sctrace: the profile still grew in the last run: more runs may add more (--runs)\n")
		}
	}
	if err := writeProfile(dest, p, stdout, *redact); err != nil {
		return err
	}
	if !*quiet {
		where := dest
		if dest == "-" {
			where = "stdout"
		}
		if *runs > 1 {
			fmt.Fprintf(stderr, "sctrace: %d runs of %s, the last %s; %s; profile written to %s\n",
				*runs, argv[0], status, plural(len(p.Executables), "executable", "executables"), where)
		} else {
			fmt.Fprintf(stderr, "sctrace: %s %s; %s, %s; profile written to %s\n",
				argv[0], status, plural(nproc, "process", "processes"), plural(len(p.Executables), "executable", "executables"), where)
		}
		if !*noFootprint {
			fmt.Fprintf(stderr, "sctrace: %s, %s, %s", plural(len(p.Files), "file", "files"), plural(len(p.Programs), "program", "programs"),
				plural(len(p.Endpoints), "network endpoint", "network endpoints"))
			if dest != "-" && fileIsRegular(dest) {
				fmt.Fprintf(stderr, " ('sctrace report %s' shows them)", dest)
			}
			fmt.Fprintln(stderr)
			warnUnreadable(stderr, unreadable)
		}
		warnHidden(stderr, p)
		if ref != nil {
			ref.warn(stderr)
			if *runs == 1 {
				fmt.Fprintf(stderr, "sctrace: %s is %s plus %s\n", where, *basePath, added)
			}
		}
		fmt.Fprintln(stderr)
		renderTables(stderr, audit.Summary(p, 8), outputWidth(stderr))
	}
	if cutShort && status.Signal == 0 {
		// The recording was cut short: say so in the status, whatever the last run's was.
		return exitStatus(128 + int(interrupted))
	}
	return exitStatus(status.ExitCode())
}

// refineFilter is the filter of record --base: base's calls run untraced, except those that can
// hide others (the workload's own filters, its tracing) and those the footprint reads (opens,
// connects), unless only calls are recorded.
func refineFilter(base *learn.Profile, noFootprint bool) ([]bpf.RawInstruction, error) {
	f, err := filterFor(base, traceData(emit.ActTrace))
	if err != nil {
		return nil, err
	}
	if !noFootprint {
		emit.TraceCalls(f, record.FootprintCalls(), traceData(emit.ActTrace))
	}
	emit.TraceCalls(f, record.HidingCalls(), traceData(emit.ActTrace))
	return compileRaw(f)
}

// recordOnce records one run of argv, refining base (with filter, its refine filter) if it is
// not nil: the profile of what the run did (executables the refine could not see whole marked
// partial), the refiner, the status and the number of processes.
// keep says what a recording keeps beside the calls.
type keep struct{ footprint, args bool }

func recordOnce(argv []string, base *learn.Profile, filter []bpf.RawInstruction, k keep, profileToStdout bool) (*learn.Profile, *refiner, tracer.Report, int, error) {
	noFootprint := !k.footprint
	rec := record.NewRecorder()
	rec.NoFootprint, rec.NoArgs = noFootprint, !k.args
	opt := tracer.Options{Filter: filter, ForwardSignals: true, OnEvent: recordEvent(rec), TraceData: tracer.OwnTraceData}
	if profileToStdout {
		opt.Stdout = os.Stderr // stdout carries the profile: the workload's output must not mix into it
	}
	if !noFootprint {
		opt.Peek, opt.PathDir = peek, pathDir
		// One more stop per file call, to tell the opens that failed from those that did not.
		// (Not where it cannot change the footprint: see ResultMatters.)
		opt.Results = func(e *tracer.Event) bool { return rec.ResultMatters(e.Tid) }
		rec.WantResults()
	}
	var ref *refiner
	if base != nil {
		// The base's calls run unobserved: trace the executables whose own set would then be
		// incomplete fully (see refiner).
		ref = newRefiner(base)
		opt.FullTrace = ref.fullTrace
		fold := opt.OnEvent
		opt.OnEvent = func(e *tracer.Event) {
			fold(e)
			ref.event(e)
		}
	}
	rep, err := tracer.Launch(argv, opt)
	if err != nil {
		return nil, nil, rep, 0, launchError(err)
	}
	host := tracer.ThisHost()
	p := rec.Profile(learn.Recording{Command: argv, Kernel: host.Kernel, Machine: host.Machine, ExitCode: rep.Status.ExitCode(),
		Hidden: hiddenBy(rep), Terminal: tracer.IsTerminal(workloadStdout(opt)), SyscallsOnly: noFootprint})
	if ref != nil {
		ref.mark(p)
	}
	return p, ref, rep, rec.Processes(), nil
}

// recordAttached is record -p: trace a running process until Ctrl-C (or its end).
func recordAttached(pid int, out string, quiet bool, k keep, redact bool, stdout, stderr io.Writer) error {
	noFootprint := !k.footprint
	tgid, err := tracer.ProcessOf(pid)
	if err != nil {
		return &statusError{code: 2, err: fmt.Errorf("attach to %d: no such process", pid)}
	}
	if tgid != pid {
		if !quiet {
			fmt.Fprintf(stderr, "sctrace: %d is a thread of process %d; recording the whole process\n", pid, tgid)
		}
		pid = tgid
	}
	dest := out
	if dest == "" {
		dest = fmt.Sprintf("pid%d.sctrace.json", pid)
	}
	if err := checkWritable(dest); err != nil {
		return err
	}
	rec := record.NewRecorder()
	rec.NoFootprint, rec.NoArgs = noFootprint, !k.args
	opt := tracer.Options{OnEvent: recordEvent(rec)}
	if !noFootprint {
		opt.Peek, opt.PathDir = peek, pathDir
	}
	command := procCmdline(pid)
	rep, err := tracer.Attach(pid, opt, func() {
		if !quiet {
			fmt.Fprintf(stderr, "sctrace: attached to %d; Ctrl-C detaches and writes %s\n", pid, dest)
		}
	})
	if errors.Is(err, tracer.ErrInterrupted) {
		return &statusError{code: 130, err: fmt.Errorf("attach to %d: %w; no profile written", pid, err)}
	}
	if err != nil {
		return &statusError{code: 2, err: err}
	}
	host := tracer.ThisHost()
	r := learn.Recording{Command: command, Kernel: host.Kernel, Machine: host.Machine, Running: rep.Running,
		Hidden: hiddenBy(rep), SyscallsOnly: !k.footprint}
	if !rep.Running {
		r.ExitCode = rep.Status.ExitCode()
	}
	p := rec.Profile(r)
	if err := writeProfile(dest, p, stdout, redact); err != nil {
		return err
	}
	if !quiet {
		how := "detached from"
		switch {
		case rep.StatusUnknown:
			how = fmt.Sprintf("%d ended (its status is unknown: its main thread had exited before the attach)", pid)
		case !rep.Running:
			how = fmt.Sprintf("%d ended (%v); stopped tracing", pid, rep.Status)
		}
		if !rep.Running {
			fmt.Fprintf(stderr, "sctrace: %s; %s, %s; profile written to %s\n",
				how, plural(rec.Processes(), "process", "processes"), plural(len(p.Executables), "executable", "executables"), dest)
		} else {
			fmt.Fprintf(stderr, "sctrace: %s %d; %s, %s; profile written to %s\n",
				how, pid, plural(rec.Processes(), "process", "processes"), plural(len(p.Executables), "executable", "executables"), dest)
		}
		if k.footprint {
			warnUnreadable(stderr, rep.MemDenied)
		}
		warnHidden(stderr, p)
		fmt.Fprintln(stderr)
		renderTables(stderr, audit.Summary(p, 8), outputWidth(stderr))
	}
	if !rep.Running {
		return exitStatus(rep.Status.ExitCode()) // it ended while traced: its status, as with a command
	}
	return nil
}

// hiddenBy says what the tracer's report means for the recording's completeness.
func hiddenBy(rep tracer.Report) []string {
	var out []string
	if rep.Unread > 0 {
		out = append(out, fmt.Sprintf("%d system-call stops could not be read: those calls are missing", rep.Unread))
	}
	if rep.UntracedMissed > 0 {
		out = append(out, fmt.Sprintf("%d clone(CLONE_UNTRACED) children escaped the tracer (they were killed): their calls are missing", rep.UntracedMissed))
	}
	if rep.ForeignTrace > 0 {
		out = append(out, fmt.Sprintf("the workload's own seccomp filter asked for a tracer %s (SECCOMP_RET_TRACE): those calls failed with ENOSYS, as they would without sctrace", plural(rep.ForeignTrace, "time", "times")))
	}
	for _, e := range rep.Errors {
		out = append(out, "tracer: "+e)
	}
	return out
}

// warnUnreadable says that the footprint lacks what the kernel would not let sctrace read.
func warnUnreadable(stderr io.Writer, n int) {
	if n > 0 {
		fmt.Fprintf(stderr, "sctrace: warning: the files, programs and endpoints lack %s: the kernel refused to let sctrace read a process's memory (a process running a program you may execute but not read is not dumpable; record as root to see them)\n",
			plural(n, "path or address", "paths or addresses"))
	}
}

// warnHidden tells the user why the recording may lack calls.
func warnHidden(stderr io.Writer, p *learn.Profile) {
	for _, r := range p.Recordings {
		for _, h := range r.Hidden {
			fmt.Fprintf(stderr, "sctrace: warning: calls may be hidden from this recording: %s\n", h)
		}
	}
}

// procCmdline reads a process's command line, for the recording's metadata.
func procCmdline(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// recordEvent folds tracer events into a recorder.
func recordEvent(rec *record.Recorder) func(*tracer.Event) {
	return func(e *tracer.Event) {
		switch e.Kind {
		case tracer.EventSyscall:
			rec.Call(e.Pid, e.Audit, e.Nr, &e.Args)
			if e.Mem != nil {
				rec.Memory(e.Tid, e.Audit, e.Nr, e.Args, e.Mem, e.Dir)
			}
		case tracer.EventSpawn:
			rec.Spawn(e.Pid, e.Parent)
		case tracer.EventExec:
			rec.Exec(e.Pid, e.Path, e.Argv)
			if e.Unprivileged {
				rec.Unprivileged(e.Path)
			}
		case tracer.EventResult:
			rec.Result(e.Tid, e.Audit, e.Nr, e.Ret)
		case tracer.EventExit:
			rec.Exit(e.Pid)
		}
	}
}

// peek asks learn which memory of a call the footprint needs.
func peek(e *tracer.Event) (uint64, int, bool) { return record.Peek(e.Audit, e.Nr, e.Args) }

// pathDir asks learn which directory a relative path of a call is relative to.
func pathDir(e *tracer.Event) int { return record.PathDir(e.Audit, e.Nr) }

// launchError gives a workload that could not start the status a shell would.
func launchError(err error) error {
	var ie *tracer.InterruptedError
	switch {
	case errors.As(err, &ie):
		return &statusError{code: 128 + int(ie.Signal), err: err}
	case errors.Is(err, tracer.ErrNotFound), errors.Is(err, syscall.ENOENT):
		// ENOENT from execve: the command vanished, or a #! interpreter does not exist.
		return &statusError{code: 127, err: err}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.ENOEXEC), errors.Is(err, syscall.EISDIR),
		errors.Is(err, syscall.ELOOP), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ENAMETOOLONG):
		return &statusError{code: 126, err: err}
	}
	// Any other failed execve (ETXTBSY, ELOOP, ENAMETOOLONG, E2BIG, ...) is 126 too, as in a
	// shell; a step of sctrace's own before it (the filter, the listener) is sctrace's error.
	if ee := (*tracer.ExecError)(nil); errors.As(err, &ee) && ee.Step == "execve" {
		return &statusError{code: 126, err: err}
	}
	return err
}

// redactHelp documents --redact, which record, run and merge share.
const redactHelp = "replace what looks like a secret in the stored command lines (tokens, passwords, credential headers, URL passwords) with [redacted]"

// writeProfile writes p to path atomically (a temporary file renamed into place), or to stdout;
// with redact, without the secrets of its command lines (learn.Profile.Redact).
func writeProfile(path string, p *learn.Profile, stdout io.Writer, redact bool) error {
	if redact {
		p.Redact()
	}
	if path == "-" {
		return p.Encode(stdout)
	}
	return writeAtomic(path, p.Encode)
}

// checkWritable says, before a workload runs, whether its profile could be written to path: a
// recording must not be lost to a mistyped directory after it ran.
func checkWritable(path string) error {
	if path == "-" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return usageErrorf("-o %s: is a directory", path)
		}
		if fi.Mode()&os.ModeNamedPipe != 0 {
			// Opening it would hand its reader an empty profile (our close is its EOF).
			if err := unix.Access(path, unix.W_OK); err != nil {
				return usageErrorf("-o %s: %v", path, err)
			}
			return nil
		}
		if !fi.Mode().IsRegular() {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return usageErrorf("-o %s: %v", path, err)
			}
			return f.Close()
		}
	}
	target := path
	if t, err := filepath.EvalSymlinks(path); err == nil {
		target = t
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".check*")
	if err != nil {
		return usageErrorf("-o %s: cannot write there: %v", path, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// writeAtomic writes a file through a temporary file in the same directory and renames it into
// place, so that a failed or interrupted write never leaves a truncated file. A symlink is
// followed; a destination that is not a regular file (/dev/null, a FIFO) is written directly.
func writeAtomic(path string, write func(io.Writer) error) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := write(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
		return f.Close()
	}
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	} else {
		// A dangling symlink: write where it points (up to a few links), not over the link.
		for i := 0; i < 8; i++ {
			link, err := os.Readlink(path)
			if err != nil {
				break
			}
			if !filepath.IsAbs(link) {
				link = filepath.Join(filepath.Dir(path), link)
			}
			path = link
		}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary name means nothing to the user
		}
		return fmt.Errorf("write %s: cannot create a file in %s: %w", path, dir, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	return nil
}

// plural writes a count with its noun: "1 process", "2 processes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// workloadStdout is the standard output the workload gets.
func workloadStdout(opt tracer.Options) *os.File {
	if opt.Stdout != nil {
		return opt.Stdout
	}
	return os.Stdout
}

// warnTerminal says when a run's standard output differs from its recordings' in being a
// terminal: programs take other paths on a terminal (a pager, colours), with other calls.
func warnTerminal(w io.Writer, path string, p *learn.Profile, terminal bool) {
	for _, r := range p.Recordings {
		if r.Running || r.Terminal == terminal {
			continue
		}
		was, now := "was not", "is"
		if r.Terminal {
			was, now = "was", "is not"
		}
		fmt.Fprintf(w, "sctrace: note: %s's recording of %s %s on a terminal and this run %s: programs take other paths "+
			"there (git starts a pager, ls colours), with other calls\n", path, shellJoinShort(r.Command), was, now)
		return
	}
}

// shellJoinShort is a command line for a message, cut after 60 characters.
func shellJoinShort(argv []string) string {
	s := shellJoin(argv)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// fileIsRegular reports whether path is a regular file (a profile written to /dev/null or a pipe
// cannot be read back).
func fileIsRegular(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
