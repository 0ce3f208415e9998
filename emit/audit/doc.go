// Package audit is what people read of a profile: the report (calls by group, risk flags, what
// Docker's default profile would do, the process tree, files, programs, endpoints), the diff that
// gates CI, and the summary record prints. Reports are returned as Tables, plain rows that the
// command line renders (with tablewriter), so that this package stays free of terminal handling.
// It is pure: no OS access, and the same profile always gives the same bytes.
package audit
