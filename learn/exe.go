package learn

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPartial is returned by ForExecutable for an executable whose calls are not all known.
var ErrPartial = errors.New("partial executable")

// ForExecutable returns the footprint of one executable of a recording: a profile whose arches
// hold what processes running path did.
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
	return q, nil
}
