package audit

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sctrace/sctrace/learn"
)

// Report is what `sctrace report` shows of a profile; its JSON form is the same content for tools.
type Report struct {
	Recordings  []learn.Recording `json:"recordings"`
	Syscalls    []SyscallRow      `json:"syscalls"`
	Arguments   []ArgRow          `json:"arguments"`
	Risks       []RiskRow         `json:"risks"`
	Docker      []DockerRow       `json:"docker_default_blocks"`
	Executables []ExecutableRow   `json:"executables"`
	Tree        []TreeRow         `json:"process_tree"`
	Files       []FileRow         `json:"files"`
	Programs    []learn.Program   `json:"programs"`
	Endpoints   []learn.Endpoint  `json:"endpoints"`
	Dropped     *learn.Dropped    `json:"dropped,omitempty"`
	// Coverage compares each executable's recorded calls with those it can make (filled by the
	// command line with sctrace inspect's analysis, on request).
	Coverage []CoverageRow `json:"coverage,omitempty"`
	// CoverageTotals adds the coverage rows up (JSON only: set by JSON when Coverage is).
	CoverageTotals *CoverageTotals `json:"coverage_totals,omitempty"`
}

// CoverageRow is one executable's coverage in one arch.
type CoverageRow struct {
	Executable string `json:"executable"`
	Arch       string `json:"arch"`
	// Possible and Seen count the calls it can make and those recorded; Unbounded: the analysis
	// could not bound them (Possible counts those it found).
	Possible  int  `json:"possible"`
	Seen      int  `json:"seen"`
	Unbounded bool `json:"unbounded,omitempty"`
	// UnseenRisky are possible calls with a risk flag that the recordings never saw;
	// UnseenByGroup counts the other possible but unseen calls per group.
	UnseenRisky   []string       `json:"unseen_risky,omitempty"`
	UnseenByGroup map[string]int `json:"unseen_by_group,omitempty"`
	// Missed are recorded calls the analysis did not find: it was wrong about them.
	Missed []string `json:"missed,omitempty"`
	// Error says why the executable could not be analysed.
	Error string `json:"error,omitempty"`
}

// NewCoverageRow compares the recorded calls of an executable in an arch with those it can make.
func NewCoverageRow(exe, archName string, possible, seen []string, unbounded bool) CoverageRow {
	row := CoverageRow{Executable: exe, Arch: archName, Possible: len(possible), Seen: len(seen), Unbounded: unbounded}
	can := map[string]bool{}
	for _, n := range possible {
		can[n] = true
	}
	did := map[string]bool{}
	for _, n := range seen {
		did[n] = true
		if !can[n] && !unbounded {
			row.Missed = append(row.Missed, n)
		}
	}
	for _, n := range possible {
		if did[n] {
			continue
		}
		if Risk(n) != "" {
			row.UnseenRisky = append(row.UnseenRisky, n)
			continue
		}
		if row.UnseenByGroup == nil {
			row.UnseenByGroup = map[string]int{}
		}
		row.UnseenByGroup[groupOf(n)]++
	}
	sort.Strings(row.Missed)
	sort.Strings(row.UnseenRisky)
	return row
}

// Percent is the share of the possible calls the recordings saw.
func (c CoverageRow) Percent() float64 {
	if c.Possible == 0 {
		return 0
	}
	return 100 * float64(c.Seen-len(c.Missed)) / float64(c.Possible)
}

// SyscallRow is one call of one arch.
type SyscallRow struct {
	Arch        string   `json:"arch"`
	Name        string   `json:"name"`
	Group       string   `json:"group"`
	Count       uint64   `json:"count"`
	Executables []string `json:"executables"`
}

// RiskRow flags a call that matters.
type RiskRow struct {
	Arch        string   `json:"arch"`
	Name        string   `json:"name"`
	Reason      string   `json:"reason"`
	Executables []string `json:"executables"`
}

// DockerRow is a recorded call Docker's default profile does not simply allow.
type DockerRow struct {
	Arch  string `json:"arch"`
	Name  string `json:"name"`
	Would string `json:"would"` // what Docker's default does with it
}

