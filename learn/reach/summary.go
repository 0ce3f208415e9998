package reach

import (
	"bytes"
	"cmp"
	"debug/elf"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/arch/x86/x86asm"
)

// summaryVersion changes whenever objSummary or its computation changes (it keys the cache).
const summaryVersion = 15

// Kinds of system call instruction.
const (
	kindSyscall  = "syscall"      // syscall (0f 05)
	kindInt80    = "int 0x80"     // int 0x80 (cd 80)
	kindSysenter = "sysenter"     // sysenter (0f 34)
	kindVsyscall = "call gs:0x10" // i386 glibc's call through the vDSO's __kernel_vsyscall
)

// callSite is a direct call or jump leaving a function (or a call to a place inside it).
type callSite struct {
	At   uint64
	To   uint64 // local target, when Imp == ""
	Imp  string // symbol the loader binds (PLT or GOT), resolved across objects
	Jump bool   // a jump (tail call, fall-through into the next function), not a call
}

// siteSum is one system call instruction and what its number can be.
type siteSum struct {
	At   uint64
	Kind string
	V    traced
	// Xid: the four instructions before it load the number and three arguments from one
	// structure laid out like glibc's struct xid_command {int syscall_no; long id[3];}: nptl's
	// set*id broadcast (see xidShape).
	Xid bool
}

// funcSum is what one function does, as far as reachability and numbers are concerned.
type funcSum struct {
	Start, End uint64
	Name       string
	Calls      []callSite
	Taken      []uint64   // code addresses this function computes (lea, immediates, GOT loads)
	ImpTaken   []string   // imported symbols whose address this function loads from the GOT
	Indirect   bool       // makes an indirect jump (it may land anywhere in the function)
	IndCalls   []callSite // indirect calls and jumps (At and Jump only)
	Dlsym      []string   // names this function looks up with dlsym or dlvsym ("" when not a constant)
	NoRet      []uint64   // calls to functions that never return: nothing falls through them
	Sites      []siteSum
	Data       []int32 // data objects the code takes the address of (chunk where each starts)
	Access     []int32 // data chunks the code reads or writes directly

	dataRefs []dataRef // data addresses the code refers to, while summarising
	immCode  []uint64  // immediates inside functions of a fixed-address program, while summarising
}

// dataRef is a data address code refers to: the address of an object (size 0: lea, immediate,
// GOT slot), or a direct access of size bytes.
type dataRef struct {
	addr uint64
	size int
}

// objSummary is the per-object analysis: independent of the other objects, so cacheable by the
// object's content hash.
type objSummary struct {
	Version int
	Mode    int
	Type    string // "exec" (fixed address) or "dyn"
	Go      bool
	Blob    bool // no symbols, FDEs nor Go table: each executable section is one function
	// StaticGlibc tells a program without an interpreter that has glibc linked in: it holds the
	// names of glibc's tunables (so even when stripped of the symbols that would say so).
	StaticGlibc    bool
	Entry          uint64
	Needed         []string
	Rpath, Runpath []string
	Soname, Interp string
	Funcs          []funcSum
	Exports        map[string][]uint64
	Imports        []string
	Roots          []uint64 // DT_INIT, DT_FINI, init/fini arrays, IRELATIVE resolvers, personality routines
	Taken          []uint64 // code addresses stored outside the data chunks (text relocations): always taken
	ImpTaken       []string // imported symbols whose address is always taken (i386 GOT, text relocations)
	Copies         []string // symbols copied into the object by COPY relocations
	Chunks         []dataChunk
	RootChunks     []int32            // chunks always reached (TLS images, personality pointers)
	DataExports    map[string][]int32 // exported data symbols: their chunks
	Ext            []uint64           // addresses inside functions entered from elsewhere
	Thunks         map[uint64]int     // i386 pc thunks (mov reg, [esp]; ret) called: address to register family
	Insts          int
	// DataSites are system call instructions not counted: past the end of their function's
	// unwind range (its FDE) and unreachable from the function (bytes of a table in code that
	// decode as one: libgcrypt's AES tables hold cd 80, int 0x80). Sorted.
	DataSites []uint64

	starts []uint64 // Funcs[i].Start (see index; not stored)
}

// funcAt returns the index of the function holding addr, or -1.
func (s *objSummary) funcAt(addr uint64) int {
	starts := s.starts
	if len(starts) != len(s.Funcs) {
		starts = nil // not indexed (a summary made by hand)
	}
	lo, hi := 0, len(s.Funcs) // the first function starting above addr is in [lo, hi]
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if starts != nil && starts[m] > addr || starts == nil && s.Funcs[m].Start > addr {
			hi = m
		} else {
			lo = m + 1
		}
	}
	i := lo - 1
	if i < 0 || addr >= s.Funcs[i].End {
		return -1
	}
	return i
}

// gotBase is the address i386 PIC code keeps in %ebx (.got.plt, else .got).
func (o *elfObject) gotBase() uint64 {
	for _, n := range []string{".got.plt", ".got"} {
		if s := o.f.Section(n); s != nil {
			return s.Addr
		}
	}
	return 0
}

