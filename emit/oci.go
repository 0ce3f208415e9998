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
	// Calls with learned arguments get one rule per combination (libseccomp ANDs the
	// comparisons of a rule and ORs the rules of a call), masked equality on the low 32 bits
	// the kernel reads; the others are allowed with one rule by name.
	byName := p.ArgsByName()
	var plain []string
	var withArgs []specs.LinuxSyscall
	for _, name := range allowed {
		a := byName[name]
		if a == nil {
			plain = append(plain, name)
			continue
		}
		for _, v := range a.Values {
			rule := specs.LinuxSyscall{Names: []string{name}, Action: specs.ActAllow}
			for i, idx := range a.Index {
				rule.Args = append(rule.Args, specs.LinuxSeccompArg{Index: uint(idx), Value: a.Mask[i], ValueTwo: v[i], Op: specs.OpMaskedEqual})
			}
			withArgs = append(withArgs, rule)
		}
	}
	if len(plain) > 0 {
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: plain, Action: specs.ActAllow})
	}
	s.Syscalls = append(s.Syscalls, withArgs...)
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
