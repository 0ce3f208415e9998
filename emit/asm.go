package emit

import "github.com/sctrace/sctrace/emit/internal/asm"

// compiler writes a filter with the assembler (emit/internal/asm): labels, long jumps.
type compiler struct{ asm.Builder }

// label names an instruction position before it is known.
type label = asm.Label

// ret returns a filter verdict.
func (c *compiler) ret(a Action) { c.Ret(uint32(a)) }
