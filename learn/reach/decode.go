package reach

import (
	"math"

	"golang.org/x/arch/x86/x86asm"
)

// inst is one decoded instruction.
type inst struct {
	addr uint64
	x    x86asm.Inst
}

// next is the address after the instruction.
func (in *inst) next() uint64 { return in.addr + uint64(in.x.Len) }

// decodeRange decodes code (at address start) by a linear sweep. EVEX (AVX-512) instructions,
// which the decoder does not know, are measured and kept as opaque instructions (Op 0: they may
// write any register). Other bytes that do not decode are skipped one at a time.
func decodeRange(code []byte, start uint64, mode int) []inst {
	return decodeInto(make([]inst, 0, len(code)/4), code, start, mode, nil)
}

// decodeInto is decodeRange appending to out, through the cache c (if not nil).
func decodeInto(out []inst, code []byte, start uint64, mode int, c *decodeCache) []inst {
	for off := 0; off < len(code); {
		p, pr := c.find(code[off:], mode)
		if p != nil {
			out = append(out, inst{addr: start + uint64(off), x: *p})
			pr.fix(&out[len(out)-1].x, code[off:])
			off += p.Len
			continue
		}
		x, err := x86asm.Decode(code[off:], mode)
		if err == nil {
			c.store(pr, &x)
		}
		if err != nil || x.Len == 0 {
			if n := evexLen(code[off:], mode); n > 0 {
				out = append(out, inst{addr: start + uint64(off), x: x86asm.Inst{Len: n, Mode: mode}})
				off += n
				continue
			}
			off++
			continue
		}
		out = append(out, inst{addr: start + uint64(off), x: x})
		off += x.Len
	}
	return out
}

// Sentinels of the stack-pointer tracking.
const (
	deltaUnset   = math.MinInt64
	deltaUnknown = math.MinInt64 + 1
)

// regFam maps a general register to its family (0 rax .. 15 r15) and width in bytes; -1 if
// the register is not a general one.
func regFam(r x86asm.Reg) (int, int) {
	switch {
	case r >= x86asm.AL && r <= x86asm.BL:
		return int(r - x86asm.AL), 1
	case r >= x86asm.AH && r <= x86asm.BH:
		return int(r - x86asm.AH), 1
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return int(r-x86asm.SPB) + 4, 1
	case r >= x86asm.AX && r <= x86asm.R15W:
		return int(r - x86asm.AX), 2
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return int(r - x86asm.EAX), 4
	case r >= x86asm.RAX && r <= x86asm.R15:
		return int(r - x86asm.RAX), 8
	}
	return -1, 0
}

// Register families used by name.
const (
	famAX  = 0
	famCX  = 1
	famDX  = 2
	famBX  = 3
	famSP  = 4
	famBP  = 5
	famSI  = 6
	famDI  = 7
	famR11 = 11
)

// isUncond tells whether control never falls through the instruction.
func isUncond(op x86asm.Op) bool {
	switch op {
	case x86asm.JMP, x86asm.LJMP, x86asm.RET, x86asm.LRET, x86asm.UD2, x86asm.HLT, x86asm.IRET, x86asm.IRETD, x86asm.IRETQ, x86asm.SYSRET:
		return true
	}
	return false
}

// isBranch tells whether the instruction is a conditional or unconditional jump.
func isBranch(op x86asm.Op) bool {
	switch op {
	case x86asm.JA, x86asm.JAE, x86asm.JB, x86asm.JBE, x86asm.JCXZ, x86asm.JE, x86asm.JECXZ, x86asm.JG, x86asm.JGE,
		x86asm.JL, x86asm.JLE, x86asm.JMP, x86asm.JNE, x86asm.JNO, x86asm.JNP, x86asm.JNS, x86asm.JO, x86asm.JP,
		x86asm.JRCXZ, x86asm.JS, x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE:
		return true
	}
	return false
}

// relTarget returns the target of a direct branch or call.
func relTarget(in *inst) (uint64, bool) {
	if r, ok := in.x.Args[0].(x86asm.Rel); ok {
		t := in.next() + uint64(int64(r))
		if in.x.Mode == 32 {
			t &= 0xffffffff
		}
		return t, true
	}
	return 0, false
}

