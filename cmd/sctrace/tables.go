package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"

	"github.com/sctrace/sctrace/emit/audit"
)

// view says how much of a report to show: which sections, how many rows of each, how wide.
type view struct {
	sections map[string]bool // nil: every section
	limit    int             // rows per long table, 0: all
	width    int             // columns, 0: no limit
	hint     string          // the command that shows a section in full, with %s for its name
}

// longSections are cut to view.limit rows unless chosen by name: they grow with the workload.
var longSections = []string{"executables", "tree", "files", "programs", "endpoints",
	"objects", "unresolved", "assumptions"} // the last three: inspect's

// apply selects and cuts the tables.
func (v view) apply(tables []audit.Table) []audit.Table {
	var out []audit.Table
	for _, t := range tables {
		if v.sections != nil && !v.sections[t.Section] {
			continue
		}
		if v.limit > 0 && slices.Contains(longSections, t.Section) && len(t.Rows) > v.limit {
			more := len(t.Rows) - v.limit
			t.Rows = t.Rows[:v.limit:v.limit]
			note := fmt.Sprintf("… and %s more %s", audit.Thousands(uint64(more)), map[bool]string{true: "row", false: "rows"}[more == 1])
			if v.hint != "" {
				note += " (" + fmt.Sprintf(v.hint, t.Section) + " shows them all)"
			}
			if t.Note != "" {
				note += "; " + t.Note
			}
			t.Note = note
		}
		out = append(out, t)
	}
	return pointRefs(out)
}

// pointRefs ends each summary row that has a Ref with where its detail is: "(listed below)"
// when that section is among tables, else the --section that lists it.
func pointRefs(tables []audit.Table) []audit.Table {
	shown := map[string]bool{}
	for _, t := range tables {
		shown[t.Section] = true
	}
	for i, t := range tables {
		if len(t.Refs) == 0 {
			continue
		}
		rows := make([][]string, len(t.Rows))
		for j, r := range t.Rows {
			rows[j] = r
			section, ok := t.Refs[j]
			if !ok || len(r) < 2 {
				continue
			}
			r = slices.Clone(r)
			if shown[section] {
				r[1] += " (listed below)"
			} else {
				r[1] += " (--section " + section + " lists them)"
			}
			rows[j] = r
		}
		tables[i].Rows, tables[i].Refs = rows, nil
	}
	return tables
}

// renderTables draws report tables as text, each fitted to width columns (0: no limit).
func renderTables(w io.Writer, tables []audit.Table, width int) {
	for i, t := range tables {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, t.Title)
		switch {
		case t.Fields:
			renderFields(w, t.Rows, width)
		case len(t.Rows) > 0:
			t = dropColumns(t, width)
			tw := newTable(w)
			tw.SetHeader(t.Header)
			tw.AppendBulk(fit(t, width))
			tw.Render()
		case t.Note == "":
			fmt.Fprintln(w, "(none)")
		}
		if t.Note != "" {
			fmt.Fprintln(w, wrap(t.Note, width, ""))
		}
	}
}

// renderFields draws name–value rows as aligned lines, values wrapped at width.
func renderFields(w io.Writer, rows [][]string, width int) {
	pad := 0
	for _, r := range rows {
		pad = max(pad, utf8.RuneCountInString(r[0]))
	}
	indent := strings.Repeat(" ", pad+4)
	for _, r := range rows {
		name := "  " + r[0] + strings.Repeat(" ", pad-utf8.RuneCountInString(r[0])) + "  "
		fmt.Fprintln(w, name+strings.TrimPrefix(wrap(r[1], width, indent), indent))
	}
}

