package learn

import (
	"fmt"
	"slices"

	"github.com/sctrace/sctrace/arch"
)

// Args are the argument values a call was made with, for the calls whose arguments decide what
// they can do (argSpecs): the arguments Index names, each masked with its Mask, and every
// combination seen, sorted. A call without Args may be made with any arguments (what version 2
// profiles, and calls sctrace does not learn the arguments of, mean).
type Args struct {
	Index  []int      `json:"index"`
	Mask   []uint64   `json:"mask"`
	Values [][]uint64 `json:"values"`
	// Widened: more than MaxArgValues combinations were seen, so the call is allowed with any
	// arguments; Values is then empty.
	Widened bool `json:"widened,omitempty"`
}

// MaxArgValues caps the combinations kept per call: past it, the call is Widened.
const MaxArgValues = 64

// MaxArgs is the most arguments a spec names.
const MaxArgs = 3

// ArgSpec names the arguments of a call sctrace learns: their positions and masks, and why they
// matter. Every one is a C int (or unsigned int) in the kernel, or a flag word whose bits of
// interest are in the low 32: enforcement compares the low 32 bits, as the kernel reads them.
type ArgSpec struct {
	Index []int
	Mask  []uint64
	Why   string
}

const whole = 0xffffffff

// Clone flags that create namespaces, and CLONE_UNTRACED (include/uapi/linux/sched.h).
const (
	cloneNamespaces = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
	cloneUntraced   = 0x00800000
	protWrite       = 0x2
	protExec        = 0x4
)

// argSpecs are the calls whose arguments sctrace learns, by name. The arguments are at the same
// positions on every arch but where SpecFor says otherwise. i386's socketcall and ipc pass
// their arguments in memory, and clone3 its flags: a filter cannot read them, so they are
// allowed or not as a whole.
var argSpecs = []struct {
	name string
	spec ArgSpec
}{
	{"socket", ArgSpec{[]int{0, 1, 2}, []uint64{whole, 0xf, whole}, "the address family (AF_PACKET and AF_NETLINK reach far into the kernel), the socket type without SOCK_NONBLOCK and SOCK_CLOEXEC, the protocol"}},
	{"socketpair", ArgSpec{[]int{0, 1, 2}, []uint64{whole, 0xf, whole}, "the same as socket"}},
	{"ioctl", ArgSpec{[]int{1}, []uint64{whole}, "the request: TIOCSTI types into a terminal, others reach drivers"}},
	{"clone", ArgSpec{[]int{0}, []uint64{cloneNamespaces | cloneUntraced}, "the namespace flags (a new user namespace widens the kernel attack surface) and CLONE_UNTRACED"}},
	{"unshare", ArgSpec{[]int{0}, []uint64{whole}, "the namespaces it creates"}},
	{"setns", ArgSpec{[]int{1}, []uint64{whole}, "the namespace type it joins"}},
	{"prctl", ArgSpec{[]int{0}, []uint64{whole}, "the operation: some change privileges or the process's identity"}},
	{"mmap", ArgSpec{[]int{2}, []uint64{protWrite | protExec}, "executable, and writable-and-executable (W^X) memory"}},
	{"mmap2", ArgSpec{[]int{2}, []uint64{protWrite | protExec}, "executable, and writable-and-executable (W^X) memory"}},
	{"mprotect", ArgSpec{[]int{2}, []uint64{protWrite | protExec}, "making memory executable, or writable and executable (W^X)"}},
	{"pkey_mprotect", ArgSpec{[]int{2}, []uint64{protWrite | protExec},
		"making memory executable, or writable and executable (W^X)"}},
	{"personality", ArgSpec{[]int{0}, []uint64{whole}, "the persona: READ_IMPLIES_EXEC and ADDR_NO_RANDOMIZE weaken the process"}},
	{"fcntl", ArgSpec{[]int{1}, []uint64{whole}, "the command"}},
	{"fcntl64", ArgSpec{[]int{1}, []uint64{whole}, "the command"}},
	{"setsockopt", ArgSpec{[]int{1, 2}, []uint64{whole, whole}, "the option level and name"}},
	{"getsockopt", ArgSpec{[]int{1, 2}, []uint64{whole, whole}, "the option level and name"}},
}

// SpecFor returns the argument spec of a call of an arch, if sctrace learns its arguments.
func SpecFor(a *arch.Arch, name string) (ArgSpec, bool) {
	s, ok := argSpec(name)
	if !ok {
		return ArgSpec{}, false
	}
	if name == "clone" && a.CloneFlagsArg != 0 {
		s.Index = []int{a.CloneFlagsArg}
	}
	// i386's and s390's mmap is old_mmap: one pointer to a struct holding the arguments, which
	// a filter cannot read (their 6-argument call is mmap2).
	if name == "mmap" && (a.Name == "x86" || a.Name == "s390" || a.Name == "s390x") {
		return ArgSpec{}, false
	}
	return s, true
}

// argsInMemory reports whether a call of an arch takes its arguments in memory, where a filter
// cannot read them, so that conditions on its registers would mean nothing.
func argsInMemory(a *arch.Arch, name string) bool {
	switch name {
	case "socketcall", "ipc", "clone3":
		return true
	case "mmap":
		return a.Name == "x86" || a.Name == "s390" || a.Name == "s390x"
	}
	return false
}

// ArgReason says why the arguments of a call are learned ("" if they are not).
func ArgReason(name string) string {
	s, _ := argSpec(name)
	return s.Why
}

// argSpec returns the spec of a call by name alone.
func argSpec(name string) (ArgSpec, bool) {
	for _, s := range argSpecs {
		if s.name == name {
			return s.spec, true
		}
	}
	return ArgSpec{}, false
}