// readOnlyFirst tells whether the operation's first operand, when a register, is only read.
func readOnlyFirst(op x86asm.Op) bool {
	switch op {
	case x86asm.CMP, x86asm.TEST, x86asm.BT, x86asm.PUSH, x86asm.CALL, x86asm.JMP, x86asm.LCALL, x86asm.LJMP,
		x86asm.NOP, x86asm.OUT, x86asm.PREFETCHNTA, x86asm.PREFETCHT0, x86asm.PREFETCHT1, x86asm.PREFETCHT2,
		x86asm.PREFETCHW, x86asm.CLFLUSH, x86asm.UCOMISD, x86asm.UCOMISS, x86asm.COMISD, x86asm.COMISS,
		x86asm.PTEST, x86asm.INVLPG:
		return true
	}
	return false
}

// implicitWrites returns the register families an operation writes besides its operands: bit f
// is family f. (A switch, like the predicates above: a map literal would be built at start-up.)
func implicitWrites(op x86asm.Op) uint32 {
	const (
		ax, cx, dx, bx = 1 << famAX, 1 << famCX, 1 << famDX, 1 << famBX
		sp, bp, si, di = 1 << famSP, 1 << famBP, 1 << famSI, 1 << famDI
		r11            = 1 << famR11
	)
	switch op {
	case x86asm.MUL, x86asm.DIV, x86asm.IDIV, x86asm.RDTSC, x86asm.XGETBV, x86asm.RDMSR, x86asm.RDPMC,
		x86asm.CMPXCHG8B, x86asm.CMPXCHG16B:
		return ax | dx
	case x86asm.CQO, x86asm.CDQ, x86asm.CWD:
		return dx
	case x86asm.CDQE, x86asm.CWDE, x86asm.CBW, x86asm.INT, x86asm.CMPXCHG, x86asm.XLATB, x86asm.LAHF, x86asm.IN:
		return ax
	case x86asm.CPUID:
		return ax | bx | cx | dx
	case x86asm.RDTSCP:
		return ax | cx | dx
	case x86asm.SYSCALL:
		return ax | cx | r11
	case x86asm.SYSENTER, x86asm.POPA, x86asm.POPAD:
		return ax | cx | dx | bx | bp | si | di
	case x86asm.LODSB, x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ:
		return ax | si | cx
	case x86asm.STOSB, x86asm.STOSW, x86asm.STOSD, x86asm.STOSQ, x86asm.SCASB, x86asm.SCASW, x86asm.SCASD,
		x86asm.SCASQ, x86asm.INSB:
		return di | cx
	case x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ, x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD,
		x86asm.CMPSQ:
		return si | di | cx
	case x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE:
		return cx
	case x86asm.LEAVE, x86asm.ENTER:
		return sp | bp
	case x86asm.POP, x86asm.PUSH:
		return sp
	case x86asm.OUTSB:
		return si | cx
	}
	return 0
}

// evexLen returns the length of the EVEX-encoded instruction at b, or 0.
func evexLen(b []byte, mode int) int {
	if len(b) < 6 || b[0] != 0x62 || (mode == 32 && b[1]&0xc0 != 0xc0) {
		return 0
	}
	mm := b[1] & 0x07
	op, modrm := b[4], b[5]
	n := 6
	if mod, rm := modrm>>6, modrm&7; mod != 3 {
		if rm == 4 {
			if len(b) < 7 {
				return 0
			}
			if mod == 0 && b[6]&7 == 5 {
				n += 4
			}
			n++
		} else if mod == 0 && rm == 5 {
			n += 4
		}
		switch mod {
		case 1:
			n++
		case 2:
			n += 4
		}
	}
	if mm == 3 || (mm == 1 && (op >= 0x70 && op <= 0x73 || op >= 0xc2 && op <= 0xc6)) {
		n++
	}
	if n > len(b) {
		return 0
	}
	return n
}

