package reach

import (
	"encoding/binary"

	"golang.org/x/arch/x86/x86asm"
)

// A decodeCache remembers the instructions decoded so far by their bytes, so that each distinct
// instruction of an object is decoded once. x86asm's table walk costs about 0.4 µs an
// instruction, and node's 6.9 million instructions are 0.9 million distinct byte strings, or
// 0.36 million once the displacements of PC-relative operands are set aside.
//
// The cache cannot change a result. Its key is the instruction's bytes, found by a length
// decoder (instLen64) that only guesses: an entry is stored only when x86asm, decoding those
// bytes, agrees on the length and on where the PC-relative field is, and a lookup with a wrong
// guess finds nothing and decodes. A decoder's answer depends only on the bytes it consumed, so
// equal bytes give an equal instruction. The one thing taken on trust is that a PC-relative
// field's bytes (zeroed in the key) change nothing but that operand's value: the cached
// instruction gets the field's own value (TestDecodeCache checks both rules against x86asm on
// real objects and random bytes). Only 64-bit code is cached.
type decodeCache struct {
	idx    map[instKey]int32 // index in the store
	blocks [][]x86asm.Inst   // the store: entry i is blocks[i/blockLen][i%blockLen]
	n      int32
	// front is a small direct-mapped table in front of idx: the commonest instructions (the
	// first 8192 distinct ones of node are 81% of its instructions) are found without the
	// cache misses of a lookup in a map of hundreds of thousands of entries.
	front [frontLen]frontEntry
}

// instKey is an instruction's bytes, PC-relative field zeroed, little-endian, with their count
// in the top byte of hi (an instruction has at most 15).
type instKey struct{ lo, hi uint64 }

type frontEntry struct {
	key instKey
	i   int32 // index + 1; 0: empty
}

const frontLen = 1 << 13

// blockLen is the number of instructions in a block of the store (whose blocks are never
// copied as it grows).
const blockLen = 1 << 12

// maxCached bounds one cache (an entry is about 200 bytes).
const maxCached = 1 << 19

func newDecodeCache() *decodeCache {
	return &decodeCache{idx: make(map[instKey]int32, 1<<12)}
}

// probe is a lookup's key, kept to store what x86asm decodes on a miss.
type probe struct {
	key            instKey
	n              int // guessed length; 0: not cachable
	relOff, relLen int
	front          *frontEntry
}

// find returns the cached instruction code starts with, or nil and the probe to store it with.
// A PC-relative instruction is returned with the cached one's field: see fix.
func (c *decodeCache) find(code []byte, mode int) (*x86asm.Inst, probe) {
	if c == nil || mode != 64 {
		return nil, probe{}
	}
	n, relOff, relLen, ok := instLen64(code)
	if !ok || n > len(code) {
		return nil, probe{}
	}
	var b [16]byte
	copy(b[:], code)
	lo, hi := binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
	if n < 8 {
		lo &= 1<<(8*n) - 1
		hi = 0
	} else {
		hi &= 1<<(8*(n-8)) - 1
	}
	for i := relOff; i < relOff+relLen; i++ {
		if i < 8 {
			lo &^= 0xff << (8 * i)
		} else {
			hi &^= 0xff << (8 * (i - 8))
		}
	}
	pr := probe{key: instKey{lo, hi | uint64(n)<<56}, n: n, relOff: relOff, relLen: relLen}
	pr.front = &c.front[(lo*0x9e3779b97f4a7c15^hi*0xc2b2ae3d27d4eb4f)>>(64-13)]
	if pr.front.i != 0 && pr.front.key == pr.key {
		i := pr.front.i - 1
		return &c.blocks[i/blockLen][i%blockLen], pr
	}
	if i, hit := c.idx[pr.key]; hit {
		pr.front.key, pr.front.i = pr.key, i+1
		return &c.blocks[i/blockLen][i%blockLen], pr
	}
	return nil, pr
}

// fix gives x, a copy of the instruction find returned for code, code's own PC-relative field.
func (pr *probe) fix(x *x86asm.Inst, code []byte) {
	if pr.relLen > 0 {
		setPCRel(x, code[pr.relOff:pr.relOff+pr.relLen])
	}
}

