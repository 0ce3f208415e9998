package learn

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// A profile must mean the same thing to sctrace and to any other JSON reader. encoding/json
// alone does not guarantee it: it matches field names without regard to case (and folds "ſ" to
// "s"), lets the last of duplicate keys win, and leaves a missing or null field at its zero
// value. decodeProfile reads a profile in one pass over its text and rejects each of those:
// every key of an object that decodes into a struct must be exactly one of its JSON names, no
// object may repeat a key, a field written without omitempty must be present, and a scalar or
// object field must not be null (a list or map may be: that is what Encode writes for an empty
// one). It is written by hand, without reflection, because `sctrace run` reads a profile at
// every start; what it accepts, encoding/json decodes to the same Profile.

// decodeProfile decodes text, which must be valid UTF-8, into a profile. The profile's strings
// (paths, names, keys) are parts of text, not copies: text's bytes are mostly those strings.
func decodeProfile(text string) (*Profile, error) {
	d := decoder{text: text}
	p := &Profile{}
	if err := d.profile(p); err != nil {
		return nil, err
	}
	d.ws()
	if d.i < len(d.text) {
		return nil, d.syntax("after top-level value")
	}
	return p, nil
}

// decoder reads one profile.
type decoder struct {
	text string
	i    int // the next byte of text
	// Blocks to take the next SyscallStats and lists of file uses from, and how many were
	// allocated: each block is as large as all before it, so a small profile allocates little
	// and a large one few times.
	stats         []SyscallStat
	uses          []string
	nstats, nuses int
}

// decodeError is a failure of decodeProfile, located in the text by line and by a path from the
// top. The path is built only for an error, as it travels up: each level adds its step.
type decodeError struct {
	line  int
	steps []string // innermost first
	msg   string
	null  bool // "PATH is null" rather than "PATH: msg"
}

// Error says where, then what: line 3: $.arches["x86"].syscalls: duplicate key "read".
func (e *decodeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d: $", e.line)
	for i := len(e.steps) - 1; i >= 0; i-- {
		b.WriteString(e.steps[i])
	}
	if e.null {
		b.WriteString(" is null")
		return b.String()
	}
	b.WriteString(": ")
	b.WriteString(e.msg)
	return b.String()
}

// fail returns an error at the decoder's position.
func (d *decoder) fail(msg string) *decodeError {
	return &decodeError{line: 1 + strings.Count(d.text[:min(d.i, len(d.text))], "\n"), msg: msg}
}

// failf returns an error at the decoder's position.
func (d *decoder) failf(format string, args ...any) error {
	return d.fail(fmt.Sprintf(format, args...))
}

// syntax returns the error for a byte at the decoder's position that JSON does not allow there:
// context says where it is, as encoding/json says it.
func (d *decoder) syntax(context string) error {
	if d.i >= len(d.text) {
		return d.fail("unexpected end of JSON input")
	}
	r, _ := utf8.DecodeRuneInString(d.text[d.i:])
	return d.failf("invalid character %q %s", r, context)
}

// within adds a step to the location of a decodeError.
func within(err error, step string) error {
	if de, ok := err.(*decodeError); ok {
		de.steps = append(de.steps, step)
	}
	return err
}

// keyStep is the step into a map's value.
func keyStep(key string) string { return fmt.Sprintf("[%q]", key) }

// ws skips white space and returns the byte after it, or 0 at the end.
func (d *decoder) ws() byte {
	i, text := d.i, d.text
	for ; i < len(text); i++ {
		if c := text[i]; c > ' ' || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			d.i = i
			return c
		}
	}
	d.i = i
	return 0
}

// literal reads true, false or null at the decoder's position.
func (d *decoder) literal(word string) error {
	for j := 0; j < len(word); j++ {
		if d.i >= len(d.text) || d.text[d.i] != word[j] {
			return d.syntax("in literal " + word)
		}
		d.i++
	}
	return nil
}

// null reads a null where the profile wants a value that cannot be null.
func (d *decoder) null() error {
	if err := d.literal("null"); err != nil {
		return err
	}
	e := d.fail("")
	e.null = true
	return e
}