// writesFam tells whether the instruction may write register family f.
func writesFam(x *x86asm.Inst, f int) bool {
	if x.Op == 0 {
		return true // an instruction the decoder does not know (EVEX)
	}
	if x.Op == x86asm.IMUL && x.Args[1] == nil && (f == famAX || f == famDX) {
		return true
	}
	if implicitWrites(x.Op)&(1<<uint(f)) != 0 { // uint: no family (-1) is no bit
		return true
	}
	if r, ok := x.Args[0].(x86asm.Reg); ok && !readOnlyFirst(x.Op) {
		if g, _ := regFam(r); g == f {
			return true
		}
	}
	switch x.Op {
	case x86asm.XCHG, x86asm.XADD, x86asm.CMPXCHG:
		if r, ok := x.Args[1].(x86asm.Reg); ok {
			if g, _ := regFam(r); g == f {
				return true
			}
		}
	}
	// VEX forms with two destinations (MULX) and anything else exotic writing a general register
	// through a second operand are rare; MULX is the one compilers emit.
	if x.Op == x86asm.MULX {
		if r, ok := x.Args[1].(x86asm.Reg); ok {
			if g, _ := regFam(r); g == f {
				return true
			}
		}
	}
	return false
}

// writesMemFirst tells whether an instruction with a memory first operand writes it.
func writesMemFirst(x *x86asm.Inst) bool {
	if _, ok := x.Args[0].(x86asm.Mem); !ok {
		return false
	}
	return !readOnlyFirst(x.Op)
}

// isStringStore tells whether the instruction stores through rdi (string operations).
func isStringStore(op x86asm.Op) bool {
	switch op {
	case x86asm.STOSB, x86asm.STOSW, x86asm.STOSD, x86asm.STOSQ, x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSQ, x86asm.INSB:
		return true
	case x86asm.MOVSD:
		return true // the string form; the SSE form's destination is an XMM register or memory (checked too)
	}
	return false
}

// fnCode is a decoded function with its control-flow graph and stack-pointer tracking, for
// tracing the value of a register or stack slot backwards.
type fnCode struct {
	start, end uint64
	mode       int
	insts      []inst
	idx        map[uint64]int
	preds      [][]int
	delta      []int64 // rsp minus rsp at entry, before the instruction
	rbp        []int64 // rbp minus rsp at entry, before the instruction
	escAll     bool    // the function computes a stack address at an unknown offset
	escaped    []int64 // the known offsets (from rsp at entry) of the stack addresses it computes
	indirect   []bool  // instruction may be the target of an indirect jump in the function
	ext        map[uint64]bool
	goABI      bool        // Go's register ABI: calls clobber every register
	deadAfter  []int       // instructions following a call that never returns
	narrow     map[int]int // calls that write one register only (family): i386 pc thunks, call *%gs:0x10
}

// newFnCode builds the graph of a decoded function. ext lists addresses inside the function that
// are entered from elsewhere (jumps from other functions, address-taken labels); thunks maps the
// i386 pc thunks (mov reg, [esp]; ret) to the register family they load.
func newFnCode(insts []inst, start, end uint64, mode int, ext map[uint64]bool, goABI bool, noRet []uint64, thunks map[uint64]int) *fnCode {
	fc := &fnCode{start: start, end: end, mode: mode, ext: ext, goABI: goABI, insts: insts, narrow: map[int]int{}}
	nr := map[uint64]bool{}
	for _, a := range noRet {
		nr[a] = true
	}
	n := len(fc.insts)
	fc.idx = make(map[uint64]int, n)
	for i := range fc.insts {
		fc.idx[fc.insts[i].addr] = i
	}
	fc.preds = make([][]int, n)
	fc.indirect = make([]bool, n)
	hasIndJmp := false
	leader := make([]bool, n)
	for i := range fc.insts {
		in := &fc.insts[i]
		op := in.x.Op
		if !isUncond(op) && !nr[in.addr] && i+1 < n {
			fc.preds[i+1] = append(fc.preds[i+1], i)
		}
		if nr[in.addr] {
			fc.deadAfter = append(fc.deadAfter, i+1)
		}
		if op == x86asm.CALL && mode == 32 {
			if isVsyscall(&in.x) {
				fc.narrow[i] = famAX
			} else if t, ok := relTarget(in); ok {
				if r, ok := thunks[t]; ok {
					fc.narrow[i] = r
				}
			}
		}
		if isBranch(op) {
			if t, ok := relTarget(in); ok {
				if j, ok := fc.idx[t]; ok {
					fc.preds[j] = append(fc.preds[j], i)
					leader[j] = true
				}
			} else if op == x86asm.JMP {
				hasIndJmp = true
			}
		}
		if (isUncond(op) || nr[in.addr]) && i+1 < n {
			leader[i+1] = true
		}
	}
	if hasIndJmp {
		for i := range fc.insts {
			if leader[i] {
				fc.indirect[i] = true
			}
		}
	}
	fc.trackStack(hasIndJmp, leader, nr)
	fc.findEscapes()
	return fc
}

