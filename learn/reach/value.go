package reach

import (
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// param names the value a register or stack slot held when control entered a function (or an
// address inside one) from elsewhere. Its callers decide it.
type param struct {
	Entry uint64
	Reg   int   // register family (0 rax ... 15 r15), or -1 for a stack slot
	Slot  int64 // for Reg == -1: offset from the stack pointer at entry (8: first stack argument)
}

// traced is what a backward trace found a value can be: constants, entry values, or unknown
// for the listed reasons.
type traced struct {
	Consts  []int64
	Params  []param
	Unknown []string
}

// loc is a register family or, with reg == -1, a stack slot relative to rsp at function entry.
type loc struct {
	reg  int
	slot int64
}

// Reasons a value is unknown. unkMem (a load from memory that is not a tracked stack slot) is
// what glibc's set*id broadcast produces.
const (
	unkMem      = "loaded from memory"
	unkCall     = "clobbered by a call"
	unkOp       = "computed"
	unkIndirect = "code reachable by an indirect jump"
	unkStack    = "stack slot not trackable"
	unkEscape   = "stack slot whose address escapes"
	unkNoPred   = "block without known predecessor (landing pad?)"
)

// isPadding tells whether an instruction is alignment padding (a nop of some form).
func isPadding(x *x86asm.Inst) bool {
	switch x.Op {
	case x86asm.NOP, x86asm.INT:
		return x.Op == x86asm.NOP || x.Args[0] == x86asm.Imm(3)
	case x86asm.XCHG, x86asm.LEA:
		if r, ok := x.Args[0].(x86asm.Reg); ok {
			if x.Args[1] == r {
				return true
			}
			if m, ok := x.Args[1].(x86asm.Mem); ok && m.Base == r && m.Index == 0 && m.Disp == 0 {
				return true
			}
		}
	}
	return false
}

// dead tells whether instruction i only follows calls that never return (through padding).
func (fc *fnCode) dead(i int) bool {
	for _, d := range fc.deadAfter {
		if d == i {
			return true
		}
	}
	return false
}

// clobbered tells whether a call may change register family f.
func (fc *fnCode) clobbered(f int) bool {
	if fc.goABI {
		return f != famSP
	}
	if fc.mode == 32 {
		return f == famAX || f == famCX || f == famDX
	}
	switch f {
	case famAX, famCX, famDX, famSI, famDI, 8, 9, 10, 11:
		return true
	}
	return false
}

// memSlot maps a memory operand at instruction j to a stack slot: isStack tells whether it is on
// the stack, known whether its offset could be computed.
func (fc *fnCode) memSlot(j int, m x86asm.Mem) (e int64, isStack, known bool) {
	f, _ := regFam(m.Base)
	if m.Segment != 0 {
		return 0, false, false
	}
	if f == famSP {
		if m.Index != 0 || fc.delta[j] <= deltaUnknown {
			return 0, true, false
		}
		return fc.delta[j] + m.Disp, true, true
	}
	if f == famBP && fc.rbp[j] > deltaUnknown {
		if m.Index != 0 {
			return 0, true, false
		}
		return fc.rbp[j] + m.Disp, true, true
	}
	return 0, false, false
}

// overlaps tells whether [a, a+n) meets the 4-byte slot at s.
func overlaps(a, n, s int64) bool { return a < s+4 && s < a+n }

// stepResult is the effect of one instruction on a traced location, going backwards.
type stepResult struct {
	consts  []int64
	next    []loc
	unknown string
}

// source follows a value copied from an operand (register, immediate or stack slot).
func (fc *fnCode) source(j int, a x86asm.Arg) stepResult {
	switch a := a.(type) {
	case x86asm.Imm:
		return stepResult{consts: []int64{int64(int32(a))}}
	case x86asm.Reg:
		g, w := regFam(a)
		if g < 0 || w < 4 || g == famSP {
			return stepResult{unknown: unkOp}
		}
		return stepResult{next: []loc{{reg: g}}}
	case x86asm.Mem:
		if e, isStack, known := fc.memSlot(j, a); isStack && known {
			return stepResult{next: []loc{{reg: -1, slot: e}}}
		} else if isStack {
			return stepResult{unknown: unkStack}
		}
		return stepResult{unknown: unkMem}
	}
	return stepResult{unknown: unkOp}
}

// step applies instruction j backwards to location l: what l held before j, given it is what l
// holds after j.
func (fc *fnCode) step(j int, l loc) stepResult {
	x := &fc.insts[j].x
	pass := stepResult{next: []loc{l}}
	if x.Op == 0 {
		return stepResult{unknown: unkOp} // EVEX: registers or memory may change
	}
	if w, ok := fc.narrow[j]; ok {
		// A pc thunk or the vDSO's system call entry: one register changes, no memory.
		if l.reg == w {
			return stepResult{unknown: unkOp}
		}
		return pass
	}
	if l.reg >= 0 {
		if x.Op == x86asm.CALL || x.Op == x86asm.LCALL {
			if fc.clobbered(l.reg) {
				return stepResult{unknown: unkCall}
			}
			return pass
		}
		if !writesFam(x, l.reg) {
			return pass
		}
		dst, isReg := x.Args[0].(x86asm.Reg)
		_, w := regFam(dst)
		switch x.Op {
		case x86asm.MOV, x86asm.MOVSXD:
			if isReg && w >= 4 {
				return fc.source(j, x.Args[1])
			}
		case x86asm.XOR, x86asm.SUB:
			if isReg && w >= 4 && x.Args[0] == x.Args[1] {
				return stepResult{consts: []int64{0}}
			}
		case x86asm.POP:
			if isReg && w >= 4 && fc.delta[j] > deltaUnknown {
				return stepResult{next: []loc{{reg: -1, slot: fc.delta[j]}}}
			}
			return stepResult{unknown: unkStack}
		default:
			if strings.HasPrefix(x.Op.String(), "CMOV") && isReg && w >= 4 {
				r := fc.source(j, x.Args[1])
				r.next = append(r.next, l)
				return r
			}
		}
		return stepResult{unknown: unkOp}
	}
	// A stack slot.
	s := l.slot
	d := fc.delta[j]
	ps := int64(fc.mode / 8)
	switch x.Op {
	case x86asm.CALL, x86asm.LCALL:
		if d <= deltaUnknown || s < d || fc.exposed(s) {
			return stepResult{unknown: unkEscape}
		}
		return pass
	case x86asm.PUSH:
		if d <= deltaUnknown {
			return stepResult{unknown: unkStack}
		}
		sz := ps
		if r, ok := x.Args[0].(x86asm.Reg); ok {
			if _, w := regFam(r); w == 2 {
				sz = 2
			}
		}
		if overlaps(d-sz, sz, s) {
			if d-sz == s && sz >= 4 {
				return fc.source(j, x.Args[0])
			}
			return stepResult{unknown: unkStack}
		}
		return pass
	}
	for k, a := range x.Args {
		m, ok := a.(x86asm.Mem)
		if !ok {
			continue
		}
		writes := k == 0 && writesMemFirst(x)
		if k == 1 && (x.Op == x86asm.XCHG || x.Op == x86asm.XADD) {
			writes = true
		}
		if !writes {
			continue
		}
		e, isStack, known := fc.memSlot(j, m)
		switch {
		case isStack && !known:
			return stepResult{unknown: unkStack}
		case isStack:
			w := int64(x.MemBytes)
			if w == 0 {
				w = 8
			}
			if overlaps(e, w, s) {
				if e == s && w >= 4 && x.Op == x86asm.MOV {
					return fc.source(j, x.Args[1])
				}
				return stepResult{unknown: unkStack}
			}
		case fc.exposed(s):
			return stepResult{unknown: unkEscape}
		}
	}
	if isStringStore(x.Op) && fc.exposed(s) {
		return stepResult{unknown: unkEscape}
	}
	return pass
}

// trace finds what location l can hold just before instruction i executes.
func (fc *fnCode) trace(i int, l loc) traced {
	var out traced
	constSeen := map[int64]bool{}
	unkSeen := map[string]bool{}
	addUnk := func(r string) {
		if !unkSeen[r] {
			unkSeen[r] = true
			out.Unknown = append(out.Unknown, r)
		}
	}
	type item struct {
		i int
		l loc
	}
	seen := map[item]bool{}
	work := []item{{i, l}}
	for len(work) > 0 {
		it := work[len(work)-1]
		work = work[:len(work)-1]
		if seen[it] {
			continue
		}
		seen[it] = true
		addr := fc.insts[it.i].addr
		if it.i == 0 || fc.ext[addr] {
			p := param{Entry: addr, Reg: it.l.reg}
			if it.l.reg < 0 {
				if fc.delta[it.i] <= deltaUnknown {
					addUnk(unkStack)
					p.Reg = -2
				} else {
					p.Slot = it.l.slot - fc.delta[it.i]
				}
			}
			if p.Reg >= -1 {
				out.Params = append(out.Params, p)
			}
		}
		if fc.indirect[it.i] {
			addUnk(unkIndirect)
		} else if it.i > 0 && len(fc.preds[it.i]) == 0 && !fc.ext[addr] && !fc.dead(it.i) && !isPadding(&fc.insts[it.i].x) {
			// A block nothing jumps to: an exception landing pad or code entered in a way
			// the graph does not show.
			addUnk(unkNoPred)
		}
		for _, j := range fc.preds[it.i] {
			r := fc.step(j, it.l)
			for _, c := range r.consts {
				if !constSeen[c] {
					constSeen[c] = true
					out.Consts = append(out.Consts, c)
				}
			}
			if r.unknown != "" {
				addUnk(r.unknown)
			}
			for _, n := range r.next {
				work = append(work, item{j, n})
			}
		}
	}
	return out
}
