package reach

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrUnsupported is returned (wrapped) for a file that is not an x86_64 or i386 ELF object.
var ErrUnsupported = errors.New("cannot be analysed")

// Relocation types the analysis interprets. x86_64 and i386 share the numbers of the first four.
const (
	relAbs      = 1 // R_X86_64_64, R_386_32
	relCopy     = 5 // R_X86_64_COPY, R_386_COPY
	relGlobDat  = 6 // R_X86_64_GLOB_DAT, R_386_GLOB_DAT
	relJumpSlot = 7 // R_X86_64_JUMP_SLOT, R_386_JMP_SLOT
	relRelative = 8 // R_X86_64_RELATIVE, R_386_RELATIVE
	relIrel64   = 37
	relIrel386  = 42
	shtRelr     = 19 // SHT_RELR
)

// section is an allocated section's address range and, for executable ones, its bytes.
type section struct {
	name       string
	addr, size uint64
	exec       bool
	data       []byte // only for executable sections and sections read for data scans
}

// gotSlot tells what a GOT (or any relocated pointer) slot holds at run time.
type gotSlot struct {
	imp   string // symbol name resolved by the loader, or ""
	local uint64 // a local address (RELATIVE), when imp == "" and !indir
	indir bool   // IRELATIVE: chosen at run time by a resolver
}

// elfObject is one ELF file opened for analysis. It is not cached; its summary is.
type elfObject struct {
	path string
	f    *elf.File
	// symbols and dynsyms hold the symbol tables, read once: debug/elf parses a table afresh at
	// each call, and the summary asks for .dynsym five times (node: 7% of a first analysis).
	symOnce, dynOnce sync.Once
	symbols, dynsyms []elf.Symbol
	symErr, dynErr   error
	raw              []byte
	mode             int // 64 or 32
	secs             []section
	slots            map[uint64]gotSlot
	isGo             bool
	hash             string
	starts           []uint64 // function starts, sorted
	names            map[uint64]string
	blob             bool // no symbols nor FDEs: each executable section is one function
	// textData holds the starts of data objects (STT_OBJECT symbols) in executable sections.
	textData map[uint64]bool
	// personality lists the personality routines .eh_frame names (the unwinder calls them).
	personality []personality
	// fdeEnd maps the start of each FDE's range to its end.
	fdeEnd map[uint64]uint64
}

// personality is a personality routine's address, or (indirect) the address of a data word
// holding it.
type personality struct {
	addr     uint64
	indirect bool
}

// symTable is o.f.Symbols(), read once. The slice is shared: callers must not change it.
func (o *elfObject) symTable() ([]elf.Symbol, error) {
	o.symOnce.Do(func() { o.symbols, o.symErr = o.f.Symbols() })
	return o.symbols, o.symErr
}

// dynSymbols is o.f.DynamicSymbols(), read once. The slice is shared: callers must not change it.
func (o *elfObject) dynSymbols() ([]elf.Symbol, error) {
	o.dynOnce.Do(func() { o.dynsyms, o.dynErr = o.f.DynamicSymbols() })
	return o.dynsyms, o.dynErr
}

