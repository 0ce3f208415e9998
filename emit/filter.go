package emit

import (
	"errors"
	"fmt"
	"sort"

	"golang.org/x/net/bpf"

	"github.com/sctrace/sctrace/arch"
)

// Action is a seccomp filter's return value: SECCOMP_RET_* in the high 16 bits, data below.
type Action uint32

// The seccomp return values (include/uapi/linux/seccomp.h).
const (
	ActKillProcess Action = 0x80000000
	ActKillThread  Action = 0x00000000
	ActTrap        Action = 0x00030000
	ActErrno       Action = 0x00050000 // | errno
	ActUserNotif   Action = 0x7fc00000
	ActTrace       Action = 0x7ff00000 // | data for the tracer
	ActLog         Action = 0x7ffc0000
	ActAllow       Action = 0x7fff0000
)

// Errno numbers the filters return (the same on every Linux architecture sctrace emits for, but
// listed here rather than taken from the host, since emit is pure).
const (
	EPERM  = 1
	ENOSYS = 38
)

// Errno returns the action that fails a call with errno n.
func Errno(n uint16) Action { return ActErrno | Action(n) }

// IsErrno reports whether a is SECCOMP_RET_ERRNO, and with which errno.
func (a Action) IsErrno() (uint16, bool) {
	if a&0xffff0000 == ActErrno {
		return uint16(a), true
	}
	return 0, false
}

func (a Action) String() string {
	switch a & 0xffff0000 {
	case ActKillProcess:
		return "kill-process"
	case ActKillThread:
		return "kill-thread"
	case ActTrap:
		return "trap"
	case ActErrno:
		return fmt.Sprintf("errno(%d)", uint16(a))
	case ActUserNotif:
		return "user-notif"
	case ActTrace:
		return "trace"
	case ActLog:
		return "log"
	case ActAllow:
		return "allow"
	}
	return fmt.Sprintf("action(%#x)", uint32(a))
}

// Filter is the intermediate form of a seccomp program: per ABI, what each system call number
// gets. Compile turns it into BPF.
type Filter struct {
	// Arches are checked in this order (put the common one first: it is one comparison cheaper).
	// x32 shares x86_64's AUDIT_ARCH value and is told apart by bit 30 of the number.
	Arches []ArchFilter
	// BadArch is returned for calls from any ABI not listed.
	BadArch Action
}

// ArchFilter is what one ABI's calls get.
type ArchFilter struct {
	Arch  *arch.Arch
	Rules []Rule
	// Default is returned for a number the arch's table names and no rule does.
	Default Action
	// Unknown is returned for every number the table has no name for: calls newer than the
	// tables or outside the arch's ranges, which programs probe for and expect ENOSYS from.
	Unknown Action
}

// Rule says what one system call number gets.
type Rule struct {
	Nr     int
	Action Action
	// When, if not empty, limits Action to calls whose arguments match one of its clauses (each
	// clause a list of conditions that must all hold); other calls of this number get Else.
	When [][]Cond
	Else Action
	// Actions, if not empty, gives each clause of When its own action in place of Action.
	Actions []Action
}

// clauseAction is what a call matching clause i of r gets.
func (r *Rule) clauseAction(i int) Action {
	if len(r.Actions) == len(r.When) && i < len(r.Actions) {
		return r.Actions[i]
	}
	return r.Action
}

// CmpOp is how a Cond compares an argument.
type CmpOp uint8

const (
	OpEq       CmpOp = iota + 1 // arg == Value
	OpNe                        // arg != Value
	OpMaskedEq                  // arg & Mask == Value
)

// Cond is a test of one argument against a constant. Only numbers can be checked: a pointer's
// target can change between the check and its use (DESIGN trap 13).
type Cond struct {
	Arg   int // 0 to 5
	Op    CmpOp
	Value uint64
	Mask  uint64 // OpMaskedEq
	// Is32 compares the low 32 bits only: the argument is a C int (or the ABI is 32-bit), and
	// its upper half may be garbage or sign-extended (DESIGN trap 12).
	Is32 bool
}

// seccomp_data (include/uapi/linux/seccomp.h).
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
	// MaxInstructions is the kernel's limit on a filter's length (BPF_MAXINSNS).
	MaxInstructions = 4096
)

// ErrTooLong is returned when a filter would exceed MaxInstructions.
var ErrTooLong = errors.New("filter longer than the kernel's 4096 instructions")

