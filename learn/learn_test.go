package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/arch"
)

const (
	auditX86_64 = 0xc000003e
	auditI386   = 0x40000003
)

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "not a profile"},
		{"not json", `hello`, "not a profile: not JSON text"},
		// A program is not a profile; "not valid UTF-8" sent the reader looking for a bad byte.
		{"elf", "\x7fELF\x02\x01\x01\x00\xff\xfe", "not a profile: not JSON text (an ELF file)"},
		{"binary", "\x00\x01\xff", "not a profile: not JSON text"},
		{"json, bad utf-8", "{\"version\": 3, \"arches\": {\"x86_64\": {\"syscalls\": {\"\xff\": {\"count\": 1}}}}}", "bad profile: not valid UTF-8"},
		{"json array", `[1]`, "not a profile: line 1"},
		{"truncated", `{"version": 1, "arches": {"x86_64": {"sysc`, "not a profile"},
		{"no version", `{"arches": {}}`, "no version field"},
		{"future", `{"version": 4, "arches": {}}`, "unsupported profile version 4"},
		{"args in version 2", `{"version": 2, "arches": {"x86_64": {"syscalls": {"socket": {"count": 1, "args": {"index": [0], "mask": [4294967295], "values": [[1]]}}}}}}`, "version 3 field"},
		{"args unsorted", `{"version": 3, "arches": {"x86_64": {"syscalls": {"socket": {"count": 1, "args": {"index": [0], "mask": [4294967295], "values": [[2], [1]]}}}}}}`, "sorted"},
		{"args outside mask", `{"version": 3, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [6], "values": [[1]]}}}}}}`, "outside its mask"},
		{"args 64-bit mask", `{"version": 3, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [4294967296], "values": []}}}}}}`, "32-bit mask"},
		{"args bad index", `{"version": 3, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [6], "mask": [1], "values": []}}}}}}`, "0 to 5"},
		{"args widened with values", `{"version": 3, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [6], "values": [[2]], "widened": true}}}}}}`, "widened, yet"},
		{"args on old_mmap", `{"version": 3, "arches": {"x86": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [6], "values": [[0]]}}}}}}`, "in memory"},
		{"args no values", `{"version": 3, "arches": {"x86_64": {"syscalls": {"mmap": {"count": 1, "args": {"index": [2], "mask": [6]}}}}}}`, "values"},
		{"partial in version 1", `{"version": 1, "arches": {}, "executables": {"/bin/x": {"processes": 1, "arches": {}, "partial": true}}}`, "version 2 field"},
		{"zero", `{"version": 0, "arches": {}}`, "unsupported profile version 0"},
		{"unknown field", `{"version": 1, "arches": {}, "allow_all": true}`, "unknown field"},
		{"wrong type", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": "many"}}}}}`, "line 1"},
		{"negative count", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": -1}}}}}`, "cannot unmarshal"},
		{"unknown arch", `{"version": 1, "arches": {"vax": {"syscalls": {}}}}`, `unknown arch "vax"`},
		{"unknown syscall", `{"version": 1, "arches": {"x86_64": {"syscalls": {"frob": {"count": 1}}}}}`, `unknown syscall "frob"`},
		{"null set", `{"version": 1, "arches": {"x86_64": null}}`, `$.arches["x86_64"] is null`},
		{"no arches", `{"version": 1}`, `missing field "arches"`},
		{"trailing", `{"version": 1, "arches": {}} {}`, "after top-level value"},
		// A profile must mean the same to sctrace as to jq: each of these grants ptrace to
		// encoding/json alone while jq shows no ptrace key.
		{"number of a named call", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}, "101": {"count": 1}}}}}`,
			`"101" is the number of ptrace`},
		{"zero next to read", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}, "0": {"count": 1}}}}}`,
			`"0" is the number of read`},
		{"case-folded field", `{"version": 1, "arches": {"x86_64": {"syscalls": {}, "SYSCALLS": {"ptrace": {"count": 1}}}}}`,
			`unknown field "SYSCALLS"`},
		{"long s folded", `{"version": 1, "arches": {"x86_64": {"ſyscalls": {"ptrace": {"count": 1}}}}}`,
			`unknown field "ſyscalls"`},
		{"upper-case top field", `{"VERSION": 1, "arches": {}}`, `unknown field "VERSION"`},
		{"duplicate field", `{"version": 1, "arches": {"x86_64": {"syscalls": {"ptrace": {"count": 1}}, "syscalls": {"read": {"count": 1}}}}}`,
			`duplicate field "syscalls"`},
		{"duplicate call", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}, "read": {"count": 2}}}}}`,
			`duplicate key "read"`},
		{"duplicate arch", `{"version": 1, "arches": {"x86_64": {"syscalls": {}}, "x86_64": {"syscalls": {"ptrace": {"count": 1}}}}}`,
			`duplicate key "x86_64"`},
		{"trailing brace", `{"version": 1, "arches": {}}}`, "after top-level value"},
		{"trailing bracket", `{"version": 1, "arches": {}}]`, "after top-level value"},
		{"missing count", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {}}}}}`, `missing field "count"`},
		{"null count", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": null}}}}}`, `count is null`},
		{"null version", `{"version": null, "arches": {}}`, "version"},
		{"table-less arch, second key", `{"version": 1, "arches": {"audit-0x12345678": {"syscalls": {"7": {"count": 1}, "ptrace": {"count": 1}}}}}`,
			`"ptrace" must be a number`},
	}
	for _, tt := range tests {
		_, err := Decode(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	_, err := Decode(strings.NewReader(`{"version": 9, "arches": {}}`))
	if !errors.Is(err, ErrVersion) {
		t.Errorf("future version: %v is not ErrVersion", err)
	}
	// The table-less arch check must not depend on map order: many tries, always rejected.
	for i := 0; i < 200; i++ {
		in := `{"version": 1, "arches": {"audit-0x12345678": {"syscalls": {"1": {"count": 1}, "2": {"count": 1}, "read": {"count": 1}, "3": {"count": 1}}}}}`
		if _, err := Decode(strings.NewReader(in)); err == nil {
			t.Fatalf("try %d: a name under a table-less arch was accepted", i)
		}
	}
	big := `{"version": 1, "arches": {}, "executables": {"` + strings.Repeat("a", MaxProfileSize) + `": null}}`
	if _, err := Decode(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized profile: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	var b bytes.Buffer
	randomProfile(rand.New(rand.NewSource(1))).Encode(&b)
	f.Add(b.Bytes())
	f.Add([]byte(`{"version": 1, "arches": {"audit-0x12345678": {"syscalls": {"7": {"count": 1}}}}}`))
	for _, seed := range []string{
		`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}, "101": {"count": 1}}}}}`,
		`{"version": 1, "arches": {"x86_64": {"syscalls": {}, "SYSCALLS": {"ptrace": {"count": 1}}}}}`,
		`{"version": 1, "arches": {"x86_64": {"syscalls": {"ptrace": {"count": 1}}, "syscalls": {}}}}`,
		`{"version": 1, "arches": {"x86": {"syscalls": {"read": {"count": 3}}}}, "executables": {"/bin/x": {"processes": 1, "arches": {}}}}`,
		`{"version": 2, "arches": {}, "files": {"/a\u0062": ["open", "create"], "/c\"d": ["exec"], "/e": []}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever Decode accepts, a plain JSON reader (exact-case keys, as jq sees them) must
		// see the same arches, calls and counts.
		var raw map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatalf("Decode accepted what encoding/json cannot read: %v", err)
		}
		// Files have their own decoder (FileUses): it must read what encoding/json reads.
		files, _ := raw["files"].(map[string]any)
		if len(files) != len(p.Files) {
			t.Fatalf("files: jq sees %d, sctrace %d", len(files), len(p.Files))
		}
		for path, uses := range files {
			list, _ := uses.([]any)
			got, ok := p.Files[path]
			if !ok || len(list) != len(got) {
				t.Fatalf("files[%q]: jq sees %v, sctrace %v", path, uses, got)
			}
			for i, u := range list {
				if u != got[i] {
					t.Fatalf("files[%q][%d]: jq sees %v, sctrace %q", path, i, u, got[i])
				}
			}
		}
		arches, _ := raw["arches"].(map[string]any)
		if len(arches) != len(p.Arches) {
			t.Fatalf("arches: jq sees %d, sctrace %d", len(arches), len(p.Arches))
		}
		for name, set := range p.Arches {
			rawSet, _ := arches[name].(map[string]any)
			calls, _ := rawSet["syscalls"].(map[string]any)
			if len(calls) != len(set.Syscalls) {
				t.Fatalf("%s: jq sees %d calls, sctrace %d", name, len(calls), len(set.Syscalls))
			}
			for key, st := range set.Syscalls {
				c, _ := calls[key].(map[string]any)
				if n, ok := c["count"].(float64); !ok || uint64(n) != st.Count {
					t.Fatalf("%s/%s: jq sees count %v, sctrace %d", name, key, c["count"], st.Count)
				}
			}
		}
		// Whatever Decode accepts must encode and decode again to the same bytes.
		var once, twice bytes.Buffer
		if err := p.Encode(&once); err != nil {
			t.Fatal(err)
		}
		q, err := Decode(bytes.NewReader(once.Bytes()))
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, once.Bytes())
		}
		q.Encode(&twice)
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatalf("not stable:\n%s\n%s", once.Bytes(), twice.Bytes())
		}
	})
}

// TestOldMmapNotLearned: i386's and s390x's mmap passes its arguments in memory (old_mmap): its
// registers say nothing, so its arguments must not be learned (or enforced).
func TestOldMmapNotLearned(t *testing.T) {
	for _, c := range []struct {
		arch, call string
		learned    bool
	}{{"x86", "mmap", false}, {"s390x", "mmap", false}, {"x86", "mmap2", true}, {"x86_64", "mmap", true}, {"aarch64", "mmap", true}} {
		a, ok := arch.ByName(c.arch)
		if !ok {
			continue
		}
		if got := LearnsArgs(a, c.call); got != c.learned {
			t.Errorf("%s %s: learned %v, want %v", c.arch, c.call, got, c.learned)
		}
	}
}
