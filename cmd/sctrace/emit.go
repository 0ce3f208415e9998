package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sctrace/sctrace/emit"
	"github.com/sctrace/sctrace/learn"
	"github.com/sctrace/sctrace/tracer"
)

const emitUsage = `Usage: sctrace emit --format FORMAT [--runtime R] [--nnp true|false] [--exe PATH] [--name NAME]
                    [--no-args | --any-args LIST] [--widen LIST | --no-static] [-o FILE] [-q] PROFILE

Writes PROFILE in a format other programs read:

  oci             OCI runtime-spec linux.seccomp JSON: runc, crun, Podman, Kubernetes Localhost
                  profiles, docker run --security-opt seccomp=FILE
  k8s             a security-profiles-operator SeccompProfile resource (YAML)
  systemd         a unit drop-in: SystemCallFilter=, SystemCallArchitectures=, SystemCallErrorNumber=
  minijail        a minijail0 policy (-S), the most frequent calls first
  go-seccomp-bpf  a github.com/elastic/go-seccomp-bpf policy (YAML)
  bpf             the compiled filter as raw struct sock_filter, for bwrap --seccomp FD and
                  crun's run.oci.seccomp_bpf_data annotation

Every format allows the calls PROFILE recorded plus those every program may need (rt_sigreturn,
exit, the vDSO calls...), answers the rest with EPERM and the calls libc falls back from with
ENOSYS where the format can. --runtime adds what the container runtime itself does between
installing the filter and executing the workload. Additions and anything a format cannot carry
are listed on stderr (and as comments where the format has them).

Flags:
`

func cmdEmit(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("emit", emitUsage, stdout)
	format := fs.String("format", "", "output `FORMAT`: "+strings.Join(emit.Formats(), ", "))
	runtime := fs.String("runtime", "", "add the calls runtime `R` makes after installing the filter: runc, crun or bwrap")
	nnp := fs.String("nnp", "", "the runtime runs with no_new_privs (`BOOL`: true or false) (default: add what either needs)")
	exe := fs.String("exe", "", "emit the footprint of the executable `PATH` only (matched with symlinks resolved when the profile does not name it)")
	name := fs.String("name", "", "the resource `NAME` (k8s; default: from the profile's file name)")
	out := fs.String("o", "-", "write to `FILE` (- for stdout)")
	quiet := fs.Bool("q", false, "do not list additions and omissions on stderr")
	noArgs := fs.Bool("no-args", false, "call names only: leave out the learned argument conditions")
	anyArgs := fs.String("any-args", "", "allow these calls (a comma-separated `LIST`) with any arguments")
	noStatic := fs.Bool("no-static", false, "do not add the timing-dependent calls the executables can make (no analysis of them)")
	widen := fs.String("widen", "", "also allow the calls of these groups (a comma-separated `LIST`: files, network, ...; risky calls only by name) that the executables can make")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *format == "" {
		return usageErrorf("emit: --format is required (see 'sctrace emit --help')")
	}
	if !slices.Contains(emit.Formats(), *format) {
		return usageErrorf("emit: unknown --format %q (want %s)", *format, strings.Join(emit.Formats(), ", "))
	}
	if len(pos) != 1 {
		return usageErrorf("emit: want exactly one PROFILE (usage: sctrace emit --format FORMAT PROFILE)")
	}
	// Every flag's value is checked before any work (reading the profile, analysing its
	// executables, printing what is added): a mistyped --runtime is one line, and nothing else.
	if *noStatic && *widen != "" {
		return usageErrorf("emit: --widen needs the analysis that --no-static turns off")
	}
	if _, _, err := parseWiden(*widen); err != nil {
		return err
	}
	if *format == "bpf" && *out == "-" && tracer.IsTerminal(stdout) {
		return usageErrorf("emit: the bpf format is binary: write it with -o FILE or redirect it, not to a terminal")
	}
	if *out != "-" {
		if err := checkWritable(*out); err != nil {
			return err
		}
	}
	if *name == "" && pos[0] != "-" {
		*name = k8sNameOf(pos[0])
	}
	if *runtime != "" && !slices.Contains([]string{"runc", "crun", "bwrap"}, *runtime) {
		return usageErrorf("emit: unknown --runtime %q (want runc, crun or bwrap)", *runtime)
	}
	if *nnp != "" && *nnp != "true" && *nnp != "false" {
		return usageErrorf("emit: --nnp takes true or false, not %q", *nnp)
	}
	opt := emit.Options{Runtime: *runtime, NoNewPrivs: *nnp, Name: *name, Host: hostArch()}
	if err := opt.Check(*format); err != nil {
		return usageErrorf("emit: %v", err)
	}
	p, err := readProfile(pos[0])
	if err != nil {
		return err
	}
	if *exe != "" {
		name, err := executableIn(p, *exe)
		if err != nil {
			return &statusError{code: 2, err: err}
		}
		if name != *exe && !*quiet {
			fmt.Fprintf(stderr, "sctrace: --exe %s: the profile's %s (the same file)\n", *exe, name)
		}
		if p, err = learn.ForExecutable(p, name); err != nil {
			return &statusError{code: 2, err: err}
		}
	}
	if err := dropArgs(p, *noArgs, *anyArgs); err != nil {
		return err
	}
	if !*noStatic {
		static, err := completeStatic(p, p, *widen, stderr, *quiet)
		if err != nil {
			return err
		}
		// A format that cannot carry argument conditions leaves out the calls added with some
		// (tgkill and tkill with SIGURG only), and says so in its notes: they are not named here
		// as allowed.
		left, err := emit.LeftOut(*format, p, opt)
		if err != nil {
			return &statusError{code: 2, err: fmt.Errorf("emit: %w", err)}
		}
		static = slices.DeleteFunc(static, func(c learn.Completion) bool { return slices.Contains(left, c.Syscall) })
		if len(static) > 0 && !*quiet {
			fmt.Fprintf(stderr, "sctrace: also allowing what the executables can make and a recording may miss (timing-dependent calls%s): %s\n",
				map[bool]string{true: ", and --widen " + *widen, false: ""}[*widen != ""], describeCompletions(static))
		}
	}
	var data []byte
	var notes []emit.Note
	data, notes, err = emit.Emit(*format, p, opt)
	if err != nil {
		return &statusError{code: 2, err: fmt.Errorf("emit: %w", err)}
	}
	write := func(w io.Writer) error { _, err := w.Write(data); return err }
	if *out == "-" {
		if err := write(stdout); err != nil {
			return err
		}
	} else if err := writeAtomic(*out, write); err != nil {
		return err
	}
	if !*quiet {
		for _, n := range notes {
			fmt.Fprintf(stderr, "sctrace: %s\n", n)
		}
		if *runtime == "" && (*format == "oci" || *format == "k8s" || *format == "bpf") {
			fmt.Fprintf(stderr, "sctrace: note: without --runtime, the filter lacks the calls the container runtime "+
				"makes between installing it and starting the workload, so runc or crun may fail to start it; "+
				"add --runtime runc, crun or bwrap\n")
		}
		warnIncomplete(stderr, pos[0], p)
	}
	return nil
}