// openObject reads and checks an ELF file.
func openObject(path string, j *journal) (*elfObject, error) {
	raw, hash, err := j.readFile(path)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(raw, []byte(elf.ELFMAG)) {
		what := "not an ELF file"
		if len(raw) == 0 {
			what = "an empty file, not an ELF file"
		}
		if bytes.HasPrefix(raw, []byte("#!")) {
			what = "a script, not an ELF file (inspect its interpreter)"
		}
		return nil, fmt.Errorf("%w: %s", ErrUnsupported, what) // the caller names the path
	}
	f, err := elf.NewFile(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: a damaged ELF file: %v", ErrUnsupported, err)
	}
	o := &elfObject{path: path, f: f, raw: raw, hash: hash, slots: map[uint64]gotSlot{}, names: map[uint64]string{}}
	switch {
	case f.Machine == elf.EM_X86_64 && f.Class == elf.ELFCLASS64:
		o.mode = 64
	case f.Machine == elf.EM_386 && f.Class == elf.ELFCLASS32:
		o.mode = 32
	default:
		return nil, fmt.Errorf("%w: machine %v, class %v (only x86_64 and i386)", ErrUnsupported, f.Machine, f.Class)
	}
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NOBITS {
			continue
		}
		sec := section{name: s.Name, addr: s.Addr, size: s.Size, exec: s.Flags&elf.SHF_EXECINSTR != 0}
		if sec.exec {
			// A slice of the file already read, not a copy (node's .text is 28 MB).
			if end := s.Offset + s.FileSize; s.Flags&elf.SHF_COMPRESSED == 0 && end >= s.Offset && end <= uint64(len(raw)) {
				sec.data = raw[s.Offset:end:end]
			} else if d, err := s.Data(); err == nil && uint64(len(d)) == s.Size {
				sec.data = d
			} else {
				return nil, fmt.Errorf("%w: a damaged ELF file: executable section %s (%d bytes at offset %d) is not in the file's %d bytes",
					ErrUnsupported, s.Name, s.Size, s.Offset, len(raw))
			}
		}
		o.secs = append(o.secs, sec)
	}
	if len(f.Sections) == 0 || !o.hasExec() {
		// Section headers stripped: fall back to executable segments.
		o.secs = o.secs[:0]
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 {
				d := make([]byte, p.Filesz)
				if _, err := p.ReadAt(d, 0); err != nil {
					return nil, err
				}
				o.secs = append(o.secs, section{name: "PT_LOAD", addr: p.Vaddr, size: p.Filesz, exec: true, data: d})
			}
		}
	}
	if _, err := buildinfo.Read(bytes.NewReader(raw)); err == nil {
		o.isGo = true
	}
	return o, nil
}

// hasExec tells whether some section is executable.
func (o *elfObject) hasExec() bool {
	for _, s := range o.secs {
		if s.exec {
			return true
		}
	}
	return false
}

// execSection returns the executable section holding addr.
func (o *elfObject) execSection(addr uint64) *section {
	for i := range o.secs {
		s := &o.secs[i]
		if s.exec && addr >= s.addr && addr < s.addr+uint64(len(s.data)) {
			return s
		}
	}
	return nil
}

// isPLT tells whether addr lies in a PLT section.
func (o *elfObject) isPLT(addr uint64) bool {
	s := o.execSection(addr)
	return s != nil && (strings.HasPrefix(s.name, ".plt") || s.name == ".iplt")
}

// readAt reads n bytes at virtual address addr from the file image (nil if not file-backed).
func (o *elfObject) readAt(addr uint64, n int) []byte {
	for _, p := range o.f.Progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr+uint64(n) <= p.Vaddr+p.Filesz {
			off := p.Off + addr - p.Vaddr
			if off+uint64(n) <= uint64(len(o.raw)) {
				return o.raw[off : off+uint64(n)]
			}
		}
	}
	return nil
}

