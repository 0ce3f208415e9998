package reach

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sctrace/sctrace/arch"
	"golang.org/x/arch/x86/x86asm"
)

// loaded is one object of the analysed process image.
type loaded struct {
	o      *elfObject
	sum    *objSummary
	path   string // as the program sees it
	kind   string
	how    string
	cached bool
	glibc  bool // this object is glibc's libc (or a static program with glibc's set*id code)
	// exported holds the addresses of its exported functions (filled on first use).
	exported map[uint64]bool
	// reached and preds, by function index (nil until a function of it is reached): whether
	// the function is reached, and how it was first reached (see path.go).
	reached []bool
	preds   []pred
}

// fref names a function: object index and function index.
type fref struct{ obj, fn int }

// aref names an address in an object.
type aref struct {
	obj  int
	addr uint64
}

// callerRef is a reached call or jump to an address.
type callerRef struct {
	obj, fn int
	at      uint64
	jump    bool
}

// analysis is the state of one Analyze call.
type analysis struct {
	stores sync.WaitGroup // summaries being written to the cache
	// pre holds the objects being read and summarised ahead of their turn (see prefetch), by
	// host path; preRun bounds how many run at once, preWait waits for all.
	pre      map[string]*prefetched
	preRun   chan struct{}
	preWait  sync.WaitGroup
	opt      Options
	j        *journal // the file-system facts read (journal.go)
	fresh    bool     // summarise every object, whatever the cache holds
	res      *resolver
	objs     []*loaded
	byPath   map[string]int
	work     []fref // reached functions not followed yet, first in first out
	taken    map[aref]bool
	opaque   map[aref]bool
	callers  map[aref][]callerRef
	symCache map[string][]aref
	code     map[fref]*fnCode
	memo     map[pkey]resolved
	assume   []string
	unbound  map[string]bool
	// pending and pendingTaken are imports no loaded object defines (yet): calls to them and
	// taken addresses, bound again when modules are loaded.
	pending      map[string][]callerRef
	pendingTaken map[string]pred
	modSets      map[string]bool // module sets loaded (see modules.go)
	modPre       map[string]bool // module sets prefetched (see prefetchModules)
	// dataReached holds the reached data chunks, with the function they were first reached from
	// (noFunc: none); dwork those whose pointers are not followed yet.
	dataReached map[dref]fref
	objReached  map[dref]bool // objects reached (by the chunk where they start)
	dwork       []dref
	takenNames  map[string]bool // imported symbols whose address is taken, bound
	// indirectNoted tells whether the assumption of indirectCallers was noted.
	indirectNoted bool
	dlsymNames    map[string]bool // constant names looked up with dlsym
	dlsymNoted    bool
}

// dref names a data chunk: object index and chunk index.
type dref struct {
	obj   int
	chunk int32
}

// pkey is a parameter of an object, for memoising.
type pkey struct {
	obj int
	p   param
}

// origin is where a traced constant was found.
type origin struct{ obj, fn int }

// resolved is the outcome of resolving a value: constants with origins, unknown reasons.
type resolved struct {
	consts  map[int64]origin
	unknown []string
}

// Analyze computes the system calls the ELF program or shared library at path can make.
func Analyze(path string, opt Options) (*Result, error) {
	if opt.Root == "" {
		opt.Root = "/"
	}
	given := path
	if abs, err := filepath.Abs(path); err == nil && opt.Root == "/" {
		// Every fact, and the cache's key, about the file the path names now: the same
		// relative path from another directory is another file.
		path = abs
	}
	if r := loadResult(path, opt); r != nil {
		resultHits.Add(1)
		r.Path = given
		return r, nil
	}
	a := newAnalysis(opt)
	r, err := a.analyse(path)
	if err == errCachedPanic {
		// A cached summary that passed its checksum but does not hold together (written by
		// hand, or by a faulty build): analyse every object afresh, replacing the cached ones.
		a = newAnalysis(opt)
		a.fresh = true
		r, err = a.analyse(path)
	}
	if err != nil {
		return nil, err
	}
	storeResult(path, opt, a.j, r)
	r.Path = given
	return r, nil
}

var errCachedPanic = errors.New("reach: the analysis of cached summaries failed")

// analyse runs the analysis. A panic is errCachedPanic when some summary came from the cache
// (it may be the cause), and goes on otherwise.
func (a *analysis) analyse(path string) (r *Result, err error) {
	defer a.stores.Wait()
	defer a.preWait.Wait()
	defer func() {
		if p := recover(); p != nil {
			for _, l := range a.objs {
				if l.cached {
					r, err = nil, errCachedPanic
					return
				}
			}
			panic(p)
		}
	}()
	if err := a.load(path); err != nil {
		return nil, err
	}
	a.reach()
	a.noteDataSites()
	return a.result(path), nil
}