// dropColumns leaves out of t, when it is wider than width columns even with its Shrink column
// cut as far as fit cuts it, the columns that say nothing row by row: those empty in every row
// (an Arguments table where nothing matters), then the label columns (t.Same: the arch) that
// hold the same value in every row. Their headers and repeated values would take the room the
// other columns need. The note under the table names them, with the value they share.
func dropColumns(t audit.Table, width int) audit.Table {
	if width <= 0 || len(t.Rows) == 0 {
		return t
	}
	tooWide := func() bool {
		widths, excess := tableWidths(t.Header, t.Rows, width)
		if s := t.Shrink; s >= 0 && s < len(widths) {
			excess -= widths[s] - min(widths[s], max(utf8.RuneCountInString(t.Header[s]), width/3, 12))
		}
		return excess > 0
	}
	var notes []string
	for _, labels := range []bool{false, true} {
		if !tooWide() {
			break
		}
		var keep []int
		var dropped []string
		for i, h := range t.Header {
			first := strings.TrimSpace(t.Rows[0][i])
			same := true
			for _, r := range t.Rows {
				if strings.TrimSpace(r[i]) != first {
					same = false
					break
				}
			}
			switch {
			case !same || i == t.Shrink || (t.Wrap > 0 && i == t.Wrap):
				keep = append(keep, i)
			case !labels && first == "":
				dropped = append(dropped, strings.ToUpper(h)+" (empty in every row)")
			case labels && first != "" && slices.Contains(t.Same, i):
				dropped = append(dropped, strings.ToUpper(h)+" ("+first+" in every row)")
			default:
				keep = append(keep, i)
			}
		}
		if len(dropped) == 0 || len(keep) == 0 {
			continue
		}
		t = keepColumns(t, keep)
		notes = append(notes, dropped...)
	}
	if len(notes) > 0 {
		note := "Not shown, to fit the width: " + strings.Join(notes, ", ") + "."
		if t.Note != "" {
			note = strings.TrimSuffix(t.Note, ".") + ". " + note
		}
		t.Note = note
	}
	return t
}

// keepColumns returns t with only the columns keep (in order).
func keepColumns(t audit.Table, keep []int) audit.Table {
	out := t
	out.Header, out.Rows = nil, make([][]string, len(t.Rows))
	for _, i := range keep {
		out.Header = append(out.Header, t.Header[i])
	}
	for j, r := range t.Rows {
		for _, i := range keep {
			out.Rows[j] = append(out.Rows[j], r[i])
		}
	}
	renumber := func(cols []int) []int {
		var out []int
		for _, i := range cols {
			if j := slices.Index(keep, i); j >= 0 {
				out = append(out, j)
			}
		}
		return out
	}
	out.Same, out.Keep, out.Names = renumber(t.Same), renumber(t.Keep), renumber(t.Names)
	out.Shrink = slices.Index(keep, t.Shrink)
	if out.Wrap = slices.Index(keep, t.Wrap); t.Wrap <= 0 || out.Wrap < 0 {
		out.Wrap = 0
	}
	return out
}

// wrap breaks s into lines of at most width columns at spaces, every line starting with indent;
// width 0 keeps one line. A word longer than the width is broken after its |, =, , and - (a
// set of flags, CLONE_NEWNS|CLONE_NEWUSER|…; arg1=SOCK_STREAM,; writable-and-executable) where
// it has them; one that has none stays whole.
func wrap(s string, width int, indent string) string {
	return wrapAt(s, width, indent, "|=,-")
}

// wrapName is wrap for paths and symbols: a word longer than the width is also broken after
// its /, _ and . (/usr/lib/x86_64-linux-gnu/ then gconv/IBM1008.so; __pread64_ then nocancel).
func wrapName(s string, width int) string {
	return wrapAt(s, width, "", "|=,-/_.")
}

// wrapAt is wrap, with a word longer than the room broken after any of seps.
func wrapAt(s string, width int, indent, seps string) string {
	if width <= 0 {
		return indent + s
	}
	type token struct {
		text string
		glue bool // a piece of the word before it: no space between them
	}
	var tokens []token
	room := width - utf8.RuneCountInString(indent)
	for _, word := range strings.Fields(s) {
		if utf8.RuneCountInString(word) <= room || !strings.ContainsAny(word, seps) {
			tokens = append(tokens, token{text: word})
			continue
		}
		for i, piece := range splitAfterAny(word, seps) {
			tokens = append(tokens, token{text: piece, glue: i > 0})
		}
	}
	var b strings.Builder
	line := indent
	for _, tok := range tokens {
		sep := " "
		if tok.glue {
			sep = ""
		}
		switch {
		case line == indent:
			line += tok.text
		case utf8.RuneCountInString(line)+len(sep)+utf8.RuneCountInString(tok.text) > width:
			b.WriteString(line + "\n")
			line = indent + tok.text
		default:
			line += sep + tok.text
		}
	}
	b.WriteString(line)
	return b.String()
}

