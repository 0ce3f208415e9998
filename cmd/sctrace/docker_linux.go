package main

import (
	"slices"
	"strings"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/emit/audit"
	"github.com/sctrace/sctrace/learn"
)

// dockerDefault judges calls against Docker's default seccomp profile, as
// github.com/moby/profiles/seccomp builds it, for a container with the default capabilities on
// the machine that runs the call's arch (an x86 or x32 call: an amd64 host; aarch64: arm64):
// Docker applies the same names to every arch of the filter, and chooses its arch-specific
// entries by the host's arch.
func dockerDefault() audit.DockerVerdict {
	profile := mobyseccomp.DefaultProfile()
	applies := func(s *mobyseccomp.Syscall, hostArch string) (ok bool, caps []string) {
		if in := s.Includes; in != nil {
			if len(in.Arches) > 0 && !slices.Contains(in.Arches, hostArch) {
				return false, nil
			}
			caps = in.Caps
		}
		if ex := s.Excludes; ex != nil && slices.Contains(ex.Arches, hostArch) {
			return false, nil
		}
		return true, caps
	}
	return func(archName, name string) string {
		hostArch := arch.Native().Docker
		if a, ok := arch.ByName(archName); ok {
			hostArch = a.Host().Docker
		}
		var withArgs, withCaps []string
		enosys := false
		for _, s := range profile.Syscalls {
			if !slices.Contains(s.Names, name) {
				continue
			}
			ok, caps := applies(s, hostArch)
			if !ok {
				continue
			}
			switch {
			case s.Action == specs.ActAllow && len(caps) > 0:
				withCaps = append(withCaps, caps...)
			case s.Action == specs.ActAllow && len(s.Args) > 0:
				withArgs = append(withArgs, s.Comment)
			case s.Action == specs.ActAllow:
				return ""
			case s.Action == specs.ActErrno && s.ErrnoRet != nil && *s.ErrnoRet == 38:
				enosys = true
			}
		}
		switch {
		case len(withArgs) > 0:
			return "allows it only with some argument values"
		case len(withCaps) > 0:
			return "allows it only with " + strings.Join(withCaps, " or ")
		case enosys:
			return "fails it with ENOSYS (libc falls back)"
		}
		return "blocks it (EPERM)"
	}
}

// dockerArgs compares the arguments a profile allows a call with Docker's default profile, for
// the calls Docker allows only with some argument values (clone, socket, personality, ...):
// "stricter or equal" when Docker allows every learned combination, "looser: ..." naming those
// it refuses (or "allows any arguments"), "" for the calls Docker does not restrict by argument.
func dockerArgs() func(archName, name string, a *learn.Args) string {
	profile := mobyseccomp.DefaultProfile()
	return func(archName, name string, a *learn.Args) string {
		hostArch := arch.Native().Docker
		if ar, ok := arch.ByName(archName); ok {
			hostArch = ar.Host().Docker
		}
		var rules [][]specs.LinuxSeccompArg
		for _, s := range profile.Syscalls {
			if !slices.Contains(s.Names, name) || s.Action != specs.ActAllow {
				continue
			}
			if in := s.Includes; in != nil && (len(in.Caps) > 0 || (len(in.Arches) > 0 && !slices.Contains(in.Arches, hostArch))) {
				continue
			}
			if ex := s.Excludes; ex != nil && slices.Contains(ex.Arches, hostArch) {
				continue
			}
			if len(s.Args) == 0 {
				return "" // allowed with any arguments
			}
			var conds []specs.LinuxSeccompArg
			for _, c := range s.Args {
				conds = append(conds, specs.LinuxSeccompArg{Index: c.Index, Value: c.Value, ValueTwo: c.ValueTwo, Op: c.Op})
			}
			rules = append(rules, conds)
		}
		if len(rules) == 0 {
			return "" // not restricted by argument (blocked, or allowed only with capabilities)
		}
		if a == nil || a.Widened {
			return "looser: allows any arguments"
		}
		var refused []string
		for _, v := range a.Values {
			// Allowed if one rule allows it for sure; refused if every rule refuses it for sure.
			allowed, known := false, true
			for _, conds := range rules {
				ok, k := dockerAllows(conds, a, v)
				known = known && k
				allowed = allowed || (ok && k)
			}
			known = known || allowed
			switch {
			case allowed:
			case !known:
				return "cannot tell: Docker checks arguments sctrace does not learn"
			default:
				refused = append(refused, audit.DescribeValues(archName, name, a.Index, v))
			}
		}
		if len(refused) > 0 {
			return "looser: Docker refuses " + strings.Join(refused, "; ")
		}
		return "stricter or equal"
	}
}

// dockerAllows evaluates one of Docker's rules (its conditions all hold) on a learned
// combination v; known is false when a condition looks at bits the combination does not have.
func dockerAllows(conds []specs.LinuxSeccompArg, a *learn.Args, v []uint64) (ok, known bool) {
	for _, c := range conds {
		i := slices.Index(a.Index, int(c.Index))
		if i < 0 {
			return false, false
		}
		x, mask := v[i], a.Mask[i]
		var holds bool
		switch c.Op {
		case specs.OpMaskedEqual:
			if c.Value&^mask != 0 {
				return false, false
			}
			holds = x&c.Value == c.ValueTwo
		default:
			if mask != 0xffffffff {
				return false, false
			}
			switch c.Op {
			case specs.OpEqualTo:
				holds = x == c.Value
			case specs.OpNotEqual:
				holds = x != c.Value
			case specs.OpLessThan:
				holds = x < c.Value
			case specs.OpLessEqual:
				holds = x <= c.Value
			case specs.OpGreaterThan:
				holds = x > c.Value
			case specs.OpGreaterEqual:
				holds = x >= c.Value
			default:
				return false, false
			}
		}
		if !holds {
			return false, true
		}
	}
	return true, true
}
