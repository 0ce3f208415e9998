package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/emit/audit"
	"github.com/sctrace/sctrace/learn"
	"github.com/sctrace/sctrace/learn/reach"
)

const inspectUsage = `Usage: sctrace inspect [--format table|json|markdown] [--section LIST] [--no-SECTION]... [--width N]
                       [--cache DIR] [--no-cache] FILE...

Without running anything, lists the system calls an x86_64 or i386 ELF program (or shared
library) can make, per arch, with where each is reached from: the program and the shared
libraries the loader would load for it (RPATH, RUNPATH, ld.so.cache, the default directories),
followed through their call graphs. The analysis is sound first: a call it cannot rule out is
listed, and where the number of a system call cannot be determined the arch is reported as
unbounded, with the site. What the analysis had to assume is listed too (README, "Inspecting").

Sections: summary, calls, risks (reachable calls that matter, with a path that reaches them),
unresolved (system calls whose number is unknown), objects (what was analysed), assumptions.
The long ones show their first 20 rows unless chosen with --section. Analyses are cached per
object content (--cache), so a library is analysed once; the objects' "cached" column (JSON:
"cached") says which came from the cache, and is all that differs between two runs.

Flags:
`

// inspectSections are the parts of inspect's output, in order.
var inspectSections = []string{"summary", "calls", "risks", "unresolved", "objects", "assumptions"}

func cmdInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inspect", inspectUsage, stdout)
	format := fs.String("format", "table", "`FORMAT`: table, json or markdown")
	sections := fs.String("section", "", "show only these sections, in full and in the report's order: a comma-separated `LIST`, or all")
	width := fs.Int("width", 0, "fit tables to `N` columns (default: the terminal's width, else $COLUMNS, else no limit)")
	cache := fs.String("cache", defaultReachCache(), "cache per-object analyses in `DIR`")
	noCache := fs.Bool("no-cache", false, "analyse everything afresh, and cache nothing")
	without := map[string]*bool{}
	for _, name := range inspectSections {
		without[name] = fs.Bool("no-"+name, false, "leave out the "+name+" section")
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageErrorf("inspect: no FILE given (usage: sctrace inspect [--format F] FILE...)")
	}
	if *format != "table" && *format != "json" && *format != "markdown" {
		return usageErrorf("inspect: unknown --format %q (want table, json or markdown)", *format)
	}
	v, err := chooseSections("inspect", inspectSections, *sections, without)
	if err != nil {
		return err
	}
	if *width < 0 {
		return usageErrorf("inspect: --width %d: want a number of columns, or 0 for the default", *width)
	}
	v.width = *width
	if v.width == 0 {
		v.width = outputWidth(stdout)
	}
	opt := reach.Options{CacheDir: *cache}
	if *noCache {
		opt.CacheDir = ""
	}
	var results []*reach.Result
	failed := 0
	for _, f := range files {
		r, err := reach.Analyze(f, opt)
		if err != nil {
			fmt.Fprintf(stderr, "sctrace: inspect %s: %v\n", f, inspectError(f, err))
			failed++
			continue
		}
		results = append(results, r)
	}
	switch *format {
	case "json":
		b, err := json.MarshalIndent(inspectJSON(results), "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	default:
		for i, r := range results {
			v.hint = "sctrace inspect --section %s " + audit.ShellQuote(r.Path)
			tables := v.apply(inspectTables(r))
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			if *format == "markdown" {
				renderMarkdown(stdout, tables)
			} else {
				renderTables(stdout, tables, v.width)
			}
		}
	}
	if failed > 0 {
		return exitStatus(2)
	}
	return nil
}