// findEscapes finds the stack addresses the function computes (lea reg, [rsp+..] or [rbp+..]
// with a frame pointer, mov reg, rsp or rbp, push rsp): memory there may change at calls and
// stores through pointers.
func (fc *fnCode) findEscapes() {
	add := func(base int64, disp int64) {
		if base <= deltaUnknown {
			fc.escAll = true
			return
		}
		fc.escaped = append(fc.escaped, base+disp)
	}
	for i := range fc.insts {
		x := &fc.insts[i].x
		switch x.Op {
		case x86asm.LEA:
			m, ok := x.Args[1].(x86asm.Mem)
			if !ok {
				continue
			}
			if f, _ := regFam(m.Base); f == famSP {
				if m.Index != 0 {
					fc.escAll = true
				} else {
					add(fc.delta[i], m.Disp)
				}
			} else if f == famBP && fc.rbp[i] > deltaUnknown {
				if m.Index != 0 {
					fc.escAll = true
				} else {
					add(fc.rbp[i], m.Disp)
				}
			}
		case x86asm.MOV:
			r, ok := x.Args[1].(x86asm.Reg)
			if !ok {
				continue
			}
			f, _ := regFam(r)
			d, _ := x.Args[0].(x86asm.Reg)
			g, _ := regFam(d)
			switch {
			case f == famSP && g != famBP:
				add(fc.delta[i], 0)
			case f == famBP && g != famSP && fc.rbp[i] > deltaUnknown:
				add(fc.rbp[i], 0)
			}
		case x86asm.PUSH:
			if r, ok := x.Args[0].(x86asm.Reg); ok {
				if f, _ := regFam(r); f == famSP {
					fc.escAll = true
				}
			}
		}
	}
}

// exposed tells whether the stack slot at s (from rsp at entry) may be written through a pointer
// the function computed. An object whose address is taken extends upwards from it, and never
// across the return address: locals (below it) and incoming arguments (above it, Go's spill
// slots included) are apart.
func (fc *fnCode) exposed(s int64) bool {
	if fc.escAll {
		return true
	}
	for _, e := range fc.escaped {
		if e <= s && (e < 0) == (s < 0) {
			return true
		}
	}
	return false
}

