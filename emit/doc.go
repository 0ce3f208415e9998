// Package emit turns a learn.Profile into what other programs read: the seccomp filter compiler
// (multi-arch, x32-safe, binary search, argument checks) with its BPF assembler, the policy (what
// a profile allows: completion, fallbacks, runtime additions), and the ecosystem's formats (OCI,
// Kubernetes, systemd, minijail, go-seccomp-bpf, raw BPF). The audit side (reports, diffs,
// summaries, risk flags) is package emit/audit. Both are pure: no OS access, and the same profile
// always gives the same bytes.
package emit
