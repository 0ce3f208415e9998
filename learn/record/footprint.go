package record

import (
	"encoding/binary"
	"net/netip"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/learn"
)

// what a peeked call reveals
type peekKind uint8

const (
	peekNone peekKind = iota
	peekPath
	peekSockaddr
)

type peekSpec struct {
	kind     peekKind
	arg      int // the pointer
	lenArg   int // sockaddr length, or -1
	flagsArg int // open flags, or -1
	create   bool
	dirArg   int // a relative path's directory descriptor, or -1: the working directory
}

// peekCalls: the calls whose pointer arguments the footprint reads, by name.
var peekCalls = map[string]peekSpec{
	"open":    {kind: peekPath, arg: 0, lenArg: -1, flagsArg: 1, dirArg: -1},
	"creat":   {kind: peekPath, arg: 0, lenArg: -1, flagsArg: -1, create: true, dirArg: -1},
	"openat":  {kind: peekPath, arg: 1, lenArg: -1, flagsArg: 2, dirArg: 0},
	"openat2": {kind: peekPath, arg: 1, lenArg: -1, flagsArg: -1, dirArg: 0},
	"connect": {kind: peekSockaddr, arg: 1, lenArg: 2, flagsArg: -1},
	"bind":    {kind: peekSockaddr, arg: 1, lenArg: 2, flagsArg: -1},
	"sendto":  {kind: peekSockaddr, arg: 4, lenArg: 5, flagsArg: -1},
}

const maxPath = 4096