// mismatch returns the error for a value (at the decoder's position) of another type than want.
func (d *decoder) mismatch(want string) error {
	var got string
	switch c := d.ws(); {
	case c == '{':
		got = "object"
	case c == '[':
		got = "array"
	case c == '"':
		got = "string"
	case c == 't' || c == 'f':
		got = "bool"
	case c == '-' || '0' <= c && c <= '9':
		n, _, err := d.number()
		if err != nil {
			return err
		}
		got = "number " + n
	default:
		return d.syntax("looking for beginning of value")
	}
	return d.failf("cannot unmarshal %s into %s", got, want)
}

// open reads the opening brace or bracket (delim) of an object or array that must not be null.
func (d *decoder) open(delim byte) error {
	switch d.ws() {
	case delim:
		d.i++
		return nil
	case 'n':
		return d.null()
	}
	if delim == '{' {
		return d.mismatch("an object")
	}
	return d.mismatch("an array")
}

// openOrNull reads the opening brace or bracket (delim) of an object or array, or a null.
func (d *decoder) openOrNull(delim byte) (null bool, err error) {
	if d.ws() == 'n' {
		return true, d.literal("null")
	}
	return false, d.open(delim)
}

// members reads the members of an object after its opening brace, calling f with each key and
// the decoder at its value; f reads the value.
func (d *decoder) members(f func(key string) error) error {
	c := d.ws()
	if c == '}' {
		d.i++
		return nil
	}
	for {
		if c != '"' {
			return d.syntax("looking for beginning of object key string")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		if d.ws() != ':' {
			return d.syntax("after object key")
		}
		d.i++
		if err := f(key); err != nil {
			return err
		}
		switch d.ws() {
		case ',':
			d.i++
			c = d.ws()
		case '}':
			d.i++
			return nil
		default:
			return d.syntax("after object key:value pair")
		}
	}
}

// elements reads the elements of an array after its opening bracket, calling f with the decoder
// at each; f reads the element.
func (d *decoder) elements(f func() error) error {
	if d.ws() == ']' {
		d.i++
		return nil
	}
	for n := 0; ; n++ {
		if err := f(); err != nil {
			return within(err, "["+strconv.Itoa(n)+"]")
		}
		switch d.ws() {
		case ',':
			d.i++
		case ']':
			d.i++
			return nil
		default:
			return d.syntax("after array element")
		}
	}
}

// field is a key of an object that decodes into a struct: the name in the struct's json tag.
type field struct {
	name     string
	required bool // no omitempty: the key must be there
}

// fields reads an object that decodes into a struct with the fields fs (at most 64), calling f
// with the name of each key and the decoder at its value; f reads the value. Keys must be
// exactly the names of fs, each at most once, and the required ones must be there.
func (d *decoder) fields(fs []field, f func(name string) error) error {
	if err := d.open('{'); err != nil {
		return err
	}
	var seen uint64
	err := d.members(func(key string) error {
		for i := range fs {
			if fs[i].name != key {
				continue
			}
			if seen&(1<<i) != 0 {
				return d.failf("duplicate field %q", key)
			}
			seen |= 1 << i
			if err := f(fs[i].name); err != nil {
				return within(err, "."+key)
			}
			return nil
		}
		return d.failf("unknown field %q", key)
	})
	if err != nil {
		return err
	}
	for i := range fs {
		if fs[i].required && seen&(1<<i) == 0 {
			return d.failf("missing field %q", fs[i].name)
		}
	}
	return nil
}

// mapOf reads an object into a map, with read reading each value; null is a nil map.
func mapOf[V any](d *decoder, read func() (V, error)) (map[string]V, error) {
	if null, err := d.openOrNull('{'); null || err != nil {
		return nil, err
	}
	m := map[string]V{}
	err := d.members(func(key string) error {
		if _, dup := m[key]; dup {
			return d.failf("duplicate key %q", key)
		}
		v, err := read()
		if err != nil {
			return within(err, keyStep(key))
		}
		m[key] = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// listOf reads an array into a slice, with read reading each element; null is a nil slice.
func listOf[V any](d *decoder, read func() (V, error)) ([]V, error) {
	if null, err := d.openOrNull('['); null || err != nil {
		return nil, err
	}
	list := []V{}
	err := d.elements(func() error {
		v, err := read()
		list = append(list, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// str reads a string at its opening quote. Unless it has escapes, it is a part of the text.
func (d *decoder) str() (string, error) {
	start := d.i + 1
	for i := start; i < len(d.text); i++ {
		switch c := d.text[i]; {
		case c == '"':
			d.i = i + 1
			return d.text[start:i], nil
		case c == '\\':
			return d.unescape(start, i)
		case c < 0x20:
			d.i = i
			return "", d.syntax("in string literal")
		}
	}
	d.i = len(d.text)
	return "", d.syntax("in string literal") // at the end: "unexpected end"
}

// unescape reads the rest of a string that starts at start and has an escape at i. It decodes
// as encoding/json does: a \u escape of half a surrogate pair without the other half after it
// is U+FFFD.
func (d *decoder) unescape(start, i int) (string, error) {
	b := make([]byte, 0, i-start+32)
	b = append(b, d.text[start:i]...)
	for ; i < len(d.text); i++ {
		c := d.text[i]
		switch {
		case c == '"':
			d.i = i + 1
			return string(b), nil
		case c < 0x20:
			d.i = i
			return "", d.syntax("in string literal")
		case c != '\\':
			b = append(b, c)
			continue
		}
		i++ // the escape's letter
		if i >= len(d.text) {
			break
		}
		switch e := d.text[i]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, n := hex4(d.text[i+1:])
			if n < 4 {
				d.i = i + 1 + n
				return "", d.syntax("in \\u hexadecimal character escape")
			}
			i += 4 // the last digit
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if strings.HasPrefix(d.text[i+1:], `\u`) {
					if h, n := hex4(d.text[i+3:]); n == 4 {
						r2 = h
					}
				}
				if pair := utf16.DecodeRune(r, r2); pair != unicode.ReplacementChar {
					r = pair
					i += 6
				} else {
					r = unicode.ReplacementChar
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			d.i = i
			return "", d.syntax("in string escape code")
		}
	}
	d.i = len(d.text)
	return "", d.syntax("in string literal") // at the end: "unexpected end"
}

// hex4 returns the value of the hexadecimal digits that s starts with, up to four, and how many
// there are.
func hex4(s string) (r rune, n int) {
	for ; n < 4 && n < len(s); n++ {
		switch c := s[n]; {
		case '0' <= c && c <= '9':
			r = r*16 + rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r*16 + rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r*16 + rune(c-'A'+10)
		default:
			return r, n
		}
	}
	return r, n
}

// number reads a number and returns its text, and whether it is an integer (no fraction, no
// exponent).
func (d *decoder) number() (text string, integer bool, err error) {
	start := d.i
	d.skip("-")
	switch {
	case d.skip("0"):
	case d.digits() == 0:
		return "", false, d.syntax("in numeric literal")
	}
	integer = true
	if d.skip(".") {
		integer = false
		if d.digits() == 0 {
			return "", false, d.syntax("after decimal point in numeric literal")
		}
	}
	if d.skip("e") || d.skip("E") {
		integer = false
		if !d.skip("+") {
			d.skip("-")
		}
		if d.digits() == 0 {
			return "", false, d.syntax("in exponent of numeric literal")
		}
	}
	return d.text[start:d.i], integer, nil
}

// skip passes s if the text goes on with it, and says whether it did.
func (d *decoder) skip(s string) bool {
	if strings.HasPrefix(d.text[d.i:], s) {
		d.i += len(s)
		return true
	}
	return false
}

// digits passes decimal digits and returns how many.
func (d *decoder) digits() int {
	start := d.i
	for d.i < len(d.text) && '0' <= d.text[d.i] && d.text[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}

// integer reads a number for an integer field: JSON integer syntax (no fraction, no exponent,
// as encoding/json wants for an integer field), and the text of its digits.
func (d *decoder) integer(want string) (string, error) {
	switch c := d.ws(); {
	case c == 'n':
		return "", d.null()
	case c != '-' && (c < '0' || c > '9'):
		return "", d.mismatch(want)
	}
	n, integer, err := d.number()
	if err != nil {
		return "", err
	}
	if !integer {
		return "", d.failf("cannot unmarshal number %s into %s", n, want)
	}
	return n, nil
}

// intValue reads an int field.
func (d *decoder) intValue() (int, error) {
	const want = "an int"
	n, err := d.integer(want)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(n, 10, 64)
	if err != nil || v < math.MinInt || v > math.MaxInt {
		return 0, d.failf("cannot unmarshal number %s into %s", n, want)
	}
	return int(v), nil
}

// uint64Value reads a uint64 field: no sign, not even in -0 (as encoding/json).
func (d *decoder) uint64Value() (uint64, error) {
	const want = "a uint64"
	n, err := d.integer(want)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(n, 10, 64)
	if err != nil {
		return 0, d.failf("cannot unmarshal number %s into %s", n, want)
	}
	return v, nil
}

// boolValue reads a bool field.
func (d *decoder) boolValue() (bool, error) {
	switch d.ws() {
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return false, d.null()
	}
	return false, d.mismatch("a bool")
}

// stringValue reads a string field.
func (d *decoder) stringValue() (string, error) {
	switch d.ws() {
	case '"':
		return d.str()
	case 'n':
		return "", d.null()
	}
	return "", d.mismatch("a string")
}

// stringList reads a []string field; null is nil.
func (d *decoder) stringList() ([]string, error) { return listOf(d, d.stringValue) }

// The fields of each struct, in its order (TestDecodeFields checks them against the tags).
var (
	profileFields = []field{{"version", true}, {"arches", true}, {"executables", false},
		{"recordings", false}, {"files", false}, {"programs", false}, {"endpoints", false}, {"dropped", false}}
	syscallSetFields  = []field{{"syscalls", true}}
	syscallStatFields = []field{{"count", true}, {"args", false}}
	argsFields        = []field{{"index", true}, {"mask", true}, {"values", true}, {"widened", false}}
	executableFields  = []field{{"processes", true}, {"arches", true}, {"partial", false}}
	recordingFields   = []field{{"command", true}, {"kernel", false}, {"machine", false}, {"exit_code", true},
		{"running", false}, {"terminal", false}, {"syscalls_only", false}, {"processes", true}, {"hidden", false}, {"tree", false}}
	programFields  = []field{{"path", true}, {"argv", true}}
	endpointFields = []field{{"call", true}, {"family", true}, {"address", true}, {"port", false}}
	nodeFields     = []field{{"pid", true}, {"parent", true}, {"exec", false}}
	droppedFields  = []field{{"processes", false}, {"files", false}, {"programs", false}, {"endpoints", false}}
)

// profile reads the top-level object.
func (d *decoder) profile(p *Profile) error {
	return d.fields(profileFields, func(name string) (err error) {
		switch name {
		case "version":
			p.Version, err = d.intValue()
		case "arches":
			p.Arches, err = mapOf(d, d.syscallSet)
		case "executables":
			p.Executables, err = mapOf(d, d.executable)
		case "recordings":
			p.Recordings, err = listOf(d, d.recording)
		case "files":
			p.Files, err = mapOf(d, d.useList)
		case "programs":
			p.Programs, err = listOf(d, d.program)
		case "endpoints":
			p.Endpoints, err = listOf(d, d.endpoint)
		case "dropped":
			p.Dropped, err = d.dropped()
		}
		return err
	})
}

// syscallSet reads the calls of an arch.
func (d *decoder) syscallSet() (*SyscallSet, error) {
	s := &SyscallSet{}
	err := d.fields(syscallSetFields, func(string) (err error) {
		s.Syscalls, err = mapOf(d, d.syscallStat)
		return err
	})
	return s, err
}

// syscallStat reads what is known of a call. SyscallStats come from blocks: a profile has
// hundreds.
func (d *decoder) syscallStat() (*SyscallStat, error) {
	if len(d.stats) == 0 {
		d.stats = make([]SyscallStat, min(max(d.nstats, 16), 1024))
		d.nstats += len(d.stats)
	}
	st := &d.stats[0]
	d.stats = d.stats[1:]
	err := d.fields(syscallStatFields, func(name string) (err error) {
		switch name {
		case "count":
			st.Count, err = d.uint64Value()
		case "args":
			st.Args, err = d.args()
		}
		return err
	})
	return st, err
}

// args reads the arguments a call was made with.
func (d *decoder) args() (*Args, error) {
	a := &Args{}
	err := d.fields(argsFields, func(name string) (err error) {
		switch name {
		case "index":
			a.Index, err = listOf(d, d.intValue)
		case "mask":
			a.Mask, err = listOf(d, d.uint64Value)
		case "values":
			a.Values, err = listOf(d, func() ([]uint64, error) { return listOf(d, d.uint64Value) })
		case "widened":
			a.Widened, err = d.boolValue()
		}
		return err
	})
	return a, err
}

// executable reads the footprint of a program.
func (d *decoder) executable() (*Executable, error) {
	e := &Executable{}
	err := d.fields(executableFields, func(name string) (err error) {
		switch name {
		case "processes":
			e.Processes, err = d.intValue()
		case "arches":
			e.Arches, err = mapOf(d, d.syscallSet)
		case "partial":
			e.Partial, err = d.boolValue()
		}
		return err
	})
	return e, err
}

// recording reads a recording.
func (d *decoder) recording() (Recording, error) {
	var r Recording
	err := d.fields(recordingFields, func(name string) (err error) {
		switch name {
		case "command":
			r.Command, err = d.stringList()
		case "kernel":
			r.Kernel, err = d.stringValue()
		case "machine":
			r.Machine, err = d.stringValue()
		case "exit_code":
			r.ExitCode, err = d.intValue()
		case "running":
			r.Running, err = d.boolValue()
		case "terminal":
			r.Terminal, err = d.boolValue()
		case "syscalls_only":
			r.SyscallsOnly, err = d.boolValue()
		case "processes":
			r.Processes, err = d.intValue()
		case "hidden":
			r.Hidden, err = d.stringList()
		case "tree":
			r.Tree, err = listOf(d, d.node)
		}
		return err
	})
	return r, err
}

// node reads a node of a process tree.
func (d *decoder) node() (Node, error) {
	var n Node
	err := d.fields(nodeFields, func(name string) (err error) {
		switch name {
		case "pid":
			n.Pid, err = d.intValue()
		case "parent":
			n.Parent, err = d.intValue()
		case "exec":
			n.Exec, err = d.stringList()
		}
		return err
	})
	return n, err
}

// useList reads how a file was used. The known uses are shared strings, and the lists come from
// blocks: a file walk's profile has tens of thousands.
func (d *decoder) useList() ([]string, error) {
	if null, err := d.openOrNull('['); null || err != nil {
		return nil, err
	}
	start := len(d.uses)
	err := d.elements(func() error {
		u, err := d.stringValue()
		if err != nil {
			return err
		}
		switch u {
		case UseOpen:
			u = UseOpen
		case UseCreate:
			u = UseCreate
		case UseExec:
			u = UseExec
		case UseOpenFailed:
			u = UseOpenFailed
		case UseCreateFailed:
			u = UseCreateFailed
		}
		if len(d.uses) == cap(d.uses) {
			block := make([]string, 0, max(min(max(d.nuses, 16), 4096), 2*(len(d.uses)-start)))
			d.nuses += cap(block)
			d.uses = append(block, d.uses[start:]...)
			start = 0
		}
		d.uses = append(d.uses, u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(d.uses) == start {
		return []string{}, nil
	}
	return d.uses[start:len(d.uses):len(d.uses)], nil
}

// program reads a program and its command line.
func (d *decoder) program() (Program, error) {
	var p Program
	err := d.fields(programFields, func(name string) (err error) {
		switch name {
		case "path":
			p.Path, err = d.stringValue()
		case "argv":
			p.Argv, err = d.stringList()
		}
		return err
	})
	return p, err
}

// endpoint reads a socket address.
func (d *decoder) endpoint() (Endpoint, error) {
	var e Endpoint
	err := d.fields(endpointFields, func(name string) (err error) {
		switch name {
		case "call":
			e.Call, err = d.stringValue()
		case "family":
			e.Family, err = d.stringValue()
		case "address":
			e.Address, err = d.stringValue()
		case "port":
			e.Port, err = d.intValue()
		}
		return err
	})
	return e, err
}

// dropped reads what the caps left out.
func (d *decoder) dropped() (*Dropped, error) {
	dr := &Dropped{}
	err := d.fields(droppedFields, func(name string) (err error) {
		switch name {
		case "processes":
			dr.Processes, err = d.intValue()
		case "files":
			dr.Files, err = d.intValue()
		case "programs":
			dr.Programs, err = d.intValue()
		case "endpoints":
			dr.Endpoints, err = d.intValue()
		}
		return err
	})
	return dr, err
}
