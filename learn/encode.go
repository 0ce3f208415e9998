package learn

import (
	"io"
	"strconv"
	"unicode/utf8"
)

// The profile's JSON, written by hand: the bytes json.MarshalIndent(p, "", "  ") writes (a test
// compares them on random profiles), without encoding/json's reflection, whose first use cost
// every recording about 0.4 ms after its workload had ended.

// jsonWriter appends indented JSON: one member or element per line. With out set, it writes
// what it has to out at every line once it holds flushAt bytes, so that a large profile (a file
// walk's ten thousand paths) is never whole in memory; err is the first write error.
type jsonWriter struct {
	b     []byte
	depth int
	first []bool // per open object or array: nothing written in it yet
	out   io.Writer
	err   error
}

const flushAt = 32 << 10

// flush writes out what the writer holds.
func (w *jsonWriter) flush() {
	if w.out != nil && len(w.b) > 0 && w.err == nil {
		_, w.err = w.out.Write(w.b)
	}
	w.b = w.b[:0]
}

func (w *jsonWriter) newline() {
	if w.out != nil && len(w.b) >= flushAt {
		w.flush()
	}
	w.b = append(w.b, '\n')
	for i := 0; i < w.depth; i++ {
		w.b = append(w.b, ' ', ' ')
	}
}

// open starts an object ('{') or array ('['); close ends it, as "{}" or "[]" when empty.
func (w *jsonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.first = append(w.first, true)
}

func (w *jsonWriter) close(c byte) {
	w.depth--
	empty := w.first[len(w.first)-1]
	w.first = w.first[:len(w.first)-1]
	if !empty {
		w.newline()
	}
	w.b = append(w.b, c)
}

// elem starts an element of the innermost array or object.
func (w *jsonWriter) elem() {
	if !w.first[len(w.first)-1] {
		w.b = append(w.b, ',')
	}
	w.first[len(w.first)-1] = false
	w.newline()
}

// key starts a member.
func (w *jsonWriter) key(k string) {
	w.elem()
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':', ' ')
}

func (w *jsonWriter) str(s string) { w.b = appendJSONString(w.b, s) }
func (w *jsonWriter) int(n int)    { w.b = strconv.AppendInt(w.b, int64(n), 10) }
func (w *jsonWriter) uint(n uint64) {
	w.b = strconv.AppendUint(w.b, n, 10)
}
func (w *jsonWriter) null() { w.b = append(w.b, "null"...) }
func (w *jsonWriter) bool(v bool) {
	w.b = strconv.AppendBool(w.b, v)
}

// list writes xs as an array (null when nil), each element with elem.
func list[T any](w *jsonWriter, xs []T, elem func(T)) {
	if xs == nil {
		w.null()
		return
	}
	w.open('[')
	for _, x := range xs {
		w.elem()
		elem(x)
	}
	w.close(']')
}

func (w *jsonWriter) strings(ss []string) { list(w, ss, w.str) }
func (w *jsonWriter) uints(us []uint64)   { list(w, us, w.uint) }

func (w *jsonWriter) arches(m map[string]*SyscallSet) {
	if m == nil {
		w.null()
		return
	}
	w.open('{')
	for _, k := range sortedKeys(m) {
		w.key(k)
		set := m[k]
		if set == nil {
			w.null()
			continue
		}
		w.open('{')
		w.key("syscalls")
		if set.Syscalls == nil {
			w.null()
		} else {
			w.open('{')
			for _, name := range sortedKeys(set.Syscalls) {
				w.key(name)
				w.stat(set.Syscalls[name])
			}
			w.close('}')
		}
		w.close('}')
	}
	w.close('}')
}

func (w *jsonWriter) stat(st *SyscallStat) {
	if st == nil {
		w.null()
		return
	}
	w.open('{')
	w.key("count")
	w.uint(st.Count)
	if a := st.Args; a != nil {
		w.key("args")
		w.open('{')
		w.key("index")
		list(w, a.Index, w.int)
		w.key("mask")
		w.uints(a.Mask)
		w.key("values")
		list(w, a.Values, w.uints)
		if a.Widened {
			w.key("widened")
			w.bool(true)
		}
		w.close('}')
	}
	w.close('}')
}

