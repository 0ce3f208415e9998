package reach

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"sync"
)

// The cache's encoding of a summary (and of a cached Result): the exported fields of each
// struct in declaration order (unexported ones, the summariser's scratch, are skipped), integers
// as varints, a bool as one byte, a string, slice or map as its length first, with nil and empty
// kept apart (length+1, 0 for nil), a pointer as 0 (nil) or 1 and what it points to. There are no field names, so any change to the types must change summaryVersion,
// which comes first: a cache of another version is ignored. encoding/gob would do, but its
// package initialisation cost every sctrace command 0.2-0.4 ms of start-up.

// encodeValue appends v's encoding to b.
func encodeValue(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1)
		}
		return append(b, 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return binary.AppendUvarint(b, v.Uint())
	case reflect.String:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		return append(b, v.String()...)
	case reflect.Slice:
		if v.IsNil() {
			return append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		if v.CanInterface() { // the common element types without reflect (the same bytes)
			switch s := v.Interface().(type) {
			case []uint64:
				for _, x := range s {
					b = binary.AppendUvarint(b, x)
				}
				return b
			case []int32:
				for _, x := range s {
					b = binary.AppendVarint(b, int64(x))
				}
				return b
			case []string:
				for _, x := range s {
					b = append(binary.AppendUvarint(b, uint64(len(x))), x...)
				}
				return b
			}
		}
		for i := 0; i < v.Len(); i++ {
			b = encodeValue(b, v.Index(i))
		}
		return b
	case reflect.Map:
		if v.IsNil() {
			return append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		if v.CanInterface() { // the exports' maps without reflect (the same bytes)
			switch m := v.Interface().(type) {
			case map[string][]uint64:
				for _, k := range slices.Sorted(maps.Keys(m)) {
					b = encodeValue(append(binary.AppendUvarint(b, uint64(len(k))), k...), reflect.ValueOf(m[k]))
				}
				return b
			case map[string][]int32:
				for _, k := range slices.Sorted(maps.Keys(m)) {
					b = encodeValue(append(binary.AppendUvarint(b, uint64(len(k))), k...), reflect.ValueOf(m[k]))
				}
				return b
			}
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, compareKeys) // the same summary, the same bytes
		for _, k := range keys {
			b = encodeValue(b, k)
			b = encodeValue(b, v.MapIndex(k))
		}
		return b
	case reflect.Struct:
		for _, i := range exportedFields(v.Type()) {
			b = encodeValue(b, v.Field(i))
		}
		return b
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 0)
		}
		return encodeValue(append(b, 1), v.Elem())
	}
	panic(fmt.Sprintf("reach: cannot encode a %s", v.Type()))
}

// fieldCache holds exportedFields' answers: reflect builds a whole StructField to say whether
// one field is exported, which was a third of the decoding time.
var fieldCache sync.Map // reflect.Type -> []int

// exportedFields returns the indexes of t's exported fields.
func exportedFields(t reflect.Type) []int {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]int)
	}
	var f []int
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).IsExported() {
			f = append(f, i)
		}
	}
	fieldCache.Store(t, f)
	return f
}