// word reads a pointer-sized little-endian word at addr.
func (o *elfObject) word(addr uint64) (uint64, bool) {
	if o.mode == 32 {
		b := o.readAt(addr, 4)
		if b == nil {
			return 0, false
		}
		return uint64(binary.LittleEndian.Uint32(b)), true
	}
	b := o.readAt(addr, 8)
	if b == nil {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}

// ptrSize is the size of a pointer in bytes.
func (o *elfObject) ptrSize() uint64 { return uint64(o.mode / 8) }

// dataPtr is a pointer the loader stores in the object: at where, the local address local
// (when hasLocal) or the address of the symbol imp (when imp != "").
type dataPtr struct {
	where, local uint64
	hasLocal     bool
	imp          string
}

// relocInfo is what the dynamic relocations tell.
type relocInfo struct {
	ptrs      []dataPtr // RELATIVE, RELR and absolute relocations
	resolvers []uint64  // IRELATIVE resolvers
	impTaken  []string  // imported symbols whose address is taken regardless of reachability
	copies    []string  // symbols copied into the object (COPY relocations)
}

// relocs reads the dynamic relocations (RELA, REL, RELR sections) and fills o.slots.
func (o *elfObject) relocs() relocInfo {
	var ri relocInfo
	dynsyms, _ := o.dynSymbols()
	symsOf := func(link uint32) []elf.Symbol {
		if int(link) < len(o.f.Sections) && o.f.Sections[link].Type == elf.SHT_SYMTAB {
			s, _ := o.symTable()
			return s
		}
		return dynsyms
	}
	for _, s := range o.f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 && s.Type != elf.SHT_RELA {
			continue
		}
		switch s.Type {
		case elf.SHT_RELA, elf.SHT_REL:
			if s.Flags&elf.SHF_ALLOC == 0 {
				continue // static relocations of an object file
			}
			d, err := s.Data()
			if err != nil {
				continue
			}
			syms := symsOf(s.Link)
			ent := 24
			if o.mode == 32 {
				ent = 8
				if s.Type == elf.SHT_RELA {
					ent = 12
				}
			} else if s.Type == elf.SHT_REL {
				ent = 16
			}
			for i := 0; i+ent <= len(d); i += ent {
				var off, addend uint64
				var typ, sym uint32
				if o.mode == 64 {
					off = binary.LittleEndian.Uint64(d[i:])
					info := binary.LittleEndian.Uint64(d[i+8:])
					typ, sym = uint32(info), uint32(info>>32)
					if s.Type == elf.SHT_RELA {
						addend = binary.LittleEndian.Uint64(d[i+16:])
					} else {
						addend, _ = o.word(off)
					}
				} else {
					off = uint64(binary.LittleEndian.Uint32(d[i:]))
					info := binary.LittleEndian.Uint32(d[i+4:])
					typ, sym = info&0xff, info>>8
					if s.Type == elf.SHT_RELA {
						addend = uint64(binary.LittleEndian.Uint32(d[i+8:]))
					} else {
						addend, _ = o.word(off)
					}
				}
				var name string
				var symVal uint64
				var defined bool
				if sym > 0 && int(sym) <= len(syms) {
					sy := syms[sym-1]
					name, symVal, defined = sy.Name, sy.Value, sy.Section != elf.SHN_UNDEF
				}
				irel := (o.mode == 64 && typ == relIrel64) || (o.mode == 32 && typ == relIrel386)
				switch {
				case irel:
					o.slots[off] = gotSlot{indir: true}
					ri.resolvers = append(ri.resolvers, addend)
				case typ == relRelative:
					o.slots[off] = gotSlot{local: addend}
					ri.ptrs = append(ri.ptrs, dataPtr{where: off, local: addend, hasLocal: true})
				case typ == relGlobDat || typ == relJumpSlot:
					if name != "" {
						o.slots[off] = gotSlot{imp: name}
						if o.mode == 32 && typ == relGlobDat {
							// i386 code may reach the GOT through any register: not always traced.
							ri.impTaken = append(ri.impTaken, name)
						}
					}
				case typ == relCopy:
					if name != "" {
						ri.copies = append(ri.copies, name)
					}
				case typ == relAbs:
					if name != "" {
						o.slots[off] = gotSlot{imp: name}
						p := dataPtr{where: off, imp: name}
						if defined {
							p.local, p.hasLocal = symVal+addend, true
						}
						ri.ptrs = append(ri.ptrs, p)
					} else if sym == 0 {
						ri.ptrs = append(ri.ptrs, dataPtr{where: off, local: addend, hasLocal: true})
					}
				}
			}
		case shtRelr:
			d, err := s.Data()
			if err != nil {
				continue
			}
			ps := o.ptrSize()
			var where uint64
			for i := 0; i+int(ps) <= len(d); i += int(ps) {
				var e uint64
				if ps == 8 {
					e = binary.LittleEndian.Uint64(d[i:])
				} else {
					e = uint64(binary.LittleEndian.Uint32(d[i:]))
				}
				if e&1 == 0 {
					where = e
					if v, ok := o.word(where); ok {
						o.slots[where] = gotSlot{local: v}
						ri.ptrs = append(ri.ptrs, dataPtr{where: where, local: v, hasLocal: true})
					}
					where += ps
					continue
				}
				for b := uint64(0); b < ps*8-1; b++ {
					if e>>(b+1)&1 != 0 {
						a := where + b*ps
						if v, ok := o.word(a); ok {
							o.slots[a] = gotSlot{local: v}
							ri.ptrs = append(ri.ptrs, dataPtr{where: a, local: v, hasLocal: true})
						}
					}
				}
				where += (ps*8 - 1) * ps
			}
		}
	}
	return ri
}

