package reach

import (
	"debug/elf"
	"encoding/binary"
	"slices"
	"sort"
)

// Code addresses stored in data count only when the data can be reached. The data sections of an
// object are cut into chunks at every address something refers to (code, a pointer in data, a
// symbol, a section start): a chunk runs from such an address to the next one. A chunk is
// reached when reached code refers to an address in it (rip-relative or absolute operands,
// GOT slots holding its address), when a reached chunk points into it, or when it is exported
// data whose symbol reached code or data imports. Its code pointers are then address-taken, its
// imported symbols taken, and the chunks it points to reached. Chunks that are always reached:
// TLS initialisation images and the words .eh_frame's personality pointers go through. Init and
// fini arrays are roots.

// dataChunk is a piece of an object's data and the pointers it holds.
type dataChunk struct {
	Start uint64
	Obj   bool     // an object starts here (a chunk without it continues the previous object)
	Code  []uint64 // code addresses stored in it
	Imp   []string // imported symbols whose address is stored in it
	Data  []int32  // objects it points to (the chunk where each starts)
}

// dataSection is an allocated, non-executable section with contents.
type dataSection struct {
	addr, size uint64
	tls        bool
	got        bool // .got or .got.plt of a position-independent object: read through slots
	array      bool // init, fini or preinit array (.ctors, .dtors)
}

// dataSections lists the object's data sections, sorted by address.
func (o *elfObject) dataSections() []dataSection {
	var out []dataSection
	for _, s := range o.f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Flags&elf.SHF_EXECINSTR != 0 || s.Type == elf.SHT_NOBITS || s.Size == 0 {
			continue
		}
		ds := dataSection{addr: s.Addr, size: s.Size, tls: s.Flags&elf.SHF_TLS != 0}
		ds.got = o.f.Type != elf.ET_EXEC && (s.Name == ".got" || s.Name == ".got.plt")
		ds.array = s.Type == elf.SHT_INIT_ARRAY || s.Type == elf.SHT_FINI_ARRAY || s.Type == elf.SHT_PREINIT_ARRAY ||
			s.Name == ".ctors" || s.Name == ".dtors"
		out = append(out, ds)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr < out[j].addr })
	return out
}

// dataSectionAt returns the index of the data section holding addr, or -1.
func dataSectionAt(secs []dataSection, addr uint64) int {
	i := sort.Search(len(secs), func(i int) bool { return secs[i].addr > addr }) - 1
	if i < 0 || addr >= secs[i].addr+secs[i].size {
		return -1
	}
	return i
}

// scanPointers scans the data of a fixed-address executable for pointer-sized values (at 4-byte
// alignment) equal to a function start or inside a data section: such programs store addresses
// in data without relocations.
func (o *elfObject) scanPointers(secs []dataSection) []dataPtr {
	// Most words are no code address: the range of function starts is checked before the
	// (sorted) starts themselves. A code address is a function's start, or one past the end of
	// its unwind range (code there is entered only from elsewhere: see dropDataSites).
	isStart := func(v uint64) bool {
		if len(o.starts) == 0 || v < o.starts[0] || v > o.starts[len(o.starts)-1] {
			return false
		}
		i, ok := slices.BinarySearch(o.starts, v)
		if ok || i == 0 {
			return ok
		}
		e, fde := o.fdeEnd[o.starts[i-1]]
		return fde && v >= e && v < o.starts[i]
	}
	var lo, hi uint64
	if len(secs) > 0 {
		lo, hi = secs[0].addr, secs[len(secs)-1].addr+secs[len(secs)-1].size
	}
	var out []dataPtr
	ps := int(o.ptrSize())
	for _, s := range secs {
		d := o.readAt(s.addr, int(s.size))
		if d == nil {
			continue
		}
		for i := 0; i+ps <= len(d); i += 4 {
			var v uint64
			if ps == 8 {
				v = binary.LittleEndian.Uint64(d[i:])
			} else {
				v = uint64(binary.LittleEndian.Uint32(d[i:]))
			}
			if v == 0 {
				continue
			}
			if isStart(v) || (v >= lo && v < hi && dataSectionAt(secs, v) >= 0) {
				out = append(out, dataPtr{where: s.addr + uint64(i), local: v, hasLocal: true})
			}
		}
	}
	return out
}

