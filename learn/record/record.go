package record

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/learn"
)

// Recorder folds what the tracer sees into a learn.Profile. Its methods are called on the tracer's
// thread for every stop, so the per-call path is one map increment.
type Recorder struct {
	procs map[int]*procState
	exes  map[string]*exeState
	nproc int
	fp    *footprint
	// watch caches which calls may hide others; hidden is what was seen of them.
	watch  map[callKey]watchKind
	hidden hideFlags
	unpriv map[string]bool // set-ID programs that ran without their privileges
	// NoFootprint keeps only calls and the process tree: no files, programs or endpoints.
	NoFootprint bool
	// NoArgs keeps no argument values: every call is allowed with any arguments.
	NoArgs bool
	// specs caches which calls have their arguments learned (nil: none).
	specs map[callKey]*learn.ArgSpec
	// pendingFiles: with WantResults, the file call each thread made, until its result.
	pendingFiles map[int]pendingFile
}

type callKey struct {
	audit uint32
	nr    int
}

type procState struct {
	exe    *exeState
	parent int
}

type exeState struct {
	path      string
	processes int
	counts    map[callKey]uint64
	args      map[callKey]*argSet
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{procs: map[int]*procState{}, exes: map[string]*exeState{}, fp: newFootprint(),
		watch: map[callKey]watchKind{}, specs: map[callKey]*learn.ArgSpec{}}
}

func (r *Recorder) exe(path string) *exeState {
	e := r.exes[path]
	if e == nil {
		e = &exeState{path: path, counts: map[callKey]uint64{}, args: map[callKey]*argSet{}}
		r.exes[path] = e
	}
	return e
}

// pending holds the calls of a process that has not exec'd anything sctrace knows: the launched
// workload's first process runs the tracer's helper until its execve, and that execve belongs to
// the program it starts.
const pending = ""

// Spawn records a new process; it runs what its parent runs.
func (r *Recorder) Spawn(pid, parent int) {
	r.nproc++
	e := r.exe(pending)
	if pp := r.procs[parent]; pp != nil {
		e = pp.exe
	}
	if e.path != pending {
		e.processes++
	}
	r.procs[pid] = &procState{exe: e, parent: parent}
	if len(r.fp.tree) >= learn.MaxProcesses {
		r.fp.dropped.Processes++
		return
	}
	n := &learn.Node{Pid: pid, Parent: parent}
	r.fp.tree = append(r.fp.tree, n)
	r.fp.nodes[pid] = n
}

// Exec records that pid now runs path, with command line argv.
func (r *Recorder) Exec(pid int, path string, argv []string) {
	if path == "" {
		path = "(unknown)"
	}
	path = learn.ValidUTF8(path)
	for i, a := range argv {
		if !utf8.ValidString(a) {
			argv = append([]string(nil), argv...)
			argv[i] = learn.ValidUTF8(a)
		}
	}
	if !r.NoFootprint {
		r.fp.file(path, learn.UseExec)
		key := path + "\x00" + strings.Join(argv, "\x00")
		if _, ok := r.fp.programs[key]; !ok {
			if len(r.fp.programs) >= learn.MaxPrograms {
				r.fp.dropped.Programs++
			} else {
				r.fp.programs[key] = learn.Program{Path: path, Argv: append([]string{}, argv...)}
			}
		}
	}
	p := r.procs[pid]
	if p == nil {
		r.Spawn(pid, 0)
		p = r.procs[pid]
	}
	if n := r.fp.nodes[pid]; n != nil {
		n.Exec = append(n.Exec, path)
	}
	e := r.exe(path)
	e.processes++
	if p.exe.path == pending {
		for k, n := range p.exe.counts {
			e.counts[k] += n
		}
		clear(p.exe.counts)
		for k, set := range p.exe.args {
			e.argsOf(k, &set.spec).merge(set)
		}
		clear(p.exe.args)
	}
	p.exe = e
}

// Unprivileged notes that a set-user-ID or set-group-ID program ran without its privileges.
func (r *Recorder) Unprivileged(path string) {
	if r.unpriv == nil {
		r.unpriv = map[string]bool{}
	}
	r.unpriv[path] = true
}