// inspectError says why a file could not be analysed, in the terms of a user: a script names
// its interpreter.
func inspectError(path string, err error) error {
	if b := fileStart(path, 256); len(b) > 2 && b[0] == '#' && b[1] == '!' {
		line, _, _ := strings.Cut(string(b[2:]), "\n")
		f := strings.Fields(line)
		if len(f) > 1 && filepath.Base(f[0]) == "env" {
			// #!/usr/bin/env [-S] NAME: env runs NAME from $PATH.
			for _, w := range f[1:] {
				if !strings.HasPrefix(w, "-") && !strings.Contains(w, "=") {
					return fmt.Errorf("a script: inspect its interpreter (%s, which %s runs from $PATH)", w, f[0])
				}
			}
		}
		return fmt.Errorf("a script: inspect its interpreter (%s)", strings.TrimSpace(line))
	}
	return err
}

// fileStart returns the first n bytes of path if it is a regular file (nil otherwise): a FIFO
// is not waited on.
func fileStart(path string, n int) []byte {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	b := make([]byte, n)
	k, _ := io.ReadFull(f, b)
	return b[:k]
}

// defaultReachCache is where inspect keeps its analyses: the user's cache directory.
func defaultReachCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "sctrace", "reach")
}

// chooseSections makes the view of --section and --no-NAME (shared by report and inspect).
func chooseSections(cmd string, all []string, list string, without map[string]*bool) (view, error) {
	v := view{limit: 20}
	if list != "" {
		v.limit, v.sections = 0, map[string]bool{}
		for _, name := range strings.Split(list, ",") {
			name = strings.TrimSpace(name)
			if name == "all" {
				v.sections = nil
				break
			}
			if !slices.Contains(all, name) {
				hint := ""
				if m := closest(name, all); m != "" {
					hint = fmt.Sprintf("did you mean %s? ", m)
				}
				return view{}, usageErrorf("%s: unknown section %q (%swant one of %s, or all)", cmd, name, hint, strings.Join(all, ", "))
			}
			v.sections[name] = true
		}
	}
	for name, off := range without {
		if !*off {
			continue
		}
		if v.sections == nil {
			v.sections = map[string]bool{}
			for _, s := range all {
				v.sections[s] = true
			}
		}
		delete(v.sections, name)
	}
	return v, nil
}

// inspectArches is the order arches are shown in.
func inspectArches(r *reach.Result) []string {
	var out []string
	for _, a := range []string{"x86_64", "x86", "x32"} {
		if c := r.Arches[a]; c != nil && (c.Any || len(c.Nrs) > 0) {
			out = append(out, a)
		}
	}
	return out
}