// store caches x, which x86asm decoded from the bytes of a probe that missed, if it agrees with
// the guess the key was made from. An invalid instruction is not cached: x86asm gives it as its
// first prefix alone (Op 0, length 1), having read the bytes after that.
func (c *decodeCache) store(pr probe, x *x86asm.Inst) {
	if pr.n == 0 || x.Op == 0 || x.Len != pr.n || x.PCRel != pr.relLen || pr.relLen > 0 && x.PCRelOff != pr.relOff || c.n >= maxCached {
		return
	}
	if c.n%blockLen == 0 {
		c.blocks = append(c.blocks, make([]x86asm.Inst, blockLen))
	}
	c.blocks[c.n/blockLen][c.n%blockLen] = *x
	c.idx[pr.key] = c.n
	pr.front.key, pr.front.i = pr.key, c.n+1
	c.n++
}

// setPCRel gives the instruction's PC-relative operand the value of field (1, 2 or 4 bytes).
func setPCRel(x *x86asm.Inst, field []byte) {
	var v int64
	switch len(field) {
	case 1:
		v = int64(int8(field[0]))
	case 2:
		v = int64(int16(binary.LittleEndian.Uint16(field)))
	default:
		v = int64(int32(binary.LittleEndian.Uint32(field)))
	}
	for i, a := range x.Args {
		switch a := a.(type) {
		case x86asm.Rel:
			x.Args[i] = x86asm.Rel(v)
		case x86asm.Mem:
			if a.Base == x86asm.RIP {
				a.Disp = v
				x.Args[i] = a
			}
		}
	}
}

// Forms of one-byte opcodes, for instLen64.
const (
	fModRM = 1 << iota // a ModRM byte follows
	fImm8              // an 8-bit immediate
	fImmZ              // a 16- or 32-bit immediate (operand size)
	fImmV              // a 16-, 32- or 64-bit immediate (B8+r)
	fImm16             // a 16-bit immediate
	fRel8              // an 8-bit branch displacement
	fRel32             // a 32-bit branch displacement
	fMoffs             // a 32- or 64-bit address (A0-A3)
	fNo                // not guessed: invalid in 64-bit mode, VEX, EVEX, XOP, 0F
)

// oneByteForm is the form of a one-byte opcode in 64-bit mode.
func oneByteForm(op byte) uint16 {
	switch {
	case op < 0x40:
		switch op & 7 {
		case 0, 1, 2, 3:
			return fModRM
		case 4:
			return fImm8
		case 5:
			return fImmZ
		}
		return fNo // push/pop segment, DAA..., prefixes, 0F
	case op < 0x60: // REX (seen as prefixes before this), PUSH/POP r
		return 0
	case op == 0x63:
		return fModRM
	case op == 0x68:
		return fImmZ
	case op == 0x69:
		return fModRM | fImmZ
	case op == 0x6a:
		return fImm8
	case op == 0x6b:
		return fModRM | fImm8
	case op >= 0x6c && op <= 0x6f:
		return 0
	case op >= 0x70 && op <= 0x7f:
		return fRel8
	case op == 0x80, op == 0x83, op == 0xc0, op == 0xc1, op == 0xc6:
		return fModRM | fImm8
	case op == 0x81, op == 0xc7:
		return fModRM | fImmZ
	case op >= 0x84 && op <= 0x8e:
		return fModRM
	case op >= 0x90 && op <= 0x99, op >= 0x9b && op <= 0x9f:
		return 0
	case op >= 0xa0 && op <= 0xa3:
		return fMoffs
	case op >= 0xa4 && op <= 0xa7, op >= 0xaa && op <= 0xaf:
		return 0
	case op == 0xa8:
		return fImm8
	case op == 0xa9:
		return fImmZ
	case op >= 0xb0 && op <= 0xb7:
		return fImm8
	case op >= 0xb8 && op <= 0xbf:
		return fImmV
	case op == 0xc2, op == 0xca:
		return fImm16
	case op == 0xc3, op == 0xc9, op == 0xcb, op == 0xcc, op == 0xcf:
		return 0
	case op == 0xc8:
		return fImm16 | fImm8
	case op == 0xcd:
		return fImm8
	case op >= 0xd0 && op <= 0xd3, op >= 0xd8 && op <= 0xdf:
		return fModRM
	case op == 0xd7:
		return 0
	case op >= 0xe0 && op <= 0xe3, op == 0xeb:
		return fRel8
	case op >= 0xe4 && op <= 0xe7:
		return fImm8
	case op == 0xe8, op == 0xe9:
		return fRel32
	case op >= 0xec && op <= 0xef, op == 0xf1, op == 0xf4, op == 0xf5, op >= 0xf8 && op <= 0xfd:
		return 0
	case op == 0xf6, op == 0xf7, op == 0xfe, op == 0xff:
		return fModRM
	}
	return fNo
}

