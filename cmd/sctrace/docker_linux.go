package main

import (
	"slices"
	"strings"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sctrace/sctrace/emit"
)

// dockerDefault judges calls against Docker's default seccomp profile, as
// github.com/moby/profiles/seccomp builds it, for a container on an x86_64 (amd64) host with the
// default capabilities: Docker applies the same names to every arch of the filter, and its
// arch-specific entries are chosen by the host's arch.
func dockerDefault() emit.DockerVerdict {
	profile := mobyseccomp.DefaultProfile()
	const hostArch = "amd64"
	applies := func(s *mobyseccomp.Syscall) (ok bool, caps []string) {
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
	return func(arch, name string) string {
		var withArgs, withCaps []string
		enosys := false
		for _, s := range profile.Syscalls {
			if !slices.Contains(s.Names, name) {
				continue
			}
			ok, caps := applies(s)
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