// inspectTables lays out one analysis.
func inspectTables(r *reach.Result) []audit.Table {
	name := r.Path
	sum := audit.Table{Section: "summary", Title: "What " + name + " can call", Fields: true, Shrink: 1}
	add := func(k, v string) { sum.Rows = append(sum.Rows, []string{k, v}) }
	// The objects by name, and module sets (gconv's 253, NSS, lib-dynload) by their directory.
	var names []string
	modules := map[string]int{}
	for _, o := range r.Objects {
		if o.Kind == "module" {
			modules[filepath.Dir(o.Path)]++
			continue
		}
		names = append(names, filepath.Base(o.Path))
	}
	for _, dir := range slices.Sorted(maps.Keys(modules)) {
		names = append(names, plural(modules[dir], "module", "modules")+" in "+dir)
	}
	add("objects", fmt.Sprintf("%d: %s", len(r.Objects), strings.Join(names, ", ")))
	calls := audit.Table{Section: "calls", Title: "System calls " + name + " can make", Header: []string{"arch", "group", "syscall", "reached from"}, Shrink: -1, Wrap: 3, Same: []int{0}, Keep: []int{2}}
	risks := audit.Table{Section: "risks", Title: "Risky calls " + name + " can make", Header: []string{"arch", "syscall", "why it matters", "path"}, Shrink: -1, Wrap: 2, Same: []int{0}, Keep: []int{1}}
	var risky []string
	for _, a := range inspectArches(r) {
		c := r.Arches[a]
		names := r.Names(a)
		summary := plural(len(names), "call", "calls")
		if c.Any {
			summary = fmt.Sprintf("unbounded: the number of %s could not be determined, so any call is possible (%s found)",
				plural(countSites(r, a), "system call site", "system call sites"), plural(len(names), "call", "calls"))
		}
		add(a, summary)
		rows := make([][]string, 0, len(names))
		for _, n := range names {
			from := provenanceOf(r, a, n)
			rows = append(rows, []string{a, audit.GroupOf(n), n, from})
			if why := audit.Risk(n); why != "" {
				risks.Rows = append(risks.Rows, []string{a, n, why, pathOf(r, a, n)})
				risky = append(risky, n)
			}
		}
		slices.SortStableFunc(rows, func(x, y []string) int {
			return audit.GroupIndex(x[1]) - audit.GroupIndex(y[1])
		})
		calls.Rows = append(calls.Rows, rows...)
	}
	if len(risky) == 0 {
		add("risky", "none reachable")
		risks.Note = "None of the calls that widen the kernel attack surface or reach beyond the process is reachable."
	} else {
		add("risky", strings.Join(slices.Compact(slices.Sorted(slices.Values(risky))), ", "))
	}
	unres := audit.Table{Section: "unresolved", Title: "System calls whose number is unknown", Header: []string{"arch", "object", "function", "address", "why"}, Shrink: -1, Wrap: 4, Same: []int{0}, Names: []int{1, 2}}
	for _, s := range r.Unresolved {
		unres.Rows = append(unres.Rows, []string{s.Arch, filepath.Base(s.Object), s.Function, fmt.Sprintf("%#x", s.Addr), strings.Join(s.Reasons, "; ")})
	}
	if len(r.Unresolved) == 0 {
		unres.Note = "Every reachable system call's number was determined."
	}
	if len(r.Unresolved) == 0 {
		add("unresolved", "none")
	} else {
		add("unresolved", plural(len(r.Unresolved), "site", "sites"))
		sum.Refs = map[int]string{len(sum.Rows) - 1: "unresolved"}
	}
	objs := audit.Table{Section: "objects", Title: "Objects analysed", Header: []string{"object", "kind", "found", "functions", "reached", "cached"}, Shrink: -1, Wrap: 2, Same: []int{1, 5}, Names: []int{0}}
	for _, o := range r.Objects {
		cached := ""
		if o.Cached {
			cached = "yes"
		}
		objs.Rows = append(objs.Rows, []string{o.Path, o.Kind, o.How, strconv.Itoa(o.Functions), strconv.Itoa(o.Reached), cached})
	}
	assume := audit.Table{Section: "assumptions", Title: "What the analysis assumed", Fields: true, Shrink: 1}
	for i, s := range r.Assumptions {
		assume.Rows = append(assume.Rows, []string{strconv.Itoa(i + 1), s})
	}
	if len(r.Assumptions) == 0 {
		assume.Note = "Nothing."
	}
	add("assumptions", strconv.Itoa(len(r.Assumptions)))
	if len(r.Assumptions) > 0 {
		if sum.Refs == nil {
			sum.Refs = map[int]string{}
		}
		sum.Refs[len(sum.Rows)-1] = "assumptions"
	}
	return []audit.Table{sum, calls, risks, unres, objs, assume}
}

// countSites counts the unresolved sites of an arch.
func countSites(r *reach.Result, archName string) int {
	n := 0
	for _, s := range r.Unresolved {
		if s.Arch == archName {
			n++
		}
	}
	return n
}

// provenanceOf says where a call is reached from: its first provenance, "FUNC in OBJECT", with
// how its number was found when that was not a constant next to the instruction.
func provenanceOf(r *reach.Result, archName, name string) string {
	nr, ok := callNumber(archName, name)
	if !ok {
		return ""
	}
	ps := r.Arches[archName].Nrs[nr]
	if len(ps) == 0 {
		return ""
	}
	p := ps[0]
	var s string
	if strings.HasPrefix(p.Via, "rule:") {
		s = p.Via
	} else {
		s = p.Function
		if p.Object != "" {
			s += " in " + filepath.Base(p.Object)
		}
		if p.Via != "" && p.Via != "direct" {
			s += " (" + p.Via + ")"
		}
	}
	return s
}

