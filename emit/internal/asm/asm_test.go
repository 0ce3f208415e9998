package asm

import (
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
)

// run assembles b and interprets it on a 4-byte input holding x (little-endian, as seccomp_data
// on x86): x/net/bpf's VM is the interpreter.
func run(t *testing.T, b *Builder, x uint32) int {
	t.Helper()
	prog, err := b.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("the VM refuses the program: %v", err)
	}
	in := make([]byte, 4)
	binary.BigEndian.PutUint32(in, x) // the VM loads words big-endian
	out, err := vm.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLongJump: a conditional jump farther than 255 instructions (the encoding's limit) is
// rewritten, and both of its targets are still reached.
func TestLongJump(t *testing.T) {
	for _, distance := range []int{10, 255, 256, 1000} {
		var b Builder
		far := b.NewLabel()
		b.Ld(0)
		b.Jeq(7, far, b.Next())
		for i := 0; i < distance; i++ {
			b.Ret(100) // filler on the fall-through path: the first one is its answer
		}
		b.Bind(far)
		b.Ret(200)
		if got := run(t, &b, 7); got != 200 {
			t.Errorf("distance %d, taken: %d, want 200", distance, got)
		}
		if got := run(t, &b, 8); got != 100 {
			t.Errorf("distance %d, not taken: %d, want 100", distance, got)
		}
	}
}

// TestNestedLongJumps: rewriting one jump moves the targets of others; every jump still lands.
func TestNestedLongJumps(t *testing.T) {
	var b Builder
	ends := make([]Label, 5)
	for i := range ends {
		ends[i] = b.NewLabel()
	}
	b.Ld(0)
	for i := range ends {
		b.Jeq(uint32(i), ends[i], b.Next())
	}
	b.Ret(999)
	for i := range ends {
		for j := 0; j < 200; j++ {
			b.And(0xffffffff) // filler that keeps the accumulator
		}
		b.Bind(ends[i])
		b.Ret(uint32(10 + i))
	}
	for i := range ends {
		if got := run(t, &b, uint32(i)); got != 10+i {
			t.Errorf("input %d: %d, want %d", i, got, 10+i)
		}
	}
	if got := run(t, &b, 77); got != 999 {
		t.Errorf("no match: %d", got)
	}
}

// TestAssembleErrors: an unbound label and a backward jump are errors, not programs.
func TestAssembleErrors(t *testing.T) {
	var b Builder
	b.Jeq(1, b.NewLabel(), b.Next())
	b.Ret(0)
	if _, err := b.Assemble(); err == nil || !strings.Contains(err.Error(), "unbound") {
		t.Errorf("unbound label: %v", err)
	}
	var back Builder
	top := back.NewLabel()
	back.Bind(top)
	back.Ld(0)
	back.Jeq(1, top, back.Next())
	back.Ret(0)
	if _, err := back.Assemble(); err == nil || !strings.Contains(err.Error(), "backward") {
		t.Errorf("backward jump: %v", err)
	}
}