// ExecutableRow is one executable's footprint.
type ExecutableRow struct {
	Path      string `json:"path"`
	Processes int    `json:"processes"`
	Distinct  int    `json:"distinct"`
	Calls     uint64 `json:"calls"`
	// Partial: a refine run could not see all its calls (learn.Executable.Partial).
	Partial bool `json:"partial,omitempty"`
}

// TreeRow is one process of one recording, indented by depth.
type TreeRow struct {
	Recording int      `json:"recording"`
	Depth     int      `json:"depth"`
	Pid       int      `json:"pid"`
	Parent    int      `json:"parent"`
	Exec      []string `json:"exec"`
}

// FileRow is one path and how it was used.
type FileRow struct {
	Path string   `json:"path"`
	Uses []string `json:"uses"`
}

// DockerVerdict says what Docker's default seccomp profile does with a call of an arch, or ""
// when it allows it. The command line computes it from github.com/moby/profiles/seccomp (which
// touches the OS, so emit cannot import it).
type DockerVerdict func(arch, name string) string

// BuildReport gathers a report. docker may be nil.
func BuildReport(p *learn.Profile, docker DockerVerdict) *Report {
	r := &Report{Recordings: p.Recordings, Programs: p.Programs, Endpoints: p.Endpoints, Dropped: p.Dropped, Arguments: argRows(p)}
	exesOf := map[string]map[string][]string{} // arch -> call -> executables
	for _, path := range p.ExecutableNames() {
		e := p.Executables[path]
		row := ExecutableRow{Path: path, Processes: e.Processes, Partial: e.Partial}
		for a, set := range e.Arches {
			if exesOf[a] == nil {
				exesOf[a] = map[string][]string{}
			}
			for k, st := range set.Syscalls {
				exesOf[a][k] = append(exesOf[a][k], path)
				row.Distinct++
				row.Calls += st.Count
			}
		}
		r.Executables = append(r.Executables, row)
	}
	sort.SliceStable(r.Executables, func(i, j int) bool { return r.Executables[i].Calls > r.Executables[j].Calls })
	for _, a := range p.ArchNames() {
		for _, k := range p.Syscalls(a) {
			exes := append([]string{}, exesOf[a][k]...)
			sort.Strings(exes)
			r.Syscalls = append(r.Syscalls, SyscallRow{Arch: a, Name: k, Group: groupOf(k), Count: p.Count(a, k), Executables: exes})
			if why := Risk(k); why != "" {
				r.Risks = append(r.Risks, RiskRow{Arch: a, Name: k, Reason: why, Executables: exes})
			}
			if docker != nil {
				if v := docker(a, k); v != "" {
					r.Docker = append(r.Docker, DockerRow{Arch: a, Name: k, Would: v})
				}
			}
		}
	}
	groupIndex := map[string]int{}
	for i, g := range Groups {
		groupIndex[g] = i
	}
	sort.SliceStable(r.Syscalls, func(i, j int) bool {
		a, b := r.Syscalls[i], r.Syscalls[j]
		if a.Arch != b.Arch {
			return a.Arch < b.Arch
		}
		if a.Group != b.Group {
			return groupIndex[a.Group] < groupIndex[b.Group]
		}
		return a.Name < b.Name
	})
	for i, rec := range p.Recordings {
		r.Tree = append(r.Tree, treeRows(i, rec.Tree)...)
	}
	for _, path := range sortedFileKeys(p.Files) {
		r.Files = append(r.Files, FileRow{Path: path, Uses: p.Files[path]})
	}
	return r
}

func sortedFileKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// treeRows orders a recording's processes depth first, children in the order they appeared.
func treeRows(rec int, nodes []learn.Node) []TreeRow {
	children := map[int][]int{}
	known := map[int]bool{}
	for i, n := range nodes {
		known[n.Pid] = true
		children[n.Parent] = append(children[n.Parent], i)
	}
	var out []TreeRow
	var walk func(i, depth int)
	seen := map[int]bool{}
	walk = func(i, depth int) {
		if seen[i] {
			return
		}
		seen[i] = true
		n := nodes[i]
		out = append(out, TreeRow{Recording: rec, Depth: depth, Pid: n.Pid, Parent: n.Parent, Exec: n.Exec})
		for _, c := range children[n.Pid] {
			walk(c, depth+1)
		}
	}
	for i, n := range nodes {
		if !known[n.Parent] {
			walk(i, 0)
		}
	}
	return out
}