// noteDataSites notes the system call instructions reached functions hold but summaries did not
// count (objSummary.DataSites).
func (a *analysis) noteDataSites() {
	for i, l := range a.objs {
		var in []string
		for _, at := range l.sum.DataSites {
			if fn := l.sum.funcAt(at); fn >= 0 && a.isReached(fref{i, fn}) {
				in = append(in, fmt.Sprintf("%#x in %s", at, a.funcName(fref{i, fn})))
			}
		}
		switch {
		case len(in) == 1:
			a.assume = append(a.assume, fmt.Sprintf("%s: the system call instruction at %s lies past the end of its function's unwind information (FDE), "+
				"where control cannot reach it from the function: read as data in code, not counted", filepath.Base(l.path), in[0]))
		case len(in) > 1:
			a.assume = append(a.assume, fmt.Sprintf("%s: %d system call instructions lie past the end of their function's unwind information (FDE), "+
				"where control cannot reach them from the function: read as data in code, not counted (%s)", filepath.Base(l.path), len(in), strings.Join(in, ", ")))
		}
	}
}

// newAnalysis returns the empty state of an analysis.
func newAnalysis(opt Options) *analysis {
	j := &journal{}
	return &analysis{opt: opt, j: j, res: newResolver(opt.Root, j), byPath: map[string]int{},
		pre: map[string]*prefetched{}, preRun: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1)),
		taken: map[aref]bool{}, opaque: map[aref]bool{}, callers: map[aref][]callerRef{},
		symCache: map[string][]aref{}, code: map[fref]*fnCode{}, memo: map[pkey]resolved{}, unbound: map[string]bool{},
		pending: map[string][]callerRef{}, pendingTaken: map[string]pred{}, modSets: map[string]bool{}, modPre: map[string]bool{},
		dataReached: map[dref]fref{}, objReached: map[dref]bool{}, takenNames: map[string]bool{}, dlsymNames: map[string]bool{}}
}

// load reads the program and its libraries in the loader's breadth-first order.
func (a *analysis) load(path string) error {
	main, err := a.add(path, "program", "")
	if err != nil {
		return err
	}
	ms := main.sum
	switch {
	case ms.Type == "dyn" && ms.Interp == "" && len(ms.Needed) > 0 || ms.Type == "dyn" && ms.Interp == "" && ms.Entry == 0,
		ms.Type == "dyn" && ms.Soname != "":
		// A library (one with a DT_SONAME, even a runnable one such as libc.so.6).
		main.kind = "shared"
	case ms.Interp == "" && len(ms.Needed) == 0:
		main.kind = "static"
	default:
		main.kind = "dynamic"
	}
	if ms.Go {
		main.kind += " go"
	}
	a.closeNeeded(0)
	if ms.Interp != "" {
		if j, err := a.add(ms.Interp, "interp", "PT_INTERP"); err == nil {
			j.kind = "interp"
		} else {
			a.assume = append(a.assume, fmt.Sprintf("interpreter %s: %v", ms.Interp, err))
		}
	}
	a.assume = append(a.assume, "LD_LIBRARY_PATH, LD_PRELOAD and /etc/ld.so.preload are ignored: libraries are found through DT_RPATH, DT_RUNPATH, ld.so.cache and the default directories")
	return nil
}

// closeNeeded loads the DT_NEEDED closure of the objects from index from on, breadth first like
// the loader (objects already loaded are not loaded again).
func (a *analysis) closeNeeded(from int) {
	mode := a.objs[0].sum.Mode
	for i := from; i < len(a.objs); i++ {
		l := a.objs[i]
		origin := a.origin(i == 0, l.path, l.o.path)
		for _, n := range l.sum.Needed {
			if !strings.Contains(n, "/") && a.loadedSoname(n) {
				// The loader first looks for the name among the objects it has loaded (a
				// module's dependency on the JVM that loaded it, outside the module's paths).
				continue
			}
			p, how := a.res.find(n, origin, l.sum.Rpath, l.sum.Runpath, mode)
			if p == "" {
				a.assume = append(a.assume, fmt.Sprintf("%s: DT_NEEDED %s not found under %s: not analysed", l.path, n, a.opt.Root))
				continue
			}
			if _, err := a.add(p, "shared", fmt.Sprintf("DT_NEEDED %s of %s via %s", n, filepath.Base(l.path), how)); err != nil {
				a.assume = append(a.assume, fmt.Sprintf("%s: %v", p, err))
			}
		}
	}
}

// origin is the directory $ORIGIN stands for in the object at path (real: with its symbolic
// links resolved).
func (a *analysis) origin(program bool, path, real string) string {
	if program && (a.opt.Root == "/" || a.opt.Root == "") {
		// The loader takes the program's $ORIGIN from /proc/self/exe, with its symbolic
		// links resolved (/usr/bin/java -> /usr/lib/jvm/JDK/bin/java: $ORIGIN/../lib).
		return filepath.Dir(real)
	}
	return filepath.Dir(path)
}

// loadedSoname tells whether a loaded object has the DT_SONAME name, as the loader matches a
// DT_NEEDED entry against the sonames of what it has loaded before it searches its paths.
func (a *analysis) loadedSoname(name string) bool {
	for _, l := range a.objs {
		if l.sum.Soname == name {
			return true
		}
	}
	return false
}

