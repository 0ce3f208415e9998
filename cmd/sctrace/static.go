package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/sctrace/sctrace/emit/audit"
	"github.com/sctrace/sctrace/learn"
	"github.com/sctrace/sctrace/learn/reach"
)

// possibleCalls is what a profile's executables can call, per arch, by sctrace inspect's
// analysis (learn/reach): the union over its executables. An executable the analysis could not
// bound can make any call of its arches (any). It is read from a cache keyed by each
// executable's identity on disk (device, inode, size, modification time), so that only the
// first run after an executable changes pays for the analysis.
type possibleCalls struct {
	calls    map[string]map[string]bool
	any      map[string]bool
	skipped  []string // executables not analysed (not on this machine, not ELF, ...)
	analysed []string // executables analysed afresh (not from the cache)
}

// exeCalls is the cached analysis of one executable: valid while the identity of the
// executable and of every object the analysis read (its libraries) is the same, for the same
// version of the analysis.
type exeCalls struct {
	Version  int
	Identity string
	// Objects are the files the analysis read (libraries, modules), and Digest the hash of
	// their identities: one string to compare, rather than hundreds (gconv has 253 modules).
	Objects []string
	Digest  string
	Arches  map[string][]string
	Any     []string
	Error   string // the analysis failed: not an ELF, ...
}

// exeCacheVersion changes with what the analysis finds, or with the file's format: older
// results are recomputed.
const exeCacheVersion = 5

// The cache file of one executable is a few lines of text (encoding/json's first use in a
// process costs about 0.25 ms, which every run paid):
//
//	sctrace-exe-calls 5
//	identity "65024:326321:79784:1670850661.000000000"
//	digest 3f5a...
//	object "/lib/x86_64-linux-gnu/libc.so.6"
//	any x86
//	arch x86_64 access arch_prctl bind ...
//	error "not an ELF file"
//
// Paths and messages are Go-quoted; arch and call names have no spaces.

// encode writes ec in the cache's text format.
func (ec *exeCalls) encode() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "sctrace-exe-calls %d\nidentity %q\ndigest %s\n", ec.Version, ec.Identity, ec.Digest)
	for _, o := range ec.Objects {
		fmt.Fprintf(&b, "object %q\n", o)
	}
	for _, a := range ec.Any {
		fmt.Fprintf(&b, "any %s\n", a)
	}
	for _, a := range slices.Sorted(maps.Keys(ec.Arches)) {
		fmt.Fprintf(&b, "arch %s %s\n", a, strings.Join(ec.Arches[a], " "))
	}
	if ec.Error != "" {
		fmt.Fprintf(&b, "error %q\n", ec.Error)
	}
	return []byte(b.String())
}

// decodeExeCalls reads what encode wrote; false for anything else (another version included).
func decodeExeCalls(data []byte) (*exeCalls, bool) {
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		return nil, false
	}
	ec := &exeCalls{Arches: map[string][]string{}}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		key, val, _ := strings.Cut(line, " ")
		if i == 0 {
			if key != "sctrace-exe-calls" || val != strconv.Itoa(exeCacheVersion) {
				return nil, false
			}
			ec.Version = exeCacheVersion
			continue
		}
		var err error
		switch key {
		case "identity":
			ec.Identity, err = strconv.Unquote(val)
		case "digest":
			ec.Digest = val
		case "object":
			var o string
			o, err = strconv.Unquote(val)
			ec.Objects = append(ec.Objects, o)
		case "any":
			ec.Any = append(ec.Any, val)
		case "arch":
			f := strings.Fields(val)
			if len(f) == 0 {
				return nil, false
			}
			ec.Arches[f[0]] = f[1:]
		case "error":
			ec.Error, err = strconv.Unquote(val)
		default:
			return nil, false
		}
		if err != nil {
			return nil, false
		}
	}
	return ec, ec.Version == exeCacheVersion
}

// maxFreshAnalyses bounds the executables one run analyses afresh (a large one takes seconds):
// the others are not analysed this time, and sctrace says so.
const maxFreshAnalyses = 16

// identity names one state of a file: device, inode, size, and modification and change times
// (the change time cannot be set back, so a file rewritten in place with its old mtime differs).
func identity(path string) (string, bool) { return fileIdentity(path, false) }