// pathOf says how the program gets to a call: the path of one of its provenances, the entry
// point's first, then the shortest ("entry point: _start (ls) → main (ls, address taken) → …"),
// with the rule that added it if any; without a path (calls added by a rule of the kernel),
// provenanceOf.
func pathOf(r *reach.Result, archName, name string) string {
	nr, ok := callNumber(archName, name)
	if !ok {
		return ""
	}
	var best *reach.Provenance
	rank := func(p *reach.Provenance) int {
		n := len(p.Path)
		if !strings.HasPrefix(p.Path[0], "entry point:") {
			n += 1000
		}
		return n
	}
	ps := r.Arches[archName].Nrs[nr]
	for i := range ps {
		if p := &ps[i]; len(p.Path) > 0 && (best == nil || rank(p) < rank(best)) {
			best = p
		}
	}
	if best == nil {
		return provenanceOf(r, archName, name)
	}
	s := strings.Join(best.Path, " → ")
	if strings.HasPrefix(best.Via, "rule:") {
		s += " (" + best.Via + ")"
	}
	return s
}

// inspectResult is inspect's JSON form of one analysis.
type inspectResult struct {
	Path        string                  `json:"path"`
	Objects     []reach.Object          `json:"objects"`
	Arches      map[string]inspectCalls `json:"arches"`
	Unresolved  []reach.Site            `json:"unresolved"`
	Assumptions []string                `json:"assumptions"`
}

// inspectCalls is one arch of an inspectResult.
type inspectCalls struct {
	Unbounded bool                          `json:"unbounded"`
	Syscalls  map[string][]reach.Provenance `json:"syscalls"`
}

func inspectJSON(results []*reach.Result) []inspectResult {
	out := []inspectResult{}
	for _, r := range results {
		ir := inspectResult{Path: r.Path, Objects: r.Objects, Arches: map[string]inspectCalls{}, Unresolved: r.Unresolved, Assumptions: r.Assumptions}
		for _, a := range inspectArches(r) {
			c := inspectCalls{Unbounded: r.Arches[a].Any, Syscalls: map[string][]reach.Provenance{}}
			for _, n := range r.Names(a) {
				if nr, ok := callNumber(a, n); ok {
					c.Syscalls[n] = r.Arches[a].Nrs[nr]
				}
			}
			ir.Arches[a] = c
		}
		out = append(out, ir)
	}
	return out
}

// callNumber is the number of a call name (or decimal key) in an arch.
func callNumber(archName, name string) (int, bool) {
	a, ok := arch.ByName(archName)
	if !ok {
		n, err := strconv.Atoi(name)
		return n, err == nil
	}
	return a.ParseKey(name)
}

// coverageOf analyses every executable of a profile (the files on this machine) and compares
// what it can call with what the profile recorded of it.
func coverageOf(p *learn.Profile, opt reach.Options, stderr io.Writer) []audit.CoverageRow {
	rows := []audit.CoverageRow{}
	for _, exe := range p.ExecutableNames() {
		e := p.Executables[exe]
		r, err := reach.Analyze(exe, opt)
		for _, a := range slices.Sorted(maps.Keys(e.Arches)) {
			if err != nil {
				rows = append(rows, audit.CoverageRow{Executable: exe, Arch: a, Error: err.Error()})
				continue
			}
			seen := slices.Sorted(maps.Keys(e.Arches[a].Syscalls))
			c := r.Arches[a]
			rows = append(rows, audit.NewCoverageRow(exe, a, r.Names(a), seen, c != nil && c.Any))
		}
	}
	return rows
}