// add loads one object (once per resolved path).
func (a *analysis) add(path, kind, how string) (*loaded, error) {
	host := a.res.host(path)
	host = a.j.evalSymlinks(host)
	if i, ok := a.byPath[host]; ok {
		return a.objs[i], nil
	}
	if how == "" {
		how = "program"
	}
	var l *loaded
	if p := a.pre[host]; p != nil {
		delete(a.pre, host)
		if p.claimed.CompareAndSwap(false, true) {
			a.fetch(p, host)
		}
		<-p.done
		if p.panicked != nil {
			panic(p.panicked)
		}
		if p.err != nil {
			return nil, p.err
		}
		l = &loaded{o: p.o, path: path, kind: kind, how: how, sum: p.sum, cached: p.cached}
	} else {
		o, err := openObject(host, a.j)
		if err != nil {
			return nil, err
		}
		if len(a.objs) == 0 {
			// While the program is summarised (node's takes seconds, part of them on one
			// core), its libraries are read and summarised on the other.
			di := o.dynamic()
			a.prefetchNeeded(di.needed, a.origin(true, path, o.path), di.rpath, di.runpath, o.mode)
			if di.interp != "" {
				a.prefetch(di.interp)
			}
		}
		l = &loaded{o: o, path: path, kind: kind, how: how}
		l.sum, l.cached = a.summary(o)
	}
	if l.sum.Soname == "libc.so.6" || l.sum.StaticGlibc && kind == "program" {
		l.glibc = true
	}
	for _, f := range l.sum.Funcs {
		if strings.HasPrefix(f.Name, "__nptl_setxid") {
			l.glibc = true
		}
	}
	a.byPath[host] = len(a.objs)
	a.objs = append(a.objs, l)
	if len(a.objs) > 1 {
		a.prefetchNeeded(l.sum.Needed, a.origin(false, path, l.o.path), l.sum.Rpath, l.sum.Runpath, l.sum.Mode)
	}
	return l, nil
}

// summary returns the object's summary from the cache, or makes it and has it stored.
func (a *analysis) summary(o *elfObject) (sum *objSummary, cached bool) {
	if !a.fresh {
		if sum = loadCached(a.opt.CacheDir, o.hash); sum != nil {
			return sum, true
		}
	}
	sum = summarize(o)
	// Written while the analysis goes on (nothing changes a summary once made): node's takes
	// 0.4 s to encode and write.
	a.stores.Add(1)
	go func() {
		defer a.stores.Done()
		storeCached(a.opt.CacheDir, o.hash, sum)
	}()
	return sum, false
}

// prefetched is an object read and summarised ahead of its turn.
type prefetched struct {
	claimed  atomic.Bool // by the goroutine that does the work, or by add if none started it
	done     chan struct{}
	o        *elfObject
	sum      *objSummary
	cached   bool
	err      error
	panicked any // what summarising it panicked with, raised again in add
}

// prefetch starts reading and summarising the object at path, for add to take when its turn
// comes: objects are summarised concurrently, while add keeps the loader's order. An object
// prefetched but never added (a guess that add's own checks overrule) only costs its work.
// GOMAXPROCS-1 prefetches run at once, beside the analysis itself; add does an object's work
// itself when its turn comes before a prefetch started it.
func (a *analysis) prefetch(path string) {
	host := a.j.evalSymlinks(a.res.host(path))
	if _, ok := a.byPath[host]; ok {
		return
	}
	if _, ok := a.pre[host]; ok {
		return
	}
	p := &prefetched{done: make(chan struct{})}
	a.pre[host] = p
	a.preWait.Add(1)
	go func() {
		defer a.preWait.Done()
		a.preRun <- struct{}{}
		defer func() { <-a.preRun }()
		if p.claimed.CompareAndSwap(false, true) {
			a.fetch(p, host)
		}
	}()
}

// fetch does a prefetch's work.
func (a *analysis) fetch(p *prefetched, host string) {
	defer close(p.done)
	defer func() { p.panicked = recover() }()
	if p.o, p.err = openObject(host, a.j); p.err == nil {
		p.sum, p.cached = a.summary(p.o)
	}
}

// prefetchNeeded prefetches the libraries a DT_NEEDED list names, found as closeNeeded finds them.
func (a *analysis) prefetchNeeded(needed []string, origin string, rpath, runpath []string, mode int) {
	for _, n := range needed {
		if !strings.Contains(n, "/") && a.loadedSoname(n) {
			continue
		}
		if p, _ := a.res.find(n, origin, rpath, runpath, mode); p != "" {
			a.prefetch(p)
		}
	}
}

// lookup resolves a symbol like the loader: every definition of the name in the first object
// (in load order) that exports it. Different versions of a name in that object are all kept.
func (a *analysis) lookup(name string) []aref {
	if r, ok := a.symCache[name]; ok {
		return r
	}
	var out []aref
	for i, l := range a.objs {
		if addrs, ok := l.sum.Exports[name]; ok {
			for _, ad := range addrs {
				out = append(out, aref{i, ad})
			}
			break
		}
	}
	a.symCache[name] = out
	return out
}

// enter marks the function holding addr reached, first from p. A taken address is also opaque:
// it can be called from anywhere, with any arguments.
func (a *analysis) enter(obj int, addr uint64, taken bool, p pred) {
	fn := a.objs[obj].sum.funcAt(addr)
	if fn < 0 {
		return
	}
	if taken {
		a.taken[aref{obj, addr}] = true
	}
	l := a.objs[obj]
	if l.reached == nil {
		l.reached, l.preds = make([]bool, len(l.sum.Funcs)), make([]pred, len(l.sum.Funcs))
	}
	if !l.reached[fn] {
		l.reached[fn], l.preds[fn] = true, p
		a.work = append(a.work, fref{obj, fn})
	}
}

