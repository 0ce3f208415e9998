package learn

import (
	"fmt"
	"strings"
)

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
	q := Merge(&Profile{Version: Version, Arches: e.Arches, Executables: map[string]*Executable{path: e},
		Recordings: p.Recordings})
	return q, nil
}
