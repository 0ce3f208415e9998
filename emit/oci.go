package emit

import (
	"encoding/json"
	"fmt"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/learn"
)

// OCI returns the profile as the OCI runtime-spec's linux.seccomp: what runc, crun, Podman,
// `docker run --security-opt seccomp=FILE` and Kubernetes Localhost profiles read.
func OCI(p *learn.Profile) (*specs.LinuxSeccomp, []Note, error) {
	allowed, enosys, notes := nameSets(p)
	eperm, enosysRet := uint(EPERM), uint(ENOSYS)
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: &eperm}
	for _, a := range p.ArchNames() {
		d, ok := arch.ByName(a)
		if !ok || d.OCI == "" {
			notes = append(notes, Note{Arch: a, Text: "not emitted: libseccomp has no name for this arch"})
			continue
		}
		s.Architectures = append(s.Architectures, specs.Arch(d.OCI))
	}
	if len(s.Architectures) == 0 {
		return nil, nil, fmt.Errorf("the profile records no arch the OCI format can name")
	}
	sort.Slice(s.Architectures, func(i, j int) bool { return s.Architectures[i] < s.Architectures[j] })
	if len(allowed) > 0 {
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: allowed, Action: specs.ActAllow})
	}
	if len(enosys) > 0 {
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: enosys, Action: specs.ActErrno, ErrnoRet: &enosysRet})
	}
	notes = append(notes, newerNames(append(append([]string(nil), allowed...), enosys...))...)
	return s, notes, nil
}

func ociJSON(p *learn.Profile) ([]byte, []Note, error) {
	s, notes, err := OCI(p)
	if err != nil {
		return nil, nil, err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	return append(b, '\n'), notes, nil
}