// functionStarts collects function starts from .symtab, .dynsym, .eh_frame FDEs and the Go
// pc-line table, plus the extra addresses given (entry points, relocation targets). Executable
// sections' starts are always starts, so every byte of code belongs to some function.
func (o *elfObject) functionStarts(extra []uint64) {
	set := map[uint64]bool{}
	add := func(a uint64, name string) {
		if o.execSection(a) == nil {
			return
		}
		set[a] = true
		if name != "" {
			if old, ok := o.names[a]; !ok || (strings.HasPrefix(old, "_") && !strings.HasPrefix(name, "_")) {
				o.names[a] = name
			}
		}
	}
	named := 0
	for _, get := range []func() ([]elf.Symbol, error){o.symTable, o.dynSymbols} {
		syms, _ := get()
		for _, s := range syms {
			t := elf.ST_TYPE(s.Info)
			if t == elf.STT_FUNC || t == elf.STT_GNU_IFUNC || (t == elf.STT_NOTYPE && elf.ST_BIND(s.Info) != elf.STB_LOCAL && s.Name != "") {
				if s.Section != elf.SHN_UNDEF && s.Value != 0 {
					add(s.Value, s.Name)
					named++
				}
			}
			if t == elf.STT_OBJECT && s.Size > 0 && s.Section != elf.SHN_UNDEF && o.execSection(s.Value) != nil {
				// A table in code (assembly constants): not code, and it ends the function before it.
				if o.textData == nil {
					o.textData = map[uint64]bool{}
				}
				o.textData[s.Value] = true
				add(s.Value, s.Name)
				add(s.Value+s.Size, "")
			}
		}
	}
	fdes := o.fdeStarts()
	for _, a := range fdes {
		add(a, "")
	}
	gofuncs := 0
	if o.isGo {
		if s := o.f.Section(".gopclntab"); s != nil {
			if d, err := s.Data(); err == nil {
				var textStart uint64
				if t := o.f.Section(".text"); t != nil {
					textStart = t.Addr
				}
				if tab, err := gosym.NewTable(nil, gosym.NewLineTable(d, textStart)); err == nil {
					for _, fn := range tab.Funcs {
						add(fn.Entry, fn.Name)
						gofuncs++
					}
				}
			}
		}
	}
	if named == 0 && len(fdes) == 0 && gofuncs == 0 {
		o.blob = true
	} else {
		for _, a := range extra {
			add(a, "")
		}
	}
	for _, s := range o.secs {
		if s.exec {
			set[s.addr] = true
		}
	}
	o.starts = make([]uint64, 0, len(set))
	for a := range set {
		o.starts = append(o.starts, a)
	}
	sort.Slice(o.starts, func(i, j int) bool { return o.starts[i] < o.starts[j] })
}

