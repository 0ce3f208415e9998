package learn

import (
	"encoding/json"
	"sort"
	"strings"
)

// Merge returns the union of profiles: counts summed, executables merged (process counts summed),
// recordings kept, all of them. It is lossless, commutative and associative, and does not modify
// its arguments.
func Merge(ps ...*Profile) *Profile {
	out := NewProfile()
	for _, p := range ps {
		mergeSets(out.Arches, p.Arches)
		for path, e := range p.Executables {
			if out.Executables == nil {
				out.Executables = map[string]*Executable{}
			}
			x := out.Executables[path]
			if x == nil {
				x = &Executable{Arches: map[string]*SyscallSet{}}
				out.Executables[path] = x
			}
			x.Processes += e.Processes
			x.Partial = x.Partial || e.Partial // a call missed once stays possibly missed
			mergeSets(x.Arches, e.Arches)
		}
		out.Recordings = append(out.Recordings, p.Recordings...)
		for path, uses := range p.Files {
			if out.Files == nil {
				out.Files = map[string][]string{}
			}
			if have, ok := out.Files[path]; ok || len(uses) != 1 {
				out.Files[path] = unionSorted(have, uses)
			} else {
				out.Files[path] = []string{uses[0]} // the common case, without a set
			}
		}
		out.Programs = append(out.Programs, p.Programs...)
		out.Endpoints = append(out.Endpoints, p.Endpoints...)
		if p.Dropped != nil {
			if out.Dropped == nil {
				out.Dropped = &Dropped{}
			}
			out.Dropped.Processes += p.Dropped.Processes
			out.Dropped.Files += p.Dropped.Files
			out.Dropped.Programs += p.Dropped.Programs
			out.Dropped.Endpoints += p.Dropped.Endpoints
		}
	}
	out.Programs = dedup(out.Programs, SortPrograms, func(a, b Program) bool {
		return a.Path == b.Path && strings.Join(a.Argv, "\x00") == strings.Join(b.Argv, "\x00")
	})
	out.Endpoints = dedup(out.Endpoints, SortEndpoints, func(a, b Endpoint) bool { return a == b })
	// Recordings in a canonical order, so that the order of the inputs does not matter. (One
	// is in order already: encoding/json's first use costs every record 0.1-0.2 ms.)
	if len(out.Recordings) > 1 {
		keys := make([]string, len(out.Recordings))
		for i, r := range out.Recordings {
			b, _ := json.Marshal(r)
			keys[i] = string(b)
		}
		sort.Sort(byKey{out.Recordings, keys})
	}
	return out
}

// unionSorted merges two sorted string lists without duplicates.
func unionSorted(a, b []string) []string {
	set := map[string]bool{}
	for _, s := range a {
		set[s] = true
	}
	for _, s := range b {
		set[s] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func dedup[T any](xs []T, sortFn func([]T), eq func(a, b T) bool) []T {
	if len(xs) == 0 {
		return nil
	}
	sortFn(xs)
	out := xs[:1]
	for _, x := range xs[1:] {
		if !eq(out[len(out)-1], x) {
			out = append(out, x)
		}
	}
	return out
}

type byKey struct {
	recs []Recording
	keys []string
}

func (b byKey) Len() int           { return len(b.recs) }
func (b byKey) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b byKey) Swap(i, j int) {
	b.recs[i], b.recs[j] = b.recs[j], b.recs[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
}

func mergeSets(dst, src map[string]*SyscallSet) {
	for a, set := range src {
		d := setIn(dst, a)
		for key, st := range set.Syscalls {
			d.addStat(key, st)
		}
	}
}
