package learn

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// A profile must mean the same thing to sctrace and to any other JSON reader. encoding/json
// alone does not guarantee it: it matches field names without regard to case (and folds
// "ſ" to "s"), lets the last of duplicate keys win, and leaves a missing or null field at its
// zero value. checkStrict walks the document token by token against the Go types it decodes
// into and rejects each of those: every key of a struct-typed object must be exactly one of
// its JSON names, no object may repeat a key, a field written without omitempty must be
// present, and a scalar or object field must not be null.

// checkStrict checks data, one JSON value that encoding/json has already decoded without a
// syntax error, against the type of v. It scans the bytes itself: encoding/json's Decoder.Token
// costs an allocation or more per token, which made reading a large profile slow.
func checkStrict(data []byte, v any) error {
	w := walker{data: data, fields: map[reflect.Type]*structFields{}}
	if err := w.walk(reflect.TypeOf(v), nil); err != nil {
		return err
	}
	w.space()
	if w.i != len(data) {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// path locates a value for error messages; it is built into a string only for an error.
type path struct {
	parent *path
	key    string // field name, or map key when quoted
	quoted bool
	index  int // slice element, when key is "" and !quoted
}

func (p *path) String() string {
	if p == nil {
		return "$"
	}
	switch {
	case p.quoted:
		return fmt.Sprintf("%s[%q]", p.parent, p.key)
	case p.key != "":
		return p.parent.String() + "." + p.key
	}
	return fmt.Sprintf("%s[%d]", p.parent, p.index)
}

// field is what the walker knows of one struct field.
type field struct {
	typ      reflect.Type
	required bool
	index    int
}

type structFields struct {
	byName map[string]field
	names  []string // in field order
}

// fieldsOf returns the JSON names of a struct's fields.
func fieldsOf(t reflect.Type) *structFields {
	fs := &structFields{byName: map[string]field{}}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fs.byName[name] = field{typ: f.Type, required: !strings.Contains(","+opts+",", ",omitempty,"), index: len(fs.names)}
		fs.names = append(fs.names, name)
	}
	return fs
}

// walker checks a document against Go types, one value at a time.
type walker struct {
	data   []byte
	i      int
	fields map[reflect.Type]*structFields // cache
}

func (w *walker) space() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (w *walker) peek() byte {
	w.space()
	if w.i < len(w.data) {
		return w.data[w.i]
	}
	return 0
}

// str reads a string (at its opening quote) and returns its value.
func (w *walker) str() (string, error) {
	start := w.i
	w.i++
	escaped := false
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case '\\':
			escaped = true
			w.i += 2
			continue
		case '"':
			w.i++
			raw := w.data[start:w.i]
			if !escaped {
				return string(raw[1 : len(raw)-1]), nil
			}
			var v string
			err := json.Unmarshal(raw, &v)
			return v, err
		}
		w.i++
	}
	return "", errors.New("unterminated string")
}

// skipScalar passes a string, number, true or false.
func (w *walker) skipScalar() error {
	if w.data[w.i] == '"' {
		_, err := w.str()
		return err
	}
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return nil
		}
		w.i++
	}
	return nil
}

// members walks the members of an object (at its opening brace), calling f for each key with
// the walker at the value; f must consume the value.
func (w *walker) members(at *path, f func(key string) error) error {
	w.i++ // {
	if w.peek() == '}' {
		w.i++
		return nil
	}
	for {
		if w.peek() != '"' {
			return fmt.Errorf("%s: bad object", at)
		}
		key, err := w.str()
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		if w.peek() != ':' {
			return fmt.Errorf("%s: bad object", at)
		}
		w.i++
		if err := f(key); err != nil {
			return err
		}
		switch w.peek() {
		case ',':
			w.i++
		case '}':
			w.i++
			return nil
		default:
			return fmt.Errorf("%s: bad object", at)
		}
	}
}

// walk reads one value and checks it against t.
func (w *walker) walk(t reflect.Type, at *path) error {
	c := w.peek()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if c == 'n' { // null
		w.i += 4
		switch t.Kind() {
		case reflect.Slice, reflect.Map:
			return nil // what Encode writes for an empty list; validate rejects where it matters
		}
		return fmt.Errorf("%s is null", at)
	}
	switch t.Kind() {
	case reflect.Struct:
		if c != '{' {
			return fmt.Errorf("%s: want an object", at)
		}
		fs := w.fields[t]
		if fs == nil {
			fs = fieldsOf(t)
			w.fields[t] = fs
		}
		var seen uint64
		if len(fs.names) > 64 {
			return fmt.Errorf("%s: %v has more than 64 fields", at, t)
		}
		err := w.members(at, func(key string) error {
			f, ok := fs.byName[key]
			if !ok {
				return fmt.Errorf("%s: unknown field %q", at, key)
			}
			if seen&(1<<f.index) != 0 {
				return fmt.Errorf("%s: duplicate field %q", at, key)
			}
			seen |= 1 << f.index
			return w.walk(f.typ, &path{parent: at, key: key})
		})
		if err != nil {
			return err
		}
		for i, name := range fs.names {
			if fs.byName[name].required && seen&(1<<i) == 0 {
				return fmt.Errorf("%s: missing field %q", at, name)
			}
		}
		return nil
	case reflect.Map:
		if c != '{' {
			return fmt.Errorf("%s: want an object", at)
		}
		seen := map[string]bool{}
		return w.members(at, func(key string) error {
			if seen[key] {
				return fmt.Errorf("%s: duplicate key %q", at, key)
			}
			seen[key] = true
			return w.walk(t.Elem(), &path{parent: at, key: key, quoted: true})
		})
	case reflect.Slice:
		if c != '[' {
			return fmt.Errorf("%s: want an array", at)
		}
		w.i++
		if w.peek() == ']' {
			w.i++
			return nil
		}
		for i := 0; ; i++ {
			if err := w.walk(t.Elem(), &path{parent: at, index: i}); err != nil {
				return err
			}
			switch w.peek() {
			case ',':
				w.i++
			case ']':
				w.i++
				return nil
			default:
				return fmt.Errorf("%s: bad array", at)
			}
		}
	}
	// A scalar: its type is checked by the decoder; here only that it is not a container.
	if c == '{' || c == '[' {
		return fmt.Errorf("%s: want a value, not %c", at, c)
	}
	if c == 0 {
		return fmt.Errorf("%s: unexpected end", at)
	}
	return w.skipScalar()
}