// JSON returns the report as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	if r.Coverage != nil {
		t := r.SumCoverage()
		r.CoverageTotals = &t
	}
	b, err := json.MarshalIndent(r, "", "  ")
	return append(b, '\n'), err
}

// Sections are the parts of a report, in the order it shows them; "summary" comes first and
// fits on one screen.
var Sections = []string{"summary", "recordings", "calls", "arguments", "risks", "docker", "executables", "tree", "files", "programs", "endpoints"}

// Tables returns the report as tables, each marked with its section.
func (r *Report) Tables() []Table {
	ts := []Table{r.summary()}
	if len(r.Recordings) > 0 {
		t := Table{Section: "recordings", Title: "Recordings", Header: []string{"command", "kernel", "exit", "processes"}, Shrink: 0}
		hidden := Table{Section: "recordings", Title: "Calls may be hidden from these recordings", Header: []string{"recording", "why"}, Shrink: -1, Wrap: 1}
		for i, rec := range r.Recordings {
			exit := strconv.Itoa(rec.ExitCode)
			if rec.Running {
				exit = "running at detach"
			}
			t.Rows = append(t.Rows, []string{ShellJoin(rec.Command), rec.Kernel + " " + rec.Machine,
				exit, strconv.Itoa(rec.Processes)})
			for _, h := range rec.Hidden {
				hidden.Rows = append(hidden.Rows, []string{strconv.Itoa(i + 1), h})
			}
		}
		ts = append(ts, t)
		if len(hidden.Rows) > 0 {
			ts = append(ts, hidden)
		}
	}
	sys := Table{Section: "calls", Title: "System calls by arch and group", Header: []string{"arch", "group", "syscall", "count", "executables"}, Shrink: 4, Same: []int{0}}
	for _, s := range r.Syscalls {
		sys.Rows = append(sys.Rows, []string{s.Arch, s.Group, s.Name, strconv.FormatUint(s.Count, 10), strings.Join(s.Executables, " ")})
	}
	ts = append(ts, sys)
	args := Table{Section: "arguments", Title: "Arguments the calls are allowed with", Header: []string{"arch", "syscall", "allowed", "what matters", "docker default"}, Shrink: -1, Wrap: 2, Same: []int{0}}
	for _, x := range r.Arguments {
		args.Rows = append(args.Rows, []string{x.Arch, x.Syscall, strings.Join(x.Allowed, "; "), strings.Join(x.Flags, "; "), x.Docker})
	}
	if len(args.Rows) == 0 {
		args.Note = "No call whose arguments sctrace learns was recorded."
	}
	ts = append(ts, args)
	risk := Table{Section: "risks", Title: "Risk flags", Header: []string{"arch", "syscall", "why it matters", "executables"}, Shrink: 3, Wrap: 2, Same: []int{0}}
	for _, x := range r.Risks {
		risk.Rows = append(risk.Rows, []string{x.Arch, x.Name, x.Reason, strings.Join(x.Executables, " ")})
	}
	if len(risk.Rows) == 0 {
		risk.Note = "None of the calls that widen the kernel attack surface or reach beyond the process were made."
	}
	ts = append(ts, risk)
	docker := Table{Section: "docker", Title: "Calls Docker's default profile would not simply allow", Header: []string{"arch", "syscall", "docker default"}, Shrink: -1, Wrap: 2, Same: []int{0}}
	for _, d := range r.Docker {
		docker.Rows = append(docker.Rows, []string{d.Arch, d.Name, d.Would})
	}
	if len(docker.Rows) == 0 {
		docker.Note = "Docker's default profile allows every recorded call."
	}
	ts = append(ts, docker)
	exes := Table{Section: "executables", Title: "Executables", Header: []string{"executable", "processes", "distinct", "calls"}, Shrink: 0}
	partial := 0
	for _, e := range r.Executables {
		path := e.Path
		if e.Partial {
			path += " (partial)"
			partial++
		}
		exes.Rows = append(exes.Rows, []string{path, strconv.Itoa(e.Processes), strconv.Itoa(e.Distinct), strconv.FormatUint(e.Calls, 10)})
	}
	if partial > 0 {
		exes.Note = "partial: a refine run let some of its calls run unobserved, so its calls may be incomplete; emit --exe refuses it"
	}
	ts = append(ts, exes)
	tree := Table{Section: "tree", Title: "Process tree", Header: []string{"process", "parent", "executed"}, Shrink: 2}
	for _, n := range r.Tree {
		tree.Rows = append(tree.Rows, []string{strings.Repeat("  ", n.Depth) + strconv.Itoa(n.Pid), strconv.Itoa(n.Parent), strings.Join(n.Exec, " → ")})
	}
	if r.Dropped != nil && r.Dropped.Processes > 0 {
		tree.Note = fmt.Sprintf("and %s, over the cap of %d", plural(r.Dropped.Processes, "more process", "more processes"), learn.MaxProcesses)
	}
	ts = append(ts, tree)
	files := Table{Section: "files", Title: "Files", Header: []string{"path", "use"}, Shrink: 0}
	for _, f := range r.Files {
		files.Rows = append(files.Rows, []string{f.Path, strings.Join(f.Uses, ",")})
	}
	if r.Dropped != nil && r.Dropped.Files > 0 {
		files.Note = fmt.Sprintf("and %s, over the cap of %d", plural(r.Dropped.Files, "more path", "more paths"), learn.MaxFiles)
	}
	ts = append(ts, files)
	progs := Table{Section: "programs", Title: "Programs executed", Header: []string{"program", "command line"}, Shrink: 1}
	for _, p := range r.Programs {
		progs.Rows = append(progs.Rows, []string{p.Path, ShellJoin(p.Argv)})
	}
	if r.Dropped != nil && r.Dropped.Programs > 0 {
		progs.Note = fmt.Sprintf("and %d more, over the cap of %d", r.Dropped.Programs, learn.MaxPrograms)
	}
	ts = append(ts, progs)
	eps := Table{Section: "endpoints", Title: "Network endpoints", Header: []string{"call", "family", "address", "port"}, Shrink: 2}
	for _, e := range r.Endpoints {
		port := ""
		if e.Family != "unix" {
			port = strconv.Itoa(e.Port)
		}
		eps.Rows = append(eps.Rows, []string{e.Call, e.Family, e.Address, port})
	}
	if r.Dropped != nil && r.Dropped.Endpoints > 0 {
		eps.Note = fmt.Sprintf("and %d more, over the cap of %d", r.Dropped.Endpoints, learn.MaxEndpoints)
	}
	ts = append(ts, eps)
	if footprintless(r.Recordings) {
		for i := range ts {
			if s := ts[i].Section; s == "files" || s == "programs" || s == "endpoints" {
				ts[i].Note = "not recorded (--syscalls-only)"
			}
		}
	}
	if r.Coverage != nil {
		ts = append(ts, r.coverageTable())
	}
	return ts
}

