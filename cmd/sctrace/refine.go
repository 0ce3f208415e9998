package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sctrace/sctrace/emit/audit"
	"github.com/sctrace/sctrace/learn"
	"github.com/sctrace/sctrace/tracer"
)

// refiner keeps the per-executable sets of a refine run exact (record --base, run --on-deny
// report -o). The base filter lets the calls of the base profile run unobserved, so an
// executable's calls are all seen only if either the base's own set for it already holds every
// call the filter allows (then what runs unobserved is in that set), or the tracer made the
// process fully traced at its execve (tracer.Options.FullTrace). An executable for which
// neither holds is marked partial in the result. Its methods run on the tracer's thread.
type refiner struct {
	base    *learn.Profile
	covered map[string]bool // executables whose base set holds every allowed call
	pending map[int]string  // processes whose full tracing was asked for, not yet reported
	partial map[string]bool
	failed  []string
}

// newRefiner follows a refine run whose filter allows the calls of allowed (the base, and what
// the filter adds to it).
func newRefiner(allowed *learn.Profile) *refiner {
	return &refiner{base: allowed, covered: map[string]bool{}, pending: map[int]string{},
		partial: map[string]bool{}}
}

// needsFullTrace reports whether a process that now runs path must be fully traced for its set
// to be exact.
func (r *refiner) needsFullTrace(path string) bool {
	if c, ok := r.covered[path]; ok {
		return !c
	}
	c := coveredBy(r.base, path)
	r.covered[path] = c
	return !c
}

// coveredBy reports whether p's set for path holds every call p allows at all.
func coveredBy(p *learn.Profile, path string) bool {
	e := p.Executables[path]
	if e == nil || e.Partial {
		return false
	}
	for archName, set := range p.Arches {
		own := e.Arches[archName]
		for key := range set.Syscalls {
			if own == nil || own.Syscalls[key] == nil {
				return false
			}
		}
	}
	return true
}

// fullTrace is tracer.Options.FullTrace.
func (r *refiner) fullTrace(pid int, path string) bool {
	if !r.needsFullTrace(path) {
		return false
	}
	r.pending[pid] = path
	return true
}

// event follows the tracer's events.
func (r *refiner) event(e *tracer.Event) {
	switch e.Kind {
	case tracer.EventFullTrace:
		path := r.pending[e.Pid]
		delete(r.pending, e.Pid)
		if e.Failed != "" {
			r.partial[path] = true
			r.failed = append(r.failed, fmt.Sprintf("could not trace %s (pid %d) fully: %s", path, e.Pid, e.Failed))
		}
	case tracer.EventExit:
		if path, ok := r.pending[e.Pid]; ok {
			r.partial[path] = true // it ended before it could be fully traced
			delete(r.pending, e.Pid)
		}
	}
}

// mark sets the partial flag of the executables whose calls were not all seen.
func (r *refiner) mark(p *learn.Profile) {
	for path := range r.partial {
		if e := p.Executables[path]; e != nil {
			e.Partial = true
		}
	}
}

// warn says which executables stayed partial and why.
func (r *refiner) warn(w io.Writer) {
	for _, f := range r.failed {
		fmt.Fprintf(w, "sctrace: warning: %s; its calls in the profile are marked partial\n", f)
	}
}

// newCalls lists the (arch, call) pairs that after has and before lacks, as "arch call".
func newCalls(before, after *learn.Profile) []string {
	var out []string
	for archName, set := range after.Arches {
		old := before.Arches[archName]
		for key := range set.Syscalls {
			if old == nil || old.Syscalls[key] == nil {
				out = append(out, archName+" "+key)
			}
		}
	}
	for _, w := range audit.Diff(before, after).Widened {
		if w.Executable == "" {
			out = append(out, w.String())
		}
	}
	sort.Strings(out)
	return out
}

// allCalls lists every call of a profile, as newCalls names them.
func allCalls(p *learn.Profile) []string {
	var out []string
	for archName, set := range p.Arches {
		for key := range set.Syscalls {
			out = append(out, archName+" "+key)
		}
	}
	sort.Strings(out)
	return out
}

// describeNew says what a refine run added: "3 new calls: x86_64 a, x86_64 b, x86 c".
func describeNew(calls []string) string {
	if len(calls) == 0 {
		return "no new calls"
	}
	const show = 12
	list := calls
	more := ""
	if len(list) > show {
		list, more = list[:show], fmt.Sprintf(" and %d more", len(calls)-show)
	}
	return plural(len(calls), "new call", "new calls") + ": " + strings.Join(list, ", ") + more
}
