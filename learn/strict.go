package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// checkStrict checks data, one JSON value, against the type of v.
func checkStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{dec: dec, fields: map[reflect.Type]*structFields{}}
	if err := w.walk(reflect.TypeOf(v), nil); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
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
	dec    *json.Decoder
	fields map[reflect.Type]*structFields // cache
}

// walk reads one value and checks it against t.
func (w *walker) walk(t reflect.Type, at *path) error {
	dec := w.dec
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if tok == nil {
		switch t.Kind() {
		case reflect.Slice, reflect.Map:
			return nil // what Encode writes for an empty list; validate rejects where it matters
		}
		return fmt.Errorf("%s is null", at)
	}
	switch t.Kind() {
	case reflect.Struct:
		if tok != json.Delim('{') {
			return fmt.Errorf("%s: want an object", at)
		}
		fs := w.fields[t]
		if fs == nil {
			fs = fieldsOf(t)
			w.fields[t] = fs
		}
		var seenBits uint64
		var seenMore map[string]bool // structs with more than 64 fields (none today)
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%s: %w", at, err)
			}
			key := k.(string)
			f, ok := fs.byName[key]
			if !ok {
				return fmt.Errorf("%s: unknown field %q", at, key)
			}
			if f.index < 64 {
				if seenBits&(1<<f.index) != 0 {
					return fmt.Errorf("%s: duplicate field %q", at, key)
				}
				seenBits |= 1 << f.index
			} else {
				if seenMore == nil {
					seenMore = map[string]bool{}
				}
				if seenMore[key] {
					return fmt.Errorf("%s: duplicate field %q", at, key)
				}
				seenMore[key] = true
			}
			if err := w.walk(f.typ, &path{parent: at, key: key}); err != nil {
				return err
			}
		}
		for i, name := range fs.names {
			f := fs.byName[name]
			seen := (i < 64 && seenBits&(1<<i) != 0) || seenMore[name]
			if f.required && !seen {
				return fmt.Errorf("%s: missing field %q", at, name)
			}
		}
		_, err := dec.Token() // '}'
		return err
	case reflect.Map:
		if tok != json.Delim('{') {
			return fmt.Errorf("%s: want an object", at)
		}
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%s: %w", at, err)
			}
			key := k.(string)
			if seen[key] {
				return fmt.Errorf("%s: duplicate key %q", at, key)
			}
			seen[key] = true
			if err := w.walk(t.Elem(), &path{parent: at, key: key, quoted: true}); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	case reflect.Slice:
		if tok != json.Delim('[') {
			return fmt.Errorf("%s: want an array", at)
		}
		for i := 0; dec.More(); i++ {
			if err := w.walk(t.Elem(), &path{parent: at, index: i}); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	// A scalar: its type is checked by the decoder; here only that it is not a container.
	if d, ok := tok.(json.Delim); ok {
		return fmt.Errorf("%s: want a value, not %v", at, d)
	}
	return nil
}
