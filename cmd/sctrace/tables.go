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
	return out
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

// wrap breaks s into lines of at most width columns at spaces (a longer word stays whole),
// every line starting with indent; width 0 keeps one line.
func wrap(s string, width int, indent string) string {
	if width <= 0 {
		return indent + s
	}
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(s) {
		if line != indent && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}

// fit returns t's rows fitted to width columns as tablewriter draws them ("| a | b |": three
// columns per cell, and one): column t.Shrink cut short, then column t.Wrap broken into lines.
// The other columns are kept whole: a table that cannot fit that way is drawn wider.
func fit(t audit.Table, width int) [][]string {
	if width <= 0 {
		return t.Rows
	}
	rows := t.Rows
	over := func() (widths []int, excess int) {
		widths = make([]int, len(t.Header))
		for i, h := range t.Header {
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
	edit := func(col, room int, f func(string, int) string) {
		out := make([][]string, len(rows))
		for i, r := range rows {
			r = append([]string(nil), r...)
			r[col] = f(r[col], room)
			out[i] = r
		}
		rows = out
	}
	if widths, excess := over(); excess > 0 && t.Shrink >= 0 && t.Shrink < len(widths) {
		// Down to a third of the screen: past that, the other columns give way too (below).
		edit(t.Shrink, max(widths[t.Shrink]-excess, utf8.RuneCountInString(t.Header[t.Shrink]), width/3, 12), cut)
	}
	if widths, excess := over(); excess > 0 && t.Wrap > 0 && t.Wrap < len(widths) {
		edit(t.Wrap, max(widths[t.Wrap]-excess, utf8.RuneCountInString(t.Header[t.Wrap]), 16), func(s string, n int) string {
			return wrap(s, n, "")
		})
	}
	// Last, the widest column, and again, while that helps. A column that did not get narrower
	// (a word longer than the room, which wrapping cannot break, is cut; what cutting cannot
	// shorten stays) is not tried again: the table is then drawn wider.
	stuck := make([]bool, len(t.Header))
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
		if col == t.Shrink || !prose(rows, col) {
			edit(col, room, cut)
		} else {
			edit(col, room, func(s string, n int) string { return wrap(s, n, "") })
			if now, _ := over(); now[col] >= widths[col] {
				edit(col, room, cut)
			}
		}
		if now, _ := over(); now[col] >= widths[col] {
			stuck[col] = true
		}
	}
}

// prose reports whether column col holds text (words with punctuation) rather than names: it
// is broken into lines, not cut, when a table must be narrower.
func prose(rows [][]string, col int) bool {
	for _, r := range rows {
		if strings.ContainsAny(r[col], ",;:") && strings.Contains(r[col], " ") {
			return true
		}
	}
	return false
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