// coverageTable lays out Coverage.
func (r *Report) coverageTable() Table {
	t := Table{Section: "coverage", Title: "Coverage: recorded calls against those each executable can make (sctrace inspect)",
		Header: []string{"executable", "arch", "possible", "seen", "coverage", "possible but never seen"}, Shrink: 0, Wrap: 5, Same: []int{1}}
	missed := 0
	for _, c := range r.Coverage {
		if c.Error != "" {
			t.Rows = append(t.Rows, []string{c.Executable, c.Arch, "", "", "", "not analysed: " + c.Error})
			continue
		}
		possible, pct := strconv.Itoa(c.Possible), fmt.Sprintf("%.0f%%", c.Percent())
		if c.Unbounded {
			possible, pct = "any", "unknown"
		}
		var unseen []string
		if n := len(c.UnseenRisky); n > 0 {
			names := strings.Join(c.UnseenRisky[:min(n, 4)], ", ")
			if n > 4 {
				names += fmt.Sprintf(" and %d more", n-4)
			}
			unseen = append(unseen, fmt.Sprintf("%d risky: %s", n, names))
		}
		for _, g := range Groups {
			if n := c.UnseenByGroup[g]; n > 0 {
				unseen = append(unseen, fmt.Sprintf("%d %s", n, g))
			}
		}
		if len(c.Missed) > 0 {
			missed += len(c.Missed)
			unseen = append(unseen, "recorded but not possible now: "+strings.Join(c.Missed, ", "))
		}
		t.Rows = append(t.Rows, []string{c.Executable, c.Arch, possible, strconv.Itoa(c.Seen), pct, strings.Join(unseen, "; ")})
	}
	t.Note = "possible: what the executable and its libraries can call (sctrace inspect), counted per executable (the summary adds the rows up: a call two executables can make counts twice); coverage: the share of those the recordings made. A risky call that is possible but never seen is one a profile built from these recordings denies, and one other inputs could still reach (--format json lists them all)."
	if missed > 0 {
		t.Note += " " + plural(missed, "recorded call is", "recorded calls are") + " not possible for the file now at the recorded path: the file changed since the recording (the analysis reads it as it is now), or the analysis missed them (please report that)."
	}
	return t
}

