package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sctrace/sctrace/arch"
)

// genProfile makes a profile that uses every field: calls in x86_64 and x86, executables (some
// partial), files, programs, endpoints, a recording with a process tree, and dropped counts.
func genProfile(files, calls, exes, nodes int) *Profile {
	rng := rand.New(rand.NewSource(1))
	p := NewProfile()
	for _, a := range []*arch.Arch{arch.X86_64, arch.X86} {
		set := setIn(p.Arches, a.Name)
		for i, sc := range a.Syscalls() {
			if i == calls {
				break
			}
			set.add(sc.Name, 1+uint64(rng.Intn(100000)))
		}
	}
	p.Executables = map[string]*Executable{}
	for i := 0; i < exes; i++ {
		e := &Executable{Processes: 1 + rng.Intn(20), Arches: map[string]*SyscallSet{}, Partial: i%7 == 3}
		set := setIn(e.Arches, "x86_64")
		for _, sc := range arch.X86_64.Syscalls()[:min(calls, 10+rng.Intn(30))] {
			set.add(sc.Name, 1+uint64(rng.Intn(1000)))
		}
		p.Executables[fmt.Sprintf("/usr/bin/tool-%d", i)] = e
		p.Programs = append(p.Programs, Program{Path: fmt.Sprintf("/usr/bin/tool-%d", i),
			Argv: []string{fmt.Sprintf("tool-%d", i), "--flag", "a & b <c>"}})
	}
	if files > 0 {
		p.Files = FileUses{}
	}
	uses := [][]string{{UseOpen}, {UseCreate, UseOpen}, {UseExec, UseOpen}, {UseCreate}}
	for i := 0; i < files; i++ {
		p.Files[fmt.Sprintf("/usr/lib/python3/site-packages/pkg%d/module_%d.py", i/50, i)] = uses[rng.Intn(len(uses))]
	}
	p.Endpoints = []Endpoint{{Call: "connect", Family: "inet", Address: "10.0.0.1", Port: 443},
		{Call: "bind", Family: "unix", Address: "@/tmp/sock"}, {Call: "sendto", Family: "inet6", Address: "::1", Port: 53}}
	rec := Recording{Command: []string{"make", "-j8"}, Kernel: "6.8.0-40-generic", Machine: "x86_64", ExitCode: 2,
		Terminal: true, Processes: nodes, Hidden: []string{"a child escaped the tracer"}}
	for i := 0; i < nodes; i++ {
		n := Node{Pid: 1000 + i, Parent: 999 + i/2}
		if i%3 == 0 {
			n.Exec = []string{fmt.Sprintf("/usr/bin/tool-%d", i%exes)}
		}
		rec.Tree = append(rec.Tree, n)
	}
	p.Recordings = []Recording{rec}
	p.Dropped = &Dropped{Processes: 3, Files: 17}
	return p
}