// fileIdentity is identity, for a directory too with dirs.
func fileIdentity(path string, dirs bool) (string, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "", false
	}
	if t := st.Mode & syscall.S_IFMT; t != syscall.S_IFREG && !(dirs && t == syscall.S_IFDIR) {
		return "", false
	}
	return fmt.Sprintf("%d:%d:%d:%d.%09d:%d.%09d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec), true
}

// possibleOf analyses the executables of p (quietly when quiet; it says on stderr which it
// analyses afresh, since a large one takes seconds).
func possibleOf(p *learn.Profile, stderr io.Writer, quiet bool) *possibleCalls {
	pc := &possibleCalls{calls: map[string]map[string]bool{}, any: map[string]bool{}}
	cacheDir := defaultReachCache()
	analyses := 0
	for _, exe := range p.ExecutableNames() {
		if !filepath.IsAbs(exe) {
			continue // "(no exec)" and the like
		}
		ec, fresh, err := exeCallsOf(exe, cacheDir, func() bool {
			if analyses >= maxFreshAnalyses {
				return false
			}
			analyses++
			if !quiet {
				fmt.Fprintf(stderr, "sctrace: analysing %s for the calls it can make (once: the result is cached)\n", exe)
			}
			return true
		})
		if err != nil {
			pc.skipped = append(pc.skipped, exe+": "+err.Error())
			continue
		}
		if fresh {
			pc.analysed = append(pc.analysed, exe)
		}
		for a, names := range ec.Arches {
			if pc.calls[a] == nil {
				pc.calls[a] = map[string]bool{}
			}
			for _, n := range names {
				pc.calls[a][n] = true
			}
		}
		for _, a := range ec.Any {
			pc.any[a] = true
		}
	}
	return pc
}

// can reports whether some executable can make call name in arch a.
func (pc *possibleCalls) can(a, name string) bool { return pc.any[a] || pc.calls[a][name] }

// asMap is the possible calls per arch, with every call of an unbounded arch.
func (pc *possibleCalls) asMap(names []string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for a := range pc.calls {
		out[a] = map[string]bool{}
	}
	for a := range pc.any {
		out[a] = map[string]bool{}
	}
	for a := range out {
		for _, n := range names {
			if pc.can(a, n) {
				out[a][n] = true
			}
		}
	}
	return out
}

// exeCallsOf returns the analysis of one executable, from the cache when it is still valid;
// before analysing afresh it calls before, which may refuse (false).
func exeCallsOf(exe, cacheDir string, before func() bool) (*exeCalls, bool, error) {
	id, ok := identity(exe)
	if !ok {
		return nil, false, errors.New("not a regular file")
	}
	var file string
	if cacheDir != "" {
		sum := sha256.Sum256([]byte(exe))
		file = filepath.Join(cacheDir, "exe", hex.EncodeToString(sum[:16])+".calls")
		if b := reach.ReadTrusted(file, 64<<20); b != nil {
			if ec, ok := decodeExeCalls(b); ok && ec.Identity == id && objectsDigest(ec.Objects) == ec.Digest {
				if ec.Error != "" {
					return nil, false, errors.New(ec.Error)
				}
				return ec, false, nil
			}
		}
	}
	if !before() {
		return nil, false, errors.New("not analysed in this run: too many executables to analyse at once (they are, a few at each run)")
	}
	ec := &exeCalls{Version: exeCacheVersion, Identity: id, Arches: map[string][]string{}}
	r, err := reach.Analyze(exe, reach.Options{CacheDir: cacheDir})
	if err != nil {
		ec.Error = analysisError(err)
	} else {
		for _, o := range r.Objects {
			// A module set (gconv's 253, NSS, lib-dynload) by its directory: a package that
			// replaces a module renames into it, which changes the directory's times.
			if o.Kind == "module" {
				ec.Objects = append(ec.Objects, filepath.Dir(o.Path))
			} else {
				ec.Objects = append(ec.Objects, o.Path)
			}
		}
		slices.Sort(ec.Objects)
		ec.Objects = slices.Compact(ec.Objects)
		ec.Digest = objectsDigest(ec.Objects)
		for a, c := range r.Arches {
			if c.Any {
				ec.Any = append(ec.Any, a)
			}
			if names := r.Names(a); len(names) > 0 {
				ec.Arches[a] = names
			}
		}
		slices.Sort(ec.Any)
	}
	if file != "" && os.MkdirAll(filepath.Dir(file), 0o755) == nil {
		reach.WriteCacheFile(file, ec.encode())
		os.Remove(strings.TrimSuffix(file, ".calls") + ".json") // the format before version 5
	}
	if ec.Error != "" {
		return nil, true, errors.New(ec.Error)
	}
	return ec, true, nil
}