// splitAfterAny splits s after each of the characters in seps.
func splitAfterAny(s, seps string) []string {
	var out []string
	for s != "" {
		i := strings.IndexAny(s, seps)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// fit returns t's rows fitted to width columns as tablewriter draws them ("| a | b |": three
// columns per cell, and one): column t.Shrink cut short, then column t.Wrap broken into lines,
// then the widest column, again and again: text broken into lines, names cut. A table that
// cannot fit that way is drawn wider.
func fit(t audit.Table, width int) [][]string {
	if width <= 0 {
		return t.Rows
	}
	rows := t.Rows
	over := func() (widths []int, excess int) { return tableWidths(t.Header, rows, width) }
	edit := func(col, room int, f func(string, int) string) {
		out := make([][]string, len(rows))
		for i, r := range rows {
			r = append([]string(nil), r...)
			r[col] = f(r[col], room)
			out[i] = r
		}
		rows = out
	}
	// flow breaks column col into lines of room columns, always from the cells as given (a
	// cell broken before has lost where its words may be glued back: a word broken after its |).
	flow := func(col, room int, f func(string, int) string) {
		out := make([][]string, len(rows))
		for i, r := range rows {
			r = append([]string(nil), r...)
			r[col] = f(t.Rows[i][col], room)
			out[i] = r
		}
		rows = out
	}
	wrapCell := func(s string, n int) string { return wrap(s, n, "") }
	if widths, excess := over(); excess > 0 && t.Shrink >= 0 && t.Shrink < len(widths) {
		// Down to a third of the screen: past that, the other columns give way too (below).
		edit(t.Shrink, max(widths[t.Shrink]-excess, utf8.RuneCountInString(t.Header[t.Shrink]), width/3, 12), cut)
	}
	// wrapTo breaks column col into lines of room columns; where a word longer than that (which
	// wrap keeps whole) makes the column wider anyway, the column is broken again at that width,
	// so that its other lines use the room the long word takes.
	wrapTo := func(col, room int) {
		flow(col, room, wrapCell)
		if now, _ := over(); now[col] > room {
			flow(col, now[col], wrapCell)
		}
	}
	if widths, excess := over(); excess > 0 && t.Wrap > 0 && t.Wrap < len(widths) {
		wrapTo(t.Wrap, max(widths[t.Wrap]-excess, utf8.RuneCountInString(t.Header[t.Wrap]), 16))
	}
	// Last, the widest column, and again, while that helps. A column that did not get narrower
	// (a word longer than the room, which wrapping cannot break, is cut; what cutting cannot
	// shorten stays) is not tried again: the table is then drawn wider.
	stuck := make([]bool, len(t.Header))
	for _, i := range t.Keep {
		if i >= 0 && i < len(stuck) {
			stuck[i] = true
		}
	}
	// breakNames breaks the long words of column col (paths, symbols) after their / and _,
	// from the cells as given, where wrapping at spaces left the column too wide.
	breakNames := func(col, room int) {
		flow(col, room, wrapName)
		if now, _ := over(); now[col] > room {
			flow(col, room, func(s string, n int) string { return cutLines(wrapName(s, n), n) })
		}
	}
	for {
		widths, excess := over()
		if excess <= 0 {
			return rows
		}
		col := -1
		for i, n := range widths {
			if !stuck[i] && (col < 0 || n > widths[col]) {
				col = i
			}
		}
		if col < 0 {
			return rows
		}
		room := max(widths[col]-excess, utf8.RuneCountInString(t.Header[col]), 12)
		if room >= widths[col] {
			return rows
		}
		switch {
		case slices.Contains(t.Names, col):
			breakNames(col, room)
		case col == t.Shrink || ((t.Wrap <= 0 || col != t.Wrap) && !prose(rows, col)):
			edit(col, room, cut)
		default:
			wrapTo(col, room)
			if now, _ := over(); now[col] >= widths[col] {
				// A word longer than the room: a path or a symbol is broken after its / or
				// _ rather than cut; what still does not fit is cut.
				breakNames(col, room)
			}
		}
		if now, _ := over(); now[col] >= widths[col] {
			stuck[col] = true
		}
	}
}

// tableWidths returns the width of each column of a table as tablewriter draws it (the widest
// line of a cell or the header), and by how many columns the table is wider than width.
func tableWidths(header []string, rows [][]string, width int) (widths []int, excess int) {
	widths = make([]int, len(header))
	for i, h := range header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, c := range r {
			for _, line := range strings.Split(c, "\n") {
				widths[i] = max(widths[i], utf8.RuneCountInString(line))
			}
		}
	}
	total := 1
	for _, n := range widths {
		total += n + 3
	}
	return widths, total - width
}

// prose reports whether column col holds text (words) rather than names: it is broken into
// lines, not cut, when a table must be narrower. (A list of names to cut, such as a list of
// executables, is a table's Shrink column.)
func prose(rows [][]string, col int) bool {
	for _, r := range rows {
		if strings.ContainsAny(strings.TrimSpace(r[col]), " \n") {
			return true
		}
	}
	return false
}

// cutLines cuts each line of s longer than n columns (a word that wrap could not break) to n.
func cutLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		lines[i] = cutWord(line, n)
	}
	return strings.Join(lines, "\n")
}

