package emit

import (
	"encoding/binary"

	"golang.org/x/net/bpf"

	"github.com/sctrace/sctrace/learn"
)

// RawFilter is the compiled filter for a profile with errno denial, as struct sock_filter.
func RawFilter(p *learn.Profile) ([]bpf.RawInstruction, error) {
	f, err := FilterFor(p, Errno(EPERM))
	if err != nil {
		return nil, err
	}
	prog, err := Compile(f)
	if err != nil {
		return nil, err
	}
	return bpf.Assemble(prog)
}

// rawBPF writes the compiled filter as an array of struct sock_filter in the byte order of the
// machine the profile is for (big-endian for s390x, ppc64, mips): what bwrap --seccomp FD and
// crun's run.oci.seccomp_bpf_data read there.
func rawBPF(p *learn.Profile, opt Options) ([]byte, error) {
	raw, err := RawFilter(p)
	if err != nil {
		return nil, err
	}
	host := p.Machine()
	if host == nil {
		host = opt.Host
	}
	var order binary.AppendByteOrder = binary.LittleEndian
	if host != nil && host.BigEndian {
		order = binary.BigEndian
	}
	b := make([]byte, 0, 8*len(raw))
	for _, in := range raw {
		b = order.AppendUint16(b, in.Op)
		b = append(b, in.Jt, in.Jf)
		b = order.AppendUint32(b, in.K)
	}
	return b, nil
}
