// Command sctrace records the system calls a workload makes and turns them into seccomp profiles.
//
// See README.md, or run `sctrace help`.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/sctrace/sctrace/tracer"

	// Starts the helpers of `run` and `record` early; it must initialize before the heavy
	// packages (see its package comment).
	_ "github.com/sctrace/sctrace/cmd/sctrace/internal/early"
)

func main() {
	// A Ctrl-C (or kill) that comes after the workload ended is held until the profile or
	// summary is written: losing a long recording to a second Ctrl-C helps nobody.
	tracer.OnHeldSignal(func(s syscall.Signal) {
		fmt.Fprintf(os.Stderr, "sctrace: %v: the workload has ended; sctrace exits once what it recorded is written (a second signal ends it now)\n", s)
	})
	code := exitCode(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr), os.Stderr)
	if path := os.Getenv("SCTRACE_RUSAGE"); path != "" {
		writeRusage(path)
	}
	os.Exit(code)
}

// writeRusage appends sctrace's own peak RSS and CPU time (not its children's) to path, for
// the benchmark script (bench/tracer.sh): "maxrss_kb user_s sys_s".
func writeRusage(path string) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%d %.3f %.3f\n", ru.Maxrss, float64(ru.Utime.Nano())/1e9, float64(ru.Stime.Nano())/1e9)
	f.Close()
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

const usage = `sctrace records the system calls a program makes and turns them into a seccomp profile.

Usage:
  sctrace record [-o FILE] [--base PROFILE] [--runs N] [-q] -- COMMAND [ARG...]
                                         record COMMAND's footprint (refine PROFILE with --base)
  sctrace record [-o FILE] -p PID        record a running process until Ctrl-C
  sctrace run --profile FILE [--on-deny ACTION] [-o OUT] [-q] -- COMMAND [ARG...]
                                         run COMMAND allowing only what FILE recorded, naming
                                         every other call it makes (-o: FILE plus those calls)
  sctrace emit --format FORMAT [--runtime R] [-o FILE] PROFILE
                                         write PROFILE as OCI/Docker JSON, k8s, systemd,
                                         minijail, go-seccomp-bpf or raw BPF
  sctrace report [--format table|json|markdown] PROFILE
                                         what the workload did, risk flags, Docker's verdict
  sctrace diff [--format json] OLD NEW   calls, executables, programs, endpoints, files added
                                         and removed; exit 1 if NEW needs more
  sctrace merge -o OUT PROFILE...        the union of profiles
  sctrace inspect [--format F] FILE...   what an ELF program can call, without running it:
                                         per arch, where each call is reached from
  sctrace version                        print the version
  sctrace help                           show this help

Run 'sctrace COMMAND --help' for a command's flags. Exit status: record and run exit with the
workload's own status (128+N if signal N killed it); sctrace's own errors exit 2, a command
that cannot be found 127, one that cannot be executed 126.
`

// exitStatus makes run's caller exit with a status and print nothing more.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// statusError is an error with its own exit status; usage and input errors are 2.
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &statusError{code: 2, err: fmt.Errorf(format, args...)}
}

// exitCode turns run's error into a process exit status, printing it as one line.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	fmt.Fprintf(stderr, "sctrace: %s\n", strings.TrimSpace(err.Error()))
	var se *statusError
	if errors.As(err, &se) {
		return se.code
	}
	return 2
}

// run is the whole program: main only turns its error into an exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	standardInput = stdin
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitStatus(2)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "record":
		return cmdRecord(rest, stdout, stderr)
	case "run":
		return cmdRun(rest, stdout, stderr)
	case "emit":
		return cmdEmit(rest, stdout, stderr)
	case "report":
		return cmdReport(rest, stdout, stderr)
	case "diff":
		return cmdDiff(rest, stdout, stderr)
	case "merge":
		return cmdMerge(rest, stdout, stderr)
	case "inspect":
		return cmdInspect(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "sctrace %s\n", version)
		return nil
	case "help", "-h", "-help", "--help":
		if len(rest) == 1 && cmd == "help" && rest[0] != "help" {
			// sctrace help COMMAND is COMMAND --help.
			return run([]string{rest[0], "--help"}, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	if m := closest(cmd, []string{"record", "run", "emit", "report", "diff", "merge", "inspect", "version", "help"}); m != "" {
		return usageErrorf("unknown command %q: did you mean %q? (run 'sctrace help')", cmd, m)
	}
	return usageErrorf("unknown command %q (run 'sctrace help')", cmd)
}