// executableIn finds the executable path names in a profile: the path itself, else the one
// executable that is the same file once symlinks are resolved (on a usr-merged system /bin/ls
// is recorded as /usr/bin/ls, the path /proc/PID/exe gives). When none matches, the error is
// learn.ForExecutable's, which lists the profile's executables.
func executableIn(p *learn.Profile, path string) (string, error) {
	if _, ok := p.Executables[path]; ok {
		return path, nil
	}
	resolve := func(s string) string {
		if r, err := filepath.EvalSymlinks(s); err == nil {
			return r
		}
		return filepath.Clean(s)
	}
	want := resolve(path)
	var same []string
	for _, name := range p.ExecutableNames() {
		if name == want || resolve(name) == want {
			same = append(same, name)
		}
	}
	switch len(same) {
	case 0:
		_, err := learn.ForExecutable(p, path)
		return "", err
	case 1:
		return same[0], nil
	}
	return "", fmt.Errorf("--exe %s is the same file as %s in the profile: name one of them", path, strings.Join(same, " and "))
}

// warnIncomplete tells, once, that a profile's recordings may lack calls (recordings[].hidden),
// where a profile is used rather than recorded (emit, run).
func warnIncomplete(stderr io.Writer, path string, p *learn.Profile) {
	n := 0
	for _, r := range p.Recordings {
		n += len(r.Hidden)
	}
	if n > 0 {
		fmt.Fprintf(stderr, "sctrace: warning: %s may lack calls its recording could not see (%s: 'sctrace report %s' lists them)\n",
			path, plural(n, "reason", "reasons"), path)
	}
}

// k8sNameOf makes a Kubernetes resource name (DNS-1123: lower case letters, digits, '-' and
// '.', starting and ending with a letter or digit) of a profile's file name: "My App.json" is
// "my-app"; "" if nothing is left (emit then uses its default).
func k8sNameOf(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	base = strings.TrimSuffix(base, ".sctrace")
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-.")
	if len(name) > 253 {
		name = strings.Trim(name[:253], "-.")
	}
	return name
}