// fdeStarts parses .eh_frame and returns every FDE's initial location (and notes the ranges'
// ends in fdeEnd).
func (o *elfObject) fdeStarts() []uint64 {
	s := o.f.Section(".eh_frame")
	if s == nil || s.Type == elf.SHT_NOBITS {
		return nil
	}
	d, err := s.Data()
	if err != nil {
		return nil
	}
	var out []uint64
	cieEnc := map[int]byte{}
	for off := 0; off+4 <= len(d); {
		length := uint64(binary.LittleEndian.Uint32(d[off:]))
		hdr := 4
		if length == 0 {
			break
		}
		if length == 0xffffffff {
			if off+12 > len(d) {
				break
			}
			length = binary.LittleEndian.Uint64(d[off+4:])
			hdr = 12
		}
		start := off + hdr
		end := start + int(length)
		if end > len(d) || start+4 > end {
			break
		}
		id := binary.LittleEndian.Uint32(d[start:])
		if id == 0 {
			cieEnc[off] = parseCIEEncoding(d[start+4:end], o.mode, func(enc byte, at int) {
				p := start + 4 + at
				if v, ok := readEncoded(d, p, enc&0x7f, s.Addr+uint64(p), o.mode); ok {
					o.personality = append(o.personality, personality{addr: v, indirect: enc&0x80 != 0})
				}
			})
		} else {
			cie := start - int(id)
			enc, ok := cieEnc[cie]
			if !ok {
				enc = 0x1b
			}
			p := start + 4
			if v, ok := readEncoded(d, p, enc, s.Addr+uint64(p), o.mode); ok {
				out = append(out, v)
				// The range: same format, never relative.
				if n, ok := readEncoded(d, p+encSize(enc, o.mode/8), enc&0x0f, 0, o.mode); ok && n > 0 && v+n > v {
					if o.fdeEnd == nil {
						o.fdeEnd = map[uint64]uint64{}
					}
					o.fdeEnd[v] = max(o.fdeEnd[v], v+n)
				}
			}
		}
		off = end
	}
	return out
}

// parseCIEEncoding returns the FDE pointer encoding of a CIE body (after the CIE id). It calls
// pers with the encoding and offset in b of the personality routine's pointer, if any.
func parseCIEEncoding(b []byte, mode int, pers func(enc byte, at int)) byte {
	if len(b) < 2 {
		return 0
	}
	version := b[0]
	i := 1
	aug := i
	for i < len(b) && b[i] != 0 {
		i++
	}
	augStr := string(b[aug:i])
	i++
	if strings.Contains(augStr, "eh") {
		return 0
	}
	_, n := uleb(b[i:])
	i += n
	_, n = uleb(b[i:]) // data alignment (sleb, same length)
	i += n
	if version == 1 {
		i++
	} else {
		_, n = uleb(b[i:])
		i += n
	}
	if !strings.HasPrefix(augStr, "z") {
		return 0
	}
	_, n = uleb(b[i:])
	i += n
	for _, c := range augStr[1:] {
		if i >= len(b) {
			return 0
		}
		switch c {
		case 'R':
			return b[i]
		case 'L':
			i++
		case 'P':
			enc := b[i]
			i++
			pers(enc, i)
			i += encSize(enc, mode/8)
		case 'S', 'B':
		default:
			return 0
		}
	}
	return 0
}

// uleb decodes an unsigned LEB128 number.
func uleb(b []byte) (uint64, int) {
	var v uint64
	for i, c := range b {
		v |= uint64(c&0x7f) << (7 * uint(i))
		if c&0x80 == 0 {
			return v, i + 1
		}
	}
	return v, len(b)
}

// encSize is the size of a DW_EH_PE-encoded value.
func encSize(enc byte, ptr int) int {
	switch enc & 0x0f {
	case 0x00:
		return ptr
	case 0x02, 0x0a:
		return 2
	case 0x03, 0x0b:
		return 4
	case 0x04, 0x0c:
		return 8
	}
	return ptr
}

