// Package asm assembles classic BPF programs with symbolic jumps: labels bound as the program
// is written, conditional jumps to any distance (farther than 255 instructions, a conditional
// jump over two unconditional ones), and errors for unbound labels and backward jumps. The
// seccomp filter compiler (package emit) writes its programs with it.
package asm

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Label names an instruction position before it is known.
type Label int

// insn is an instruction whose jump targets are labels.
type insn struct {
	ins    bpf.Instruction // for a jump, Skip fields are filled in by assemble
	jt, jf Label           // conditional jumps
	ja     Label           // unconditional jumps
	kind   insnKind
}

type insnKind uint8

const (
	plain insnKind = iota
	condJump
	alwaysJump
)

// Builder builds a program with symbolic jumps. Next() is the label of the instruction that
// will follow the one being emitted: a conditional jump to Next() falls through.
type Builder struct {
	prog   []insn
	labels []int // label -> instruction index, -1 until bound
}

// NewLabel returns a label to bind later.
func (c *Builder) NewLabel() Label {
	c.labels = append(c.labels, -1)
	return Label(len(c.labels) - 1)
}

// Next returns a label bound to the instruction after the one about to be emitted.
func (c *Builder) Next() Label {
	l := c.NewLabel()
	c.labels[l] = len(c.prog) + 1
	return l
}

// Bind binds l to the next instruction written.
func (c *Builder) Bind(l Label) { c.labels[l] = len(c.prog) }

// Ld loads the 32-bit word at off of the input (seccomp_data).
func (c *Builder) Ld(off uint32) {
	c.prog = append(c.prog, insn{ins: bpf.LoadAbsolute{Off: off, Size: 4}})
}

// And masks the accumulator with k.
func (c *Builder) And(k uint32) {
	c.prog = append(c.prog, insn{ins: bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: k}})
}

// Ret returns v.
func (c *Builder) Ret(v uint32) {
	c.prog = append(c.prog, insn{ins: bpf.RetConstant{Val: v}})
}

// Jump compares the accumulator with k and goes to jt when cond holds, to jf otherwise.
func (c *Builder) Jump(cond bpf.JumpTest, k uint32, jt, jf Label) {
	c.prog = append(c.prog, insn{ins: bpf.JumpIf{Cond: cond, Val: k}, jt: jt, jf: jf, kind: condJump})
}

// Jeq is Jump if equal.
func (c *Builder) Jeq(k uint32, jt, jf Label) { c.Jump(bpf.JumpEqual, k, jt, jf) }

// Jge is Jump if greater or equal (unsigned).
func (c *Builder) Jge(k uint32, jt, jf Label) { c.Jump(bpf.JumpGreaterOrEqual, k, jt, jf) }

// Jset is Jump if any bit of k is set.
func (c *Builder) Jset(k uint32, jt, jf Label) { c.Jump(bpf.JumpBitsSet, k, jt, jf) }

// Assemble resolves labels. A conditional jump reaches at most 255 instructions ahead; a farther
// one is rewritten as a conditional jump over two unconditional ones (32-bit offsets):
//
//	jxx k, 0, 1 ; ja true ; ja false
//
// Each rewrite shifts what follows, so it repeats until every jump fits.
func (c *Builder) Assemble() ([]bpf.Instruction, error) {
	for _, at := range c.labels {
		if at < 0 {
			return nil, fmt.Errorf("internal error: unbound label")
		}
	}
	for {
		far := -1
		for i, in := range c.prog {
			if in.kind != condJump {
				continue
			}
			if c.labels[in.jt]-i-1 > 255 || c.labels[in.jf]-i-1 > 255 {
				far = i
				break
			}
		}
		if far < 0 {
			break
		}
		in := c.prog[far]
		// Labels after the jump move down by two.
		for l, at := range c.labels {
			if at > far {
				c.labels[l] = at + 2
			}
		}
		t, f := c.NewLabel(), c.NewLabel()
		c.labels[t], c.labels[f] = far+1, far+2
		in.jt, in.jf = t, f
		tail := append([]insn{in,
			{kind: alwaysJump, ja: c.prog[far].jt},
			{kind: alwaysJump, ja: c.prog[far].jf}}, c.prog[far+1:]...)
		c.prog = append(c.prog[:far], tail...)
	}
	out := make([]bpf.Instruction, len(c.prog))
	for i, in := range c.prog {
		switch in.kind {
		case plain:
			out[i] = in.ins
		case condJump:
			j := in.ins.(bpf.JumpIf)
			jt, jf := c.labels[in.jt]-i-1, c.labels[in.jf]-i-1
			if jt < 0 || jf < 0 {
				return nil, fmt.Errorf("internal error: backward jump at %d", i)
			}
			j.SkipTrue, j.SkipFalse = uint8(jt), uint8(jf)
			out[i] = j
		case alwaysJump:
			skip := c.labels[in.ja] - i - 1
			if skip < 0 {
				return nil, fmt.Errorf("internal error: backward jump at %d", i)
			}
			out[i] = bpf.Jump{Skip: uint32(skip)}
		}
	}
	return out, nil
}
