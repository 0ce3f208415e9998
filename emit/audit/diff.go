package audit

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

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
	// The footprint beyond calls: what NEW has and OLD lacks (Added), and the reverse.
	Executables Delta `json:"executables"`
	Programs    Delta `json:"programs"` // executed paths
	Endpoints   Delta `json:"endpoints"`
	Files       Delta `json:"files"`
	// NowPartial lists executables whose calls NEW marks partial and OLD did not.
	NowPartial []string `json:"now_partial,omitempty"`
	// Widened lists the calls both have that NEW allows with arguments OLD does not.
	Widened []Widening `json:"widened,omitempty"`
	// GateFiles are the files NEW uses in a way OLD did not (a new file, or one OLD only failed
	// to open, or now created) that fail the gate: outside the temporary places, whose names
	// differ from run to run (temporaryPath), and not merely failed to open.
	GateFiles []string `json:"gate_files,omitempty"`
	// NotCompared says why files, programs and endpoints were not compared (a profile recorded
	// with --syscalls-only has none to compare); empty: they were.
	NotCompared string `json:"footprint_not_compared,omitempty"`
}

// temporaryPrefixes are where file names differ from run to run.
var temporaryPrefixes = []string{"/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/", "/dev/pts/"}

// temporaryPath reports whether a path (cleaned) is in a place whose names differ between runs:
// the temporary directories, and /proc's per-process entries — but not what those lead back
// into (/proc/self/root, /proc/PID/cwd), nor /proc/sys, nor /sys, where writes matter.
func temporaryPath(p string) bool {
	p = path.Clean(p)
	for _, t := range temporaryPrefixes {
		if strings.HasPrefix(p, t) {
			return true
		}
	}
	if rest, ok := strings.CutPrefix(p, "/proc/"); ok {
		first, tail, _ := strings.Cut(rest, "/")
		if first == "sys" {
			return false
		}
		if first == "self" || first == "thread-self" || strings.Trim(first, "0123456789") == "" {
			second, _, _ := strings.Cut(tail, "/")
			return second != "root" && second != "cwd" && second != "fd"
		}
		return true
	}
	return false
}

// gateUses are the uses of a file that fail the gate when new: done, not merely attempted.
func gateUses(uses []string) map[string]bool {
	out := map[string]bool{}
	for _, u := range uses {
		if u != learn.UseOpenFailed && u != learn.UseCreateFailed {
			out[u] = true
		}
	}
	return out
}

// countsForGate reports whether NEW's use of a file fails the gate: outside the temporary places,
// a use (open, create, exec) OLD did not make of it (OLD may not have the file at all, or only
// failed to open it).
func countsForGate(path string, oldUses, newUses []string) bool {
	if temporaryPath(path) {
		return false
	}
	had := gateUses(oldUses)
	for u := range gateUses(newUses) {
		if !had[u] {
			return true
		}
	}
	return false
}

// Widening is a call NEW allows with more argument values than OLD.
type Widening struct {
	Arch       string `json:"arch"`
	Syscall    string `json:"syscall"`
	Executable string `json:"executable,omitempty"`
	// Values are the new combinations, decoded ("AF_INET6, SOCK_STREAM, 0"), or "any".
	Values []string `json:"values"`
	// Risk says why the new combinations matter (a user namespace, W^X, ...), if they do.
	Risk string `json:"risk,omitempty"`
}

func (w Widening) String() string {
	s := w.Arch + " " + w.Syscall + "(" + strings.Join(w.Values, ") "+w.Syscall+"(") + ")"
	if len(w.Values) == 1 && w.Values[0] == "any" {
		s = w.Arch + " " + w.Syscall + " with any arguments"
	}
	if w.Executable != "" {
		s += " (" + w.Executable + ")"
	}
	return s
}

