// Package emit turns a learn.Profile into what other programs and people read: reports now, and
// seccomp filters and the ecosystem's profile formats as they land. It is pure: no OS access, and
// the same profile always gives the same bytes.
//
// Reports are returned as Tables, plain rows that the command line renders (with tablewriter),
// so that this package stays free of terminal handling.
package emit