// objectsDigest hashes the identities of the objects an analysis read, as they are now.
func objectsDigest(paths []string) string {
	h := sha256.New()
	for _, p := range paths {
		id, _ := fileIdentity(p, true)
		io.WriteString(h, p+"\x00"+id+"\n")
	}
	return hex.EncodeToString(h.Sum(nil))
}

// analysisError says why an executable could not be analysed, without quoting its bytes.
func analysisError(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "not an ELF file") {
		return "not an ELF file"
	}
	return msg
}

// widenNamedOnly tells whether --widen adds a call only when named: it reaches beyond the process
// (signals any process of the uid) or takes its arguments in memory, where a filter cannot check
// them (clone3's namespace flags, i386's socketcall families), or changes identity and privileges.
func widenNamedOnly(name string) bool {
	switch name {
	case "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal", "pidfd_open",
		"pidfd_getfd", "clone3", "socketcall", "ipc",
		"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid",
		"capset", "setuid32", "setgid32", "setreuid32", "setregid32", "setresuid32", "setresgid32", "setgroups32",
		"setfsuid32", "setfsgid32", "mknod", "mknodat":
		return true
	}
	return false
}

// timingNames are the names of learn.Timing.
func timingNames() []string {
	names := make([]string, len(learn.Timing))
	for i, t := range learn.Timing {
		names[i] = t.Name
	}
	return names
}

// parseWiden reads --widen's list: the call groups, and the calls named (risky ones, or those
// whose arguments sctrace learns). The commands check it before they do any work.
func parseWiden(widen string) (groups, named map[string]bool, err error) {
	groups, named = map[string]bool{}, map[string]bool{}
	if widen == "" {
		return groups, named, nil
	}
	for _, g := range strings.Split(widen, ",") {
		g = strings.TrimSpace(g)
		switch {
		case slices.Contains(audit.Groups, g):
			groups[g] = true
		case audit.Risk(g) != "" || learn.ArgReason(g) != "" || widenNamedOnly(g):
			named[g] = true
		default:
			return nil, nil, usageErrorf("--widen: %q is neither a call group (%s) nor a risky call or one whose arguments sctrace learns", g, strings.Join(audit.Groups, ", "))
		}
	}
	return groups, named, nil
}

// completeStatic adds to p (a profile about to be enforced or emitted) the timing-class calls
// its executables can make, and, with widen (a comma-separated list of call groups, and of
// risky calls by name), the calls of those groups they can make. It returns the additions.
func completeStatic(p, base *learn.Profile, widen string, stderr io.Writer, quiet bool) ([]learn.Completion, error) {
	groups, named, err := parseWiden(widen)
	if err != nil {
		return nil, err
	}
	pc := possibleOf(base, stderr, quiet)
	if !quiet {
		for _, s := range pc.skipped {
			fmt.Fprintf(stderr, "sctrace: not analysed, so no timing-dependent calls added for it: %s\n", s)
		}
	}
	added := learn.CompleteTiming(p, pc.asMap(timingNames()), func(n string) string {
		return "timing-dependent, and the executable can make it: " + learn.TimingReason(n)
	})
	if len(groups) == 0 && len(named) == 0 {
		return added, nil
	}
	var wide []string
	seen := map[string]bool{}
	for _, calls := range pc.calls {
		for n := range calls {
			if seen[n] {
				continue
			}
			// Risky calls, and calls whose arguments sctrace learns (clone's namespaces,
			// ioctl's TIOCSTI), are widened only by name: widened, they take any arguments.
			risky := audit.Risk(n) != "" || learn.ArgReason(n) != "" || widenNamedOnly(n)
			if named[n] || (groups[audit.GroupOf(n)] && !risky) {
				seen[n] = true
				wide = append(wide, n)
			}
		}
	}
	slices.Sort(wide)
	added = append(added, learn.CompleteFrom(p, pc.asMap(wide), wide, func(n string) string {
		return "--widen " + audit.GroupOf(n) + ": the executable can make it"
	})...)
	return added, nil
}