// thunkReg recognises an i386 pc thunk at addr (mov reg, [esp]; ret, like glibc's
// __x86.get_pc_thunk.REG, by its code since libraries are stripped): it returns the register family
// the thunk loads with its return address, or -1.
func (o *elfObject) thunkReg(addr uint64) int {
	s := o.execSection(addr)
	if s == nil {
		return -1
	}
	code := s.data[addr-s.addr:]
	x, err := x86asm.Decode(code, 32)
	if err != nil || x.Op != x86asm.MOV {
		return -1
	}
	r, ok := x.Args[0].(x86asm.Reg)
	m, ok2 := x.Args[1].(x86asm.Mem)
	if !ok || !ok2 || m.Base != x86asm.ESP || m.Index != 0 || m.Disp != 0 || m.Segment != 0 {
		return -1
	}
	f, w := regFam(r)
	if w != 4 || f < 0 || f == famSP {
		return -1
	}
	y, err := x86asm.Decode(code[x.Len:], 32)
	if err != nil || y.Op != x86asm.RET || y.Args[0] != nil {
		return -1
	}
	return f
}

// memTarget computes the address a memory operand refers to when it is rip-relative, absolute,
// or (i386) relative to the GOT in %ebx.
func (o *elfObject) memTarget(in *inst, m x86asm.Mem) (uint64, bool) {
	if m.Index != 0 || m.Segment != 0 {
		return 0, false
	}
	switch m.Base {
	case x86asm.RIP:
		return in.next() + uint64(m.Disp), true
	case 0:
		if o.mode == 32 || o.f.Type == elf.ET_EXEC {
			return uint64(m.Disp) & (1<<uint(o.mode) - 1), true
		}
	case x86asm.EBX:
		if o.mode == 32 {
			return (o.gotBase() + uint64(m.Disp)) & 0xffffffff, true
		}
	}
	return 0, false
}

// gotRelative computes, for i386 position-independent code, the address a memory operand refers
// to when its base register holds the GOT address (pc thunk plus offset): any register can, so
// every base register but esp is tried. This is only used to find code addresses the
// instruction computes or loads (a wrong guess only adds one), never to bind calls.
func (o *elfObject) gotRelative(m x86asm.Mem) (uint64, bool) {
	if o.mode != 32 || o.f.Type == elf.ET_EXEC || m.Index != 0 || m.Segment != 0 || m.Base == 0 || m.Base == x86asm.ESP {
		return 0, false
	}
	if f, w := regFam(m.Base); f < 0 || w != 4 {
		return 0, false
	}
	return (o.gotBase() + uint64(m.Disp)) & 0xffffffff, true
}

// pltTarget decodes the PLT stub at addr and returns the slot it jumps through.
func (o *elfObject) pltTarget(addr uint64) (gotSlot, bool) {
	s := o.execSection(addr)
	if s == nil {
		return gotSlot{}, false
	}
	code := s.data[addr-s.addr:]
	for k := 0; k < 3 && len(code) > 0; k++ {
		x, err := x86asm.Decode(code, o.mode)
		if err != nil {
			return gotSlot{}, false
		}
		in := inst{addr: addr, x: x}
		if x.Op == x86asm.JMP {
			if m, ok := x.Args[0].(x86asm.Mem); ok {
				if t, ok := o.memTarget(&in, m); ok {
					sl, ok := o.slots[t]
					return sl, ok
				}
			}
			return gotSlot{}, false
		}
		addr += uint64(x.Len)
		code = code[x.Len:]
	}
	return gotSlot{}, false
}

// index makes starts, the functions' start addresses apart, for funcAt: a binary search
// over node's 78,000 functions touched a cache line of funcSum at each step.
func (s *objSummary) index() {
	s.starts = make([]uint64, len(s.Funcs))
	for i := range s.Funcs {
		s.starts[i] = s.Funcs[i].Start
	}
}

