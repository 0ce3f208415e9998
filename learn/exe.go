package learn

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPartial is returned by ForExecutable for an executable whose calls are not all known.
var ErrPartial = errors.New("partial executable")

// ForExecutable returns the footprint of one executable of a recording: a profile whose arches
// hold what processes running path did, plus the execve that starts it. A recording counts the
// execve that started a program for the process that made it (the program's parent), but a
// filter installed before the program starts (a container runtime's, bubblewrap's) must allow it.
func ForExecutable(p *Profile, path string) (*Profile, error) {
	e := p.Executables[path]
	if e == nil {
		names := p.ExecutableNames()
		if len(names) > 10 {
			names = append(names[:10], "...")
		}
		return nil, fmt.Errorf("the profile has no executable %q (it has: %s)", path, strings.Join(names, ", "))
	}
	if e.Partial {
		return nil, fmt.Errorf("%w: the profile's calls for %s are partial (recorded with --base or run --on-deny report, "+
			"whose base let some of its calls run unobserved), so a filter from them could kill it; "+
			"record it without --base, or refine with a sctrace that traces it fully", ErrPartial, path)
	}
	q := Merge(&Profile{Version: Version, Arches: e.Arches, Executables: map[string]*Executable{path: e},
		Recordings: p.Recordings})
	if m := q.Machine(); m != nil {
		if _, ok := m.SyscallNumber("execve"); ok {
			setIn(q.Arches, m.Name).add("execve", 0)
		}
	}
	return q, nil
}
