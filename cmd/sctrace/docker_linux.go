package main

import (
	"slices"
	"strings"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/emit/audit"
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
			hostArch = a.Host.Docker
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