// LearnsArgs reports whether sctrace learns the arguments of a call of an arch.
func LearnsArgs(a *arch.Arch, name string) bool {
	_, ok := SpecFor(a, name)
	return ok
}

// sortValues sorts combinations, lexicographically.
func sortValues(vs [][]uint64) {
	slices.SortFunc(vs, func(a, b []uint64) int { return slices.Compare(a, b) })
}

// mergeArgs is the union of what two profiles allow a call: nil (any) if either allows any, or
// they learned different arguments; Widened past MaxArgValues.
func mergeArgs(a, b *Args) *Args {
	if a == nil || b == nil || !slices.Equal(a.Index, b.Index) || !slices.Equal(a.Mask, b.Mask) {
		return nil
	}
	out := &Args{Index: slices.Clone(a.Index), Mask: slices.Clone(a.Mask)}
	if a.Widened || b.Widened {
		out.Widened = true
		return out
	}
	vs := append(slices.Clone(a.Values), b.Values...)
	sortValues(vs)
	vs = slices.CompactFunc(vs, func(x, y []uint64) bool { return slices.Equal(x, y) })
	if len(vs) > MaxArgValues {
		out.Widened = true
		return out
	}
	out.Values = make([][]uint64, len(vs))
	for i, v := range vs {
		out.Values[i] = slices.Clone(v)
	}
	return out
}

// Allows reports whether the arguments args of a call are among those a allows (nil allows any).
func (a *Args) Allows(args [6]uint64) bool {
	if a == nil || a.Widened {
		return true
	}
	for _, v := range a.Values {
		ok := true
		for i, idx := range a.Index {
			if args[idx]&a.Mask[i]&whole != v[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Wider returns the combinations b allows that a does not ("any" when b allows any argument and
// a does not): what makes b's call more permissive than a's.
func Wider(a, b *Args) []string {
	if a == nil || a.Widened {
		return nil
	}
	if b == nil || b.Widened || !slices.Equal(a.Index, b.Index) || !slices.Equal(a.Mask, b.Mask) {
		return []string{"any"}
	}
	var out []string
	for _, v := range b.Values {
		if !slices.ContainsFunc(a.Values, func(w []uint64) bool { return slices.Equal(v, w) }) {
			out = append(out, FormatValues(b.Index, v))
		}
	}
	return out
}

// FormatValues writes one combination as "arg0=0x1, arg1=0x2".
func FormatValues(index []int, v []uint64) string {
	s := ""
	for i, idx := range index {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("arg%d=%#x", idx, v[i])
	}
	return s
}

// validate checks a call's Args.
func (a *Args) validate() error {
	n := len(a.Index)
	if n == 0 || n > MaxArgs || len(a.Mask) != n {
		return fmt.Errorf("args: want 1 to %d arguments, each with a mask", MaxArgs)
	}
	for i, idx := range a.Index {
		if idx < 0 || idx > 5 || (i > 0 && idx <= a.Index[i-1]) {
			return fmt.Errorf("args: argument indexes must be 0 to 5, increasing")
		}
		if a.Mask[i] == 0 || a.Mask[i] > whole {
			return fmt.Errorf("args: mask %#x of argument %d is not a non-zero 32-bit mask", a.Mask[i], idx)
		}
	}
	if a.Widened && len(a.Values) > 0 {
		return fmt.Errorf("args: widened, yet values are listed")
	}
	if len(a.Values) > MaxArgValues {
		return fmt.Errorf("args: more than %d combinations (past that, a call is widened)", MaxArgValues)
	}
	for i, v := range a.Values {
		if len(v) != n {
			return fmt.Errorf("args: combination %d has %d values for %d arguments", i, len(v), n)
		}
		for j, x := range v {
			if x&^a.Mask[j] != 0 {
				return fmt.Errorf("args: value %#x of argument %d is outside its mask %#x", x, a.Index[j], a.Mask[j])
			}
		}
		if i > 0 && slices.Compare(a.Values[i-1], v) >= 0 {
			return fmt.Errorf("args: combinations must be sorted, without repeats")
		}
	}
	return nil
}

// DropArgs forgets the learned arguments of the calls named (of every call when none are
// named), in place: they are then allowed with any arguments. It returns the names it did not
// find among p's calls with learned arguments.
func (p *Profile) DropArgs(names ...string) []string {
	found := map[string]bool{}
	drop := func(sets map[string]*SyscallSet) {
		for _, set := range sets {
			for key, st := range set.Syscalls {
				if st.Args != nil && (len(names) == 0 || slices.Contains(names, key)) {
					st.Args = nil
					found[key] = true
				}
			}
		}
	}
	drop(p.Arches)
	for _, e := range p.Executables {
		drop(e.Arches)
	}
	var missing []string
	for _, n := range names {
		if !found[n] {
			missing = append(missing, n)
		}
	}
	return missing
}

// ArgsByName is, for each call name of p with learned arguments in every arch that has the
// call, the union of them: what formats that apply one list of names to every arch can say.
func (p *Profile) ArgsByName() map[string]*Args {
	out := map[string]*Args{}
	anyArgs := map[string]bool{}
	for _, set := range p.Arches {
		for key, st := range set.Syscalls {
			switch {
			case anyArgs[key]:
			case st.Args == nil:
				anyArgs[key] = true
				delete(out, key)
			case out[key] == nil:
				out[key] = mergeArgs(st.Args, st.Args)
			default:
				if out[key] = mergeArgs(out[key], st.Args); out[key] == nil {
					anyArgs[key] = true
				}
			}
		}
	}
	for k, a := range out {
		if a.Widened {
			delete(out, k)
		}
	}
	return out
}