// summary is the report on one screen: what was recorded, how many calls in each arch, the flags
// that matter, and how much each of the longer sections holds.
func (r *Report) summary() Table {
	t := Table{Section: "summary", Title: "Summary", Fields: true, Shrink: 1}
	add := func(name, value string) { t.Rows = append(t.Rows, []string{name, value}) }
	processes := 0
	for _, rec := range r.Recordings {
		processes += rec.Processes
	}
	switch len(r.Recordings) {
	case 0:
		add("recorded", "no recording is described in the profile")
	case 1:
		rec := r.Recordings[0]
		exit := "exit " + strconv.Itoa(rec.ExitCode)
		if rec.Running {
			exit = "running at detach"
		}
		add("recorded", fmt.Sprintf("%s (%s, %s)", ShellJoin(rec.Command), exit, plural(rec.Processes, "process", "processes")))
	default:
		add("recorded", fmt.Sprintf("%d runs, %s in all", len(r.Recordings), plural(processes, "process", "processes")))
	}
	type totals struct {
		distinct int
		calls    uint64
	}
	var arches []string
	per := map[string]*totals{}
	for _, s := range r.Syscalls {
		if per[s.Arch] == nil {
			per[s.Arch] = &totals{}
			arches = append(arches, s.Arch)
		}
		per[s.Arch].distinct++
		per[s.Arch].calls += s.Count
	}
	var calls []string
	for _, a := range arches {
		calls = append(calls, fmt.Sprintf("%s: %d distinct, %s made", a, per[a].distinct, Thousands(per[a].calls)))
	}
	if len(calls) == 0 {
		calls = []string{"none"}
	}
	add("system calls", strings.Join(calls, "; "))
	if len(r.Risks) == 0 {
		add("risk flags", "none")
	} else {
		var names []string
		for _, x := range r.Risks {
			names = append(names, x.Name)
		}
		add("risk flags", fmt.Sprintf("%d: %s", len(names), strings.Join(dedupe(names), ", ")))
	}
	var flagged []string
	learned := 0
	for _, x := range r.Arguments {
		if len(x.Allowed) > 0 && x.Allowed[0] != "any" && !strings.HasPrefix(x.Allowed[0], "any ") {
			learned++
		}
		for _, f := range x.Flags {
			if !strings.HasPrefix(f, "any arguments") {
				flagged = append(flagged, x.Syscall+": "+f)
			}
		}
	}
	if len(r.Arguments) > 0 {
		line := plural(learned, "call", "calls") + " allowed only with learned values"
		if len(flagged) > 0 {
			line += "; " + strings.Join(dedupe(flagged), "; ")
		}
		add("arguments", line)
	}
	if len(r.Docker) == 0 {
		add("docker default", "allows every recorded call")
	} else {
		var names []string
		for _, d := range r.Docker {
			names = append(names, d.Name)
		}
		add("docker default", fmt.Sprintf("would not simply allow %d: %s", len(names), strings.Join(dedupe(names), ", ")))
	}
	var hidden []string
	for _, rec := range r.Recordings {
		hidden = append(hidden, rec.Hidden...)
	}
	if len(hidden) > 0 {
		add("hidden calls", "possible: "+strings.Join(dedupe(hidden), "; "))
		t.Refs = map[int]string{len(t.Rows) - 1: "recordings"}
	}
	partial := 0
	for _, e := range r.Executables {
		if e.Partial {
			partial++
		}
	}
	exes := plural(len(r.Executables), "executable", "executables")
	if partial > 0 {
		exes += fmt.Sprintf(" (%d partial)", partial)
	}
	add("executables", exes)
	uses := map[string]int{}
	for _, f := range r.Files {
		for _, u := range f.Uses {
			uses[u]++
		}
	}
	files := plural(len(r.Files), "path", "paths")
	if len(r.Files) > 0 {
		var parts []string
		for _, u := range []string{learn.UseOpen, learn.UseCreate, learn.UseExec, learn.UseOpenFailed, learn.UseCreateFailed} {
			if uses[u] > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", Thousands(uint64(uses[u])), useVerb(u)))
			}
		}
		files += " (" + strings.Join(parts, ", ") + ")"
	}
	if r.Dropped != nil && r.Dropped.Files > 0 {
		files += fmt.Sprintf(", and %s over the cap", Thousands(uint64(r.Dropped.Files)))
	}
	if footprintless(r.Recordings) {
		// Nothing was looked for: "none" would claim the workload opened nothing.
		add("files", "not recorded (--syscalls-only)")
		add("programs", "not recorded (--syscalls-only)")
		add("endpoints", "not recorded (--syscalls-only)")
	} else {
		part := ""
		if n := syscallsOnlyRuns(r.Recordings); n > 0 {
			part = fmt.Sprintf(" (%d of %d recordings did not look: --syscalls-only)", n, len(r.Recordings))
		}
		add("files", none(len(r.Files)+dropped(r.Dropped), files)+part)
		add("programs", none(len(r.Programs), plural(len(r.Programs), "executed", "executed"))+part)
		add("endpoints", none(len(r.Endpoints), plural(len(r.Endpoints), "address", "addresses"))+part)
	}
	if r.Coverage != nil {
		add("coverage", r.coverageLine())
		if len(r.SumCoverage().NotAnalysed) > 1 {
			if t.Refs == nil {
				t.Refs = map[int]string{}
			}
			t.Refs[len(t.Rows)-1] = "coverage"
		}
	}
	return t
}

