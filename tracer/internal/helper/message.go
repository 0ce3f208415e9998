package helper

// Message is what the tracer hands the exec helper once it is attached: everything the helper
// needs to start the workload. It travels over the FilterFD pipe, which the tracer closes after
// it; reading it to EOF is the helper's "tracer attached" barrier. A forked workload process
// (ForkNow) gets the same content in its shared mapping (Forked.Fill).
//
// The encoding is a sequence of records, each a tag byte, a little-endian uint32 length and
// that many bytes; Argv and Env repeat their tag once per element, in order.
type Message struct {
	Filter []byte   // the filter: an array of struct sock_filter in this machine's byte order
	Path   string   // the executable to execve
	Argv   []string // its argument vector
	Env    []string // its environment
	Dir    string   // the directory to change to first; "" stays
	Ignore uint64   // signals to set to SIG_IGN before execve, bit N-1 for signal N
	// Listener asks for a user-notification listener: {seccomp(2)'s system call number, cookie
	// word 0, cookie word 1}; all zero: none (see the package comment).
	Listener [3]uint64
	// Stdio names, for each of the workload's descriptors 0, 1 and 2, which of the helper's
	// descriptors 0, 1 and 2 it becomes. The zero value is not valid: use Identity.
	Stdio [3]byte
}

// Identity is the Stdio of a workload that keeps the helper's descriptors 0, 1 and 2.
var Identity = [3]byte{0, 1, 2}

const (
	tagFilter   = 'F'
	tagPath     = 'P'
	tagArg      = 'A'
	tagEnv      = 'E'
	tagDir      = 'D'
	tagIgnore   = 'I'
	tagListener = 'L'
	tagStdio    = 'S'
)

// Encode returns m's wire form.
func (m *Message) Encode() []byte {
	n := len(m.Filter) + len(m.Path) + len(m.Dir) + 64
	for _, s := range m.Argv {
		n += len(s) + 5
	}
	for _, s := range m.Env {
		n += len(s) + 5
	}
	b := make([]byte, 0, n)
	rec := func(tag byte, data []byte) {
		l := uint32(len(data))
		b = append(b, tag, byte(l), byte(l>>8), byte(l>>16), byte(l>>24))
		b = append(b, data...)
	}
	u64 := func(vs ...uint64) []byte {
		var out []byte
		for _, v := range vs {
			for i := 0; i < 8; i++ {
				out = append(out, byte(v>>(8*i)))
			}
		}
		return out
	}
	rec(tagFilter, m.Filter)
	rec(tagPath, []byte(m.Path))
	for _, s := range m.Argv {
		rec(tagArg, []byte(s))
	}
	for _, s := range m.Env {
		rec(tagEnv, []byte(s))
	}
	if m.Dir != "" {
		rec(tagDir, []byte(m.Dir))
	}
	rec(tagIgnore, u64(m.Ignore))
	if m.Listener != [3]uint64{} {
		rec(tagListener, u64(m.Listener[:]...))
	}
	rec(tagStdio, m.Stdio[:])
	return b
}

// Decode parses a wire form; ok is false for anything Encode could not have written.
func Decode(b []byte) (m Message, ok bool) {
	getU64 := func(d []byte) uint64 {
		var v uint64
		for i := 7; i >= 0; i-- {
			v = v<<8 | uint64(d[i])
		}
		return v
	}
	var seen [256]bool
	for len(b) > 0 {
		if len(b) < 5 {
			return Message{}, false
		}
		tag := b[0]
		l := uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16 | uint64(b[4])<<24
		if l > uint64(len(b)-5) {
			return Message{}, false
		}
		d := b[5 : 5+l]
		b = b[5+l:]
		if seen[tag] && tag != tagArg && tag != tagEnv {
			return Message{}, false
		}
		seen[tag] = true
		switch tag {
		case tagFilter:
			m.Filter = d
		case tagPath:
			m.Path = string(d)
		case tagArg:
			m.Argv = append(m.Argv, string(d))
		case tagEnv:
			m.Env = append(m.Env, string(d))
		case tagDir:
			m.Dir = string(d)
		case tagIgnore:
			if len(d) != 8 {
				return Message{}, false
			}
			m.Ignore = getU64(d)
		case tagListener:
			if len(d) != 24 {
				return Message{}, false
			}
			m.Listener = [3]uint64{getU64(d), getU64(d[8:]), getU64(d[16:])}
		case tagStdio:
			if len(d) != 3 || d[0] > 2 || d[1] > 2 || d[2] > 2 {
				return Message{}, false
			}
			copy(m.Stdio[:], d)
		default:
			return Message{}, false
		}
	}
	if !seen[tagFilter] || !seen[tagPath] || !seen[tagStdio] || len(m.Argv) == 0 {
		return Message{}, false
	}
	return m, true
}
