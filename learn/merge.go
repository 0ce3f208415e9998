package learn

import (
	"encoding/json"
	"sort"
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
			mergeSets(x.Arches, e.Arches)
		}
		out.Recordings = append(out.Recordings, p.Recordings...)
	}
	// Recordings in a canonical order, so that the order of the inputs does not matter.
	keys := make([]string, len(out.Recordings))
	for i, r := range out.Recordings {
		b, _ := json.Marshal(r)
		keys[i] = string(b)
	}
	sort.Sort(byKey{out.Recordings, keys})
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
			d.add(key, st.Count)
		}
	}
}