// encodeProfile returns p's JSON.
func encodeProfile(tb testing.TB, p *Profile) []byte {
	var b bytes.Buffer
	if err := p.Encode(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// BenchmarkDecode reads a small profile (a few kilobytes: what `sctrace run` usually reads) and
// a large one (a file walk's: 5 000 files, 300 calls in two arches, 50 executables, a 2 000-node
// tree).
func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct {
		name string
		p    *Profile
	}{
		{"small", genProfile(6, 10, 1, 3)},
		{"large", genProfile(5000, 300, 50, 2000)},
	} {
		data := encodeProfile(b, bc.p)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// decodeStd decodes text with encoding/json, rejecting unknown fields: what decodeProfile must
// agree with for every profile it accepts.
func decodeStd(text string) (*Profile, error) {
	if !json.Valid([]byte(text)) {
		return nil, errors.New("not valid JSON")
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	p := &Profile{}
	if err := dec.Decode(p); err != nil {
		return nil, err
	}
	return p, nil
}

// checkSame fails unless encoding/json decodes text, which decodeProfile gave p for, to the same.
func checkSame(t *testing.T, text string, p *Profile) {
	t.Helper()
	want, err := decodeStd(text)
	if err != nil {
		t.Fatalf("decodeProfile accepted what encoding/json refuses (%v):\n%s", err, text)
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("decodeProfile and encoding/json differ:\n%#v\n%#v\nfor\n%s", p, want, text)
	}
}

// fullProfiles are profiles that use every field, as Encode writes them and as other programs
// may (empty lists and maps, nulls where they are allowed, escapes, numbers at their limits).
var fullProfiles = []string{
	`{"version": 2, "arches": {"x86_64": {"syscalls": {"read": {"count": 18446744073709551615}}}, "x86": {"syscalls": {}}},
	  "executables": {"/bin/sh": {"processes": 2, "arches": {"x86_64": {"syscalls": {"execve": {"count": 1}}}}, "partial": true},
	    "/bin/true": {"processes": 0, "arches": {}, "partial": false}, "/bin/x": {"processes": 1, "arches": null}},
	  "recordings": [{"command": ["sh", "-c", "a \u0026\u0026 b"], "kernel": "6.1", "machine": "x86_64", "exit_code": -9223372036854775808,
	    "running": true, "terminal": false, "processes": 9223372036854775807, "hidden": [], "tree": [{"pid": 1, "parent": 0, "exec": ["/bin/sh"]},
	    {"pid": 2, "parent": 1, "exec": null}, {"pid": 3, "parent": 1, "exec": []}]},
	    {"command": null, "exit_code": 0, "processes": 0, "hidden": null, "tree": null}, {"command": [], "exit_code": -0, "processes": 1, "tree": []}],
	  "files": {"/etc/passwd": ["open"], "/tmp/x": ["create", "open"], "/bin/sh": ["exec"], "/e": [], "/n": null, "/u": ["other", "open", ""]},
	  "programs": [{"path": "/bin/sh", "argv": ["sh"]}, {"path": "", "argv": null}, {"path": "/x", "argv": []}],
	  "endpoints": [{"call": "connect", "family": "inet", "address": "10.0.0.1", "port": 443}, {"call": "bind", "family": "unix", "address": "@x"}],
	  "dropped": {"processes": 1, "files": 2, "programs": 3, "endpoints": 4}}`,
	`{"version":1,"arches":{},"executables":{},"recordings":[],"files":{},"programs":[],"endpoints":[],"dropped":{}}`,
	`{"version":1,"arches":{},"executables":null,"recordings":null,"files":null,"programs":null,"endpoints":null}`,
	"\t\r\n {\"version\"\n:\r1\t,\"arches\" : { } } \n\t\r",
	`{"vers\u0069on": 1, "arches": {"x\u0038\u0036_64": {"sys\u0063alls": {"\u0072ead": {"count": 1}}}}}`,
	`{"version": 1, "arches": {}, "programs": [{"path": "\"\\\/\b\f\n\r\t\u0000\u001f\u007f\u00e9\u2028\ud83d\ude00", "argv": []}]}`,
	`{"version": 1, "arches": {}, "programs": [{"path": "\ud800 \udc00 \ud800\u0041 \udc00\ud800 \ud800\ud800\udc00 \uDBFF\uDFFF", "argv": []}]}`,
	`{"version": 1, "arches": {}, "programs": [{"path": "é ſ 𝄞 \u00e9", "argv": ["\\x41", "a\\"]}]}`,
}

// TestDecodeSame: decodeProfile reads generated and hand-written profiles as encoding/json does,
// nil and empty lists and maps included.
func TestDecodeSame(t *testing.T) {
	texts := append([]string{string(encodeProfile(t, genProfile(50, 30, 5, 40)))}, fullProfiles...)
	for _, text := range texts {
		p, err := decodeProfile(text)
		if err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		checkSame(t, text, p)
	}
	p, err := decodeProfile(fullProfiles[0])
	if err != nil {
		t.Fatal(err)
	}
	if p.Files["/n"] != nil || p.Files["/e"] == nil || p.Recordings[1].Command != nil || p.Recordings[2].Command == nil ||
		p.Executables["/bin/x"].Arches != nil || p.Executables["/bin/true"].Arches == nil {
		t.Errorf("null and empty are not told apart: %#v", p)
	}
	p, err = decodeProfile(fullProfiles[1])
	if err != nil || p.Files == nil || p.Recordings == nil || p.Dropped == nil {
		t.Errorf("empty is not nil: %#v, %v", p, err)
	}
}

// TestDecodeStrict: each rule of the strict contract, and JSON syntax, with where the error
// says it is.
func TestDecodeStrict(t *testing.T) {
	const call = `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": %s}}}}}`
	rec := func(s string) string {
		return `{"version": 1, "arches": {}, "recordings": [{"command": [], "exit_code": 0, "processes": 1, ` + s + `}]}`
	}
	tests := []struct {
		name, in, want string // want "" accepts in
	}{
		{"duplicate key in a struct", `{"version": 1, "arches": {}, "version": 1}`, `line 1: $: duplicate field "version"`},
		{"duplicate key in a nested struct", rec(`"kernel": "a", "kernel": "b"`), `$.recordings[0]: duplicate field "kernel"`},
		{"duplicate key in a map", `{"version": 1, "arches": {}, "files": {"/a": [], "/b": [], "/a": ["open"]}}`, `$.files: duplicate key "/a"`},
		{"duplicate key, one escaped", `{"version": 1, "arches": {}, "files": {"/a": [], "/\u0061": []}}`, `$.files: duplicate key "/a"`},
		{"duplicate field, one escaped", `{"version": 1, "arches": {}, "\u0076ersion": 1}`, `$: duplicate field "version"`},
		{"case-folded key", `{"version": 1, "Arches": {}}`, `$: unknown field "Arches"`},
		{"long s", `{"version": 1, "arches": {"x86": {"ſyscalls": {}}}}`, `$.arches["x86"]: unknown field "ſyscalls"`},
		{"kelvin sign", rec(`"\u212aernel": "6.1"`), "$.recordings[0]: unknown field \"\u212aernel\""},
		{"unknown key", `{"version": 1, "arches": {}, "allow_all": true}`, `$: unknown field "allow_all"`},
		{"missing required field", `{"version": 1, "arches": {}, "programs": [{"path": "/x"}]}`, `$.programs[0]: missing field "argv"`},
		{"missing version", `{"arches": {}}`, `$: missing field "version"`},
		{"null struct", `{"version": 1, "arches": {}, "dropped": null}`, `$.dropped is null`},
		{"null struct in a list", `{"version": 1, "arches": {}, "endpoints": [null]}`, `$.endpoints[0] is null`},
		{"null struct in a map", `{"version": 1, "arches": {}, "executables": {"/x": null}}`, `$.executables["/x"] is null`},
		{"null scalar", rec(`"kernel": null`), `$.recordings[0].kernel is null`},
		{"null int", `{"version": 1, "arches": {}, "dropped": {"files": null}}`, `$.dropped.files is null`},
		{"null bool", rec(`"running": null`), `$.recordings[0].running is null`},
		{"null string in a list", rec(`"hidden": [null]`), `$.recordings[0].hidden[0] is null`},
		{"null list accepted", rec(`"hidden": null, "tree": null`), ""},
		{"null map accepted", `{"version": 1, "arches": {}, "files": null, "executables": null}`, ""},
		{"trailing data", `{"version": 1, "arches": {}} x`, `invalid character 'x' after top-level value`},
		{"trailing NUL", "{\"version\": 1, \"arches\": {}}\x00", `invalid character '\x00' after top-level value`},
		{"second value", `{"version": 1, "arches": {}}{}`, `after top-level value`},
		{"float into int", `{"version": 1.0, "arches": {}}`, `$.version: cannot unmarshal number 1.0 into an int`},
		{"exponent into int", `{"version": 1e0, "arches": {}}`, `$.version: cannot unmarshal number 1e0 into an int`},
		{"float into count", fmt.Sprintf(call, "2.5"), `$.arches["x86_64"].syscalls["read"].count: cannot unmarshal number 2.5 into a uint64`},
		{"negative count", fmt.Sprintf(call, "-1"), `cannot unmarshal number -1 into a uint64`},
		{"minus zero count", fmt.Sprintf(call, "-0"), `cannot unmarshal number -0 into a uint64`},
		{"count too large", fmt.Sprintf(call, "18446744073709551616"), `cannot unmarshal number 18446744073709551616 into a uint64`},
		{"int too large", `{"version": 9223372036854775808, "arches": {}}`, `cannot unmarshal number 9223372036854775808 into an int`},
		{"int too small", `{"version": -9223372036854775809, "arches": {}}`, `cannot unmarshal number -9223372036854775809 into an int`},
		{"string where a number is wanted", fmt.Sprintf(call, `"1"`), `cannot unmarshal string into a uint64`},
		{"bool where a number is wanted", fmt.Sprintf(call, `true`), `cannot unmarshal bool into a uint64`},
		{"number where a string is wanted", rec(`"kernel": 6`), `$.recordings[0].kernel: cannot unmarshal number 6 into a string`},
		{"number where a bool is wanted", rec(`"running": 1`), `cannot unmarshal number 1 into a bool`},
		{"string where a bool is wanted", rec(`"running": "true"`), `cannot unmarshal string into a bool`},
		{"list where an object is wanted", `{"version": 1, "arches": {"x86_64": {"syscalls": ["read"]}}}`, `$.arches["x86_64"].syscalls: cannot unmarshal array into an object`},
		{"object where a list is wanted", rec(`"hidden": {}`), `cannot unmarshal object into an array`},
		{"object where a number is wanted", fmt.Sprintf(call, `{}`), `cannot unmarshal object into a uint64`},
		{"not an object", `[]`, `cannot unmarshal array into an object`},
		{"control character in a string", "{\"version\": 1, \"arches\": {}, \"files\": {\"/a\nb\": []}}", `line 1: $.files: invalid character '\n' in string literal`},
		{"control character in a key", "{\"version\": 1, \"arches\": {}, \"file\ts\": {}}", `invalid character '\t' in string literal`},
		{"DEL is not a control character", "{\"version\": 1, \"arches\": {}, \"files\": {\"/a\x7f\": []}}", ""},
		{"bad escape", `{"version": 1, "arches": {}, "files": {"/a\x41": []}}`, `invalid character 'x' in string escape code`},
		{"single-quote escape", `{"version": 1, "arches": {}, "files": {"/a\'": []}}`, `invalid character '\'' in string escape code`},
		{"short \\u escape", `{"version": 1, "arches": {}, "files": {"/a\u12": []}}`, `invalid character '"' in \u hexadecimal character escape`},
		{"bad \\u escape", `{"version": 1, "arches": {}, "files": {"/a\u12g4": []}}`, `invalid character 'g' in \u hexadecimal character escape`},
		{"bad second half", `{"version": 1, "arches": {}, "files": {"/a\ud800\u12g4": []}}`, `invalid character 'g' in \u hexadecimal character escape`},
		{"unterminated string", `{"version": 1, "arches": {}, "files": {"/a`, `unexpected end of JSON input`},
		{"unterminated escape", `{"version": 1, "arches": {}, "files": {"/a\`, `unexpected end of JSON input`},
		{"truncated", `{"version": 1, "arches": {}`, `unexpected end of JSON input`},
		{"truncated literal", rec(`"running": tru`), `invalid character '}' in literal true`},
		{"bad literal", rec(`"running": nul`), `invalid character '}' in literal null`},
		{"capital literal", rec(`"running": True`), `invalid character 'T' looking for beginning of value`},
		{"leading zero", `{"version": 01, "arches": {}}`, `invalid character '1' after object key:value pair`},
		{"plus sign", `{"version": +1, "arches": {}}`, `invalid character '+' looking for beginning of value`},
		{"bare minus", `{"version": -, "arches": {}}`, `invalid character ',' in numeric literal`},
		{"bare decimal point", `{"version": 1., "arches": {}}`, `invalid character ',' after decimal point in numeric literal`},
		{"bare exponent", `{"version": 1e+, "arches": {}}`, `invalid character ',' in exponent of numeric literal`},
		{"hex", `{"version": 0x1, "arches": {}}`, `invalid character 'x' after object key:value pair`},
		{"trailing comma in an object", `{"version": 1, "arches": {},}`, `invalid character '}' looking for beginning of object key string`},
		{"trailing comma in a list", rec(`"hidden": ["a",]`), `invalid character ']' looking for beginning of value`},
		{"missing comma", `{"version": 1 "arches": {}}`, `invalid character '"' after object key:value pair`},
		{"missing colon", `{"version" 1, "arches": {}}`, `invalid character '1' after object key`},
		{"unquoted key", `{version: 1, "arches": {}}`, `invalid character 'v' looking for beginning of object key string`},
		{"form feed is not white space", "{\"version\": 1,\f\"arches\": {}}", `invalid character '\f' looking for beginning of object key string`},
		{"byte order mark", "\ufeff{\"version\": 1, \"arches\": {}}", `invalid character '\ufeff' looking for beginning of value`},
		{"error on a later line", "{\"version\": 1,\n\"arches\": {},\n\"dropped\": {\"files\": -1.5}}", `line 3: $.dropped.files: cannot unmarshal number -1.5 into an int`},
	}
	for _, tt := range tests {
		p, err := decodeProfile(tt.in)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want == "":
			checkSame(t, tt.in, p)
		case err == nil:
			t.Errorf("%s: accepted", tt.name)
		case !strings.Contains(err.Error(), tt.want):
			t.Errorf("%s: error %q, want one containing %q", tt.name, err, tt.want)
		}
		if _, err := Decode(strings.NewReader(tt.in)); tt.want != "" && err == nil {
			t.Errorf("%s: Decode accepted it", tt.name)
		}
	}
}

// TestDecodeFields: the decoder's field tables are the structs' JSON names, in order, with
// omitempty as the only option.
func TestDecodeFields(t *testing.T) {
	tables := []struct {
		v      any
		fields []field
	}{
		{Profile{}, profileFields}, {SyscallSet{}, syscallSetFields}, {SyscallStat{}, syscallStatFields},
		{Executable{}, executableFields}, {Recording{}, recordingFields}, {Program{}, programFields},
		{Endpoint{}, endpointFields}, {Node{}, nodeFields}, {Dropped{}, droppedFields}, {Args{}, argsFields},
	}
	for _, tt := range tables {
		typ := reflect.TypeOf(tt.v)
		var want []field
		for i := 0; i < typ.NumField(); i++ {
			name, opts, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" || (opts != "" && opts != "omitempty") {
				t.Fatalf("%v.%s: tag %q: the decoder knows only named fields and omitempty", typ, typ.Field(i).Name, typ.Field(i).Tag)
			}
			want = append(want, field{name, opts == ""})
		}
		if !reflect.DeepEqual(tt.fields, want) || len(want) > 64 {
			t.Errorf("%v: decoder has %v, tags say %v", typ, tt.fields, want)
		}
	}
}

// TestDecodeAllocs: reading files allocates for the map, not for each path and list.
func TestDecodeAllocs(t *testing.T) {
	text := string(encodeProfile(t, genProfile(5000, 10, 1, 1)))
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := decodeProfile(text); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 500 {
		t.Errorf("%v allocations to read 5000 files", allocs)
	}
}

// FuzzDecodeProfile: whatever decodeProfile accepts, encoding/json reads to the same profile.
func FuzzDecodeProfile(f *testing.F) {
	f.Add(encodeProfile(f, randomProfile(rand.New(rand.NewSource(1)))))
	f.Add(encodeProfile(f, genProfile(6, 10, 1, 3)))
	for _, seed := range append([]string{
		`{"version": 1, "arches": {"audit-0x12345678": {"syscalls": {"7": {"count": 1}}}}}`,
		`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}, "101": {"count": 1}}}}}`,
		`{"version": 1, "arches": {"x86_64": {"syscalls": {}, "SYSCALLS": {"ptrace": {"count": 1}}}}}`,
		`{"version": 1, "arches": {"x86_64": {"syscalls": {"ptrace": {"count": 1}}, "syscalls": {}}}}`,
		`{"version": 1, "arches": {"x86": {"syscalls": {"read": {"count": 3}}}}, "executables": {"/bin/x": {"processes": 1, "arches": {}}}}`,
		`{"version": 2, "arches": {}, "files": {"/a\u0062": ["open", "create"], "/c\"d": ["exec"], "/e": []}}`,
		"{\"version\":1,\"arches\":{}}\x00",
		`{"version": 3, "arches": {"x86_64": {"syscalls": {"socket": {"count": 2, "args": {"index": [0, 1, 2], "mask": [4294967295, 15, 4294967295], "values": [[1, 1, 0], [2, 2, 17]]}}, "clone": {"count": 1, "args": {"index": [0], "mask": [2122448896], "values": [], "widened": true}}}}}}`,
		`{"version": 3, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [6], "values": null}}}}}, "executables": {"/x": {"processes": 1, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [6], "values": [[4]]}}}}}}}}`,
	}, fullProfiles...) {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // Decode refuses it before decodeProfile
		}
		p, err := decodeProfile(string(data))
		if err != nil {
			if _, ok := err.(*decodeError); !ok {
				t.Fatalf("error %v is not located", err)
			}
			return
		}
		checkSame(t, string(data), p)
	})
}

// reformat writes v (what encoding/json decodes a profile to, with json.Number) as JSON in
// another of the ways JSON allows: white space between tokens, keys in another order, and
// characters of strings escaped.
func reformat(rng *rand.Rand, b *strings.Builder, v any) {
	space := func() {
		for rng.Intn(3) == 0 {
			b.WriteByte(" \t\r\n"[rng.Intn(4)])
		}
	}
	space()
	switch v := v.(type) {
	case map[string]any:
		b.WriteByte('{')
		keys := sortedKeys(v)
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			reformat(rng, b, k)
			b.WriteByte(':')
			reformat(rng, b, v[k])
		}
		space()
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			reformat(rng, b, e)
		}
		space()
		b.WriteByte(']')
	case string:
		b.WriteByte('"')
		for _, r := range v {
			switch {
			case rng.Intn(4) == 0 && r > 0xffff:
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04X`, r1, r2)
			case rng.Intn(4) == 0 && r <= 0xffff:
				fmt.Fprintf(b, `\u%04x`, r)
			case r == '/' && rng.Intn(2) == 0:
				b.WriteString(`\/`)
			case r == '"' || r == '\\' || r < 0x20:
				q, _ := json.Marshal(string(r))
				b.Write(q[1 : len(q)-1])
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
	case nil:
		b.WriteString("null")
	default: // json.Number, bool
		fmt.Fprint(b, v)
	}
	space()
}

// TestDecodeReformatted: profiles written in the other ways JSON allows decode as encoding/json
// decodes them.
func TestDecodeReformatted(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 300; i++ {
		p := genProfile(rng.Intn(20), 1+rng.Intn(20), 1+rng.Intn(4), rng.Intn(10))
		p.Programs = append(p.Programs, Program{Path: "/ü/\u2028/𝄞/\x01\"\\/\x7f", Argv: []string{}})
		var v any
		dec := json.NewDecoder(bytes.NewReader(encodeProfile(t, p)))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		reformat(rng, &b, v)
		q, err := decodeProfile(b.String())
		if err != nil {
			t.Fatalf("%v\n%s", err, b.String())
		}
		checkSame(t, b.String(), q)
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("reformatted profile decodes to another:\n%s", b.String())
		}
	}
}
