package emit

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// label names an instruction position before it is known.
type label int

// insn is an instruction whose jump targets are labels.
type insn struct {
	ins    bpf.Instruction // for a jump, Skip fields are filled in by assemble
	jt, jf label           // conditional jumps
	ja     label           // unconditional jumps
	kind   insnKind
}

type insnKind uint8

const (
	plain insnKind = iota
	condJump
	alwaysJump
)

// compiler builds a program with symbolic jumps. next() is the label of the instruction that
// will follow the one being emitted: a conditional jump to next() falls through.
type compiler struct {
	prog   []insn
	labels []int // label -> instruction index, -1 until bound
}

func (c *compiler) newLabel() label {
	c.labels = append(c.labels, -1)
	return label(len(c.labels) - 1)
}

// next returns a label bound to the instruction after the one about to be emitted.
func (c *compiler) next() label {
	l := c.newLabel()
	c.labels[l] = len(c.prog) + 1
	return l
}

func (c *compiler) bind(l label) { c.labels[l] = len(c.prog) }

func (c *compiler) ld(off uint32) {
	c.prog = append(c.prog, insn{ins: bpf.LoadAbsolute{Off: off, Size: 4}})
}

func (c *compiler) and(k uint32) {
	c.prog = append(c.prog, insn{ins: bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: k}})
}

func (c *compiler) ret(a Action) {
	c.prog = append(c.prog, insn{ins: bpf.RetConstant{Val: uint32(a)}})
}

func (c *compiler) jump(cond bpf.JumpTest, k uint32, jt, jf label) {
	c.prog = append(c.prog, insn{ins: bpf.JumpIf{Cond: cond, Val: k}, jt: jt, jf: jf, kind: condJump})
}

func (c *compiler) jeq(k uint32, jt, jf label)  { c.jump(bpf.JumpEqual, k, jt, jf) }
func (c *compiler) jge(k uint32, jt, jf label)  { c.jump(bpf.JumpGreaterOrEqual, k, jt, jf) }
func (c *compiler) jset(k uint32, jt, jf label) { c.jump(bpf.JumpBitsSet, k, jt, jf) }

// assemble resolves labels. A conditional jump reaches at most 255 instructions ahead; a farther
// one is rewritten as a conditional jump over two unconditional ones (32-bit offsets):
//
//	jxx k, 0, 1 ; ja true ; ja false
//
// Each rewrite shifts what follows, so it repeats until every jump fits.
func (c *compiler) assemble() ([]bpf.Instruction, error) {
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
		t, f := c.newLabel(), c.newLabel()
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