// summarize analyses one object on its own.
func summarize(o *elfObject) *objSummary {
	sum := &objSummary{Version: summaryVersion, Mode: o.mode, Type: "dyn", Go: o.isGo, Entry: o.f.Entry}
	if o.f.Type == elf.ET_EXEC {
		sum.Type = "exec"
	}
	ri := o.relocs()
	di := o.dynamic()
	sum.Needed, sum.Rpath, sum.Runpath, sum.Soname, sum.Interp = di.needed, di.rpath, di.runpath, di.soname, di.interp
	sum.StaticGlibc = di.interp == "" && di.soname == "" && bytes.Contains(o.raw, []byte("glibc.malloc.arena_max"))
	sum.Roots = append(append(sum.Roots, di.initFini...), ri.resolvers...)
	sum.ImpTaken = ri.impTaken
	sum.Copies = ri.copies
	extra := append([]uint64{o.f.Entry}, sum.Roots...)
	for _, p := range ri.ptrs {
		if p.hasLocal && o.execSection(p.local) != nil {
			extra = append(extra, p.local)
		}
	}
	o.functionStarts(extra)
	sum.Blob = o.blob
	// What the scan of the functions does not need is done beside it.
	var secs []dataSection
	var ptrs []dataPtr
	rootsDone := goCatch(func() {
		secs = o.dataSections()
		ptrs = ri.ptrs
		if o.f.Type == elf.ET_EXEC {
			ptrs = append(ptrs, o.scanPointers(secs)...)
		}
		sum.Roots = append(sum.Roots, o.arrayRoots(secs, ptrs)...)
		sum.Exports = o.exports()
		if syms, err := o.dynSymbols(); err == nil {
			for _, s := range syms {
				if s.Section == elf.SHN_UNDEF && s.Name != "" {
					sum.Imports = append(sum.Imports, s.Name)
				}
			}
		}
	})
	startSet := make(map[uint64]bool, len(o.starts))
	for _, a := range o.starts {
		startSet[a] = true
	}
	sum.Funcs = make([]funcSum, len(o.starts))
	withSites := make([][]inst, len(o.starts))
	flows := make([][]flowInst, len(o.starts))
	fallAddrs := make([][]uint64, len(o.starts))
	ninsts := make([]int, len(o.starts))
	// Functions are decoded and scanned in parallel: each writes only its own entries.
	parallelWith(len(o.starts), func() func(int) {
		var buf []inst // reused: most functions' instructions are not kept
		dc := newDecodeCache()
		return func(i int) { o.scanFunc(sum, i, startSet, withSites, flows, fallAddrs, ninsts, &buf, dc) }
	})
	for _, n := range ninsts {
		sum.Insts += n
	}
	sum.index()
	rootsDone()
	// Data chunks beside the calls that never return (each writes its own fields of a funcSum).
	chunksDone := goCatch(func() { o.buildChunks(sum, secs, ptrs) })
	mayReturn := o.flowReturns(sum, flows)
	chunksDone()
	o.summarizeFlow(sum, startSet, withSites, flows, fallAddrs, mayReturn)
	return sum
}

// goCatch runs f on a goroutine and returns the function that waits for it, raising its panic
// again if it had one.
func goCatch(f func()) (wait func()) {
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		f()
	}()
	return func() {
		if p := <-done; p != nil {
			panic(p)
		}
	}
}

// parallel calls f(0) ... f(n-1) on GOMAXPROCS goroutines.
func parallel(n int, f func(int)) {
	parallelWith(n, func() func(int) { return f })
}

