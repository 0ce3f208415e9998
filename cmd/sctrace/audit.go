package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"

	"github.com/sctrace/sctrace/emit/audit"
	"github.com/sctrace/sctrace/learn"
)

const reportUsage = `Usage: sctrace report [--format table|json|markdown] PROFILE

Shows what PROFILE's workload did: system calls per arch, grouped by what they do, with counts
and the executables that made them; risk flags for the calls that matter; which calls Docker's
default seccomp profile would not allow; executables, the process tree, files, programs and
network endpoints. --format json carries the same content for tools.

Flags:
`

func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", reportUsage, stdout)
	format := fs.String("format", "table", "`FORMAT`: table, json or markdown")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("report: want exactly one PROFILE (usage: sctrace report [--format F] PROFILE)")
	}
	p, err := readProfile(fs.Arg(0))
	if err != nil {
		return err
	}
	r := audit.BuildReport(p, dockerDefault())
	switch *format {
	case "json":
		b, err := r.JSON()
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	case "table":
		renderTables(stdout, r.Tables())
	case "markdown":
		renderMarkdown(stdout, r.Tables())
	default:
		return usageErrorf("report: unknown --format %q (want table, json or markdown)", *format)
	}
	return nil
}

func renderMarkdown(w io.Writer, tables []audit.Table) {
	for i, t := range tables {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "## %s\n\n", t.Title)
		if len(t.Rows) > 0 {
			tw := tablewriter.NewTable(w, tablewriter.WithRenderer(renderer.NewMarkdown()))
			tw.Header(anySlice(t.Header)...)
			for _, r := range t.Rows {
				esc := make([]string, len(r))
				for j, c := range r {
					esc[j] = strings.ReplaceAll(c, "|", "\\|")
				}
				tw.Append(anySlice(esc)...)
			}
			tw.Render()
		} else if t.Note == "" {
			fmt.Fprintln(w, "(none)")
		}
		if t.Note != "" {
			fmt.Fprintln(w, t.Note)
		}
	}
}

const diffUsage = `Usage: sctrace diff [--format text|json] OLD NEW

Lists the system calls NEW has and OLD lacks, and those OLD has and NEW lacks, per arch and per
executable (new calls that carry a risk flag are marked), then the executables, executed
programs, network endpoints and files that one has and the other lacks, and the executables
whose calls NEW marks partial. Exits 1 when NEW needs something OLD lacks — a call, an
executable, a program or an endpoint (a CI gate: the workload grew its footprint) — and 0
otherwise; new files alone do not fail the gate (temporary names differ between runs).

Flags:
`

func cmdDiff(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("diff", diffUsage, stdout)
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageErrorf("diff: unknown --format %q (want text or json)", *format)
	}
	if fs.NArg() != 2 {
		return usageErrorf("diff: want OLD and NEW (usage: sctrace diff OLD NEW)")
	}
	old, err := readProfile(fs.Arg(0))
	if err != nil {
		return err
	}
	cur, err := readProfile(fs.Arg(1))
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
		fmt.Fprintln(w, "no difference")
		return
	}
	for _, c := range d.Added {
		mark := ""
		if c.Risk != "" {
			mark = "  !! " + c.Risk
		}
		fmt.Fprintf(w, "+ %s%s\n", c, mark)
	}
	for _, c := range d.Removed {
		fmt.Fprintf(w, "- %s\n", c)
	}
	for _, x := range []struct {
		what string
		d    audit.Delta
	}{{"executable", d.Executables}, {"program", d.Programs}, {"endpoint", d.Endpoints}, {"file", d.Files}} {
		for _, s := range x.d.Added {
			fmt.Fprintf(w, "+ %s %s\n", x.what, s)
		}
		for _, s := range x.d.Removed {
			fmt.Fprintf(w, "- %s %s\n", x.what, s)
		}
	}
	for _, p := range d.NowPartial {
		fmt.Fprintf(w, "! %s: its calls are now partial\n", p)
	}
}

const mergeUsage = `Usage: sctrace merge -o OUT PROFILE...

Writes the union of the profiles: counts summed, executables, files, programs, endpoints and
recordings merged. The order of the inputs does not matter.

Flags:
`

func cmdMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merge", mergeUsage, stdout)
	out := fs.String("o", "", "write the merged profile to `OUT` (- for stdout; required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("merge: -o OUT is required")
	}
	if fs.NArg() == 0 {
		return usageErrorf("merge: no profiles given (usage: sctrace merge -o OUT PROFILE...)")
	}
	var ps []*learn.Profile
	for _, path := range fs.Args() {
		p, err := readProfile(path)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	return writeProfile(*out, learn.Merge(ps...), stdout)
}
