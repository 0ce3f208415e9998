package audit

import (
	"fmt"
	"strings"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/arch/decode"
	"github.com/sctrace/sctrace/learn"
)

// DescribeValues renders one learned combination of a call's arguments as strace would show
// them, in argument order ("AF_INET, SOCK_STREAM, 0"; a masked argument shows the bits kept).
func DescribeValues(archName, call string, index []int, v []uint64) string {
	a, ok := arch.ByName(archName)
	nr, named := 0, false
	if ok {
		nr, named = a.SyscallNumber(call)
	}
	return describeMasked(a, nr, named, index, nil, v)
}

// describeMasked renders a combination; with masks, a masked argument whose kept bits are all
// clear says so ("none of PROT_WRITE|PROT_EXEC") rather than showing a 0 that reads as a value.
func describeMasked(a *arch.Arch, nr int, named bool, index []int, mask, v []uint64) string {
	var all [6]uint64 // the combination, for arguments read in the light of others
	for i, idx := range index {
		all[idx] = v[i]
	}
	show := func(idx int, x uint64) string {
		s := ""
		if named {
			in := all
			in[idx] = x
			s = decode.ArgIn(a, nr, idx, in)
		}
		if s == "" {
			s = fmt.Sprintf("%#x", x)
		}
		return s
	}
	parts := make([]string, len(index))
	for i, idx := range index {
		s := show(idx, v[i])
		if mask != nil && mask[i] != 0xffffffff && v[i] == 0 {
			s = "none of " + show(idx, mask[i])
		}
		parts[i] = fmt.Sprintf("arg%d=%s", idx, s)
	}
	return strings.Join(parts, ", ")
}

// describeArgsValues renders a combination of a call's learned arguments, masks considered.
func describeArgsValues(archName, call string, la *learn.Args, v []uint64) string {
	a, ok := arch.ByName(archName)
	nr, named := 0, false
	if ok {
		nr, named = a.SyscallNumber(call)
	}
	return describeMasked(a, nr, named, la.Index, la.Mask, v)
}

// DescribeArgs renders every combination a call is allowed, or "any".
func DescribeArgs(archName, call string, a *learn.Args) []string {
	if a == nil {
		return []string{"any"}
	}
	if a.Widened {
		return []string{fmt.Sprintf("any (more than %d combinations were seen)", learn.MaxArgValues)}
	}
	out := make([]string, len(a.Values))
	for i, v := range a.Values {
		out[i] = describeArgsValues(archName, call, a, v)
	}
	return out
}

// ArgRow is a call with learned arguments: what it is allowed with, and what of that matters.
type ArgRow struct {
	Arch    string   `json:"arch"`
	Syscall string   `json:"syscall"`
	Allowed []string `json:"allowed"`
	// Flags say which allowed values matter, and why.
	Flags []string `json:"flags,omitempty"`
	// Docker says how the learned arguments compare with Docker's default profile for the calls
	// it restricts by argument: "stricter or equal", "looser: ...", or "" when it does not.
	Docker string `json:"docker,omitempty"`
}

// argRows lists the calls of p with learned arguments, and the calls whose arguments sctrace
// learns that p allows with any (a version 2 profile, --no-args).
func argRows(p *learn.Profile) []ArgRow {
	var rows []ArgRow
	for _, archName := range p.ArchNames() {
		a, ok := arch.ByName(archName)
		if !ok {
			continue
		}
		for _, k := range p.Syscalls(archName) {
			st := p.Arches[archName].Syscalls[k]
			if st.Args == nil && !learn.LearnsArgs(a, k) {
				continue
			}
			row := ArgRow{Arch: archName, Syscall: k, Allowed: DescribeArgs(archName, k, st.Args)}
			row.Flags = argFlags(k, st.Args)
			rows = append(rows, row)
		}
	}
	return rows
}

// argFlags says which allowed values of a call matter, and why; for a call sctrace learns the
// arguments of, allowing any is one.
func argFlags(call string, a *learn.Args) []string {
	if a == nil || a.Widened {
		if why := learn.ArgReason(call); why != "" {
			return []string{"any arguments: " + why}
		}
		return nil
	}
	var out []string
	seen := map[string]bool{}
	note := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, v := range a.Values {
		val := func(arg int) (uint64, bool) {
			for i, idx := range a.Index {
				if idx == arg {
					return v[i], true
				}
			}
			return 0, false
		}
		switch call {
		case "clone", "unshare":
			for _, idx := range a.Index {
				x, _ := val(idx)
				if x&0x10000000 != 0 {
					note("creates a user namespace (CLONE_NEWUSER): the kernel's attack surface widens")
				} else if x&0x7e020000 != 0 {
					note("creates namespaces")
				}
			}
		case "socket", "socketpair":
			if d, _ := val(0); d == 16 || d == 17 {
				note("AF_NETLINK or AF_PACKET sockets reach far into the kernel")
			}
			if t, _ := val(1); t == 3 {
				note("raw sockets (SOCK_RAW)")
			}
		case "mmap", "mmap2", "mprotect", "pkey_mprotect":
			if x, _ := val(2); x&6 == 6 {
				note("memory both writable and executable (W^X violated)")
			}
		case "ioctl":
			if x, _ := val(1); x == 0x5412 {
				note("TIOCSTI types into the terminal")
			}
		case "personality":
			if x, _ := val(0); x != 0xffffffff && x&0x0400000 != 0 {
				note("READ_IMPLIES_EXEC makes readable memory executable")
			} else if x != 0xffffffff && x&0x0040000 != 0 {
				note("ADDR_NO_RANDOMIZE turns off address space randomization")
			}
		case "prctl":
			if x, _ := val(0); x == 0x59616d61 {
				note("PR_SET_PTRACER lets another process trace this one")
			}
		}
	}
	return out
}