// Delta is what one list gained and lost.
type Delta struct {
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// NeedsMore reports whether NEW needs more than OLD: a call in any arch, wider arguments, an
// executable, a program path, a network endpoint or a file (GateFiles) that OLD lacks. Removals
// do not count.
func (d *Difference) NeedsMore() bool {
	for _, c := range d.Added {
		if c.Executable == "" {
			return true
		}
	}
	for _, w := range d.Widened {
		if w.Executable == "" {
			return true
		}
	}
	return len(d.Executables.Added) > 0 || len(d.Programs.Added) > 0 || len(d.Endpoints.Added) > 0 || len(d.GateFiles) > 0
}

// Empty reports whether the profiles differ in nothing Diff compares.
func (d *Difference) Empty() bool {
	for _, x := range []Delta{d.Executables, d.Programs, d.Endpoints, d.Files} {
		if len(x.Added) > 0 || len(x.Removed) > 0 {
			return false
		}
	}
	return len(d.Added) == 0 && len(d.Removed) == 0 && len(d.NowPartial) == 0 && len(d.Widened) == 0
}

// delta compares two sets of names.
func delta(old, cur map[string]bool) Delta {
	d := Delta{Added: []string{}, Removed: []string{}}
	for _, k := range slices.Sorted(maps.Keys(cur)) {
		if !old[k] {
			d.Added = append(d.Added, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(old)) {
		if !cur[k] {
			d.Removed = append(d.Removed, k)
		}
	}
	return d
}

// footprintSets are a profile's executables, programs, endpoints and files, as names.
func footprintSets(p *learn.Profile) (exes, progs, eps, files map[string]bool) {
	exes, progs, eps, files = map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for path := range p.Executables {
		exes[path] = true
	}
	for _, pr := range p.Programs {
		progs[pr.Path] = true
	}
	for _, e := range p.Endpoints {
		eps[EndpointString(e)] = true
	}
	for path := range p.Files {
		files[path] = true
	}
	return
}

// EndpointString is how reports and diffs name an endpoint: "connect inet 10.0.0.1:443".
func EndpointString(e learn.Endpoint) string {
	addr := e.Address
	if e.Family != "unix" {
		addr = fmt.Sprintf("%s:%d", e.Address, e.Port)
		if e.Family == "inet6" {
			addr = fmt.Sprintf("[%s]:%d", e.Address, e.Port)
		}
	}
	return e.Call + " " + e.Family + " " + addr
}

// Diff compares two profiles: per arch, then per executable that both name.
func Diff(old, cur *learn.Profile) *Difference {
	d := &Difference{}
	compare := func(exe string, o, n map[string]*learn.SyscallSet) {
		for _, a := range unionKeys(o, n) {
			os, ns := o[a], n[a]
			for _, k := range keysOf(ns) {
				if os == nil || os.Syscalls[k] == nil {
					d.Added = append(d.Added, Change{Arch: a, Syscall: k, Executable: exe, Risk: Risk(k)})
					continue
				}
				if learn.Wider(os.Syscalls[k].Args, ns.Syscalls[k].Args) != nil {
					w := Widening{Arch: a, Syscall: k, Executable: exe, Values: newValues(a, k, os.Syscalls[k].Args, ns.Syscalls[k].Args)}
					w.Risk = strings.Join(argFlags(k, newArgs(os.Syscalls[k].Args, ns.Syscalls[k].Args)), "; ")
					d.Widened = append(d.Widened, w)
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
		if cur.Executables[path].Partial && !old.Executables[path].Partial {
			d.NowPartial = append(d.NowPartial, path)
		}
	}
	oe, op, oen, of := footprintSets(old)
	ne, np, nen, nf := footprintSets(cur)
	d.Executables = delta(oe, ne)
	switch {
	case Footprintless(old.Recordings):
		d.NotCompared = "OLD was recorded with --syscalls-only: files, programs and endpoints not compared"
	case partlyFootprintless(old.Recordings):
		// What NEW uses may be in OLD's runs that did not look.
		d.NotCompared = "OLD merges runs recorded with --syscalls-only: files, programs and endpoints not compared"
	case Footprintless(cur.Recordings):
		d.NotCompared = "NEW was recorded with --syscalls-only: files, programs and endpoints not compared"
	default:
		d.Programs, d.Endpoints, d.Files = delta(op, np), delta(oen, nen), delta(of, nf)
		for _, f := range slices.Sorted(maps.Keys(cur.Files)) {
			if countsForGate(f, old.Files[f], cur.Files[f]) {
				d.GateFiles = append(d.GateFiles, f)
			}
		}
	}
	if d.Added == nil {
		d.Added = []Change{}
	}
	if d.Removed == nil {
		d.Removed = []Change{}
	}
	return d
}

// newValues are the combinations cur allows a call and old does not, decoded.
func newValues(archName, call string, old, cur *learn.Args) []string {
	if cur == nil || cur.Widened || !slices.Equal(old.Index, cur.Index) || !slices.Equal(old.Mask, cur.Mask) {
		return []string{"any"}
	}
	var out []string
	for _, v := range cur.Values {
		if !slices.ContainsFunc(old.Values, func(w []uint64) bool { return slices.Equal(v, w) }) {
			out = append(out, describeArgsValues(archName, call, cur, v))
		}
	}
	return out
}

// newArgs is cur with only the combinations old lacks (cur itself when it allows any).
func newArgs(old, cur *learn.Args) *learn.Args {
	if cur == nil || cur.Widened || old == nil || !slices.Equal(old.Index, cur.Index) || !slices.Equal(old.Mask, cur.Mask) {
		return cur
	}
	out := &learn.Args{Index: cur.Index, Mask: cur.Mask}
	for _, v := range cur.Values {
		if !slices.ContainsFunc(old.Values, func(w []uint64) bool { return slices.Equal(v, w) }) {
			out.Values = append(out.Values, v)
		}
	}
	return out
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
