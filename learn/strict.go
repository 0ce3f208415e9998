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
	if err := walk(dec, reflect.TypeOf(v), "$"); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// field is what the walker knows of one struct field.
type field struct {
	typ      reflect.Type
	required bool
}

// fieldsOf returns the JSON names of a struct's fields.
func fieldsOf(t reflect.Type) map[string]field {
	fs := map[string]field{}
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
		fs[name] = field{typ: f.Type, required: !strings.Contains(","+opts+",", ",omitempty,")}
	}
	return fs
}

// walk reads one value from dec and checks it against t.
func walk(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if tok == nil {
		switch t.Kind() {
		case reflect.Slice, reflect.Map:
			return nil // what Encode writes for an empty list; validate rejects where it matters
		}
		return fmt.Errorf("%s is null", path)
	}
	switch t.Kind() {
	case reflect.Struct:
		if tok != json.Delim('{') {
			return fmt.Errorf("%s: want an object", path)
		}
		fields := fieldsOf(t)
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			key := k.(string)
			f, ok := fields[key]
			if !ok {
				return fmt.Errorf("%s: unknown field %q", path, key)
			}
			if seen[key] {
				return fmt.Errorf("%s: duplicate field %q", path, key)
			}
			seen[key] = true
			if err := walk(dec, f.typ, path+"."+key); err != nil {
				return err
			}
		}
		for name, f := range fields {
			if f.required && !seen[name] {
				return fmt.Errorf("%s: missing field %q", path, name)
			}
		}
		_, err := dec.Token() // '}'
		return err
	case reflect.Map:
		if tok != json.Delim('{') {
			return fmt.Errorf("%s: want an object", path)
		}
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			key := k.(string)
			if seen[key] {
				return fmt.Errorf("%s: duplicate key %q", path, key)
			}
			seen[key] = true
			if err := walk(dec, t.Elem(), path+"["+fmt.Sprintf("%q", key)+"]"); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	case reflect.Slice:
		if tok != json.Delim('[') {
			return fmt.Errorf("%s: want an array", path)
		}
		for i := 0; dec.More(); i++ {
			if err := walk(dec, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	// A scalar: its type is checked by the decoder; here only that it is not a container.
	if d, ok := tok.(json.Delim); ok {
		return fmt.Errorf("%s: want a value, not %v", path, d)
	}
	return nil
}