// trackStack computes rsp and rbp relative to rsp at entry before every instruction. Nothing
// falls through the calls that never return (noRet, by address).
func (fc *fnCode) trackStack(hasIndJmp bool, leader []bool, noRet map[uint64]bool) {
	n := len(fc.insts)
	fc.delta = make([]int64, n)
	fc.rbp = make([]int64, n)
	for i := range fc.delta {
		fc.delta[i], fc.rbp[i] = deltaUnset, deltaUnset
	}
	if n == 0 {
		return
	}
	ps := int64(fc.mode / 8)
	merge := func(cur *int64, v int64) bool {
		if *cur == deltaUnset {
			*cur = v
			return true
		}
		if *cur != v && *cur != deltaUnknown {
			*cur = deltaUnknown
			return true
		}
		return false
	}
	work := []int{0}
	fc.delta[0], fc.rbp[0] = 0, deltaUnknown
	indDelta := int64(deltaUnset)
	for len(work) > 0 {
		i := work[len(work)-1]
		work = work[:len(work)-1]
		in := &fc.insts[i]
		d, bp := fc.delta[i], fc.rbp[i]
		known := d > deltaUnknown
		add := func(v int64) int64 {
			if !known {
				return deltaUnknown
			}
			return d + v
		}
		nd, nbp := d, bp
		x := &in.x
		switch x.Op {
		case x86asm.PUSH:
			sz := ps
			if r, ok := x.Args[0].(x86asm.Reg); ok {
				if _, w := regFam(r); w == 2 {
					sz = 2
				}
			}
			nd = add(-sz)
		case x86asm.POP:
			nd = add(ps)
			if r, ok := x.Args[0].(x86asm.Reg); ok {
				if f, _ := regFam(r); f == famSP {
					nd = deltaUnknown
				} else if f == famBP {
					nbp = deltaUnknown
				}
			}
		case x86asm.LEAVE:
			if bp > deltaUnknown {
				nd = bp + ps
			} else {
				nd = deltaUnknown
			}
			nbp = deltaUnknown
		case x86asm.CALL:
			// The callee returns with the stack as it was.
		default:
			if r, ok := x.Args[0].(x86asm.Reg); ok && !readOnlyFirst(x.Op) {
				f, _ := regFam(r)
				switch f {
				case famSP:
					nd = deltaUnknown
					if imm, ok := x.Args[1].(x86asm.Imm); ok && (x.Op == x86asm.SUB || x.Op == x86asm.ADD) {
						v := int64(imm)
						if x.Op == x86asm.SUB {
							v = -v
						}
						nd = add(v)
					} else if m, ok := x.Args[1].(x86asm.Mem); ok && x.Op == x86asm.LEA && m.Index == 0 {
						if g, _ := regFam(m.Base); g == famSP {
							nd = add(m.Disp)
						} else if g == famBP && bp > deltaUnknown {
							nd = bp + m.Disp
						}
					} else if s, ok := x.Args[1].(x86asm.Reg); ok && x.Op == x86asm.MOV {
						if g, _ := regFam(s); g == famBP && bp > deltaUnknown {
							nd = bp
						}
					}
				case famBP:
					nbp = deltaUnknown
					if s, ok := x.Args[1].(x86asm.Reg); ok && x.Op == x86asm.MOV {
						if g, _ := regFam(s); g == famSP {
							nbp = d
						}
					} else if m, ok := x.Args[1].(x86asm.Mem); ok && x.Op == x86asm.LEA && m.Index == 0 {
						if g, _ := regFam(m.Base); g == famSP && known {
							nbp = d + m.Disp
						}
					}
				}
			}
			w := implicitWrites(x.Op)
			if w&(1<<famSP) != 0 && x.Op != x86asm.PUSH && x.Op != x86asm.POP {
				nd = deltaUnknown
			}
			if w&(1<<famBP) != 0 && x.Op != x86asm.LEAVE {
				nbp = deltaUnknown
			}
		}
		if x.Op == x86asm.JMP {
			if _, ok := relTarget(in); !ok {
				if indDelta == deltaUnset {
					indDelta = d
				} else if indDelta != d {
					indDelta = deltaUnknown
				}
			}
		}
		visit := func(j int) {
			c1 := merge(&fc.delta[j], nd)
			c2 := merge(&fc.rbp[j], nbp)
			if c1 || c2 {
				work = append(work, j)
			}
		}
		if !isUncond(x.Op) && !noRet[in.addr] && i+1 < n {
			visit(i + 1)
		}
		if isBranch(x.Op) {
			if t, ok := relTarget(in); ok {
				if j, ok := fc.idx[t]; ok {
					visit(j)
				}
			}
		}
		if len(work) == 0 && hasIndJmp && indDelta != deltaUnset {
			// Jump-table targets share the stack layout of the indirect jump.
			for j := range fc.insts {
				if leader[j] && fc.delta[j] == deltaUnset {
					fc.delta[j], fc.rbp[j] = indDelta, deltaUnknown
					work = append(work, j)
				}
			}
		}
	}
	for i := range fc.delta {
		if fc.delta[i] == deltaUnset {
			fc.delta[i] = deltaUnknown
		}
		if fc.rbp[i] == deltaUnset {
			fc.rbp[i] = deltaUnknown
		}
	}
}

// isInt3 tells whether the instruction is int3 (a breakpoint, or padding between functions).
func isInt3(x *x86asm.Inst) bool {
	return x.Op == x86asm.INT && x.Args[0] == x86asm.Imm(3)
}

// isVsyscall tells whether a 32-bit instruction is i386 glibc's call *%gs:0x10 (the vDSO's
// __kernel_vsyscall, which makes the system call and preserves every register but eax).
func isVsyscall(x *x86asm.Inst) bool {
	if x.Op != x86asm.CALL || x.Mode != 32 {
		return false
	}
	m, ok := x.Args[0].(x86asm.Mem)
	return ok && m.Segment == x86asm.GS && m.Base == 0 && m.Index == 0 && m.Disp == 0x10
}