// isReached tells whether function f is reached.
func (a *analysis) isReached(f fref) bool {
	r := a.objs[f.obj].reached
	return r != nil && r[f.fn]
}

// predOf returns how the reached function f was first reached.
func (a *analysis) predOf(f fref) (pred, bool) {
	l := a.objs[f.obj]
	if l.reached == nil || !l.reached[f.fn] {
		return pred{}, false
	}
	return l.preds[f.fn], true
}

// reachedFuncs lists the reached functions, in object and function order.
func (a *analysis) reachedFuncs() []fref {
	var out []fref
	for i, l := range a.objs {
		for fn, r := range l.reached {
			if r {
				out = append(out, fref{i, fn})
			}
		}
	}
	return out
}

// root makes an address an entry point: reached, and called from outside with unknown arguments.
func (a *analysis) root(obj int, addr uint64, p pred) {
	a.opaque[aref{obj, addr}] = true
	a.enter(obj, addr, false, p)
}

// rootObject makes object i's own entry points roots: DT_INIT and DT_FINI, init and fini arrays,
// IRELATIVE resolvers, the chunks always reached, the symbols it copies and, with exports, every
// exported function and data object.
func (a *analysis) rootObject(i int, exports bool) {
	l := a.objs[i]
	if l.kind == "interp" && l.sum.Entry != 0 {
		a.root(i, l.sum.Entry, rootPred(rootEntry, i, ""))
	}
	for _, r := range l.sum.Roots {
		a.root(i, r, rootPred(rootLoader, i, ""))
	}
	reloc := rootPred(rootReloc, i, "")
	for _, t := range l.sum.Taken {
		a.enter(i, t, true, reloc)
	}
	for _, n := range l.sum.ImpTaken {
		a.takeImport(n, reloc)
	}
	for _, n := range l.sum.Copies {
		a.takeImport(n, reloc)
	}
	for _, c := range l.sum.RootChunks {
		a.reachChunk(i, c, noFunc)
	}
	if exports {
		exp := rootPred(rootExport, i, "")
		if l.kind == "module" {
			exp = rootPred(rootModule, i, l.how)
		}
		// In name order: the first root to reach a function is its provenance, and the
		// report must read the same on every run.
		for _, name := range slices.Sorted(maps.Keys(l.sum.Exports)) {
			for _, ad := range l.sum.Exports[name] {
				a.root(i, ad, exp)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(l.sum.DataExports)) {
			for _, c := range l.sum.DataExports[name] {
				a.reachData(i, c, noFunc)
			}
		}
	}
}

// dlsym roots the functions a reached dlsym call can return: every exported definition of a
// constant name. Names computed at run time are assumed to be the entry points of the modules
// analysed (PyInit_*, _nss_*, ...). from is the function making the call.
func (a *analysis) dlsym(name string, from fref) {
	if name == "" {
		if !a.dlsymNoted {
			a.dlsymNoted = true
			a.assume = append(a.assume, "dlsym with a name computed at run time is assumed to look up the entry points of the modules analysed (PyInit_*, _nss_*, gconv): "+
				"other functions a program finds that way (ctypes, plugin hosts) are not covered")
		}
		return
	}
	if a.dlsymNames[name] {
		return
	}
	a.dlsymNames[name] = true
	for i, l := range a.objs {
		for _, ad := range l.sum.Exports[name] {
			a.root(i, ad, pred{kind: byDlsym, from: from, name: name})
		}
	}
}

// reachChunk marks a data chunk reached, first from the function origin (noFunc: none);
// propagate follows its pointers.
func (a *analysis) reachChunk(obj int, c int32, origin fref) {
	d := dref{obj, c}
	if _, ok := a.dataReached[d]; !ok {
		a.dataReached[d] = origin
		a.dwork = append(a.dwork, d)
	}
}

// reachData reaches the data object starting in chunk c: its chunks up to the next object.
func (a *analysis) reachData(obj int, c int32, origin fref) {
	if a.objReached[dref{obj, c}] {
		return
	}
	a.objReached[dref{obj, c}] = true
	chs := a.objs[obj].sum.Chunks
	for k := c; int(k) < len(chs); k++ {
		if k > c && chs[k].Obj {
			break
		}
		a.reachChunk(obj, k, origin)
	}
}

// takeImport makes the definition of an imported symbol whose address is taken reachable: the
// function the loader binds, or the exported data objects of that name. p is how the address
// is taken (byAddr, byData, or a root).
func (a *analysis) takeImport(name string, p pred) {
	if a.takenNames[name] {
		return
	}
	a.takenNames[name] = true
	rs := a.lookup(name)
	for _, r := range rs {
		a.enter(r.obj, r.addr, true, p)
	}
	found := len(rs) > 0
	for i, l := range a.objs {
		for _, c := range l.sum.DataExports[name] {
			a.reachData(i, c, originOf(p))
			found = true
		}
	}
	if !found {
		a.pendingTaken[name] = p
	}
}

// reach computes the reached functions from the roots.
func (a *analysis) reach() {
	mainSum := a.objs[0].sum
	isLib := strings.HasPrefix(a.objs[0].kind, "shared")
	if mainSum.Entry != 0 && (!isLib || mainSum.Interp != "") {
		// A program, or a library that can also be run (libc.so.6 prints its version).
		a.root(0, mainSum.Entry, rootPred(rootEntry, 0, ""))
	}
	for i := range a.objs {
		a.rootObject(i, i == 0 && isLib)
	}
	if isLib {
		a.assume = append(a.assume, "shared library analysed on its own: every exported function is a root, called with unknown arguments")
	}
	a.userModules()
	for {
		a.propagate()
		if !a.loadModules() {
			break
		}
	}
	a.assume = append(a.assume,
		"indirect calls and jumps may reach every address-taken function: code addresses computed by reached code, and code pointers in reached data "+
			"(data is cut into chunks at every address something refers to; a chunk is reached when reached code or a reached chunk refers into it, "+
			"or its exported symbol's address is taken; code is assumed not to reach data below the addresses it refers to); init/fini arrays, "+
			"DT_INIT/DT_FINI, IRELATIVE resolvers and personality routines are roots",
		"an indirect jump inside a function is assumed to land on a branch target or after an unconditional jump (a jump-table case)",
		"called functions preserve the System V callee-saved registers (Go code: none)")
}

// propagate reaches everything reachable from the work lists.
func (a *analysis) propagate() {
	for steps := 0; len(a.work) > 0 || len(a.dwork) > 0; steps++ {
		if steps%4096 == 4095 {
			a.prefetchModules()
		}
		if len(a.work) == 0 {
			d := a.dwork[len(a.dwork)-1]
			a.dwork = a.dwork[:len(a.dwork)-1]
			ch := &a.objs[d.obj].sum.Chunks[d.chunk]
			origin := a.dataReached[d]
			p := dataPred(origin, d.obj)
			for _, t := range ch.Code {
				a.enter(d.obj, t, true, p)
			}
			for _, n := range ch.Imp {
				a.takeImport(n, p)
			}
			for _, c := range ch.Data {
				a.reachData(d.obj, c, origin)
			}
			continue
		}
		f := a.work[0]
		a.work = a.work[1:]
		call := pred{kind: byCall, from: f}
		addr := pred{kind: byAddr, from: f}
		fs := &a.objs[f.obj].sum.Funcs[f.fn]
		for _, c := range fs.Calls {
			var targets []aref
			if c.Imp != "" {
				targets = a.lookup(c.Imp)
				if len(targets) == 0 {
					a.pending[c.Imp] = append(a.pending[c.Imp], callerRef{f.obj, f.fn, c.At, c.Jump})
				}
			} else {
				targets = []aref{{f.obj, c.To}}
			}
			for _, t := range targets {
				a.callers[t] = append(a.callers[t], callerRef{f.obj, f.fn, c.At, c.Jump})
				a.enter(t.obj, t.addr, false, call)
			}
		}
		for _, t := range fs.Taken {
			a.enter(f.obj, t, true, addr)
		}
		for _, n := range fs.ImpTaken {
			a.takeImport(n, addr)
		}
		for _, c := range fs.Data {
			a.reachData(f.obj, c, f)
		}
		for _, c := range fs.Access {
			a.reachChunk(f.obj, c, f)
		}
		for _, n := range fs.Dlsym {
			a.dlsym(n, f)
		}
	}
}

// fnCodeOf decodes a function for tracing at a call site (once per run).
func (a *analysis) fnCodeOf(f fref) *fnCode {
	if fc, ok := a.code[f]; ok {
		return fc
	}
	l := a.objs[f.obj]
	fs := &l.sum.Funcs[f.fn]
	s := l.o.execSection(fs.Start)
	var insts []inst
	if s != nil && fs.End <= s.addr+uint64(len(s.data)) {
		insts = decodeRange(s.data[fs.Start-s.addr:fs.End-s.addr], fs.Start, l.sum.Mode)
	}
	fc := newFnCode(insts, fs.Start, fs.End, l.sum.Mode, extIn(l.sum.Ext, fs.Start, fs.End), l.sum.Go, fs.NoRet, l.sum.Thunks)
	a.code[f] = fc
	return fc
}

// funcName names a function for provenance.
func (a *analysis) funcName(f fref) string {
	fs := &a.objs[f.obj].sum.Funcs[f.fn]
	if fs.Name != "" {
		return fs.Name
	}
	return fmt.Sprintf("sub_%x", fs.Start)
}

// resolveTraced turns a trace made in function f into constants and unknown reasons, resolving
// entry values at the reached call sites.
func (a *analysis) resolveTraced(f fref, t traced, visited map[pkey]bool) resolved {
	r := resolved{consts: map[int64]origin{}}
	for _, c := range t.Consts {
		r.consts[c] = origin(f)
	}
	for _, u := range t.Unknown {
		r.unknown = append(r.unknown, fmt.Sprintf("%s in %s (%s)", u, a.funcName(f), filepath.Base(a.objs[f.obj].path)))
	}
	for _, p := range t.Params {
		sub := a.resolveParam(f.obj, p, visited)
		for c, o := range sub.consts {
			if _, ok := r.consts[c]; !ok {
				r.consts[c] = o
			}
		}
		r.unknown = append(r.unknown, sub.unknown...)
	}
	return r
}

// maxTraceParams bounds the entry values one resolution follows through callers.
const maxTraceParams = 400

// resolveParam resolves the value a location held on entry at p.Entry from the call sites.
func (a *analysis) resolveParam(obj int, p param, visited map[pkey]bool) resolved {
	key := pkey{obj, p}
	top := visited == nil
	if top {
		if m, ok := a.memo[key]; ok {
			return m
		}
		visited = map[pkey]bool{}
	}
	if visited[key] {
		return resolved{}
	}
	if len(visited) >= maxTraceParams {
		// A stack argument whose slot drifts from call to call (a recursion that pushes)
		// makes new keys without end: give up, soundly.
		return resolved{unknown: []string{fmt.Sprintf("number traced through more than %d call sites", maxTraceParams)}}
	}
	visited[key] = true
	r := resolved{consts: map[int64]origin{}}
	ar := aref{obj, p.Entry}
	entryName := a.funcName(fref{obj, a.objs[obj].sum.funcAt(p.Entry)})
	switch {
	case a.opaque[ar] || a.sysinfoInt80(obj, p):
	case a.taken[ar] && !a.exported(obj, p.Entry):
		r.merge(a.indirectCallers(obj, p, visited))
	}
	if (a.taken[ar] && a.exported(obj, p.Entry) || a.opaque[ar]) && !a.sysinfoInt80(obj, p) {
		r.unknown = append(r.unknown, fmt.Sprintf("number passed to %s (%s), which is called indirectly or from outside",
			entryName, filepath.Base(a.objs[obj].path)))
	}
	for _, c := range a.callers[ar] {
		var sub resolved
		if a.objs[c.obj].sum.Go && a.funcName(fref{c.obj, c.fn}) == goPerThread {
			sub = a.perThreadSyscall(obj, p, visited)
		} else {
			sub = a.traceAt(c, p, visited)
		}
		r.merge(sub)
	}
	if top {
		a.memo[key] = r
	}
	return r
}

// merge adds the constants and unknown reasons of sub to r (keeping the first origin).
func (r *resolved) merge(sub resolved) {
	for k, o := range sub.consts {
		if _, ok := r.consts[k]; !ok {
			r.consts[k] = o
		}
	}
	r.unknown = append(r.unknown, sub.unknown...)
}

// traceAt resolves the value location p (of the function entered at p.Entry) holds at the
// reached call or jump c.
func (a *analysis) traceAt(c callerRef, p param, visited map[pkey]bool) resolved {
	cf := fref{c.obj, c.fn}
	fc := a.fnCodeOf(cf)
	i, ok := fc.idx[c.at]
	if !ok {
		return resolved{unknown: []string{"call site not decoded"}}
	}
	l := loc{reg: p.Reg}
	if p.Reg < 0 {
		d := fc.delta[i]
		if d <= deltaUnknown {
			return resolved{unknown: []string{fmt.Sprintf("stack argument at an untracked call in %s", a.funcName(cf))}}
		}
		l.slot = d + p.Slot
		if !c.jump {
			l.slot -= int64(a.objs[c.obj].sum.Mode / 8)
		}
	}
	return a.resolveTraced(cf, fc.trace(i, l), visited)
}

// exported tells whether a function of an object is exported (other objects can take its address).
func (a *analysis) exported(obj int, addr uint64) bool {
	l := a.objs[obj]
	if l.exported == nil {
		l.exported = map[uint64]bool{}
		for _, addrs := range l.sum.Exports {
			for _, ad := range addrs {
				l.exported[ad] = true
			}
		}
	}
	return l.exported[addr]
}

// indirectCallers resolves the value location p holds at entry of a function of object obj that
// is not exported and whose address is taken: only code of obj can compute its address, so it is
// traced at every reached indirect call and jump of obj (the pointer is assumed not to be handed
// to another object that calls it with a number).
func (a *analysis) indirectCallers(obj int, p param, visited map[pkey]bool) resolved {
	r := resolved{consts: map[int64]origin{}}
	l := a.objs[obj]
	for fn := range l.sum.Funcs {
		if !a.isReached(fref{obj, fn}) {
			continue
		}
		for _, c := range l.sum.Funcs[fn].IndCalls {
			r.merge(a.traceAt(callerRef{obj, fn, c.At, c.Jump}, p, visited))
		}
	}
	if !a.indirectNoted {
		a.indirectNoted = true
		a.assume = append(a.assume, "a number passed to a function of a library that is not exported and called indirectly is traced at the indirect calls of that library: "+
			"its address is assumed not to be handed to other objects that call it with a number")
	}
	return r
}

// Go runtime functions of the AllThreadsSyscall machinery: doAllThreadsSyscall makes the call
// on its own thread, stores its arguments in runtime.perThreadSyscall and signals every other
// thread, whose handler makes the same call in runPerThreadSyscall.
const (
	goPerThread   = "runtime.runPerThreadSyscall"
	goAllThreads  = "runtime.syscall_runtime_doAllThreadsSyscall"
	goAllThreads2 = "syscall.runtime_doAllThreadsSyscall"
)

// perThreadSyscall resolves the value Go's runtime.runPerThreadSyscall passes in location p to
// the function entered at p.Entry (the raw Syscall6). It loads it from runtime.perThreadSyscall,
// which only doAllThreadsSyscall sets (needPerThreadSyscall is only set there), after making the
// same call with the same arguments on its own thread: so the values are those
// doAllThreadsSyscall passes to the same function, traced back to AllThreadsSyscall's callers.
// Without a reached doAllThreadsSyscall the call is never made.
func (a *analysis) perThreadSyscall(obj int, p param, visited map[pkey]bool) resolved {
	r := resolved{consts: map[int64]origin{}}
	reached, found := false, false
	for _, f := range a.reachedFuncs() {
		if f.obj == obj {
			if n := a.funcName(f); n == goAllThreads || n == goAllThreads2 {
				reached = true
			}
		}
	}
	if !reached {
		return r
	}
	for _, c := range a.callers[aref{obj, p.Entry}] {
		if n := a.funcName(fref{c.obj, c.fn}); c.obj == obj && (n == goAllThreads || n == goAllThreads2) {
			found = true
			r.merge(a.traceAt(c, p, visited))
		}
	}
	if !found {
		r.unknown = append(r.unknown, "runtime.runPerThreadSyscall: the call doAllThreadsSyscall makes was not found")
	}
	a.assume = append(a.assume, "Go's runtime.runPerThreadSyscall makes the calls doAllThreadsSyscall made (AllThreadsSyscall, Setuid & co.): its numbers are those traced at doAllThreadsSyscall")
	return r
}

// sysinfoInt80 tells whether p is eax at the entry of i386 glibc's _dl_sysinfo_int80 (a function
// that is exactly int $0x80; ret, in ld.so or glibc). Its address is the default of the thread's
// sysinfo word (%gs:0x10) when there is no vDSO: it is only called by call *%gs:0x10, whose
// sites are traced themselves.
func (a *analysis) sysinfoInt80(obj int, p param) bool {
	l := a.objs[obj]
	if l.sum.Mode != 32 || p.Reg != famAX || !(l.glibc || l.kind == "interp") {
		return false
	}
	fn := l.sum.funcAt(p.Entry)
	if fn < 0 || l.sum.Funcs[fn].Start != p.Entry {
		return false
	}
	fc := a.fnCodeOf(fref{obj, fn})
	if len(fc.insts) < 2 || fc.insts[0].x.Op != x86asm.INT || fc.insts[0].x.Args[0] != x86asm.Imm(0x80) || fc.insts[1].x.Op != x86asm.RET {
		return false
	}
	a.assume = append(a.assume, "i386: _dl_sysinfo_int80 (int $0x80; ret) is only called through %gs:0x10, whose call sites are traced")
	return true
}

// setidCalls is the family glibc broadcasts to every thread through memory (nptl's setxid).
var setidCalls = []string{"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid"}

// setidSite is a reached glibc site whose number is loaded from memory: its set*id broadcast.
type setidSite struct {
	arch string
	p    Provenance
}

// settleSetid adds the calls of glibc's set*id broadcast sites. glibc's setuid() & co. store
// their number for the broadcast (nptl's __nptl_setxid and the SIGSETXID handler run it on every
// thread) and make the same call themselves when single-threaded, from a site where the number
// is a constant: so a broadcast can only make the set*id calls already found at such sites. A
// program that reaches none of the wrappers cannot start a broadcast.
func (a *analysis) settleSetid(sites []setidSite, calls func(string) *Calls, addNr func(string, int, Provenance)) {
	if len(sites) == 0 {
		return
	}
	a.assume = append(a.assume, "glibc system call sites that load their number and three arguments from one struct xid_command (nptl's set*id broadcast to all threads) make the calls of the set*id family ("+strings.Join(setidCalls, ", ")+") that a set*id wrapper reached makes itself; any other site whose number is loaded from memory is unbounded")
	for _, s := range sites {
		ab, _ := arch.ByName(s.arch)
		c := calls(s.arch)
		var nrs []int
		for _, name := range setidCalls {
			for _, n := range []string{name, name + "32"} {
				if nr, ok := ab.SyscallNumber(n); ok && len(c.Nrs[nr]) > 0 {
					nrs = append(nrs, nr)
				}
			}
		}
		for _, nr := range nrs {
			p := s.p
			p.Via = "rule: glibc set*id broadcast (the number a set*id wrapper stored)"
			addNr(s.arch, nr, p)
		}
	}
}

// result builds the Result from the reached functions.
func (a *analysis) result(path string) *Result {
	res := &Result{Path: path, Arches: map[string]*Calls{}}
	counts := make([]int, len(a.objs))
	var refs []fref
	for _, f := range a.reachedFuncs() {
		counts[f.obj]++
		refs = append(refs, f)
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].obj != refs[j].obj {
			return refs[i].obj < refs[j].obj
		}
		return refs[i].fn < refs[j].fn
	})
	for i, l := range a.objs {
		res.Objects = append(res.Objects, Object{Path: l.path, Kind: l.kind, How: l.how,
			Functions: len(l.sum.Funcs), Reached: counts[i], Cached: l.cached})
		if l.sum.Blob {
			a.assume = append(a.assume, l.path+": no symbols, FDEs or Go table: each executable section is analysed as one function (imprecise)")
		}
	}
	calls := func(name string) *Calls {
		c := res.Arches[name]
		if c == nil {
			c = &Calls{Nrs: map[int][]Provenance{}}
			res.Arches[name] = c
		}
		return c
	}
	addNr := func(archName string, nr int, p Provenance) {
		c := calls(archName)
		if len(c.Nrs[nr]) < maxProvenance {
			c.Nrs[nr] = append(c.Nrs[nr], p)
		}
	}
	var setid []setidSite
	paths := map[fref][]string{}
	for _, f := range refs {
		l := a.objs[f.obj]
		fs := &l.sum.Funcs[f.fn]
		for _, st := range fs.Sites {
			r := a.resolveTraced(f, st.V, nil)
			base := Provenance{Object: l.path, Function: a.funcName(f), Addr: st.At}
			archOf := func(nr int64) (string, int) {
				if st.Kind != kindSyscall || l.sum.Mode == 32 {
					return "x86", int(int32(nr))
				}
				if nr&arch.X32SyscallBit != 0 && nr >= 0 {
					return "x32", int(nr &^ arch.X32SyscallBit)
				}
				return "x86_64", int(int32(nr))
			}
			for nr, o := range r.consts {
				p := base
				p.Path = a.siteRoute(f, fref(o), paths)
				if o == origin(f) {
					p.Via = "direct"
				} else {
					p.Via = fmt.Sprintf("wrapper: number from %s in %s", a.funcName(fref(o)), filepath.Base(a.objs[o.obj].path))
				}
				an, n := archOf(nr)
				addNr(an, n, p)
			}
			if len(r.unknown) == 0 {
				continue
			}
			arches := []string{"x86"}
			if st.Kind == kindSyscall && l.sum.Mode == 64 {
				arches = []string{"x86_64", "x32"}
			}
			if l.glibc && st.Xid && onlyMem(st.V) {
				// glibc's set*id broadcast: the number is stored in memory by setuid() & co.,
				// which make the same call themselves: settled once every site is (below).
				p := base
				p.Path = a.siteRoute(f, f, paths)
				setid = append(setid, setidSite{arches[0], p})
				continue
			}
			for _, an := range arches {
				calls(an).Any = true
				res.Unresolved = append(res.Unresolved, Site{Arch: an, Object: l.path, Function: base.Function,
					Addr: st.At, Reasons: dedup(r.unknown)})
			}
		}
	}
	a.settleSetid(setid, calls, addNr)
	// Calls made without a system call instruction of the program.
	mainArch := "x86_64"
	if a.objs[0].sum.Mode == 32 {
		mainArch = "x86"
	}
	ab, _ := arch.ByName(mainArch)
	rule := func(why string, names ...string) {
		for _, n := range names {
			if nr, ok := ab.SyscallNumber(n); ok {
				addNr(mainArch, nr, Provenance{Object: "(kernel)", Function: "-", Via: "rule: " + why})
			}
		}
	}
	rule("the execve that starts the program (made by its parent)", "execve")
	rule("the kernel restarts interrupted calls with restart_syscall", "restart_syscall")
	// A signal handler returns through the restorer the kernel put on its stack (glibc's
	// __restore_rt, or the vDSO's __kernel_sigreturn on i386), never called by the program.
	rule("a signal handler returns through the kernel's sigreturn trampoline", "rt_sigreturn", "sigreturn")
	if mainArch == "x86_64" {
		rule("vDSO functions may fall back to the system call", "clock_gettime", "gettimeofday", "time", "getcpu")
	} else {
		rule("vDSO functions may fall back to the system call", "clock_gettime", "clock_gettime64", "gettimeofday", "time")
	}
	a.assume = append(a.assume,
		"execve (the call that starts the program), restart_syscall (made by the kernel's restart of interrupted calls) and rt_sigreturn (a signal handler's return, through a trampoline the program never calls) are always included",
		"the vDSO is not a file: clock_gettime, gettimeofday, time and getcpu (x86: clock_gettime64 too) are always included")
	res.Assumptions = dedup(a.assume)
	return res
}

// onlyMem tells whether a site's own trace found only memory loads (no constants, no params).
func onlyMem(t traced) bool {
	if len(t.Params) > 0 || len(t.Unknown) == 0 {
		return false
	}
	for _, u := range t.Unknown {
		if u != unkMem {
			return false
		}
	}
	return true
}

// dedup removes repeated strings, keeping the first order.
func dedup(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// names lists an ABI's calls by name, sorted.
func (r *Result) names(archName string) []string {
	c := r.Arches[archName]
	if c == nil {
		return nil
	}
	ab, ok := arch.ByName(archName)
	var out []string
	for nr := range c.Nrs {
		if ok {
			out = append(out, ab.Key(nr))
		} else {
			out = append(out, fmt.Sprint(nr))
		}
	}
	sort.Strings(out)
	return out
}
