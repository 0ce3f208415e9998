package audit

import (
	"maps"
	"slices"
	"sort"

	"github.com/sctrace/sctrace/learn"
)

// Change is a call one profile has and the other lacks.
type Change struct {
	Arch       string `json:"arch"`
	Syscall    string `json:"syscall"`
	Executable string `json:"executable,omitempty"` // "" for the profile's arch-wide sets
	Risk       string `json:"risk,omitempty"`       // why it matters, for an added risky call
}

func (c Change) String() string {
	s := c.Arch + " " + c.Syscall
	if c.Executable != "" {
		s += " (" + c.Executable + ")"
	}
	return s
}

// Difference is what Diff found.
type Difference struct {
	Added   []Change `json:"added"`
	Removed []Change `json:"removed"`
}

// NeedsMore reports whether the new profile has a call, in any arch, that the old one lacks.
func (d *Difference) NeedsMore() bool {
	for _, c := range d.Added {
		if c.Executable == "" {
			return true
		}
	}
	return false
}

// Diff compares two profiles: per arch, then per executable that both name.
func Diff(old, cur *learn.Profile) *Difference {
	d := &Difference{}
	compare := func(exe string, o, n map[string]*learn.SyscallSet) {
		for _, a := range unionKeys(o, n) {
			os, ns := o[a], n[a]
			for _, k := range keysOf(ns) {
				if os == nil || os.Syscalls[k] == nil {
					d.Added = append(d.Added, Change{Arch: a, Syscall: k, Executable: exe, Risk: Risks[k]})
				}
			}
			for _, k := range keysOf(os) {
				if ns == nil || ns.Syscalls[k] == nil {
					d.Removed = append(d.Removed, Change{Arch: a, Syscall: k, Executable: exe})
				}
			}
		}
	}
	compare("", old.Arches, cur.Arches)
	var exes []string
	for path := range cur.Executables {
		if old.Executables[path] != nil {
			exes = append(exes, path)
		}
	}
	sort.Strings(exes)
	for _, path := range exes {
		compare(path, old.Executables[path].Arches, cur.Executables[path].Arches)
	}
	return d
}

func unionKeys(a, b map[string]*learn.SyscallSet) []string {
	set := map[string]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	return slices.Sorted(maps.Keys(set))
}

func keysOf(s *learn.SyscallSet) []string {
	if s == nil {
		return nil
	}
	set := map[string]bool{}
	for k := range s.Syscalls {
		set[k] = true
	}
	return slices.Sorted(maps.Keys(set))
}