// readEncoded decodes a DW_EH_PE-encoded pointer at d[p], whose address is pc.
func readEncoded(d []byte, p int, enc byte, pc uint64, mode int) (uint64, bool) {
	size := encSize(enc, mode/8)
	if p+size > len(d) {
		return 0, false
	}
	var v uint64
	switch enc & 0x0f {
	case 0x00:
		if mode == 64 {
			v = binary.LittleEndian.Uint64(d[p:])
		} else {
			v = uint64(binary.LittleEndian.Uint32(d[p:]))
		}
	case 0x02:
		v = uint64(binary.LittleEndian.Uint16(d[p:]))
	case 0x0a:
		v = uint64(int64(int16(binary.LittleEndian.Uint16(d[p:]))))
	case 0x03:
		v = uint64(binary.LittleEndian.Uint32(d[p:]))
	case 0x0b:
		v = uint64(int64(int32(binary.LittleEndian.Uint32(d[p:]))))
	case 0x04, 0x0c:
		v = binary.LittleEndian.Uint64(d[p:])
	default:
		return 0, false
	}
	switch enc & 0x70 {
	case 0x00:
	case 0x10:
		v += pc
	default:
		return 0, false
	}
	if mode == 32 {
		v &= 0xffffffff
	}
	return v, true
}

// funcEnd returns the end of function i: the next start or the end of its section.
func (o *elfObject) funcEnd(i int) uint64 {
	s := o.execSection(o.starts[i])
	if s == nil {
		return o.starts[i] // an empty executable section's address
	}
	end := s.addr + uint64(len(s.data))
	if i+1 < len(o.starts) && o.starts[i+1] < end {
		end = o.starts[i+1]
	}
	return end
}

// funcBytes returns the code of function i (none for a table in code).
func (o *elfObject) funcBytes(i int) []byte {
	s := o.execSection(o.starts[i])
	if o.textData[o.starts[i]] || s == nil {
		return nil
	}
	return s.data[o.starts[i]-s.addr : o.funcEnd(i)-s.addr]
}

// dynInfo is what the dynamic section and program headers say about loading.
type dynInfo struct {
	needed, rpath, runpath []string
	soname, interp         string
	initFini               []uint64
}

// dynamic reads DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME, DT_INIT/DT_FINI and PT_INTERP.
func (o *elfObject) dynamic() dynInfo {
	var di dynInfo
	di.needed, _ = o.f.DynString(elf.DT_NEEDED)
	split := func(tag elf.DynTag) []string {
		v, _ := o.f.DynString(tag)
		var out []string
		for _, s := range v {
			out = append(out, strings.Split(s, ":")...)
		}
		return out
	}
	di.rpath, di.runpath = split(elf.DT_RPATH), split(elf.DT_RUNPATH)
	if s, _ := o.f.DynString(elf.DT_SONAME); len(s) > 0 {
		di.soname = s[0]
	}
	for _, p := range o.f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil {
				di.interp = strings.TrimRight(string(b), "\x00")
			}
		}
	}
	for _, tag := range []elf.DynTag{elf.DT_INIT, elf.DT_FINI} {
		if v, err := o.f.DynValue(tag); err == nil {
			di.initFini = append(di.initFini, v...)
		}
	}
	return di
}

// exports returns the defined, global or weak, function-like dynamic symbols.
func (o *elfObject) exports() map[string][]uint64 {
	out := map[string][]uint64{}
	syms, _ := o.dynSymbols()
	for _, s := range syms {
		t := elf.ST_TYPE(s.Info)
		b := elf.ST_BIND(s.Info)
		if s.Section == elf.SHN_UNDEF || b == elf.STB_LOCAL || s.Value == 0 {
			continue
		}
		if t == elf.STT_FUNC || t == elf.STT_GNU_IFUNC || (t == elf.STT_NOTYPE && o.execSection(s.Value) != nil) {
			out[s.Name] = append(out[s.Name], s.Value)
		}
	}
	return out
}
