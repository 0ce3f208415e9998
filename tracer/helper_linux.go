package tracer

import (
	"encoding/binary"

	"golang.org/x/net/bpf"
)

// The helper itself (the re-executed process that installs the filter and execs, and the
// ticker) is package tracer/internal/helper, which runs before the rest of the binary is
// initialized; this file is the tracer's side of its protocol.

// encodeFilter serializes a program as struct sock_filter in this machine's byte order, which the helper hands to the kernel as it is.
func encodeFilter(prog []bpf.RawInstruction) []byte {
	b := make([]byte, 0, 8*len(prog))
	for _, ins := range prog {
		b = binary.NativeEndian.AppendUint16(b, ins.Op)
		b = append(b, ins.Jt, ins.Jf)
		b = binary.NativeEndian.AppendUint32(b, ins.K)
	}
	return b
}