// CoverageTotals adds up the coverage rows for the summary. Possible and Seen count calls per
// executable and arch (a call that two executables can make counts twice), so they can exceed
// the number of calls an arch has.
type CoverageTotals struct {
	// Executables is how many executables the profile has, Analysed how many of them the
	// analysis could read; NotAnalysed names the others, with why.
	Executables int               `json:"executables"`
	Analysed    int               `json:"analysed"`
	NotAnalysed map[string]string `json:"not_analysed,omitempty"`
	// PossiblePerExecutable and SeenPerExecutable sum each analysed executable's possible and
	// recorded calls (in each arch): (executable, arch, call) triples, not distinct calls. An
	// unbounded row (any call possible) is left out of both.
	PossiblePerExecutable int `json:"possible_per_executable"`
	SeenPerExecutable     int `json:"seen_per_executable"`
	// UnseenRisky sums the risky calls possible but never seen, per executable.
	UnseenRisky int `json:"unseen_risky_per_executable"`
	// Unbounded counts the executables whose calls the analysis could not bound.
	Unbounded int `json:"unbounded"`
	// rows is how many (executable, arch) rows the sums are over; sameExecutable: some
	// executable has more than one of them.
	rows           int
	sameExecutable bool
}

// SumCoverage adds the coverage rows up.
func (r *Report) SumCoverage() CoverageTotals {
	var t CoverageTotals
	exes, unbounded, analysed := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, c := range r.Coverage {
		exes[c.Executable] = true
		if c.Error != "" {
			if t.NotAnalysed == nil {
				t.NotAnalysed = map[string]string{}
			}
			t.NotAnalysed[c.Executable] = c.Error
			continue
		}
		if analysed[c.Executable] {
			t.sameExecutable = true
		}
		analysed[c.Executable] = true
		if c.Unbounded { // any call possible: no count to add
			unbounded[c.Executable] = true
			continue
		}
		t.rows++
		t.PossiblePerExecutable += c.Possible
		t.SeenPerExecutable += c.Seen - len(c.Missed)
		t.UnseenRisky += len(c.UnseenRisky)
	}
	t.Executables, t.Analysed, t.Unbounded = len(exes), len(analysed), len(unbounded)
	return t
}

