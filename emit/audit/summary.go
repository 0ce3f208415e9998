package audit

import (
	"sort"
	"strconv"

	"github.com/sctrace/sctrace/learn"
)

// Table is a titled grid of cells, the neutral form of every report.
type Table struct {
	// Section names the part of the report the table belongs to (Sections), for selection.
	Section string
	Title   string
	Header  []string
	Rows    [][]string
	// Note is a line printed under the table, such as "and 12 more".
	Note string
	// Shrink is the column that may be cut short when the table is wider than the screen (a
	// list of executables, a path); -1: none.
	Shrink int
	// Wrap is a column of prose that may be broken into lines when cutting Shrink is not
	// enough; 0 (the first column is never prose): none.
	Wrap int
	// Fields: the rows are name–value pairs, printed as aligned lines rather than a grid.
	Fields bool
	// Same are columns of labels (the arch) that may be left out when the table is wider than
	// the screen and every row holds the same value; a note under the table says which.
	Same []int
	// Keep are columns never cut nor broken (the call names of a table about calls): the
	// others give way, and a table that still does not fit is drawn wider.
	Keep []int
	// Names are columns of paths and symbols, which lose their meaning cut: a cell too long
	// for the room is broken into lines after its /, _ and . instead.
	Names []int
	// Refs point rows of a Fields table (a summary) at the section that lists their detail:
	// row index → section. The renderer says "(listed below)" when that section is shown, and
	// which --section shows it when it is not.
	Refs map[int]string
}

// Summary returns the one-screen summary `sctrace record` prints: calls per arch, and the
// executables that made the most calls (at most top of them; 0 means all).
func Summary(p *learn.Profile, top int) []Table {
	arches := Table{Title: "System calls by arch", Header: []string{"arch", "distinct", "calls"}, Shrink: -1}
	for _, name := range p.ArchNames() {
		distinct, calls := setTotals(p.Arches[name])
		arches.Rows = append(arches.Rows, []string{name, strconv.Itoa(distinct), strconv.FormatUint(calls, 10)})
	}

	type exeRow struct {
		path            string
		procs, distinct int
		calls           uint64
		arches          []string
	}
	var rows []exeRow
	for _, path := range p.ExecutableNames() {
		e := p.Executables[path]
		r := exeRow{path: path, procs: e.Processes}
		for _, a := range sortedNames(e.Arches) {
			d, c := setTotals(e.Arches[a])
			r.distinct += d
			r.calls += c
			r.arches = append(r.arches, a)
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].calls > rows[j].calls })
	exes := Table{Title: "Executables", Header: []string{"executable", "processes", "arches", "distinct", "calls"}, Shrink: 0}
	for i, r := range rows {
		if top > 0 && i == top {
			exes.Note = "and " + strconv.Itoa(len(rows)-top) + " more (sctrace report shows all)"
			break
		}
		archList := ""
		for k, a := range r.arches {
			if k > 0 {
				archList += ","
			}
			archList += a
		}
		exes.Rows = append(exes.Rows, []string{r.path, strconv.Itoa(r.procs), archList,
			strconv.Itoa(r.distinct), strconv.FormatUint(r.calls, 10)})
	}
	return []Table{arches, exes}
}

func setTotals(s *learn.SyscallSet) (distinct int, calls uint64) {
	if s == nil {
		return 0, 0
	}
	for _, st := range s.Syscalls {
		calls += st.Count
	}
	return len(s.Syscalls), calls
}

func sortedNames(m map[string]*learn.SyscallSet) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