func (w *jsonWriter) profile(p *Profile) {
	w.open('{')
	w.key("version")
	w.int(p.Version)
	w.key("arches")
	w.arches(p.Arches)
	if len(p.Executables) > 0 {
		w.key("executables")
		w.open('{')
		for _, k := range sortedKeys(p.Executables) {
			w.key(k)
			e := p.Executables[k]
			if e == nil {
				w.null()
				continue
			}
			w.open('{')
			w.key("processes")
			w.int(e.Processes)
			w.key("arches")
			w.arches(e.Arches)
			if e.Partial {
				w.key("partial")
				w.bool(true)
			}
			w.close('}')
		}
		w.close('}')
	}
	if len(p.Recordings) > 0 {
		w.key("recordings")
		w.open('[')
		for i := range p.Recordings {
			w.elem()
			w.recording(&p.Recordings[i])
		}
		w.close(']')
	}
	if len(p.Files) > 0 {
		w.key("files")
		w.open('{')
		for _, k := range sortedKeys(p.Files) {
			w.key(k)
			w.strings(p.Files[k])
		}
		w.close('}')
	}
	if len(p.Programs) > 0 {
		w.key("programs")
		w.open('[')
		for _, pr := range p.Programs {
			w.elem()
			w.open('{')
			w.key("path")
			w.str(pr.Path)
			w.key("argv")
			w.strings(pr.Argv)
			w.close('}')
		}
		w.close(']')
	}
	if len(p.Endpoints) > 0 {
		w.key("endpoints")
		w.open('[')
		for _, e := range p.Endpoints {
			w.elem()
			w.open('{')
			w.key("call")
			w.str(e.Call)
			w.key("family")
			w.str(e.Family)
			w.key("address")
			w.str(e.Address)
			if e.Port != 0 {
				w.key("port")
				w.int(e.Port)
			}
			w.close('}')
		}
		w.close(']')
	}
	if d := p.Dropped; d != nil {
		w.key("dropped")
		w.open('{')
		for _, f := range []struct {
			name string
			n    int
		}{{"processes", d.Processes}, {"files", d.Files}, {"programs", d.Programs}, {"endpoints", d.Endpoints}} {
			if f.n != 0 {
				w.key(f.name)
				w.int(f.n)
			}
		}
		w.close('}')
	}
	w.close('}')
}

func (w *jsonWriter) recording(r *Recording) {
	w.open('{')
	w.key("command")
	w.strings(r.Command)
	if r.Kernel != "" {
		w.key("kernel")
		w.str(r.Kernel)
	}
	if r.Machine != "" {
		w.key("machine")
		w.str(r.Machine)
	}
	w.key("exit_code")
	w.int(r.ExitCode)
	for _, f := range []struct {
		name string
		v    bool
	}{{"running", r.Running}, {"terminal", r.Terminal}, {"syscalls_only", r.SyscallsOnly}} {
		if f.v {
			w.key(f.name)
			w.bool(true)
		}
	}
	w.key("processes")
	w.int(r.Processes)
	if len(r.Hidden) > 0 {
		w.key("hidden")
		w.strings(r.Hidden)
	}
	if len(r.Tree) > 0 {
		w.key("tree")
		w.open('[')
		for _, n := range r.Tree {
			w.elem()
			w.open('{')
			w.key("pid")
			w.int(n.Pid)
			w.key("parent")
			w.int(n.Parent)
			if len(n.Exec) > 0 {
				w.key("exec")
				w.strings(n.Exec)
			}
			w.close('}')
		}
		w.close(']')
	}
	w.close('}')
}

// appendJSONString appends s as encoding/json writes a string: HTML-safe (<, > and & escaped),
// invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
