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
	parts := make([]string, len(index))
	for i, idx := range index {
		s := ""
		if named {
			s = decode.Arg(a, nr, idx, v[i])
		}
		if s == "" {
			s = fmt.Sprintf("%#x", v[i])
		}
		parts[i] = fmt.Sprintf("arg%d=%s", idx, s)
	}
	return strings.Join(parts, ", ")
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
		out[i] = DescribeValues(archName, call, a.Index, v)
	}
	return out
}
