package reach

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Code loaded at run time is analysed as a closed world: when reached code can load modules,
// the modules that can be loaded are added as objects of their own, rooted at their entry
// points (DT_INIT, DT_FINI, init arrays, exported functions, address-taken functions), with
// their DT_NEEDED closure and their imports bound like the loader binds them (the loaded
// objects first, in load order, then the module's own dependencies). Which modules:
//
//   - Options.Modules (files or directories the caller knows are loaded): always;
//   - NSS modules (libnss_SERVICE.so.2 for the services /etc/nsswitch.conf names) when glibc's
//     NSS lookup is reached;
//   - libgcc_s.so.1 when glibc's unwinder loader (pthread_cancel, pthread_exit, backtrace) is
//     reached;
//   - gconv modules (the gconv directory) when iconv or glibc's multibyte conversions are reached;
//   - Python extension modules (lib-dynload) when the program is Python and calls dlopen;
//   - the JVM and the JDK's native libraries (JAVA_HOME/lib/server/libjvm.so, JAVA_HOME/lib/*.so)
//     when the program is a Java launcher (it links libjli.so) and calls dlopen.

// nssEntries are glibc functions through which NSS modules are loaded (all lookups reach
// __nss_lookup_function, which loads the module on first use).
var nssEntries = []string{"__nss_lookup_function", "__nss_lookup", "__nss_next2", "__nss_next",
	"__nss_configure_lookup", "__nss_database_lookup"}

// libgccEntry tells whether a function is one glibc looks up in libgcc_s.so.1.
func libgccEntry(name string) bool {
	switch name {
	case "_Unwind_Backtrace", "_Unwind_ForcedUnwind", "_Unwind_GetCFA", "_Unwind_GetIP", "_Unwind_Resume",
		"__gcc_personality_v0", "_Unwind_DeleteException", "_Unwind_RaiseException", "_Unwind_Find_FDE":
		return true
	}
	return false
}

// unwindEntries are glibc functions that dlopen libgcc_s.so.1 (glibc 2.34 and later).
var unwindEntries = []string{"__libc_unwind_link_get"}

// gconvEntries are glibc functions that load gconv modules: iconv and the multibyte-wide
// conversions, which load the locale's character set converter on first use.
var gconvEntries = []string{"iconv_open", "__gconv_open", "btowc", "wctob", "mbrtowc", "mbrlen", "mbtowc",
	"mblen", "mbsrtowcs", "mbsnrtowcs", "wcrtomb", "wcsrtombs", "wcsnrtombs", "mbstowcs", "wcstombs",
	"wctomb", "mbrtoc16", "c16rtomb", "mbrtoc32", "c32rtomb", "mbrtoc8", "c8rtomb", "fwide", "_IO_fwide"}

// glibcGate returns the gate of a module set glibc loads: one of its exported functions names
// reached; without them (another libc, a static program without symbols), glibc there.
func (a *analysis) glibcGate(names []string) func() bool {
	return func() bool {
		if !a.hasGlibc() {
			return false
		}
		r, known := a.reachedExport(names)
		return r || !known
	}
}

func (a *analysis) pythonGate() bool { return a.pythonVersion() != "" && a.callsDlopen() }
func (a *analysis) javaGate() bool   { return a.javaHome() != "" && a.callsDlopen() }

// prefetchModules prefetches the large module sets whose gates are open already, while
// propagation goes on: loadModules adds them when it is done (a gate, once open, stays open:
// propagation only adds reached functions). node's 253 gconv modules are summarised on the
// other core instead of after propagation.
func (a *analysis) prefetchModules() {
	pre := func(set string, cond func() bool, files func() []string) {
		if a.modSets[set] || a.modPre[set] || !cond() {
			return
		}
		a.modPre[set] = true
		mode := a.objs[0].sum.Mode
		for _, p := range files() {
			if a.res.matches(p, mode) {
				a.prefetch(p)
			}
		}
	}
	pre("gconv", a.glibcGate(gconvEntries), func() []string { _, f := a.gconvFiles(); return f })
	pre("python", a.pythonGate, func() []string {
		var files []string
		for _, d := range a.pythonDirs() {
			files = append(files, a.moduleFiles(d)...)
		}
		return files
	})
	pre("java", a.javaGate, a.javaFiles)
}

// userModules loads Options.Modules.
func (a *analysis) userModules() {
	if len(a.opt.Modules) == 0 {
		return
	}
	var files []string
	for _, m := range a.opt.Modules {
		files = append(files, a.moduleFiles(m)...)
	}
	n := a.addModules(files, "Options.Modules", nil)
	a.assume = append(a.assume, fmt.Sprintf("modules given in Options.Modules (%s): %d objects analysed as loaded at run time", strings.Join(a.opt.Modules, ", "), n))
}

