package main

import (
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"

	"github.com/sctrace/sctrace/emit/audit"
)

// renderTables draws report tables as text.
func renderTables(w io.Writer, tables []audit.Table) {
	for _, t := range tables {
		if len(t.Rows) == 0 {
			if t.Note != "" {
				fmt.Fprintf(w, "\n%s\n%s\n", t.Title, t.Note)
			}
			continue
		}
		fmt.Fprintf(w, "\n%s\n", t.Title)
		tw := tablewriter.NewWriter(w)
		tw.Header(anySlice(t.Header)...)
		for _, r := range t.Rows {
			tw.Append(anySlice(r)...)
		}
		tw.Render()
		if t.Note != "" {
			fmt.Fprintln(w, t.Note)
		}
	}
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