// Compile turns f into a BPF program. The program checks the ABI first, finds the call by
// binary search over the numbers (so a call costs O(log n) instructions, not O(n)), and keeps
// argument loads out of every path that ends in an unconditional ALLOW, so the kernel (5.11+)
// can cache those verdicts and skip the filter for them. The same Filter always gives the same
// program.
func Compile(f *Filter) ([]bpf.Instruction, error) {
	c := &compiler{}
	// Group ABIs by AUDIT_ARCH value: x86_64 and x32 share one.
	type group struct {
		audit  uint32
		native *ArchFilter
		x32    *ArchFilter
	}
	var groups []*group
	byAudit := map[uint32]*group{}
	for i := range f.Arches {
		af := &f.Arches[i]
		if af.Arch == nil {
			return nil, errors.New("filter names no arch")
		}
		g := byAudit[af.Arch.Audit]
		if g == nil {
			g = &group{audit: af.Arch.Audit}
			byAudit[af.Arch.Audit] = g
			groups = append(groups, g)
		}
		slot := &g.native
		if af.Arch.SyscallBit != 0 {
			slot = &g.x32
		}
		if *slot != nil {
			return nil, fmt.Errorf("arch %s listed twice", af.Arch)
		}
		*slot = af
	}

	c.Ld(offArch)
	labels := make([]label, len(groups))
	for i, g := range groups {
		labels[i] = c.NewLabel()
		c.Jeq(g.audit, labels[i], c.Next())
	}
	c.ret(f.BadArch)
	for i, g := range groups {
		c.Bind(labels[i])
		c.Ld(offNr)
		// Rules for negative numbers (a recorded syscall(-1)) match the exact 32-bit value
		// first: as unsigned numbers they are above every table, and have x32's bit set.
		for _, af := range []*ArchFilter{g.native, g.x32} {
			if af == nil {
				continue
			}
			for _, r := range af.Rules {
				if r.Nr < 0 {
					if len(r.When) > 0 {
						return nil, fmt.Errorf("%s: syscall %d: conditions on a negative number", af.Arch, r.Nr)
					}
					done := c.NewLabel()
					c.Jeq(uint32(int32(r.Nr)), c.Next(), done)
					c.ret(r.Action)
					c.Bind(done)
				}
			}
		}
		if sib := bitABI(g.audit); sib != nil {
			// An x32 call is an x86_64 call with bit 30 set. Without an x32 entry, x32 calls get
			// what unlisted ABIs get.
			x32 := c.NewLabel()
			c.Jset(sib.SyscallBit, x32, c.Next())
			if err := c.search(g.native, 0, f.BadArch); err != nil {
				return nil, err
			}
			c.Bind(x32)
			if g.x32 == nil {
				c.ret(f.BadArch)
				continue
			}
			if err := c.search(g.x32, sib.SyscallBit, f.BadArch); err != nil {
				return nil, err
			}
			continue
		}
		if g.x32 != nil {
			return nil, fmt.Errorf("x32 without x86_64")
		}
		if err := c.search(g.native, 0, f.BadArch); err != nil {
			return nil, err
		}
	}
	prog, err := c.Assemble()
	if err != nil {
		return nil, err
	}
	if len(prog) > MaxInstructions {
		return nil, fmt.Errorf("%w (%d)", ErrTooLong, len(prog))
	}
	return prog, nil
}

// bitABI returns the ABI that shares an AUDIT_ARCH value with another and marks its numbers
// with a bit (x32 within x86_64), or nil.
func bitABI(audit uint32) *arch.Arch {
	for _, a := range arch.All() {
		if a.Audit == audit && a.SyscallBit != 0 {
			return a
		}
	}
	return nil
}

// interval is a run of numbers [lo, hi] with one outcome.
type interval struct {
	lo, hi uint32
	rule   *Rule  // a conditional rule, or nil
	act    Action // when rule is nil
}

// search emits a binary search over af's numbers (as seccomp sees them: bit ORed in). With a
// nil af, every call gets fallback.
func (c *compiler) search(af *ArchFilter, bit uint32, fallback Action) error {
	if af == nil {
		c.ret(fallback)
		return nil
	}
	var rules []Rule
	for _, r := range af.Rules {
		if r.Nr >= 0 { // negative numbers are matched before the search (Compile)
			rules = append(rules, r)
		}
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].Nr < rules[j].Nr })
	// Every number the arch's table names gets Default; every other number (the gaps in the
	// table, ARM's numbers between the regular calls and its private block at 0x0f0000, x32's
	// 472-511, everything above the table) is a call this kernel may not have: Unknown, since
	// programs probe for new calls and expect ENOSYS. Rules override both.
	var ivs []interval
	add := func(iv interval) {
		if n := len(ivs); n > 0 && iv.rule == nil && ivs[n-1].rule == nil && ivs[n-1].act == iv.act && ivs[n-1].hi+1 == iv.lo {
			ivs[n-1].hi = iv.hi
			return
		}
		ivs = append(ivs, iv)
	}
	// fill covers [lo, hi] (numbers as seccomp sees them) with Default where the table names
	// the number and Unknown elsewhere.
	table := af.Arch.Syscalls()
	ti := 0
	fill := func(lo, hi uint32) {
		for lo <= hi {
			for ti < len(table) && (table[ti].Nr < 0 || uint32(table[ti].Nr)|bit < lo) {
				ti++
			}
			if ti == len(table) || uint32(table[ti].Nr)|bit > hi {
				add(interval{lo: lo, hi: hi, act: af.Unknown})
				return
			}
			n := uint32(table[ti].Nr) | bit
			if n > lo {
				add(interval{lo: lo, hi: n - 1, act: af.Unknown})
			}
			add(interval{lo: n, hi: n, act: af.Default})
			if n == hi {
				return
			}
			lo = n + 1
		}
	}
	next := bit // the first number not yet covered
	wrapped := false
	for i := range rules {
		r := &rules[i]
		if r.Nr < 0 || r.Nr >= 1<<30 {
			return fmt.Errorf("%s: syscall number %d out of range", af.Arch, r.Nr)
		}
		if i > 0 && rules[i-1].Nr == r.Nr {
			return fmt.Errorf("%s: two rules for syscall %d", af.Arch, r.Nr)
		}
		nr := uint32(r.Nr) | bit
		if nr > next {
			fill(next, nr-1)
		}
		if len(r.When) > 0 {
			if err := checkConds(r); err != nil {
				return fmt.Errorf("%s: syscall %d: %w", af.Arch, r.Nr, err)
			}
			add(interval{lo: nr, hi: nr, rule: r})
		} else {
			add(interval{lo: nr, hi: nr, act: r.Action})
		}
		next = nr + 1
		wrapped = next == 0 // the rule was for 0xffffffff
	}
	if !wrapped {
		fill(next, 0xffffffff)
	}
	// The calls with argument conditions are the only allowed ones the kernel cannot cache, so
	// the filter runs for every one of them: test their numbers first, before the search (the
	// calls the kernel caches never run the filter, so this costs them nothing).
	blocks := map[*Rule]label{}
	for _, iv := range ivs {
		if iv.rule != nil {
			l := c.NewLabel()
			blocks[iv.rule] = l
			c.Jeq(iv.lo, l, c.Next())
		}
	}
	c.tree(af.Arch, ivs, blocks)
	for _, iv := range ivs {
		if iv.rule != nil {
			c.Bind(blocks[iv.rule])
			c.conditional(af.Arch, iv.rule)
		}
	}
	return nil
}

