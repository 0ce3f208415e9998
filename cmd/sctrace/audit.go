package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/sctrace/sctrace/emit/audit"
	"github.com/sctrace/sctrace/learn"
	"github.com/sctrace/sctrace/learn/reach"
	"github.com/sctrace/sctrace/tracer"
)

const reportUsage = `Usage: sctrace report [--format table|json|markdown] [--section LIST] [--no-SECTION]... [--width N]
                      [--coverage] [--cache DIR] PROFILE

Shows what PROFILE's workload did. First a summary that fits on one screen: what was recorded,
calls per arch, risk flags, what Docker's default seccomp profile would refuse, and how many
executables, files, programs and endpoints there are. Then the sections:

  recordings   the recorded command lines, and why calls may be hidden from them
  calls        system calls per arch, grouped by what they do, with counts and executables
  arguments    the argument values each call is allowed with, decoded, the ones that matter
               flagged, compared with Docker's default profile
  risks        the calls that widen the kernel's attack surface or reach beyond the process
  docker       recorded calls Docker's default profile would not simply allow
  executables  each executable: processes that ran it, distinct calls, calls made
  tree         the process tree: who created whom, and what each executed
  files        every path opened, created or executed
  programs     every program executed, with its command line
  endpoints    every socket address connected to, bound or sent to
  coverage     with --coverage only: per executable, the calls it can make (sctrace inspect)
               against those recorded, and the possible but unseen ones

The long sections (executables, tree, files, programs, endpoints) show their first 20 rows;
--section NAME,... shows only the sections named, in full ("all": every section in full), and
--no-NAME leaves one out. Tables are fitted to the terminal's width (--width to choose one; a
list or path that does not fit is cut short). PROFILE - reads standard input. --format json
carries every section in full, for tools.

Flags:
`

func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", reportUsage, stdout)
	format := fs.String("format", "table", "`FORMAT`: table, json or markdown")
	sections := fs.String("section", "", "show only these sections, in full and in the report's order: a comma-separated `LIST` (see above), or all")
	width := fs.Int("width", 0, "fit tables to `N` columns (default: the terminal's width, else $COLUMNS, else no limit)")
	coverage := fs.Bool("coverage", false, "add the coverage section: the calls each executable can make (sctrace inspect) against those recorded")
	cache := fs.String("cache", defaultReachCache(), "with --coverage: cache per-object analyses in `DIR`")
	all := append(slices.Clone(audit.Sections), "coverage")
	without := map[string]*bool{}
	for _, name := range all {
		without[name] = fs.Bool("no-"+name, false, "leave out the "+name+" section")
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("report: want exactly one PROFILE (usage: sctrace report [--format F] PROFILE)")
	}
	v, err := chooseSections("report", all, *sections, without)
	if err != nil {
		return err
	}
	// Coverage runs an analysis of every executable: only when asked for by name.
	if *sections != "" && slices.Contains(strings.Split(*sections, ","), "coverage") {
		*coverage = true
	}
	if !*coverage && v.sections != nil {
		delete(v.sections, "coverage")
	}
	if *width < 0 {
		return usageErrorf("report: --width %d: want a number of columns, or 0 for the default", *width)
	}
	v.width, v.hint = *width, "sctrace report --section %s "+audit.ShellQuote(pos[0])
	if v.width == 0 {
		v.width = outputWidth(stdout)
	}
	p, err := readProfile(pos[0])
	if err != nil {
		return err
	}
	r := audit.BuildReport(p, dockerDefault())
	if cmp := dockerArgs(); cmp != nil {
		asStrict := map[[2]string]bool{}
		for i, row := range r.Arguments {
			r.Arguments[i].Docker = cmp(row.Arch, row.Syscall, p.Arches[row.Arch].Syscalls[row.Syscall].Args)
			if r.Arguments[i].Docker == "stricter or equal" {
				asStrict[[2]string{row.Arch, row.Syscall}] = true
			}
		}
		// Docker allows those calls only with some arguments, and the learned ones are among
		// them: for this profile, Docker's restriction changes nothing.
		r.Docker = slices.DeleteFunc(r.Docker, func(d audit.DockerRow) bool { return asStrict[[2]string{d.Arch, d.Name}] })
	}
	if *coverage {
		r.Coverage = coverageOf(p, reach.Options{CacheDir: *cache}, stderr)
	}
	switch *format {
	case "json":
		b, err := r.JSON()
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	case "table":
		renderTables(stdout, v.apply(r.Tables()), v.width)
	case "markdown":
		renderMarkdown(stdout, v.apply(r.Tables()))
	default:
		return usageErrorf("report: unknown --format %q (want table, json or markdown)", *format)
	}
	return nil
}

