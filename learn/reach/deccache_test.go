package reach

import (
	"debug/elf"
	"math/rand"
	"reflect"
	"slices"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// sameDecode fails the test unless decodeInto, the summaries' sweep, decodes code alike through
// the cache c and without one. It returns x86asm's decoding of code's first instruction.
func sameDecode(t *testing.T, c *decodeCache, code []byte, where string) (x86asm.Inst, bool) {
	t.Helper()
	want := decodeInto(nil, code, 0x1000, 64, nil)
	if got := decodeInto(nil, code, 0x1000, 64, c); !slices.Equal(want, got) { // inst is comparable
		for k := range min(len(want), len(got)) {
			if want[k] != got[k] {
				t.Fatalf("%s: at %#x: cache gives %+v, x86asm %+v", where, want[k].addr, got[k].x, want[k].x)
			}
		}
		t.Fatalf("%s: cache gives %d instructions, x86asm %d", where, len(got), len(want))
	}
	x, err := x86asm.Decode(code, 64)
	return x, err == nil
}

// TestDecodeCache checks the sweep through the decode cache against the sweep without it on
// real objects' code and on random instructions, and the two rules it rests on:
// bytes after an instruction do not change it, and a PC-relative field changes only its
// operand. It also checks the cache is used: a cache that never hit would pass the rest.
func TestDecodeCache(t *testing.T) {
	objs := []string{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/python3.11", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/bin/ls"}
	swept := 0
	for _, p := range objs {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		c := newDecodeCache()
		n, guessed := 0, 0
		for _, s := range f.Sections {
			if s.Flags&elf.SHF_EXECINSTR == 0 || s.Type != elf.SHT_PROGBITS {
				continue
			}
			code, err := s.Data()
			if err != nil {
				t.Fatal(err)
			}
			sameDecode(t, c, code, p+" "+s.Name)
			for off := 0; off < len(code); {
				x, err := x86asm.Decode(code[off:], 64)
				if err != nil || x.Len == 0 {
					off++
					continue
				}
				n++
				if l, _, _, ok := instLen64(code[off:]); ok && l == x.Len {
					guessed++
				}
				off += x.Len
			}
		}
		f.Close()
		swept++
		hits := n - int(c.n)
		t.Logf("%s: %d instructions, %d distinct cached, %.1f%% hits, length guessed for %.1f%%", p, n, c.n,
			100*float64(hits)/float64(n), 100*float64(guessed)/float64(n))
		if guessed < n*95/100 || hits < n/2 {
			t.Errorf("%s: the cache is barely used: length guessed for %d of %d instructions, %d hits", p, guessed, n, hits)
		}
	}
	if swept == 0 {
		t.Skip("no x86_64 objects here")
	}

	// Random instructions, weighted towards what code is made of: prefixes, REX, opcodes of
	// the one- and two-byte maps, then ModRM, SIB and displacement bytes.
	rng := rand.New(rand.NewSource(1))
	c := newDecodeCache()
	prefixes := []byte{0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x64, 0x65, 0x40, 0x41, 0x44, 0x48, 0x49, 0x4c, 0x4d, 0x4f}
	for i := 0; i < 150000; i++ {
		var b [24]byte
		rng.Read(b[:])
		k := 0
		for np := rng.Intn(4); np > 0 && rng.Intn(2) == 0; np-- {
			b[k] = prefixes[rng.Intn(len(prefixes))]
			k++
		}
		if rng.Intn(4) == 0 {
			b[k] = 0x0f
			k++
		}
		if rng.Intn(3) == 0 { // a small immediate or displacement: the cache's common case
			for j := k + 2; j < len(b); j++ {
				b[j] &= 0x3
			}
		}
		x, ok := sameDecode(t, c, b[:], "random")
		if !ok || x.Op == 0 { // invalid: not cached (see store)
			continue
		}
		// The bytes after the instruction do not matter.
		var other [24]byte
		rng.Read(other[:])
		copy(other[:], b[:x.Len])
		if y, err := x86asm.Decode(other[:], 64); err != nil || !reflect.DeepEqual(x, y) {
			t.Fatalf("% x: decodes differently with other bytes after it: %+v, %+v", b[:x.Len], x, y)
		}
		sameDecode(t, c, other[:], "random, other bytes after")
		// A PC-relative field changes only its operand.
		if x.PCRel > 0 {
			copy(other[:], b[:])
			rng.Read(other[x.PCRelOff : x.PCRelOff+x.PCRel])
			y, err := x86asm.Decode(other[:], 64)
			want := x
			setPCRel(&want, other[x.PCRelOff:x.PCRelOff+x.PCRel])
			if err != nil || !reflect.DeepEqual(want, y) {
				t.Fatalf("% x: another PC-relative field decodes as %+v, not %+v", other[:x.Len], y, want)
			}
			sameDecode(t, c, other[:], "random, other PC-relative field")
		}
	}
	if c.n == 0 {
		t.Errorf("nothing random was cached")
	}
}