// coverageLine is the summary's coverage: how many executables were analysed, and the calls
// seen against those possible, in a unit that says they are counted per executable.
func (r *Report) coverageLine() string {
	t := r.SumCoverage()
	var parts []string
	if t.rows > 0 {
		unit := "calls"
		switch {
		case t.sameExecutable:
			unit = "(executable, arch, call) triples"
		case t.rows > 1:
			unit = "(executable, call) pairs"
		}
		line := fmt.Sprintf("%d of %d possible %s seen", t.SeenPerExecutable, t.PossiblePerExecutable, unit)
		if t.PossiblePerExecutable > 0 {
			line += fmt.Sprintf(" (%.0f%%)", 100*float64(t.SeenPerExecutable)/float64(t.PossiblePerExecutable))
		}
		parts = append(parts, line)
	}
	if n := len(t.NotAnalysed); n > 0 {
		line := fmt.Sprintf("%d of %s analysed: ", t.Analysed, plural(t.Executables, "executable", "executables"))
		if n == 1 {
			for exe, why := range t.NotAnalysed {
				line += fmt.Sprintf("%s could not be (%s)", exe, why)
			}
		} else {
			line += fmt.Sprintf("%d could not be", n)
		}
		parts = append(parts, line)
	} else if t.Executables > 1 {
		parts = append(parts, fmt.Sprintf("all %d executables analysed", t.Executables))
	}
	if t.UnseenRisky > 0 {
		parts = append(parts, plural(t.UnseenRisky, "risky call", "risky calls")+" possible but never seen")
	}
	if t.Unbounded > 0 {
		parts = append(parts, plural(t.Unbounded, "executable is", "executables are")+" unbounded (any call possible: not in the counts)")
	}
	if len(parts) == 0 {
		return "no executable recorded"
	}
	return strings.Join(parts, "; ")
}

// footprintless tells whether every recording was made without the footprint (files, programs,
// endpoints).
func footprintless(recs []learn.Recording) bool { return Footprintless(recs) }

// Footprintless tells whether every recording was made with --syscalls-only: no files, programs
// or endpoints were looked for.
func Footprintless(recs []learn.Recording) bool {
	for _, rec := range recs {
		if !rec.SyscallsOnly {
			return false
		}
	}
	return len(recs) > 0
}

// syscallsOnlyRuns counts the recordings made with --syscalls-only.
func syscallsOnlyRuns(recs []learn.Recording) int {
	n := 0
	for _, rec := range recs {
		if rec.SyscallsOnly {
			n++
		}
	}
	return n
}

// partlyFootprintless tells whether some, not all, recordings were made with --syscalls-only.
func partlyFootprintless(recs []learn.Recording) bool {
	n := syscallsOnlyRuns(recs)
	return n > 0 && n < len(recs)
}

// none is "none" when n is 0, else s.
func none(n int, s string) string {
	if n == 0 {
		return "none"
	}
	return s
}

// dropped is how many files the caps left out.
func dropped(d *learn.Dropped) int {
	if d == nil {
		return 0
	}
	return d.Files
}

// useVerb says a file use as a participle.
func useVerb(use string) string {
	switch use {
	case learn.UseOpen:
		return "opened"
	case learn.UseCreate:
		return "created"
	case learn.UseExec:
		return "executed"
	case learn.UseOpenFailed:
		return "failed to open"
	case learn.UseCreateFailed:
		return "failed to create"
	}
	return ""
}

// plural writes a count with its noun ("1 process", "6 548 paths").
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Thousands(uint64(n)) + " " + many
}

// Thousands writes n with a thin separator every three digits, as people read large counts.
func Thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 4 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// dedupe drops repeated strings, keeping the first of each.
func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// ShellQuote quotes s for a POSIX shell when it needs quoting, so that a command line printed in
// a report or a message can be pasted as it is.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellJoin quotes and joins a command line.
func ShellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = ShellQuote(a)
	}
	return strings.Join(q, " ")
}