// Syscall counts one call by process pid.
func (r *Recorder) Syscall(pid int, audit uint32, nr int) {
	p := r.procs[pid]
	if p == nil {
		r.Spawn(pid, 0)
		p = r.procs[pid]
	}
	p.exe.counts[callKey{audit, nr}]++
}

// Call counts one call by process pid, and notes the calls that hide other calls from a
// recording (see Hidden).
func (r *Recorder) Call(pid int, audit uint32, nr int, args *[6]uint64) {
	r.Syscall(pid, audit, nr)
	k := callKey{audit, nr}
	w, ok := r.watch[k]
	if !ok {
		w = watchFor(audit, nr)
		r.watch[k] = w
	}
	if w != watchNone {
		r.hidden |= w.hides(args)
	}
	r.callArgs(r.procs[pid].exe, k, args)
}

// callArgs notes the arguments of a call made by a process running e, if they are learned.
func (r *Recorder) callArgs(e *exeState, k callKey, args *[6]uint64) {
	if r.NoArgs || args == nil {
		return
	}
	spec, ok := r.specs[k]
	if !ok {
		if a, n := arch.Classify(k.audit, k.nr); a != nil {
			if name, named := a.SyscallName(n); named {
				if s, learned := learn.SpecFor(a, name); learned {
					spec = &s
				}
			}
		}
		r.specs[k] = spec
	}
	if spec != nil {
		e.argsOf(k, spec).add(args)
	}
}

// argsOf returns the argument set of a call of e.
func (e *exeState) argsOf(k callKey, spec *learn.ArgSpec) *argSet {
	s := e.args[k]
	if s == nil {
		s = newArgSet(*spec)
		e.args[k] = s
	}
	return s
}

// SyscallIn counts one call made by a process running path, when the process itself is not
// known to the recorder yet (a supervisor answers calls as they come, before the tracer has
// reported the process's creation).
func (r *Recorder) SyscallIn(path string, audit uint32, nr int, args *[6]uint64) {
	e := r.exe(learn.ValidUTF8(path))
	k := callKey{audit, nr}
	e.counts[k]++
	r.callArgs(e, k, args)
}

// Exit records the end of a process.
func (r *Recorder) Exit(pid int) {
	// A file call whose result never came (the process was killed in it) was attempted.
	if pf, ok := r.pendingFiles[pid]; ok {
		r.fp.file(pf.path, pf.use)
		delete(r.pendingFiles, pid)
	}
	delete(r.procs, pid)
	delete(r.fp.nodes, pid)
}

// Executable returns what process pid runs, "" if unknown.
func (r *Recorder) Executable(pid int) string {
	if p := r.procs[pid]; p != nil {
		return p.exe.path
	}
	return ""
}

// Processes returns how many processes were seen.
func (r *Recorder) Processes() int { return r.nproc }

// Profile returns the footprint so far, with one Recording entry for rec.
func (r *Recorder) Profile(rec learn.Recording) *learn.Profile {
	p := learn.NewProfile()
	p.Executables = map[string]*learn.Executable{}
	for path, e := range r.exes {
		if len(e.counts) == 0 && e.processes == 0 {
			continue
		}
		name := path
		if name == pending {
			name = "(no exec)"
		}
		x := &learn.Executable{Processes: e.processes, Arches: map[string]*learn.SyscallSet{}}
		for k, n := range e.counts {
			archName, key := learn.ArchName(k.audit, k.nr)
			st := &learn.SyscallStat{Count: n}
			if set := e.args[k]; set != nil {
				st.Args = set.args()
			}
			learn.AddCall(x.Arches, archName, key, st)
			learn.AddCall(p.Arches, archName, key, st)
		}
		p.Executables[name] = x
	}
	for _, pf := range r.pendingFiles { // threads that died in a file call
		r.fp.file(pf.path, pf.use)
	}
	rec.Processes = r.nproc
	rec.Hidden = append(r.hidden.reasons(), rec.Hidden...)
	for _, path := range slices.Sorted(maps.Keys(r.unpriv)) {
		rec.Hidden = append(rec.Hidden, "set-ID program "+path+" ran without its privileges "+
			"(no_new_privs, which seccomp filters need): it may fail, or take another path than it would alone")
	}
	r.fp.finish(p, &rec)
	p.Recordings = []learn.Recording{rec}
	return p
}