// parallelWith calls f(0) ... f(n-1) on GOMAXPROCS goroutines, each with the f that newF gave it
// (its own state).
func parallelWith(n int, newF func() func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(n, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := newF()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// scanFunc decodes and scans function i into sum.Funcs[i] and the per-function slices.
func (o *elfObject) scanFunc(sum *objSummary, i int, startSet map[uint64]bool, withSites [][]inst, flows [][]flowInst, fallAddrs [][]uint64, ninsts []int, buf *[]inst, dc *decodeCache) {
	start := o.starts[i]
	end := o.funcEnd(i)
	fs := &sum.Funcs[i]
	fs.Start, fs.End, fs.Name = start, end, o.names[start]
	insts := decodeInto((*buf)[:0], o.funcBytes(i), start, o.mode, dc)
	*buf = insts
	ninsts[i] = len(insts)
	hasSite := false
	viaReg := o.slotRegCalls(insts, start, end)
	for k := range insts {
		in := &insts[k]
		if sl, ok := viaReg[in.addr]; ok {
			o.slotCall(fs, in, sl, in.x.Op != x86asm.CALL)
			continue
		}
		if o.scanInst(fs, in, start, end, startSet) {
			hasSite = true
		}
	}
	for _, c := range fs.Calls {
		if c.Imp == "dlsym" || c.Imp == "dlvsym" {
			fs.Dlsym = append(fs.Dlsym, o.dlsymName(insts, c.At, start, end))
		}
	}
	flows[i] = o.flowOf(insts, fs, start, end, startSet)
	fallAddrs[i] = make([]uint64, len(insts))
	for k := range insts {
		fallAddrs[i][k] = insts[k].addr
	}
	if hasSite {
		withSites[i] = slices.Clone(insts)
		for j := range fs.Sites {
			st := &fs.Sites[j]
			if k, found := slices.BinarySearchFunc(insts, st.At, func(in inst, a uint64) int { return cmp.Compare(in.addr, a) }); found {
				st.Xid = xidShape(insts, k, o.mode)
			}
		}
	}
}

// xidShape tells whether the four instructions before the system call instruction insts[k]
// are loads of the number and its three arguments from one structure laid out like glibc's
// struct xid_command {int syscall_no; long id[3];}, in any order: eax from (B), then rdi, rsi,
// rdx from 8, 16, 24(B) (i386: ebx, ecx, edx from 4, 8, 12(B)). That is nptl's set*id
// broadcast, in __nptl_setxid and in the SIGSETXID handler, whose number a set*id wrapper
// stored. Only the load nearest the call may overwrite B (i386 glibc loads edx from (%edx)
// last), so that all four read the same structure.
func xidShape(insts []inst, k, mode int) bool {
	want := map[x86asm.Reg]int64{x86asm.EAX: 0, x86asm.RDI: 8, x86asm.RSI: 16, x86asm.RDX: 24}
	if mode == 32 {
		want = map[x86asm.Reg]int64{x86asm.EAX: 0, x86asm.EBX: 4, x86asm.ECX: 8, x86asm.EDX: 12}
	}
	if k < 4 {
		return false
	}
	var base x86asm.Reg
	for j := k - 1; j >= k-4; j-- {
		x := insts[j].x
		dst, ok1 := x.Args[0].(x86asm.Reg)
		m, ok2 := x.Args[1].(x86asm.Mem)
		if x.Op != x86asm.MOV || !ok1 || !ok2 || m.Index != 0 || m.Segment != 0 || m.Base == 0 || m.Base == x86asm.RIP {
			return false
		}
		disp, ok := want[dst]
		if !ok || m.Disp != disp {
			return false
		}
		delete(want, dst)
		if j == k-1 {
			base = m.Base
		} else if m.Base != base {
			return false
		}
		if j < k-1 && regFamOf(dst) == regFamOf(base) {
			return false // B overwritten before the other loads read it
		}
	}
	return len(want) == 0
}

// regFamOf is regFam's family alone (-1 for a register that is not a general one).
func regFamOf(r x86asm.Reg) int {
	f, _ := regFam(r)
	return f
}

// flowReturns finds the functions that may return, and notes the calls that never return: to a
// local function from whose entry no way out (ret, jump out, indirect jump, falling off its
// end) is reachable when calls that never return do not fall through (a greatest fixpoint),
// or to a well-known C library function that never returns.
func (o *elfObject) flowReturns(sum *objSummary, flows [][]flowInst) []bool {
	mayReturn := make([]bool, len(flows))
	never := make([]bool, len(flows))
	if o.isGo {
		for i := range sum.Funcs {
			never[i] = goNoReturn(sum.Funcs[i].Name)
		}
	}
	for changed := true; changed; {
		changed = false
		for i := range flows {
			if !mayReturn[i] && !never[i] && exitReachable(flows[i], mayReturn) {
				mayReturn[i], changed = true, true
			}
		}
	}
	for i := range sum.Funcs {
		fs := &sum.Funcs[i]
		for _, c := range fs.Calls {
			if c.Jump {
				continue
			}
			if c.Imp != "" && noReturn(c.Imp) {
				fs.NoRet = append(fs.NoRet, c.At)
			} else if c.Imp == "" {
				if j := sum.funcAt(c.To); j >= 0 && sum.Funcs[j].Start == c.To && !mayReturn[j] {
					fs.NoRet = append(fs.NoRet, c.At)
				}
			}
		}
	}
	return mayReturn
}

// summarizeFlow finishes a summary from the scanned functions: calls that never return, entries
// from elsewhere, falling off a function's end, and the traces of the system call sites.
func (o *elfObject) summarizeFlow(sum *objSummary, startSet map[uint64]bool, withSites [][]inst, flows [][]flowInst, fallAddrs [][]uint64, mayReturn []bool) {
	// External entries: addresses inside functions reached from other functions or taken.
	ext := map[uint64]bool{}
	mark := func(a uint64) {
		if !startSet[a] && o.execSection(a) != nil {
			ext[a] = true
		}
	}
	for i := range sum.Funcs {
		for _, c := range sum.Funcs[i].Calls {
			if c.Imp == "" && c.To != 0 {
				mark(c.To)
			}
		}
		for _, t := range sum.Funcs[i].Taken {
			mark(t)
		}
	}
	for _, t := range sum.Taken {
		mark(t)
	}
	for i := range sum.Chunks {
		for _, t := range sum.Chunks[i].Code {
			mark(t)
		}
	}
	for a := range ext {
		sum.Ext = append(sum.Ext, a)
	}
	sort.Slice(sum.Ext, func(i, j int) bool { return sum.Ext[i] < sum.Ext[j] })
	// Falling off the end into the next function, when reachable from the entry, an entry from
	// elsewhere, or anywhere in a function with indirect jumps. Functions in parallel: each
	// writes only its own calls.
	parallel(len(sum.Funcs), func(i int) {
		fs := &sum.Funcs[i]
		fl := flows[i]
		n := len(fl)
		sec := o.execSection(fs.Start)
		if n == 0 || fs.End >= sec.addr+uint64(len(sec.data)) {
			return
		}
		var seeds []int32
		if fs.Indirect {
			for k := range fl {
				seeds = append(seeds, int32(k))
			}
		} else {
			seeds = append(seeds, 0)
			addrs := fallAddrs[i]
			e, _ := slices.BinarySearch(sum.Ext, fs.Start)
			for ; e < len(sum.Ext) && sum.Ext[e] < fs.End; e++ {
				if k, ok := slices.BinarySearch(addrs, sum.Ext[e]); ok {
					seeds = append(seeds, int32(k))
				}
			}
		}
		if fallsOffEnd(fl, mayReturn, seeds) {
			fs.Calls = append(fs.Calls, callSite{At: fallAddrs[i][n-1], To: fs.End, Jump: true})
		}
	})
	if o.mode == 32 {
		sum.Thunks = map[uint64]int{}
		for i := range sum.Funcs {
			for _, c := range sum.Funcs[i].Calls {
				if c.Imp != "" || c.Jump {
					continue
				}
				if _, ok := sum.Thunks[c.To]; !ok {
					if r := o.thunkReg(c.To); r >= 0 {
						sum.Thunks[c.To] = r
					}
				}
			}
		}
	}
	taken := o.codeTaken(sum)
	for i, insts := range withSites {
		if insts == nil {
			continue
		}
		fs := &sum.Funcs[i]
		o.dropDataSites(sum, i, insts, flows[i], fallAddrs[i], mayReturn, taken)
		fc := newFnCode(insts, fs.Start, fs.End, o.mode, extIn(sum.Ext, fs.Start, fs.End), o.isGo, fs.NoRet, sum.Thunks)
		for k := range fs.Sites {
			st := &fs.Sites[k]
			st.V = fc.trace(fc.idx[st.At], loc{reg: famAX})
			if o.blob && len(st.V.Params) > 0 {
				st.V.Params = nil
				st.V.Unknown = append(st.V.Unknown, "number passed in, but the object has no function boundaries")
			}
		}
	}
}

// flowInst is the control flow of one instruction, compactly, for the no-return analysis.
type flowInst struct {
	br   int32 // index of a branch target in the function, or -1
	call int32 // local function called (index), -2 a call that never returns, -1 none
	fall bool  // control may continue to the next instruction
	exit bool  // leaves the function (ret, tail jump, indirect jump, falling off the end)
}

// flowOf reduces a function's instructions to their control flow.
func (o *elfObject) flowOf(insts []inst, fs *funcSum, start, end uint64, starts map[uint64]bool) []flowInst {
	imp := map[uint64]string{}
	for _, c := range fs.Calls {
		if c.Imp != "" {
			imp[c.At] = c.Imp
		}
	}
	out := make([]flowInst, len(insts))
	for k := range insts {
		in := &insts[k]
		op := in.x.Op
		// int3 traps: it is the padding Go (and some assemblers) put between functions.
		f := flowInst{fall: !isUncond(op) && !isInt3(&in.x), br: -1, call: -1}
		switch {
		case op == x86asm.RET || op == x86asm.LRET || op == x86asm.IRET || op == x86asm.IRETD || op == x86asm.IRETQ || op == x86asm.SYSRET:
			f.exit = true
		case isBranch(op):
			if t, ok := relTarget(in); ok {
				if j, ok := instAt(insts, t); ok {
					f.br = j
				} else {
					f.exit = true
				}
			} else {
				f.exit = true
			}
		case op == x86asm.CALL:
			if n, ok := imp[in.addr]; ok {
				if noReturn(n) {
					f.call = -2
				}
			} else if t, ok := relTarget(in); ok && starts[t] && !(t >= start && t < end) {
				f.call = int32(sort.Search(len(o.starts), func(i int) bool { return o.starts[i] >= t }))
			}
		case op == x86asm.JMP || op == x86asm.LJMP:
			f.exit = true
		}
		out[k] = f
	}
	return out
}

// instAt returns the index of the instruction at addr in insts (in address order, as a linear
// sweep decodes them).
func instAt(insts []inst, addr uint64) (int32, bool) {
	k := sort.Search(len(insts), func(i int) bool { return insts[i].addr >= addr })
	return int32(k), k < len(insts) && insts[k].addr == addr
}

// exitReachable tells whether a way out of the function is reachable from its entry.
func exitReachable(fl []flowInst, mayReturn []bool) bool {
	if len(fl) == 0 {
		return true
	}
	seen := make([]bool, len(fl))
	work := []int32{0}
	seen[0] = true
	for len(work) > 0 {
		k := work[len(work)-1]
		work = work[:len(work)-1]
		f := fl[k]
		if f.exit {
			return true
		}
		next := func(j int32) {
			if j >= 0 && int(j) < len(fl) && !seen[j] {
				seen[j] = true
				work = append(work, j)
			}
		}
		if f.fall && f.call != -2 && (f.call < 0 || mayReturn[f.call]) {
			if int(k)+1 == len(fl) {
				return true // falls off the end into the next function
			}
			next(k + 1)
		}
		next(f.br)
	}
	return false
}

// dropDataSites moves the system call sites of function i that lie past the end of its unwind
// range, and that control cannot reach from its entries, to sum.DataSites. Only a function
// entered by direct calls and jumps qualifies: none of its addresses taken, held in data or
// exported, except where no instruction starts. Its entries are its start and the addresses
// inside it that direct jumps and calls reach; with an indirect jump, every instruction (it
// does not qualify). The unwinder knows nothing past the FDE's end, so no landing pad is there.
// Nothing is moved when an entry or a reached jump lands past the end between the instructions
// the sweep found (code there decoded out of step). Code there that control reaches stays.
// libgcrypt's AES functions keep tables past their FDEs whose bytes hold cd 80 (int 0x80).
func (o *elfObject) dropDataSites(sum *objSummary, i int, insts []inst, fl []flowInst, addrs []uint64, mayReturn []bool, taken []uint64) {
	fs := &sum.Funcs[i]
	end, ok := o.fdeEnd[fs.Start]
	if !ok || end >= fs.End || fs.Indirect || len(fl) == 0 || len(insts) != len(fl) {
		return
	}
	past := false
	for _, st := range fs.Sites {
		past = past || st.At >= end
	}
	if !past {
		return
	}

	// Code reached through an address computed from a taken one (a function pointer plus an
	// offset, an offset table, push and ret, a callback) is not seen: a function with any
	// address inside it taken or held (its start included) where an instruction starts keeps
	// its sites. An address where none starts is data's (libgcrypt's tables are taken with lea,
	// their first bytes 0f 0f).
	t, _ := slices.BinarySearch(taken, fs.Start)
	for ; t < len(taken) && taken[t] < fs.End; t++ {
		sec := o.execSection(taken[t])
		if _, err := x86asm.Decode(sec.data[taken[t]-sec.addr:], o.mode); err == nil {
			return
		}
	}
	// The other entries: addresses inside it that direct jumps and calls reach.
	seeds := []int32{0}
	e, _ := slices.BinarySearch(sum.Ext, fs.Start)
	for ; e < len(sum.Ext) && sum.Ext[e] < fs.End; e++ {
		if k, ok := slices.BinarySearch(addrs, sum.Ext[e]); ok {
			seeds = append(seeds, int32(k))
		} else if _, data := slices.BinarySearch(taken, sum.Ext[e]); !data && sum.Ext[e] >= end {
			return // between the instructions the sweep found: code decoded out of step
		}
	}
	reached, _ := reachable(fl, mayReturn, seeds)
	for k := range insts {
		// A reached jump or call into the bytes past the end, between the instructions the
		// sweep found there: they are code, decoded out of step.
		if t, ok := relTarget(&insts[k]); ok && reached[k] && t >= end && t < fs.End {
			if _, ok := slices.BinarySearch(addrs, t); !ok {
				return
			}
		}
	}
	fs.Sites = slices.DeleteFunc(fs.Sites, func(st siteSum) bool {
		k, ok := slices.BinarySearch(addrs, st.At)
		if st.At < end || ok && reached[k] {
			return false
		}
		sum.DataSites = append(sum.DataSites, st.At)
		return true
	})
	slices.Sort(sum.DataSites)
}

// codeTaken returns, sorted, the code addresses the object takes, holds in data or exports, and
// the immediates inside its functions that may be code addresses.
func (o *elfObject) codeTaken(sum *objSummary) []uint64 {
	var out []uint64
	for i := range sum.Funcs {
		out = append(append(out, sum.Funcs[i].Taken...), sum.Funcs[i].immCode...)
	}
	out = append(append(out, sum.Taken...), sum.Roots...)
	for i := range sum.Chunks {
		out = append(out, sum.Chunks[i].Code...)
	}
	for _, addrs := range sum.Exports {
		out = append(out, addrs...)
	}
	out = slices.DeleteFunc(out, func(a uint64) bool { return o.execSection(a) == nil })
	slices.Sort(out)
	return slices.Compact(out)
}

// reachable returns the instructions control can reach from the seeds, and whether it can run
// past the last one.
func reachable(fl []flowInst, mayReturn []bool, seeds []int32) (seen []bool, offEnd bool) {
	seen = make([]bool, len(fl))
	work := slices.Clone(seeds)
	for _, k := range seeds {
		seen[k] = true
	}
	for len(work) > 0 {
		k := work[len(work)-1]
		work = work[:len(work)-1]
		f := fl[k]
		next := func(j int32) {
			if j >= 0 && int(j) < len(fl) && !seen[j] {
				seen[j] = true
				work = append(work, j)
			}
		}
		if f.fall && f.call != -2 && (f.call < 0 || mayReturn[f.call]) {
			offEnd = offEnd || int(k)+1 == len(fl)
			next(k + 1)
		}
		next(f.br)
	}
	return seen, offEnd
}

// fallsOffEnd tells whether control can run past the last instruction from one of the seeds.
func fallsOffEnd(fl []flowInst, mayReturn []bool, seeds []int32) bool {
	_, off := reachable(fl, mayReturn, seeds)
	return off
}

// noReturn tells whether an imported function (by its name) never returns to its caller.
func noReturn(name string) bool {
	switch name {
	case "exit", "_exit", "_Exit", "abort", "__stack_chk_fail", "__assert_fail", "__assert_perror_fail",
		"__fortify_fail", "__chk_fail", "err", "errx", "verr", "verrx", "__libc_fatal", "pthread_exit", "longjmp",
		"siglongjmp", "_longjmp", "__longjmp_chk", "_Unwind_Resume", "__cxa_throw", "__cxa_rethrow",
		"__cxa_bad_cast", "__cxa_bad_typeid", "__cxa_throw_bad_array_new_length":
		return true
	}
	return false
}

// goNoReturn tells whether a Go function (by its name) never returns: the Go runtime functions
// the Go compiler ends a block with (BlockExit) and the panics of its generated checks. A panic
// that is recovered resumes in the deferring frame, not after the call.
func goNoReturn(name string) bool {
	switch name {
	case "runtime.throw", "runtime.throwinit", "runtime.fatal", "runtime.fatalthrow", "runtime.fatalpanic",
		"runtime.gopanic", "runtime.panicwrap", "runtime.block", "runtime.panicmakeslicelen",
		"runtime.panicmakeslicecap", "runtime.panicunsafeslicelen", "runtime.panicunsafeslicenilptr",
		"runtime.panicunsafestringlen", "runtime.panicunsafestringnilptr", "runtime.panicrangestate",
		"runtime.panicdivide", "runtime.panicshift", "runtime.panicoverflow", "runtime.panicfloat",
		"runtime.panicmem", "runtime.panicmemAddr", "runtime.panicnildottype", "runtime.panicdottypeE",
		"runtime.panicdottypeI", "runtime.panicSimdImm", "runtime.Goexit", "runtime.goexit1":
		return true
	}
	return strings.HasPrefix(name, "runtime.goPanic") ||
		strings.HasPrefix(name, "runtime.panicBounds") || strings.HasPrefix(name, "runtime.panicExtend") ||
		strings.HasPrefix(name, "runtime.panicIndex") || strings.HasPrefix(name, "runtime.panicSlice")
}

// extIn returns the external entries within [start, end).
func extIn(ext []uint64, start, end uint64) map[uint64]bool {
	i := sort.Search(len(ext), func(i int) bool { return ext[i] >= start })
	m := map[uint64]bool{}
	for ; i < len(ext) && ext[i] < end; i++ {
		m[ext[i]] = true
	}
	return m
}

// dlsymName finds the constant name passed to dlsym at the call at addr: the string a
// rip-relative (or absolute) lea, or a mov of an immediate address, loads into the second
// argument register in the straight-line
// code before the call. It returns "" when the name is not such a constant.
func (o *elfObject) dlsymName(insts []inst, at, start, end uint64) string {
	if o.mode != 64 {
		return ""
	}
	targets := map[uint64]bool{}
	k := -1
	for i := range insts {
		if isBranch(insts[i].x.Op) {
			if t, ok := relTarget(&insts[i]); ok && t >= start && t < end {
				targets[t] = true
			}
		}
		if insts[i].addr == at {
			k = i
		}
	}
	for i := k - 1; i >= 0 && i >= k-12; i-- {
		in := &insts[i]
		if in.x.Op == x86asm.CALL || isUncond(in.x.Op) || targets[insts[i+1].addr] {
			return ""
		}
		if !writesFam(&in.x, famSI) {
			continue
		}
		var t uint64
		switch src := in.x.Args[1].(type) {
		case x86asm.Mem:
			if in.x.Op != x86asm.LEA {
				return ""
			}
			var ok bool
			if t, ok = o.memTarget(in, src); !ok {
				return ""
			}
		case x86asm.Imm:
			if in.x.Op != x86asm.MOV {
				return ""
			}
			t = uint64(src)
		default:
			return ""
		}
		b := o.readAt(t, 1)
		if b == nil {
			return ""
		}
		for n := 1; n <= 256; n++ {
			b = o.readAt(t, n)
			if b == nil {
				return ""
			}
			if b[n-1] == 0 {
				return string(b[:n-1])
			}
		}
		return ""
	}
	return ""
}

// slotCall records a call or jump through a GOT slot (or a register loaded from one).
func (o *elfObject) slotCall(fs *funcSum, in *inst, sl gotSlot, jump bool) {
	switch {
	case sl.imp != "":
		fs.Calls = append(fs.Calls, callSite{At: in.addr, Imp: sl.imp, Jump: jump})
	case sl.indir:
		fs.Indirect = fs.Indirect || jump
		fs.IndCalls = append(fs.IndCalls, callSite{At: in.addr, Jump: jump})
	default:
		fs.Calls = append(fs.Calls, callSite{At: in.addr, To: sl.local, Jump: jump})
	}
}

// slotRegCalls finds the indirect calls and jumps through a register that was loaded from a GOT
// slot earlier in the same straight-line code (mov reg, [slot]; test; je; call *reg): they call
// what the slot holds. The register must not be written in between, and no instruction from
// the load to the call may be a branch target or follow a call.
func (o *elfObject) slotRegCalls(insts []inst, start, end uint64) map[uint64]gotSlot {
	if len(o.slots) == 0 {
		return nil
	}
	loads := false
	for k := range insts {
		if _, _, ok := o.slotLoad(&insts[k]); ok {
			loads = true
			break
		}
	}
	if !loads { // most functions: no pass over branches, no maps
		return nil
	}
	var targets []uint64
	for k := range insts {
		if isBranch(insts[k].x.Op) {
			if t, ok := relTarget(&insts[k]); ok && t >= start && t < end {
				targets = append(targets, t)
			}
		}
	}
	slices.Sort(targets)
	var out map[uint64]gotSlot
	var live [16]gotSlot
	var liveSet uint16 // bit f: live[f] holds the slot register family f was loaded from
	for k := range insts {
		in := &insts[k]
		x := &in.x
		for len(targets) > 0 && targets[0] < in.addr {
			targets = targets[1:]
		}
		if len(targets) > 0 && targets[0] == in.addr {
			liveSet = 0
		}
		if (x.Op == x86asm.CALL || x.Op == x86asm.JMP) && liveSet != 0 {
			if r, ok := x.Args[0].(x86asm.Reg); ok {
				if f, w := regFam(r); w == int(o.ptrSize()) && liveSet&(1<<f) != 0 {
					if out == nil {
						out = map[uint64]gotSlot{}
					}
					out[in.addr] = live[f]
				}
			}
		}
		if x.Op == x86asm.CALL || isUncond(x.Op) {
			liveSet = 0
			continue
		}
		for set := liveSet; set != 0; set &= set - 1 {
			if f := bits.TrailingZeros16(set); writesFam(x, f) {
				liveSet &^= 1 << f
			}
		}
		if f, sl, ok := o.slotLoad(in); ok {
			live[f] = sl
			liveSet |= 1 << f
		}
	}
	return out
}

// slotLoad tells whether the instruction loads a pointer-sized register (family f) from a GOT
// slot that holds a function's address.
func (o *elfObject) slotLoad(in *inst) (f int, sl gotSlot, ok bool) {
	if in.x.Op != x86asm.MOV {
		return 0, gotSlot{}, false
	}
	r, ok := in.x.Args[0].(x86asm.Reg)
	m, ok2 := in.x.Args[1].(x86asm.Mem)
	if !ok || !ok2 {
		return 0, gotSlot{}, false
	}
	f, w := regFam(r)
	if w != int(o.ptrSize()) {
		return 0, gotSlot{}, false
	}
	if t, ok := o.memTarget(in, m); ok {
		if sl, ok := o.slots[t]; ok && !sl.indir {
			return f, sl, true
		}
	}
	return 0, gotSlot{}, false
}

// scanInst records what one instruction contributes to its function's summary. It reports
// whether the instruction is a system call.
func (o *elfObject) scanInst(fs *funcSum, in *inst, start, end uint64, starts map[uint64]bool) bool {
	x := &in.x
	op := x.Op
	inFunc := func(t uint64) bool { return t >= start && t < end }
	viaSlot := func(sl gotSlot, jump bool) { o.slotCall(fs, in, sl, jump) }
	switch {
	case op == x86asm.SYSCALL:
		fs.Sites = append(fs.Sites, siteSum{At: in.addr, Kind: kindSyscall})
		return true
	case op == x86asm.SYSENTER:
		fs.Sites = append(fs.Sites, siteSum{At: in.addr, Kind: kindSysenter})
		return true
	case op == x86asm.INT:
		if imm, ok := x.Args[0].(x86asm.Imm); ok && imm == 0x80 {
			fs.Sites = append(fs.Sites, siteSum{At: in.addr, Kind: kindInt80})
			return true
		}
	case op == x86asm.CALL || isBranch(op):
		if t, ok := relTarget(in); ok {
			if op != x86asm.CALL && inFunc(t) {
				return false
			}
			if o.isPLT(t) && !inFunc(t) {
				if sl, ok := o.pltTarget(t); ok {
					viaSlot(sl, op != x86asm.CALL)
					return false
				}
			}
			fs.Calls = append(fs.Calls, callSite{At: in.addr, To: t, Jump: op != x86asm.CALL})
			return false
		}
		if m, ok := x.Args[0].(x86asm.Mem); ok {
			if o.mode == 32 && m.Segment == x86asm.GS && m.Base == 0 && m.Index == 0 && m.Disp == 0x10 && op == x86asm.CALL {
				fs.Sites = append(fs.Sites, siteSum{At: in.addr, Kind: kindVsyscall})
				return true
			}
			if t, ok := o.memTarget(in, m); ok {
				if sl, ok := o.slots[t]; ok {
					viaSlot(sl, op != x86asm.CALL)
					return false
				}
				fs.dataRefs = append(fs.dataRefs, dataRef{t, int(o.ptrSize())}) // a function pointer in data
			}
		}
		fs.Indirect = fs.Indirect || op != x86asm.CALL
		fs.IndCalls = append(fs.IndCalls, callSite{At: in.addr, Jump: op != x86asm.CALL})
		return false
	}
	// Code addresses the instruction computes.
	for k, a := range x.Args {
		switch a := a.(type) {
		case x86asm.Mem:
			t, ok := o.memTarget(in, a)
			if !ok {
				t, ok = o.gotRelative(a)
			}
			if !ok {
				continue
			}
			if op == x86asm.LEA && k == 1 {
				if o.execSection(t) != nil {
					fs.Taken = append(fs.Taken, t)
				} else {
					fs.dataRefs = append(fs.dataRefs, dataRef{t, 0})
				}
				continue
			}
			if sl, ok := o.slots[t]; ok {
				switch {
				case sl.imp != "":
					fs.ImpTaken = append(fs.ImpTaken, sl.imp)
				case !sl.indir && o.execSection(sl.local) != nil:
					fs.Taken = append(fs.Taken, sl.local)
				case !sl.indir:
					fs.dataRefs = append(fs.dataRefs, dataRef{sl.local, 0})
				}
			}
			size := x.MemBytes
			if size <= 0 || size > 64 {
				size = 64 // string, x87 and vector state operations: a bound
			}
			fs.dataRefs = append(fs.dataRefs, dataRef{t, size})
		case x86asm.Imm:
			if o.f.Type == elf.ET_EXEC || o.mode == 32 {
				if starts[uint64(a)] {
					fs.Taken = append(fs.Taken, uint64(a))
				} else if o.execSection(uint64(a)) != nil {
					// Inside a function: a code address (a handler stored with mov $addr)
					// or a number (node stores 0xb6fc00 in C++ code). Not taken (node and
					// python3.11 would turn unbounded), but it keeps dropDataSites away.
					fs.immCode = append(fs.immCode, uint64(a))
				} else {
					fs.dataRefs = append(fs.dataRefs, dataRef{uint64(a) & (1<<uint(o.mode) - 1), 0})
				}
			}
		}
	}
	return false
}