// FootprintCalls lists the calls whose arguments the footprint reads (files, endpoints): a
// refine run must see them even where its base allows them, or its files and endpoints would
// miss what they opened.
func FootprintCalls() []string {
	names := make([]string, 0, len(peekCalls))
	for n := range peekCalls {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func peekFor(audit uint32, nr int) (*arch.Arch, string, peekSpec) {
	a, n := arch.Classify(audit, nr)
	if a == nil {
		return nil, "", peekSpec{}
	}
	name, _ := a.SyscallName(n)
	return a, name, peekCalls[name]
}

// Peek says which memory of a call the tracer should read for the footprint: a path, or a
// socket address. It is pure: the decision rests on the arch tables.
func Peek(audit uint32, nr int, args [6]uint64) (addr uint64, max int, str bool) {
	_, _, spec := peekFor(audit, nr)
	switch spec.kind {
	case peekPath:
		return args[spec.arg], maxPath, true
	case peekSockaddr:
		n := int(args[spec.lenArg])
		if n <= 0 || n > 128 {
			n = 128
		}
		return args[spec.arg], n, false
	}
	return 0, 0, false
}

// pendingFile is a file call whose result the recorder waits for.
type pendingFile struct{ path, use string }

// WantResults makes the recorder wait for the result of the file calls it reads the path of
// (Memory, then Result), so that it can tell the opens that failed from those that succeeded.
func (r *Recorder) WantResults() { r.pendingFiles = map[int]pendingFile{} }

// ResultMatters says whether the result of the file call thread tid has just entered (Memory
// read its path) can change the footprint. When it cannot, the call is accounted for now and
// the tracer need not stop at its exit: the path is known already with both outcomes of its
// use, or it is new and the file cap is reached (it is dropped either way). A file walk past
// the cap then costs no more than one without the footprint.
func (r *Recorder) ResultMatters(tid int) bool {
	pf, ok := r.pendingFiles[tid]
	if !ok {
		return false
	}
	uses, known := r.fp.files[learn.ValidUTF8(pf.path)] // as file stores it
	switch {
	case !known && len(r.fp.files) >= learn.MaxFiles:
		r.fp.dropped.Files++
	case known && uses.has(pf.use) && uses.has(failedUse(pf.use)):
	default:
		return true
	}
	delete(r.pendingFiles, tid)
	return false
}

// failedUse is the use a failed call of use is noted as.
func failedUse(use string) string {
	switch use {
	case learn.UseOpen:
		return learn.UseOpenFailed
	case learn.UseCreate:
		return learn.UseCreateFailed
	}
	return use
}

// Result notes what the call thread tid last entered returned (ret < 0: it failed).
func (r *Recorder) Result(tid int, audit uint32, nr int, ret int64) {
	pf, ok := r.pendingFiles[tid]
	if !ok {
		return
	}
	delete(r.pendingFiles, tid)
	if ret < 0 && ret > -4096 {
		pf.use = failedUse(pf.use)
	}
	r.fp.file(pf.path, pf.use)
}

// PathDir says, for a call whose path Peek read, which argument holds the directory descriptor
// a relative path is relative to: 0 to 5, -1 for the working directory, -2 for none.
func PathDir(audit uint32, nr int) int {
	_, _, spec := peekFor(audit, nr)
	if spec.kind != peekPath {
		return -2
	}
	return spec.dirArg
}

// fileUses is the set of a file's uses (learn.UseOpen, ...) as bits: a file walk keeps
// learn.MaxFiles of them, and a map per file cost 2.5 times the memory of the whole footprint.
type fileUses uint8

// useNames are the uses, in the order of their bits (sorted, as the profile lists them).
var useNames = [...]string{learn.UseCreate, learn.UseCreateFailed, learn.UseExec, learn.UseOpen, learn.UseOpenFailed}

func useBit(use string) fileUses {
	for i, n := range useNames {
		if n == use {
			return 1 << i
		}
	}
	panic("record: unknown file use " + use)
}

func (u fileUses) has(use string) bool { return u&useBit(use) != 0 }

// names lists the uses, sorted.
func (u fileUses) names() []string {
	var out []string
	for i, n := range useNames {
		if u&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// footprint is what a Recorder keeps beyond calls.
type footprint struct {
	files     map[string]fileUses
	programs  map[string]learn.Program
	endpoints map[learn.Endpoint]bool
	dropped   learn.Dropped
	tree      []*learn.Node
	nodes     map[int]*learn.Node
}

func newFootprint() *footprint {
	return &footprint{files: map[string]fileUses{}, programs: map[string]learn.Program{},
		endpoints: map[learn.Endpoint]bool{}, nodes: map[int]*learn.Node{}}
}

func (f *footprint) file(path, use string) {
	if path == "" {
		return
	}
	path = learn.ValidUTF8(path)
	uses, known := f.files[path]
	if !known && len(f.files) >= learn.MaxFiles {
		f.dropped.Files++
		return
	}
	f.files[path] = uses | useBit(use)
}

// Memory records what a peeked call revealed: mem is what Peek asked for.
func (r *Recorder) Memory(tid int, audit uint32, nr int, args [6]uint64, mem []byte, dir string) {
	if r.NoFootprint {
		return
	}
	a, call, spec := peekFor(audit, nr)
	if a == nil || len(mem) == 0 {
		return
	}
	switch spec.kind {
	case peekPath:
		file := string(mem)
		if dir != "" && !strings.HasPrefix(file, "/") {
			file = path.Join(dir, file)
		} else if strings.HasPrefix(file, "/") {
			file = path.Clean(file) // one name per file: //etc/group, /etc/./x
		}
		use := learn.UseOpen
		// O_CREAT on a device (a shell's > /dev/null) creates nothing.
		if (spec.create || (spec.flagsArg >= 0 && args[spec.flagsArg]&a.OCreat != 0)) && !strings.HasPrefix(file, "/dev/") {
			use = learn.UseCreate
		}
		if r.pendingFiles != nil {
			// Its result comes (Result): the use is noted then, as done or failed.
			r.pendingFiles[tid] = pendingFile{file, use}
			return
		}
		r.fp.file(file, use)
	case peekSockaddr:
		ep, ok := decodeSockaddr(a, mem)
		if !ok {
			return
		}
		ep.Call = call
		if !r.fp.endpoints[ep] {
			if len(r.fp.endpoints) >= learn.MaxEndpoints {
				r.fp.dropped.Endpoints++
				return
			}
			r.fp.endpoints[ep] = true
		}
	}
}

// decodeSockaddr reads struct sockaddr_in, sockaddr_in6 and sockaddr_un.
func decodeSockaddr(a *arch.Arch, b []byte) (learn.Endpoint, bool) {
	if len(b) < 2 {
		return learn.Endpoint{}, false
	}
	var order binary.ByteOrder = binary.LittleEndian
	if a.BigEndian {
		order = binary.BigEndian
	}
	switch order.Uint16(b) {
	case 1: // AF_UNIX
		path := b[2:]
		if len(path) > 0 && path[0] == 0 {
			name := strings.TrimRight(string(path[1:]), "\x00")
			return learn.Endpoint{Family: "unix", Address: "@" + learn.ValidUTF8(name)}, true
		}
		if i := strings.IndexByte(string(path), 0); i >= 0 {
			path = path[:i]
		}
		return learn.Endpoint{Family: "unix", Address: learn.ValidUTF8(string(path))}, len(path) > 0
	case 2: // AF_INET
		if len(b) < 8 {
			return learn.Endpoint{}, false
		}
		addr := netip.AddrFrom4([4]byte(b[4:8]))
		return learn.Endpoint{Family: "inet", Address: addr.String(), Port: int(binary.BigEndian.Uint16(b[2:]))}, true
	case 10: // AF_INET6
		if len(b) < 24 {
			return learn.Endpoint{}, false
		}
		addr := netip.AddrFrom16([16]byte(b[8:24]))
		return learn.Endpoint{Family: "inet6", Address: addr.String(), Port: int(binary.BigEndian.Uint16(b[2:]))}, true
	}
	return learn.Endpoint{}, false
}

// finish writes the footprint into a profile and its recording.
func (f *footprint) finish(p *learn.Profile, rec *learn.Recording) {
	if len(f.files) > 0 {
		p.Files = map[string][]string{}
		// One slice per set of uses, shared (and clipped, so that an append copies it): ten
		// thousand files have a handful of different sets.
		var shared [1 << len(useNames)][]string
		for path, uses := range f.files {
			if shared[uses] == nil {
				shared[uses] = slices.Clip(uses.names())
			}
			p.Files[path] = shared[uses]
		}
	}
	for _, prog := range f.programs {
		p.Programs = append(p.Programs, prog)
	}
	learn.SortPrograms(p.Programs)
	for ep := range f.endpoints {
		p.Endpoints = append(p.Endpoints, ep)
	}
	learn.SortEndpoints(p.Endpoints)
	if f.dropped != (learn.Dropped{}) {
		d := f.dropped
		p.Dropped = &d
	}
	for _, n := range f.tree {
		rec.Tree = append(rec.Tree, *n)
	}
}
