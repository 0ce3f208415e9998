package record

import (
	"slices"

	"github.com/sctrace/sctrace/learn"
)

// argTuple is one combination of masked argument values.
type argTuple [learn.MaxArgs]uint64

// argSet collects the combinations a call was made with.
type argSet struct {
	spec    learn.ArgSpec
	seen    map[argTuple]struct{}
	widened bool
}

func newArgSet(s learn.ArgSpec) *argSet { return &argSet{spec: s, seen: map[argTuple]struct{}{}} }

// add notes the arguments of one call.
func (s *argSet) add(args *[6]uint64) {
	if s.widened {
		return
	}
	var t argTuple
	for i, idx := range s.spec.Index {
		t[i] = args[idx] & s.spec.Mask[i]
	}
	if _, ok := s.seen[t]; ok {
		return
	}
	if len(s.seen) >= learn.MaxArgValues {
		s.widened, s.seen = true, nil
		return
	}
	s.seen[t] = struct{}{}
}

// merge adds what another set of the same call saw.
func (s *argSet) merge(o *argSet) {
	if o.widened {
		s.widened, s.seen = true, nil
		return
	}
	var args [6]uint64
	for t := range o.seen {
		for i, idx := range o.spec.Index {
			args[idx] = t[i]
		}
		s.add(&args)
	}
}

// args returns what the set saw.
func (s *argSet) args() *learn.Args {
	a := &learn.Args{Index: slices.Clone(s.spec.Index), Mask: slices.Clone(s.spec.Mask), Widened: s.widened}
	if s.widened {
		return a
	}
	a.Values = make([][]uint64, 0, len(s.seen))
	for t := range s.seen {
		a.Values = append(a.Values, slices.Clone(t[:len(s.spec.Index)]))
	}
	slices.SortFunc(a.Values, slices.Compare)
	return a
}