func checkConds(r *Rule) error {
	if len(r.Actions) != 0 && len(r.Actions) != len(r.When) {
		return fmt.Errorf("%d actions for %d condition clauses", len(r.Actions), len(r.When))
	}
	for _, clause := range r.When {
		if len(clause) == 0 {
			return errors.New("empty condition clause")
		}
		for _, cd := range clause {
			if cd.Arg < 0 || cd.Arg > 5 {
				return fmt.Errorf("argument %d out of range", cd.Arg)
			}
			if cd.Op < OpEq || cd.Op > OpMaskedEq {
				return fmt.Errorf("unknown comparison %d", cd.Op)
			}
		}
	}
	return nil
}

// tree emits the search over ivs; a number with a conditional rule jumps to its block (blocks).
// The accumulator holds the number on entry.
func (c *compiler) tree(a *arch.Arch, ivs []interval, blocks map[*Rule]label) {
	if len(ivs) == 1 {
		iv := ivs[0]
		if iv.rule == nil {
			c.ret(iv.act)
		} else {
			c.Jeq(iv.lo, blocks[iv.rule], blocks[iv.rule]) // always: to the rule's block
		}
		return
	}
	mid := len(ivs) / 2
	right := c.NewLabel()
	c.Jge(ivs[mid].lo, right, c.Next())
	c.tree(a, ivs[:mid], blocks)
	c.Bind(right)
	c.tree(a, ivs[mid:], blocks)
}

// conditional emits a rule with argument conditions. Every path through it ends in a return, so
// the accumulator, which holds an argument after the first load, is never compared as a syscall
// number again (the mistake of DESIGN trap 18).
func (c *compiler) conditional(a *arch.Arch, r *Rule) {
	for i, clause := range r.When {
		fail := c.NewLabel()
		for _, cd := range clause {
			c.cond(a, cd, fail)
		}
		c.ret(r.clauseAction(i))
		c.Bind(fail)
	}
	c.ret(r.Else)
}

// cond emits one condition: fall through when it holds, jump to fail otherwise.
func (c *compiler) cond(a *arch.Arch, cd Cond, fail label) {
	lo, hi := uint32(offArgs+8*cd.Arg), uint32(offArgs+8*cd.Arg+4)
	if a.BigEndian {
		lo, hi = hi, lo
	}
	halves := []struct {
		off        uint32
		value, msk uint32
	}{{hi, uint32(cd.Value >> 32), uint32(cd.Mask >> 32)}, {lo, uint32(cd.Value), uint32(cd.Mask)}}
	if cd.Is32 || a.Bits == 32 {
		halves = halves[1:]
	}
	switch cd.Op {
	case OpEq, OpMaskedEq:
		for _, h := range halves {
			c.Ld(h.off)
			if cd.Op == OpMaskedEq {
				c.And(h.msk)
			}
			c.Jeq(h.value, c.Next(), fail)
		}
	case OpNe:
		// Not equal: holds as soon as one half differs.
		holds := c.NewLabel()
		for i, h := range halves {
			c.Ld(h.off)
			if i == len(halves)-1 {
				c.Jeq(h.value, fail, c.Next())
			} else {
				c.Jeq(h.value, c.Next(), holds)
			}
		}
		c.Bind(holds)
	}
}
