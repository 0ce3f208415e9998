// Package reach computes, without running anything, which Linux system calls an x86_64 (or
// i386) ELF program or shared library can make, per ABI (x86_64, x86 for int 0x80 and 32-bit
// programs, x32 for syscall numbers with bit 0x40000000), with the provenance of each call
// (which function of which object holds the system call instruction, where its number comes
// from, and one chain of functions from a root that gets there) and what could not be resolved.
//
// The analysis is sound first: a call it cannot rule out is reported. When the number at a
// system call instruction cannot be determined, the ABI is reported as unbounded (Calls.Any)
// and the site is listed in Result.Unresolved. The assumptions it makes (closed world for
// dlopen, how indirect jumps are bounded, ...) are listed in Result.Assumptions.
//
// How it works: every object (the program, its DT_NEEDED closure resolved like ld.so, and
// the interpreter) is decoded with golang.org/x/arch/x86/x86asm (EVEX instructions are measured
// and kept opaque), split into functions by symbols, .eh_frame FDEs and Go's pc-line table
// (tables in code, STT_OBJECT symbols, are not code). A call graph links direct calls and jumps,
// PLT and GOT slots (also through a register loaded from a slot) to the first object that
// exports the symbol, constant dlsym names to their definitions, and indirect calls to every
// address-taken function. Roots are the entry points, DT_INIT/DT_FINI, init/fini arrays,
// IRELATIVE resolvers and personality routines. An address is taken when reached code computes
// it, or when reached data holds it: data is cut into chunks at every address something refers
// to, and a chunk is reached from reached code, from reached chunks, or through its exported
// symbol (see data.go).
//
// Code loaded at run time is a closed world (see modules.go): NSS modules of nsswitch.conf,
// libgcc_s, gconv modules and Python's lib-dynload are added, when the code that loads them is
// reached, as objects with their own entry points; Options.Modules adds others.
//
// The number at each system call instruction is traced backwards through registers and stack
// slots (i386 pc thunks and call *%gs:0x10 change one register); a number that is an incoming
// argument (glibc's syscall(), Go's syscall.Syscall6, any wrapper) is traced at every reached
// call site, across objects and recursively; for a function that is only called indirectly and
// not exported, at the indirect calls of its object. Go's runPerThreadSyscall takes the numbers
// traced at doAllThreadsSyscall, glibc's set*id broadcast the set*id family. Per-object results
// are cached by content hash.
package reach

// Options tunes an analysis.
type Options struct {
	// Root is the file-system root under which libraries are looked up ("" or "/": the host's).
	Root string
	// CacheDir holds per-object analyses keyed by the sha256 of the object ("" = no cache).
	CacheDir string
	// Modules are files, or directories of *.so files, the program is known to load at run time
	// (dlopen): they are analysed as loaded, with their dependencies (paths as the program sees
	// them, under Root).
	Modules []string
}

// Object is one ELF object the analysis read.
type Object struct {
	Path string `json:"path"`
	// Kind is "static", "dynamic" (the program), "shared" (a library), "interp" (the
	// dynamic loader), "module" (loaded at run time by dlopen), with "go" added for Go
	// programs ("static go").
	Kind string `json:"kind"`
	// How tells how the object was found ("program", "DT_NEEDED libc.so.6 via ld.so.cache", ...).
	How string `json:"how"`
	// Functions and Reached count its functions and those the program can reach.
	Functions int `json:"functions"`
	Reached   int `json:"reached"`
	// Cached tells whether its per-object analysis came from the cache.
	Cached bool `json:"cached"`
}

// Provenance tells how one system call is reached.
type Provenance struct {
	// Object and Function hold the system call instruction (Function is "sub_ADDR" without a
	// symbol); Addr is its address in Object.
	Object   string `json:"object"`
	Function string `json:"function"`
	Addr     uint64 `json:"addr"`
	// Via tells where the number comes from: "direct" (a constant next to the instruction),
	// "wrapper: number from FUNC in OBJECT" (traced through a function's argument), or
	// "rule: ..." for calls added by a documented rule rather than found in code.
	Via string `json:"via"`
	// Path is how the program gets there: one chain of functions, each "FUNC (OBJECT)", from a
	// root to Function or, for a number traced through a wrapper, to the function the number
	// was found in and then Function ("…" between them when they are not caller and callee).
	// The root is prefixed with its kind ("entry point: _start (ls)", "address taken in libc.so.6
	// data: ...", "module entry (...): ..."), and a function reached otherwise than by a call
	// says so after its object ("main (ls, address taken)"). The chain is the first way the
	// analysis reached each function (a shortest one, in steps), not every way; at most 12
	// elements, the middle elided with "…". Empty for calls added by a rule of the kernel.
	Path []string `json:"path,omitempty"`
}

// Calls is the set of system calls of one ABI.
type Calls struct {
	// Any is true when some reachable site's number is unknown: every call is possible.
	Any bool
	// Nrs maps a call number (without the x32 bit) to a few ways it is reached.
	Nrs map[int][]Provenance
}

// Site is a reachable system call instruction whose number could not be determined.
type Site struct {
	Arch     string   `json:"arch"`
	Object   string   `json:"object"`
	Function string   `json:"function"`
	Addr     uint64   `json:"addr"`
	Reasons  []string `json:"reasons"`
}

// Result is the outcome of an analysis.
type Result struct {
	Path        string
	Objects     []Object
	Arches      map[string]*Calls // "x86_64", "x86", "x32"
	Unresolved  []Site
	Assumptions []string
}

// Names returns the sorted names (or numbers, for calls without a name) of an ABI's calls.
func (r *Result) Names(archName string) []string { return r.names(archName) }

// maxProvenance bounds the provenance kept per call.
const maxProvenance = 4
