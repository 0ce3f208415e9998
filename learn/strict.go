package learn

import (
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
	w := walker{scanner: scanner{data: data}, fields: map[reflect.Type]*structFields{}}
	if err := w.walk(reflect.TypeOf(v)); err != nil {
		return err
	}
	w.peek() // past white space
	if w.i != len(w.data) {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// strictError is a check's failure, located in the document. The walker builds the location
// only for an error, as the error travels up: each level adds its step.
type strictError struct {
	steps []string // innermost first
	msg   string
	null  bool // "PATH is null" rather than "PATH: msg"
}

func (e *strictError) Error() string {
	var b strings.Builder
	b.WriteString("$")
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

func failf(format string, args ...any) error {
	return &strictError{msg: fmt.Sprintf(format, args...)}
}

// within adds a step to the location of a strictError.
func within(err error, step func() string) error {
	if se, ok := err.(*strictError); ok {
		se.steps = append(se.steps, step())
	}
	return err
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
	scanner
	fields map[reflect.Type]*structFields // cache
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
func (w *walker) members(f func(key string) error) error {
	w.i++ // {
	if w.peek() == '}' {
		w.i++
		return nil
	}
	for {
		if w.peek() != '"' {
			return failf("bad object")
		}
		key, err := w.str()
		if err != nil {
			return failf("%v", err)
		}
		if w.peek() != ':' {
			return failf("bad object")
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
			return failf("bad object")
		}
	}
}

// walk reads one value and checks it against t.
func (w *walker) walk(t reflect.Type) error {
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
		return &strictError{null: true}
	}
	switch t.Kind() {
	case reflect.Struct:
		if c != '{' {
			return failf("want an object")
		}
		fs := w.fields[t]
		if fs == nil {
			fs = fieldsOf(t)
			w.fields[t] = fs
		}
		var seen uint64
		if len(fs.names) > 64 {
			return failf("%v has more than 64 fields", t)
		}
		err := w.members(func(key string) error {
			f, ok := fs.byName[key]
			if !ok {
				return failf("unknown field %q", key)
			}
			if seen&(1<<f.index) != 0 {
				return failf("duplicate field %q", key)
			}
			seen |= 1 << f.index
			return within(w.walk(f.typ), func() string { return "." + key })
		})
		if err != nil {
			return err
		}
		for i, name := range fs.names {
			if fs.byName[name].required && seen&(1<<i) == 0 {
				return failf("missing field %q", name)
			}
		}
		return nil
	case reflect.Map:
		if c != '{' {
			return failf("want an object")
		}
		seen := map[string]bool{}
		return w.members(func(key string) error {
			if seen[key] {
				return failf("duplicate key %q", key)
			}
			seen[key] = true
			return within(w.walk(t.Elem()), func() string { return fmt.Sprintf("[%q]", key) })
		})
	case reflect.Slice:
		if c != '[' {
			return failf("want an array")
		}
		w.i++
		if w.peek() == ']' {
			w.i++
			return nil
		}
		for i := 0; ; i++ {
			if err := w.walk(t.Elem()); err != nil {
				return within(err, func() string { return fmt.Sprintf("[%d]", i) })
			}
			switch w.peek() {
			case ',':
				w.i++
			case ']':
				w.i++
				return nil
			default:
				return failf("bad array")
			}
		}
	}
	// A scalar: its type is checked by the decoder; here only that it is not a container.
	if c == '{' || c == '[' {
		return failf("want a value, not %c", c)
	}
	if c == 0 {
		return failf("unexpected end")
	}
	return w.skipScalar()
}