// twoByteForm is the form of the opcode 0F op.
func twoByteForm(op byte) uint16 {
	switch {
	case op == 0x0f: // 3DNow!
		return fNo
	case op >= 0x80 && op <= 0x8f:
		return fRel32
	case op >= 0x70 && op <= 0x73, op == 0xa4, op == 0xac, op == 0xba, op >= 0xc2 && op <= 0xc6:
		return fModRM | fImm8
	case op >= 0x05 && op <= 0x09, op == 0x0b, op == 0x0e, op >= 0x30 && op <= 0x37, op == 0x77,
		op >= 0xa0 && op <= 0xa2, op >= 0xa8 && op <= 0xaa, op >= 0xc8:
		return 0
	}
	return fModRM
}

// instLen64 guesses the length of the 64-bit instruction code starts with, and where its
// PC-relative field is (relLen 0: none). ok is false where it does not try (VEX, EVEX, XOP,
// 3DNow!, opcodes invalid in 64-bit mode, fewer bytes than it needs). A wrong guess only costs
// the cache a hit.
func instLen64(code []byte) (n, relOff, relLen int, ok bool) {
	p := 0
	opsize, addr32, rexW := false, false, false
prefixes:
	for ; p < len(code) && p < 14; p++ {
		switch code[p] {
		case 0x66:
			opsize = true
		case 0x67:
			addr32 = true
		case 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65:
		default:
			break prefixes
		}
	}
	if p < len(code) && code[p]&0xf0 == 0x40 {
		rexW = code[p]&8 != 0
		p++
	}
	if p >= len(code) {
		return 0, 0, 0, false
	}
	op := code[p]
	p++
	var form uint16
	switch op {
	case 0x0f:
		if p >= len(code) {
			return 0, 0, 0, false
		}
		op2 := code[p]
		p++
		switch op2 {
		case 0x38:
			p++
			form = fModRM
		case 0x3a:
			p++
			form = fModRM | fImm8
		default:
			form = twoByteForm(op2)
		}
	case 0x8f: // POP r/m, or XOP
		if p < len(code) && code[p]&0x38 != 0 {
			return 0, 0, 0, false
		}
		form = fModRM
	default:
		form = oneByteForm(op)
	}
	if form&fNo != 0 || p > len(code) {
		return 0, 0, 0, false
	}
	if form&fModRM != 0 {
		if p >= len(code) {
			return 0, 0, 0, false
		}
		m := code[p]
		p++
		mod, reg, rm := m>>6, m>>3&7, m&7
		disp := 0
		if mod != 3 {
			if rm == 4 {
				if p >= len(code) {
					return 0, 0, 0, false
				}
				if mod == 0 && code[p]&7 == 5 {
					disp = 4
				}
				p++
			}
			switch {
			case mod == 0 && rm == 5:
				disp = 4
				if !addr32 {
					relOff, relLen = p, 4
				}
			case mod == 1:
				disp = 1
			case mod == 2:
				disp = 4
			}
		}
		p += disp
		if (op == 0xf6 || op == 0xf7) && reg < 2 { // TEST r/m, imm
			if op == 0xf6 {
				form |= fImm8
			} else {
				form |= fImmZ
			}
		}
	}
	if form&fImm8 != 0 {
		p++
	}
	if form&fImm16 != 0 {
		p += 2
	}
	immz := 4
	if opsize {
		immz = 2
	}
	if form&fImmZ != 0 {
		p += immz
	}
	if form&fImmV != 0 {
		if rexW {
			p += 8
		} else {
			p += immz
		}
	}
	if form&fMoffs != 0 {
		if addr32 {
			p += 4
		} else {
			p += 8
		}
	}
	if form&(fRel8|fRel32) != 0 {
		relOff, relLen = p, 1
		if form&fRel32 != 0 {
			relLen = 4
		}
		p += relLen
	}
	if p > 15 {
		return 0, 0, 0, false
	}
	return p, relOff, relLen, true
}