// arrayRoots returns the code addresses in init, fini and preinit arrays: the loader calls them.
func (o *elfObject) arrayRoots(secs []dataSection, ptrs []dataPtr) []uint64 {
	var out []uint64
	for _, p := range ptrs {
		if i := dataSectionAt(secs, p.where); i >= 0 && secs[i].array && p.hasLocal && o.execSection(p.local) != nil {
			out = append(out, p.local)
		}
	}
	if o.f.Type == elf.ET_EXEC {
		// Without relocations: the words themselves.
		for _, s := range secs {
			if !s.array {
				continue
			}
			for a := s.addr; a+o.ptrSize() <= s.addr+s.size; a += o.ptrSize() {
				if v, ok := o.word(a); ok && o.execSection(v) != nil {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// buildChunks cuts the data into chunks and fills sum.Chunks, sum.RootChunks, sum.DataExports,
// each function's Data and Access, and sum.Taken and sum.ImpTaken with the pointers that are not
// in data (text relocations).
//
// Addresses whose address is taken (lea, immediates, pointers in data, GOT slots, symbols) start
// objects; an object runs to the next such address. Direct accesses (mov disp(%rip), size n) touch
// [addr, addr+n) only, and only cut chunks. A word pointing to itself (__dso_handle) is an object
// of one word.
func (o *elfObject) buildChunks(sum *objSummary, secs []dataSection, ptrs []dataPtr) {
	inData := func(a uint64) int {
		i := dataSectionAt(secs, a)
		if i >= 0 && secs[i].got {
			return -1
		}
		return i
	}
	ps := o.ptrSize()
	objStart := map[uint64]bool{}
	cuts := map[uint64]bool{}
	object := func(a uint64) {
		if inData(a) >= 0 {
			objStart[a], cuts[a] = true, true
		}
	}
	for _, s := range secs {
		if !s.got {
			object(s.addr)
			cuts[s.addr+s.size] = true
		}
	}
	for i := range sum.Funcs {
		for _, r := range sum.Funcs[i].dataRefs {
			if inData(r.addr) < 0 {
				continue
			}
			if r.size == 0 {
				object(r.addr)
			} else {
				cuts[r.addr], cuts[r.addr+uint64(r.size)] = true, true
			}
		}
	}
	for _, p := range ptrs {
		if p.hasLocal {
			object(p.local)
			if p.local == p.where {
				object(p.where + ps)
			}
		}
	}
	for _, get := range []func() ([]elf.Symbol, error){o.symTable, o.dynSymbols} {
		syms, _ := get()
		for _, s := range syms {
			if s.Section == elf.SHN_UNDEF || s.Value == 0 {
				continue
			}
			if t := elf.ST_TYPE(s.Info); t == elf.STT_OBJECT || t == elf.STT_NOTYPE || t == elf.STT_COMMON {
				object(s.Value)
			}
		}
	}
	for _, p := range o.personality {
		if p.indirect && inData(p.addr) >= 0 {
			cuts[p.addr], cuts[p.addr+ps] = true, true
		}
	}
	starts := make([]uint64, 0, len(cuts))
	for a := range cuts {
		if inData(a) >= 0 {
			starts = append(starts, a)
		}
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	sum.Chunks = make([]dataChunk, len(starts))
	for i, a := range starts {
		sum.Chunks[i].Start, sum.Chunks[i].Obj = a, objStart[a]
	}
	chunkOf := func(a uint64) int32 {
		if inData(a) < 0 {
			return -1
		}
		return int32(sort.Search(len(starts), func(i int) bool { return starts[i] > a }) - 1)
	}
	// access lists the chunks [a, a+n) meets.
	access := func(a uint64, n int) []int32 {
		var out []int32
		for c := chunkOf(a); c >= 0 && int(c) < len(starts) && starts[c] < a+uint64(n); c++ {
			out = append(out, c)
			if int(c)+1 < len(starts) && inData(starts[c+1]) != inData(a) {
				break
			}
		}
		return out
	}
	for _, p := range ptrs {
		c := chunkOf(p.where)
		if c < 0 {
			if i := dataSectionAt(secs, p.where); i >= 0 && secs[i].got {
				continue // a GOT slot: code that loads it takes what it holds
			}
			// A text relocation or a pointer outside the data sections: always taken.
			if p.hasLocal && o.execSection(p.local) != nil {
				sum.Taken = append(sum.Taken, p.local)
			} else if p.hasLocal {
				if d := chunkOf(p.local); d >= 0 {
					sum.RootChunks = append(sum.RootChunks, d)
				}
			}
			if p.imp != "" {
				sum.ImpTaken = append(sum.ImpTaken, p.imp)
			}
			continue
		}
		ch := &sum.Chunks[c]
		if p.hasLocal {
			if o.execSection(p.local) != nil {
				ch.Code = append(ch.Code, p.local)
			} else if d := chunkOf(p.local); d >= 0 && d != c {
				ch.Data = append(ch.Data, d)
			}
		}
		if p.imp != "" {
			ch.Imp = append(ch.Imp, p.imp)
		}
	}
	for i := range sum.Funcs {
		fs := &sum.Funcs[i]
		if len(fs.dataRefs) == 0 {
			continue
		}
		seenO, seenA := newSeen(len(fs.dataRefs)), newSeen(len(fs.dataRefs))
		for _, r := range fs.dataRefs {
			if r.size == 0 {
				if c := chunkOf(r.addr); c >= 0 && seenO.add(c, fs.Data) {
					fs.Data = append(fs.Data, c)
				}
				continue
			}
			for _, c := range access(r.addr, r.size) {
				if seenA.add(c, fs.Access) {
					fs.Access = append(fs.Access, c)
				}
			}
		}
		fs.dataRefs = nil
	}
	for c, a := range starts {
		if i := inData(a); i >= 0 && secs[i].tls {
			sum.RootChunks = append(sum.RootChunks, int32(c))
		}
	}
	for _, p := range o.personality {
		if !p.indirect {
			if o.execSection(p.addr) != nil {
				sum.Roots = append(sum.Roots, p.addr)
			}
		} else if c := chunkOf(p.addr); c >= 0 {
			sum.RootChunks = append(sum.RootChunks, c)
		} else if sl, ok := o.slots[p.addr]; ok {
			// A GOT slot: the unwinder reads it.
			if sl.imp != "" {
				sum.ImpTaken = append(sum.ImpTaken, sl.imp)
			} else if !sl.indir && o.execSection(sl.local) != nil {
				sum.Roots = append(sum.Roots, sl.local)
			}
		}
	}
	sum.DataExports = map[string][]int32{}
	if syms, err := o.dynSymbols(); err == nil {
		for _, s := range syms {
			if s.Section == elf.SHN_UNDEF || s.Value == 0 || elf.ST_BIND(s.Info) == elf.STB_LOCAL {
				continue
			}
			if t := elf.ST_TYPE(s.Info); t != elf.STT_OBJECT && t != elf.STT_NOTYPE && t != elf.STT_COMMON {
				continue
			}
			if c := chunkOf(s.Value); c >= 0 {
				sum.DataExports[s.Name] = append(sum.DataExports[s.Name], c)
			}
		}
	}
}

// seen is a set of chunks being appended to a list: the list itself when it stays short (most
// functions refer to a few chunks), a map when it may not.
type seen map[int32]bool

func newSeen(n int) seen {
	if n > 32 {
		return seen{}
	}
	return nil
}

// add tells whether c is new (not in list, or in the map), noting it.
func (s seen) add(c int32, list []int32) bool {
	if s == nil {
		return !slices.Contains(list, c)
	}
	if s[c] {
		return false
	}
	s[c] = true
	return true
}