// moduleFiles lists the ELF files of a module path as the program sees it: the file itself, or
// a directory's *.so files (not recursively).
func (a *analysis) moduleFiles(p string) []string {
	exists, dir := a.j.stat(a.res.host(p))
	if !exists {
		a.assume = append(a.assume, fmt.Sprintf("module path %s: no such file or directory", p))
		return nil
	}
	if !dir {
		return []string{p}
	}
	ents := a.j.readDir(a.res.host(p))
	var out []string
	for _, e := range ents {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".so") || strings.Contains(e.Name(), ".so.")) {
			out = append(out, filepath.Join(p, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

// addModules loads module files, their DT_NEEDED closure, and roots them: the modules at the
// exported functions entry accepts (the names the loading code looks up with dlsym; nil: every
// one) and exported data, their dependencies at their own entry points. It returns how many
// objects were new.
func (a *analysis) addModules(files []string, how string, entry func(string) bool) int {
	first := len(a.objs)
	mode := a.objs[0].sum.Mode
	for _, p := range files {
		if a.res.matches(p, mode) {
			a.prefetch(p)
		}
	}
	for _, p := range files {
		if !a.res.matches(p, mode) {
			continue
		}
		if _, err := a.add(p, "module", how); err != nil {
			a.assume = append(a.assume, fmt.Sprintf("module %s: %v", p, err))
		}
	}
	modules := len(a.objs)
	a.closeNeeded(first)
	for i := first; i < len(a.objs); i++ {
		a.rootObject(i, i < modules && entry == nil)
		if i < modules && entry != nil {
			exports := a.objs[i].sum.Exports
			for _, name := range slices.Sorted(maps.Keys(exports)) { // in name order, as rootObject
				if entry(name) {
					for _, ad := range exports[name] {
						a.root(i, ad, rootPred(rootModule, i, how))
					}
				}
			}
		}
	}
	if len(a.objs) > first {
		a.rebind()
	}
	return len(a.objs) - first
}

// rebind binds again the imports no object defined before modules were loaded.
func (a *analysis) rebind() {
	for _, name := range slices.Sorted(maps.Keys(a.pendingTaken)) {
		p := a.pendingTaken[name]
		delete(a.symCache, name)
		delete(a.pendingTaken, name)
		delete(a.takenNames, name)
		a.takeImport(name, p)
	}
	for _, name := range slices.Sorted(maps.Keys(a.pending)) {
		cs := a.pending[name]
		delete(a.symCache, name)
		rs := a.lookup(name)
		if len(rs) == 0 {
			continue
		}
		delete(a.pending, name)
		for _, t := range rs {
			a.callers[t] = append(a.callers[t], cs...)
			a.enter(t.obj, t.addr, false, pred{kind: byCall, from: fref{cs[0].obj, cs[0].fn}})
		}
	}
}

// reachedExport tells whether a function of a glibc object exported under one of the names (or,
// in a static program, named so by its symbol table) is reached; known tells whether some
// glibc object has one of them at all.
func (a *analysis) reachedExport(names []string) (reached, known bool) {
	for i, l := range a.objs {
		if !l.glibc {
			continue
		}
		for _, n := range names {
			for _, ad := range l.sum.Exports[n] {
				known = true
				if fn := l.sum.funcAt(ad); fn >= 0 && a.isReached(fref{i, fn}) {
					return true, true
				}
			}
		}
		if len(l.sum.Exports) == 0 {
			// A static program: its symbol table, unless stripped, names glibc's functions,
			// and a name it lacks is code the linker left out.
			for fn := range l.sum.Funcs {
				if name := l.sum.Funcs[fn].Name; name != "" {
					known = true
					if slices.Contains(names, name) && a.isReached(fref{i, fn}) {
						return true, true
					}
				}
			}
		}
	}
	return false, known
}

// hasGlibc tells whether glibc is part of the process.
func (a *analysis) hasGlibc() bool {
	for _, l := range a.objs {
		if l.glibc {
			return true
		}
	}
	return false
}

// callsDlopen tells whether a reached function outside glibc and the loader calls dlopen.
func (a *analysis) callsDlopen() bool {
	for _, f := range a.reachedFuncs() {
		l := a.objs[f.obj]
		if l.glibc || l.kind == "interp" {
			continue
		}
		for _, c := range l.sum.Funcs[f.fn].Calls {
			if c.Imp == "dlopen" || c.Imp == "dlmopen" {
				return true
			}
		}
	}
	return false
}

// loadModules loads the module sets whose loading code became reachable. It reports whether it
// loaded any (then reachability must be propagated again).
func (a *analysis) loadModules() bool {
	loaded := false
	try := func(set string, cond func() bool, load func()) {
		if a.modSets[set] || !cond() {
			return
		}
		a.modSets[set] = true
		load()
		loaded = true
	}
	try("nss", a.glibcGate(nssEntries), a.loadNSS)
	try("libgcc_s", a.glibcGate(unwindEntries), a.loadLibgcc)
	try("gconv", a.glibcGate(gconvEntries), a.loadGconv)
	try("python", a.pythonGate, a.loadPython)
	try("java", a.javaGate, a.loadJava)
	if !a.modSets["dlopen"] && a.callsDlopen() {
		a.modSets["dlopen"] = true
		a.assume = append(a.assume, "reached code calls dlopen: only the module sets listed here are analysed (closed world); "+
			"other code loaded at run time, and numbers it passes to wrappers like syscall(), are not covered")
	}
	return loaded
}

// nssServices lists the services /etc/nsswitch.conf names (glibc's defaults without the file).
func (a *analysis) nssServices() []string {
	b, _, err := a.j.readFile(a.res.host("/etc/nsswitch.conf"))
	if err != nil {
		return []string{"files", "dns"}
	}
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		_, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for _, w := range strings.Fields(rest) {
			if strings.HasPrefix(w, "[") || strings.HasSuffix(w, "]") || strings.Contains(w, "=") {
				continue
			}
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// loadNSS loads the NSS modules of the services nsswitch.conf names.
func (a *analysis) loadNSS() {
	mode := a.objs[0].sum.Mode
	var found, missing []string
	var files, prefixes []string
	for _, s := range a.nssServices() {
		name := "libnss_" + s + ".so.2"
		if p, _ := a.res.find(name, "", nil, nil, mode); p != "" {
			files = append(files, p)
			found = append(found, name)
			prefixes = append(prefixes, "_nss_"+s+"_")
		} else {
			missing = append(missing, name)
		}
	}
	a.addModules(files, "NSS module (/etc/nsswitch.conf)", func(n string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(n, p) {
				return true
			}
		}
		return false
	})
	msg := "glibc's NSS is reached: the NSS modules of /etc/nsswitch.conf are analysed as loaded, entered at their _nss_SERVICE_* functions (" + strings.Join(found, ", ") + ")"
	if len(missing) > 0 {
		msg += "; not found, so never loaded: " + strings.Join(missing, ", ")
	}
	a.assume = append(a.assume, msg)
}

// loadLibgcc loads libgcc_s.so.1, which glibc loads for unwinding (pthread_cancel, pthread_exit,
// backtrace).
func (a *analysis) loadLibgcc() {
	p, _ := a.res.find("libgcc_s.so.1", "", nil, nil, a.objs[0].sum.Mode)
	if p == "" {
		a.assume = append(a.assume, "glibc may load libgcc_s.so.1 for unwinding: not found, so never loaded")
		return
	}
	a.addModules([]string{p}, "glibc's unwinder (dlopen libgcc_s.so.1)", libgccEntry)
	a.assume = append(a.assume, "glibc's unwinder loader is reached: "+p+" is analysed as loaded, entered at the functions glibc looks up (_Unwind_*, __gcc_personality_v0)")
}

// gconvDirs returns where glibc's gconv modules live, for a word size.
func gconvDirs(bits int) []string {
	switch bits {
	case 64:
		return []string{"/usr/lib/x86_64-linux-gnu/gconv", "/usr/lib64/gconv"}
	case 32:
		return []string{"/usr/lib/i386-linux-gnu/gconv", "/usr/lib32/gconv", "/usr/lib/gconv"}
	}
	return nil
}

// loadGconv loads the gconv modules.
// gconvFiles returns the gconv directory and its modules ("" if there is none).
func (a *analysis) gconvFiles() (string, []string) {
	for _, d := range gconvDirs(a.objs[0].sum.Mode) {
		if _, dir := a.j.stat(a.res.host(d)); dir {
			return d, a.moduleFiles(d)
		}
	}
	return "", nil
}

func (a *analysis) loadGconv() {
	if d, files := a.gconvFiles(); d != "" {
		a.addModules(files, "gconv module", func(n string) bool { return n == "gconv" || n == "gconv_init" || n == "gconv_end" })
		a.assume = append(a.assume, fmt.Sprintf("glibc's character set conversion is reached: the %d gconv modules of %s are analysed as loaded (GCONV_PATH is ignored)", len(files), d))
		return
	}
	a.assume = append(a.assume, "glibc's character set conversion is reached, but no gconv directory was found: only built-in conversions")
}

// pythonName returns "3.X" when a file name starts as a Python interpreter's or its library's
// does (python3.X, libpython3.X), else "". (What the regexp ^(?:lib)?python(3\.[0-9]+) would
// match, without compiling one at start-up.)
func pythonName(name string) string {
	rest, ok := strings.CutPrefix(strings.TrimPrefix(name, "lib"), "python3.")
	if !ok {
		return ""
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 {
		return ""
	}
	return "3." + rest[:n]
}

// pythonVersion returns "3.X" when the program is Python (named python3.X or linking
// libpython3.X), else "".
func (a *analysis) pythonVersion() string {
	for _, l := range a.objs {
		for _, n := range []string{filepath.Base(l.o.path), filepath.Base(l.path), l.sum.Soname} {
			if v := pythonName(n); v != "" && (l == a.objs[0] || strings.HasPrefix(n, "lib")) {
				return v
			}
		}
	}
	return ""
}

// loadPython loads the extension modules of Python's lib-dynload directory: the one under the
// program's prefix (PREFIX/bin/python3.X: PREFIX/lib/python3.X/lib-dynload) and /usr/lib's.
// pythonDirs returns the directories of Python's extension modules that exist.
func (a *analysis) pythonDirs() []string {
	v := a.pythonVersion()
	prefix := filepath.Dir(filepath.Dir(a.objs[0].path))
	if a.opt.Root == "/" {
		// Python finds its prefix from its executable with symbolic links resolved.
		prefix = filepath.Dir(filepath.Dir(a.objs[0].o.path))
	}
	dirs := []string{filepath.Join(prefix, "lib", "python"+v, "lib-dynload")}
	if d := "/usr/lib/python" + v + "/lib-dynload"; d != dirs[0] {
		dirs = append(dirs, d)
	}
	return slices.DeleteFunc(dirs, func(d string) bool {
		_, dir := a.j.stat(a.res.host(d))
		return !dir
	})
}

func (a *analysis) loadPython() {
	v := a.pythonVersion()
	for _, d := range a.pythonDirs() {
		files := a.moduleFiles(d)
		a.addModules(files, "Python extension module", func(n string) bool { return strings.HasPrefix(n, "PyInit_") || strings.HasPrefix(n, "PyModExport_") })
		a.assume = append(a.assume, fmt.Sprintf("Python %s calls dlopen: the %d extension modules of %s are analysed as loaded; "+
			"extension modules elsewhere (site-packages, dist-packages) and libraries loaded by ctypes are not covered", v, len(files), d))
	}
}

// javaHome returns the Java home when the program is a Java launcher (java, javac, jshell, ...:
// they link HOME/lib/libjli.so), else "".
func (a *analysis) javaHome() string {
	for _, l := range a.objs {
		if l.sum.Soname == "libjli.so" || filepath.Base(l.path) == "libjli.so" {
			return filepath.Dir(filepath.Dir(l.path))
		}
	}
	return ""
}

// javaEntry tells whether a function is one the JVM or its launcher looks up by name: the
// invocation API (JNI_CreateJavaVM & co., which libjli takes from libjvm.so), native methods
// (Java_...), the libraries' JNI_OnLoad and JNI_OnUnload, JVM TI agents' Agent_OnLoad & co.
// and the JVM_ interface the class library calls.
func javaEntry(name string) bool {
	for _, p := range []string{"JNI_", "Java_", "JVM_", "Agent_On"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// loadJava loads the JVM (lib/server, lib/client, lib/zero: whichever exist) and the native
// libraries of the Java home's lib directory, which the launcher and the JVM load with dlopen.
// javaFiles returns the JVM and the JDK's native libraries.
func (a *analysis) javaFiles() []string {
	var files []string
	for _, d := range []string{"lib", "lib/server", "lib/client", "lib/zero"} {
		dir := filepath.Join(a.javaHome(), d)
		if _, isDir := a.j.stat(a.res.host(dir)); isDir {
			files = append(files, a.moduleFiles(dir)...)
		}
	}
	return files
}

func (a *analysis) loadJava() {
	home := a.javaHome()
	files := a.javaFiles()
	n := a.addModules(files, "Java native library", javaEntry)
	a.assume = append(a.assume, fmt.Sprintf("a Java launcher calls dlopen: the JVM and the %d native libraries of %s/lib (%d objects with their dependencies) are analysed as loaded, "+
		"entered at the names the JVM looks up (JNI_*, JVM_*, Java_*, Agent_On*); code the JIT compiler generates, and native libraries elsewhere (System.loadLibrary), are not covered",
		len(files), home, n))
}