// compareKeys orders map keys: strings and integers.
func compareKeys(a, b reflect.Value) int {
	switch a.Kind() {
	case reflect.String:
		return cmp.Compare(a.String(), b.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return cmp.Compare(a.Int(), b.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return cmp.Compare(a.Uint(), b.Uint())
	}
	panic(fmt.Sprintf("reach: cannot order map keys of type %s", a.Type()))
}

// decoder reads what encodeValue wrote.
type decoder struct {
	b   []byte
	err error
}

var errCorrupt = errors.New("corrupt summary")

func (d *decoder) uvarint() uint64 {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err, d.b = errCorrupt, nil
		return 0
	}
	d.b = d.b[n:]
	return x
}

// length reads a string, slice or map length, or -1 for nil; at most what is left of the input
// (every element takes a byte at least), so a corrupt length cannot make a huge allocation.
func (d *decoder) length(plusOne bool) int {
	n := d.uvarint()
	if plusOne {
		if n == 0 {
			return -1
		}
		n--
	}
	if n > uint64(len(d.b)) {
		d.err, d.b = errCorrupt, nil
		return 0
	}
	return int(n)
}

func (d *decoder) value(v reflect.Value) {
	if d.err != nil {
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		if len(d.b) == 0 || d.b[0] > 1 {
			d.err, d.b = errCorrupt, nil
			return
		}
		v.SetBool(d.b[0] == 1)
		d.b = d.b[1:]
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, n := binary.Varint(d.b)
		if n <= 0 || v.OverflowInt(x) {
			d.err, d.b = errCorrupt, nil
			return
		}
		v.SetInt(x)
		d.b = d.b[n:]
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		x := d.uvarint()
		if v.OverflowUint(x) {
			d.err, d.b = errCorrupt, nil
			return
		}
		v.SetUint(x)
	case reflect.String:
		n := d.length(false)
		if d.err == nil {
			v.SetString(string(d.b[:n]))
			d.b = d.b[n:]
		}
	case reflect.Slice:
		n := d.length(true)
		if d.err != nil || n < 0 {
			return
		}
		var kind any
		if v.CanInterface() {
			kind = v.Interface() // its type (no package-level reflect.Type: no package initialisation)
		}
		switch kind.(type) { // the common element types without reflect
		case []uint64:
			s := make([]uint64, n)
			for i := 0; i < n && d.err == nil; i++ {
				s[i] = d.uvarint()
			}
			v.Set(reflect.ValueOf(s))
			return
		case []int32:
			s := make([]int32, n)
			for i := 0; i < n && d.err == nil; i++ {
				x, k := binary.Varint(d.b)
				if k <= 0 || x != int64(int32(x)) {
					d.err, d.b = errCorrupt, nil
					return
				}
				s[i], d.b = int32(x), d.b[k:]
			}
			v.Set(reflect.ValueOf(s))
			return
		case []string:
			s := make([]string, n)
			for i := 0; i < n && d.err == nil; i++ {
				if k := d.length(false); d.err == nil {
					s[i], d.b = string(d.b[:k]), d.b[k:]
				}
			}
			v.Set(reflect.ValueOf(s))
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n && d.err == nil; i++ {
			d.value(s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		n := d.length(true)
		if d.err != nil || n < 0 {
			return
		}
		t := v.Type()
		m := reflect.MakeMapWithSize(t, min(n, math.MaxInt32))
		for i := 0; i < n && d.err == nil; i++ {
			k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
			d.value(k)
			d.value(e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for _, i := range exportedFields(v.Type()) {
			d.value(v.Field(i))
		}
	case reflect.Pointer:
		if len(d.b) == 0 || d.b[0] > 1 {
			d.err, d.b = errCorrupt, nil
			return
		}
		nonNil := d.b[0] == 1
		d.b = d.b[1:]
		if nonNil {
			p := reflect.New(v.Type().Elem())
			d.value(p.Elem())
			v.Set(p)
		}
	default:
		panic(fmt.Sprintf("reach: cannot decode a %s", v.Type()))
	}
}

// encodeSummary encodes s, its version first.
func encodeSummary(s *objSummary) []byte {
	// Sized for the whole (node's is 21 MB, 270 bytes a function): growing copied it 25 times.
	b := binary.AppendUvarint(make([]byte, 0, 64<<10+300*len(s.Funcs)), summaryVersion)
	return encodeValue(b, reflect.ValueOf(s).Elem())
}

// decodeSummary decodes what encodeSummary wrote; an error for another version, or bytes that
// are not a whole summary.
func decodeSummary(b []byte) (*objSummary, error) {
	d := &decoder{b: b}
	if v := d.uvarint(); d.err != nil || v != summaryVersion {
		return nil, errors.New("summary of another version")
	}
	var s objSummary
	d.value(reflect.ValueOf(&s).Elem())
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return nil, d.err
	}
	s.index()
	return &s, nil
}