// cut shortens s to n columns. A list of words keeps the words that fit and says how many it
// left out ("a b +3"); a path loses its middle ("/usr/…/bin/ls"), which keeps the name; anything
// else loses its end ("…").
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	words := strings.Fields(s)
	if len(words) > 1 {
		for k := len(words) - 1; k >= 1; k-- {
			head := strings.Join(words[:k], " ")
			tail := " +" + strconv.Itoa(len(words)-k)
			if utf8.RuneCountInString(head)+utf8.RuneCountInString(tail) <= n {
				return head + tail
			}
		}
		tail := " +" + strconv.Itoa(len(words)-1)
		return cutWord(words[0], n-utf8.RuneCountInString(tail)) + tail
	}
	return cutWord(s, n)
}

// cutWord shortens one word to n columns (at least 2): a path loses its middle, else its end.
func cutWord(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	n = max(n, 2)
	if strings.Contains(s, "/") && n >= 8 {
		tail := (n - 1) * 2 / 3
		return string(r[:n-1-tail]) + "…" + string(r[len(r)-tail:])
	}
	return string(r[:n-1]) + "…"
}

// renderMarkdown draws report tables as Markdown.
func renderMarkdown(w io.Writer, tables []audit.Table) {
	for i, t := range tables {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "## %s\n\n", t.Title)
		switch {
		case t.Fields:
			for _, r := range t.Rows {
				fmt.Fprintf(w, "- **%s**: %s\n", r[0], r[1])
			}
		case len(t.Rows) > 0:
			tw := newTable(w)
			tw.SetBorders(tablewriter.Border{Left: true, Right: true})
			tw.SetCenterSeparator("|")
			tw.SetHeader(t.Header)
			for _, r := range t.Rows {
				esc := make([]string, len(r))
				for j, c := range r {
					// A cell is one line in Markdown, and a | would end it.
					esc[j] = strings.ReplaceAll(strings.ReplaceAll(c, "|", "\\|"), "\n", " ")
				}
				tw.Append(esc)
			}
			tw.Render()
		case t.Note == "":
			fmt.Fprintln(w, "(none)")
		}
		if t.Note != "" {
			fmt.Fprintln(w, t.Note)
		}
	}
}

// newTable returns a table writer for w that draws cells as given: left-aligned, never wrapped
// (fit has already made them narrow enough), headers in capitals.
func newTable(w io.Writer) *tablewriter.Table {
	tw := tablewriter.NewWriter(w)
	tw.SetAutoWrapText(false)
	tw.SetAlignment(tablewriter.ALIGN_LEFT)
	tw.SetHeaderAlignment(tablewriter.ALIGN_LEFT)
	return tw
}