// outputWidth is the width to fit text for w: its terminal's, else $COLUMNS, else 0 (no limit).
func outputWidth(w io.Writer) int {
	if n := tracer.TerminalWidth(w); n > 0 {
		return n
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 0
}

const diffUsage = `Usage: sctrace diff [--format text|json] OLD NEW

Lists the system calls NEW has and OLD lacks, and those OLD has and NEW lacks, per arch and per
executable (new calls that carry a risk flag are marked), then the executables, executed
programs, network endpoints and files that one has and the other lacks, and the executables
whose calls NEW marks partial. Exits 1 when NEW needs something OLD lacks — a call, wider
arguments, an executable, a program, an endpoint or a file (a CI gate: the workload grew its
footprint) — and 0 otherwise; files in temporary places (/tmp, /proc, ...: their names differ
between runs) and files only failed to open do not fail the gate.

Flags:
`

func cmdDiff(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("diff", diffUsage, stdout)
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageErrorf("diff: unknown --format %q (want text or json)", *format)
	}
	if len(pos) != 2 {
		return usageErrorf("diff: want OLD and NEW (usage: sctrace diff OLD NEW)")
	}
	if pos[0] == "-" && pos[1] == "-" {
		return usageErrorf("diff: only one of OLD and NEW can be - (standard input)")
	}
	old, err := readProfile(pos[0])
	if err != nil {
		return err
	}
	cur, err := readProfile(pos[1])
	if err != nil {
		return err
	}
	d := audit.Diff(old, cur)
	if *format == "json" {
		b, err := json.MarshalIndent(struct {
			*audit.Difference
			NeedsMore bool `json:"needs_more"`
		}{d, d.NeedsMore()}, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		printDiff(stdout, d)
	}
	if d.NeedsMore() {
		return exitStatus(1)
	}
	return nil
}

func printDiff(w io.Writer, d *audit.Difference) {
	if d.Empty() {
		if d.NotCompared != "" {
			fmt.Fprintf(w, "no difference in calls and executables (%s)\n", d.NotCompared)
			return
		}
		fmt.Fprintln(w, "no difference")
		return
	}
	// What NEW needs and OLD lacks first (what fails the gate), then what NEW dropped, then the
	// files, which do not count.
	gate := map[string]int{}
	added := func(what fmt.Stringer, note, risk, exe, kind string) {
		if risk != "" {
			risk = "  !! " + risk
		}
		fmt.Fprintf(w, "+ %s%s%s\n", what, note, risk)
		if exe == "" {
			gate[kind]++
		}
	}
	for _, c := range d.Added {
		added(c, "", c.Risk, c.Executable, "new calls")
	}
	for _, wd := range d.Widened {
		added(wd, "  (wider arguments)", wd.Risk, wd.Executable, "wider arguments")
	}
	deltas := []struct {
		what string
		d    audit.Delta
	}{{"executable", d.Executables}, {"program", d.Programs}, {"endpoint", d.Endpoints}}
	for _, x := range deltas {
		for _, s := range x.d.Added {
			fmt.Fprintf(w, "+ %s %s\n", x.what, s)
			gate["new "+x.what+"s"]++
		}
	}
	for _, c := range d.Removed {
		fmt.Fprintf(w, "- %s\n", c)
	}
	for _, x := range deltas {
		for _, s := range x.d.Removed {
			fmt.Fprintf(w, "- %s %s\n", x.what, s)
		}
	}
	for _, p := range d.NowPartial {
		fmt.Fprintf(w, "! %s: its calls are now partial\n", p)
	}
	gateFiles := map[string]bool{}
	for _, f := range d.GateFiles {
		gateFiles[f] = true
		fmt.Fprintf(w, "+ file %s\n", f)
		gate["new file uses"]++
	}
	for _, s := range d.Files.Added {
		if !gateFiles[s] {
			fmt.Fprintf(w, "+ file %s  (temporary or failed: does not count)\n", s)
		}
	}
	for _, s := range d.Files.Removed {
		fmt.Fprintf(w, "- file %s\n", s)
	}
	if d.NotCompared != "" {
		fmt.Fprintf(w, "note: %s\n", d.NotCompared)
	}
	if d.NeedsMore() {
		singular := map[string]string{"new calls": "new call", "wider arguments": "wider argument", "new executables": "new executable",
			"new programs": "new program", "new endpoints": "new endpoint", "new file uses": "new file use"}
		var parts []string
		for _, k := range []string{"new calls", "wider arguments", "new executables", "new programs", "new endpoints", "new file uses"} {
			if n := gate[k]; n > 0 {
				parts = append(parts, plural(n, singular[k], k))
			}
		}
		fmt.Fprintf(w, "NEW needs more than OLD (exit 1): %s\n", strings.Join(parts, ", "))
	} else {
		fmt.Fprintln(w, "NEW needs nothing OLD lacks (exit 0)")
	}
}

const mergeUsage = `Usage: sctrace merge [--redact] -o OUT PROFILE...

Writes the union of the profiles: counts summed, executables, files, programs, endpoints and
recordings merged. The order of the inputs does not matter.

Flags:
`

func cmdMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merge", mergeUsage, stdout)
	out := fs.String("o", "", "write the merged profile to `OUT` (- for stdout; required)")
	redact := fs.Bool("redact", false, redactHelp+" (to clean a profile: merge --redact -o OUT IN)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("merge: -o OUT is required")
	}
	if len(pos) == 0 {
		return usageErrorf("merge: no profiles given (usage: sctrace merge -o OUT PROFILE...)")
	}
	if slices.Index(pos, "-") >= 0 && slices.Index(pos[slices.Index(pos, "-")+1:], "-") >= 0 {
		return usageErrorf("merge: - (standard input) can be given once")
	}
	var ps []*learn.Profile
	for _, path := range pos {
		p, err := readProfile(path)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	return writeProfile(*out, learn.Merge(ps...), stdout, *redact)
}
