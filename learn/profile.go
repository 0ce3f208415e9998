package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sctrace/sctrace/arch"
)

// Version is the profile format this package writes. Decode reads it and every older one.
// Version 2 adds executables.PATH.partial and recordings[].terminal; version 3 the arguments
// calls were made with (syscalls.NAME.args).
const Version = 3

// MaxProfileSize bounds what Decode accepts: a real profile is a few hundred kilobytes.
const MaxProfileSize = 64 << 20

// Profile is a workload's system call footprint. Its JSON form is documented in the README; the
// skeleton (version, arches.ARCH.syscalls.NAME.count) is meant for other tools too.
type Profile struct {
	Version int `json:"version"`
	// Arches maps libseccomp's arch name (x86_64, x86, x32, aarch64, ...) to the calls made in it.
	Arches map[string]*SyscallSet `json:"arches"`
	// Executables maps an executable's path to the calls made while a process ran it.
	Executables map[string]*Executable `json:"executables,omitempty"`
	// Recordings says where the footprint came from: one entry per recorded run.
	Recordings []Recording `json:"recordings,omitempty"`

	// Files maps each path the workload opened, created or executed to how (open, create,
	// exec), as the workload named it (relative paths stay relative).
	Files FileUses `json:"files,omitempty"`
	// Programs lists what the workload executed, with command lines.
	Programs []Program `json:"programs,omitempty"`
	// Endpoints lists the socket addresses it connected to, bound or sent to.
	Endpoints []Endpoint `json:"endpoints,omitempty"`
	// Dropped counts what the caps (MaxFiles, ...) left out.
	Dropped *Dropped `json:"dropped,omitempty"`
}

// SyscallSet is the calls made in one arch. Keys are the names of arch's table, or decimal numbers
// for calls the table has no name for.
type SyscallSet struct {
	Syscalls map[string]*SyscallStat `json:"syscalls"`
}

// SyscallStat is what is known of one call.
type SyscallStat struct {
	Count uint64 `json:"count"`
	// Args are the argument values it was made with, for the calls whose arguments matter
	// (argSpecs); nil: any.
	Args *Args `json:"args,omitempty"`
}

// Executable is the footprint of one program.
type Executable struct {
	// Processes counts the processes that ran it (by execve or by forking from one that did).
	Processes int                    `json:"processes"`
	Arches    map[string]*SyscallSet `json:"arches"`
	// Partial: some of its calls ran unobserved (a refine run whose base allowed them, without
	// sctrace tracing this executable fully), so Arches may lack calls it makes. A filter for
	// this executable alone must not be built from it.
	Partial bool `json:"partial,omitempty"`
}

// Recording describes one recorded run.
type Recording struct {
	Command  []string `json:"command"`
	Kernel   string   `json:"kernel,omitempty"`  // uname -r of the recording machine
	Machine  string   `json:"machine,omitempty"` // uname -m
	ExitCode int      `json:"exit_code"`
	// Running: the process was still running when sctrace detached from it (record -p), so
	// ExitCode says nothing.
	Running bool `json:"running,omitempty"`
	// Terminal: the workload's standard output was a terminal. Programs behave differently on
	// one (git starts a pager, ls colours its output), and so do their calls.
	Terminal bool `json:"terminal,omitempty"`
	// SyscallsOnly: recorded with --syscalls-only, so without files, programs and endpoints
	// (an empty list says nothing of what the workload opened).
	SyscallsOnly bool `json:"syscalls_only,omitempty"`
	Processes    int  `json:"processes"`
	// Hidden lists why calls may be missing from this recording: the workload's own seccomp
	// filters or tracing, children that escaped the tracer, stops that could not be read.
	Hidden []string `json:"hidden,omitempty"`
	// Tree is the recording's processes: who created whom and what each executed.
	Tree []Node `json:"tree,omitempty"`
}

// NewProfile returns an empty profile.
func NewProfile() *Profile {
	return &Profile{Version: Version, Arches: map[string]*SyscallSet{}}
}

// Add counts n calls of syscall key in arch a.
func (s *SyscallSet) add(key string, n uint64) {
	st := s.Syscalls[key]
	if st == nil {
		st = &SyscallStat{}
		s.Syscalls[key] = st
	}
	st.Count += n
}

// addStat adds what src knows of call key: its count, and its arguments (the union with what
// is there; any if either allows any).
func (s *SyscallSet) addStat(key string, src *SyscallStat) {
	st := s.Syscalls[key]
	if st == nil {
		st = &SyscallStat{Count: src.Count, Args: mergeArgs(src.Args, src.Args)}
		s.Syscalls[key] = st
		return
	}
	st.Count += src.Count
	st.Args = mergeArgs(st.Args, src.Args)
}

// AddCall adds what st knows of call key of arch archName to sets (a profile's Arches, or an
// executable's): its count, and its arguments (the union with what is there).
func AddCall(sets map[string]*SyscallSet, archName, key string, st *SyscallStat) {
	setIn(sets, archName).addStat(key, st)
}

func setIn(m map[string]*SyscallSet, archName string) *SyscallSet {
	s := m[archName]
	if s == nil {
		s = &SyscallSet{Syscalls: map[string]*SyscallStat{}}
		m[archName] = s
	}
	return s
}

// Machine returns the ABI of the machine the profile is for: the native ABI of the machine its
// recordings were made on (uname -m: arm for armv7l, x86 for i686; mips machines do not say
// their byte order, which the recorded arches tell), or else the one 64-bit host ABI that its
// arches share; nil if neither tells (then the caller's own host is the best guess).
func (p *Profile) Machine() *arch.Arch {
	for _, r := range p.Recordings {
		if a, ok := arch.ForMachine(r.Machine); ok {
			little := map[*arch.Arch]*arch.Arch{arch.MIPS: arch.MIPSel, arch.MIPS64: arch.MIPSel64}
			if le := little[a]; le != nil && p.Arches[le.Name] != nil && p.Arches[a.Name] == nil {
				return le
			}
			return a
		}
	}
	var host *arch.Arch
	for name := range p.Arches {
		a, ok := arch.ByName(name)
		if !ok {
			continue
		}
		if host != nil && a.Host() != host {
			return nil
		}
		host = a.Host()
	}
	return host
}

// ArchNames returns the profile's arches, sorted.
func (p *Profile) ArchNames() []string { return sortedKeys(p.Arches) }

// Syscalls returns the calls recorded in an arch, sorted by name.
func (p *Profile) Syscalls(archName string) []string {
	s := p.Arches[archName]
	if s == nil {
		return nil
	}
	return sortedKeys(s.Syscalls)
}

// Count returns how many calls of key were recorded in an arch.
func (p *Profile) Count(archName, key string) uint64 {
	if s := p.Arches[archName]; s != nil {
		if st := s.Syscalls[key]; st != nil {
			return st.Count
		}
	}
	return 0
}

// ExecutableNames returns the recorded executables, sorted.
func (p *Profile) ExecutableNames() []string { return sortedKeys(p.Executables) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Encode writes the profile as indented JSON. The same profile always gives the same bytes.
func (p *Profile) Encode(w io.Writer) error {
	jw := jsonWriter{b: make([]byte, 0, flushAt+4096), out: w}
	jw.profile(p)
	jw.b = append(jw.b, '\n')
	jw.flush()
	return jw.err
}

// ErrVersion is returned by Decode for a profile newer than this sctrace.
var ErrVersion = errors.New("unsupported profile version")

// Decode reads and validates a profile. It rejects unknown fields, unknown versions, unknown arch
// names and syscall names that the arch's table does not have: a profile that says something
// sctrace cannot understand must not turn into a filter that allows something else.
func Decode(r io.Reader) (*Profile, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxProfileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxProfileSize {
		return nil, fmt.Errorf("profile larger than %d bytes", MaxProfileSize)
	}
	if what := notJSON(data); what != "" {
		// A program, an archive, a text file: say what it is not before how it is broken
		// (an ELF file is also invalid UTF-8, which would send the reader looking for a bad byte).
		return nil, errors.New("not a profile: " + what)
	}
	if !utf8.Valid(data) {
		// JSON readers repair invalid UTF-8 in different ways (Go: one U+FFFD per byte, jq: one
		// per sequence), so two keys could be one key to them and two to sctrace.
		return nil, errors.New("bad profile: not valid UTF-8")
	}
	// One strict pass on the happy path; when it fails, a lenient look at the version gives the
	// better error for a profile from a newer sctrace (whose new fields are "unknown" here).
	p, strictErr := decodeProfile(string(data))
	if strictErr != nil || p.Version < 1 || p.Version > Version {
		var head struct {
			Version *int `json:"version"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return nil, fmt.Errorf("not a profile: %w", jsonError(data, err))
		}
		if head.Version == nil {
			return nil, errors.New("not a profile: no version field")
		}
		if *head.Version < 1 || *head.Version > Version {
			return nil, fmt.Errorf("%w %d (this sctrace reads 1 to %d; upgrade sctrace)", ErrVersion, *head.Version, Version)
		}
		return nil, fmt.Errorf("bad profile: %w", strictErr)
	}
	if p.Version < 2 {
		for path, e := range p.Executables {
			if e.Partial {
				return nil, fmt.Errorf("bad profile: executable %q: \"partial\" is a version 2 field, the profile says version %d", path, p.Version)
			}
		}
	}
	if p.Version < 3 && p.hasArgs() {
		return nil, fmt.Errorf("bad profile: \"args\" is a version 3 field, the profile says version %d", p.Version)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("bad profile: %w", err)
	}
	return p, nil
}

// hasArgs reports whether some call of p has learned arguments.
func (p *Profile) hasArgs() bool {
	sets := []map[string]*SyscallSet{p.Arches}
	for _, e := range p.Executables {
		if e != nil {
			sets = append(sets, e.Arches)
		}
	}
	for _, m := range sets {
		for _, set := range m {
			if set == nil {
				continue
			}
			for _, st := range set.Syscalls {
				if st != nil && st.Args != nil {
					return true
				}
			}
		}
	}
	return false
}

func (p *Profile) validate() error {
	if p.Arches == nil {
		return errors.New("no arches field")
	}
	for path, uses := range p.Files {
		for _, u := range uses {
			if u != UseOpen && u != UseCreate && u != UseExec && (p.Version < 3 || (u != UseOpenFailed && u != UseCreateFailed)) {
				return fmt.Errorf("file %q: unknown use %q", path, u)
			}
		}
	}
	for _, e := range p.Endpoints {
		if (e.Family != "inet" && e.Family != "inet6" && e.Family != "unix") ||
			(e.Call != "connect" && e.Call != "bind" && e.Call != "sendto") || e.Port < 0 || e.Port > 65535 {
			return fmt.Errorf("bad endpoint %+v", e)
		}
	}
	if err := validateSets("arches", p.Arches); err != nil {
		return err
	}
	for path, e := range p.Executables {
		if e == nil {
			return fmt.Errorf("executable %q is null", path)
		}
		if e.Processes < 0 {
			return fmt.Errorf("executable %q: negative process count", path)
		}
		if err := validateSets("executable "+path, e.Arches); err != nil {
			return err
		}
	}
	return nil
}

func validateSets(where string, sets map[string]*SyscallSet) error {
	for name, set := range sets {
		a, ok := arch.ByName(name)
		if !ok && !isAuditName(name) {
			return fmt.Errorf("%s: unknown arch %q (known: %s)", where, name, knownArches())
		}
		if set == nil || set.Syscalls == nil {
			return fmt.Errorf("%s: %s: no syscalls field", where, name)
		}
		for key, st := range set.Syscalls {
			if st == nil {
				return fmt.Errorf("%s: %s: %s is null", where, name, key)
			}
			if st.Args != nil {
				if err := st.Args.validate(); err != nil {
					return fmt.Errorf("%s: %s: %s: %w", where, name, key, err)
				}
				if a != nil && argsInMemory(a, key) {
					return fmt.Errorf("%s: %s: %s takes its arguments in memory, where a filter cannot check them: args would mean nothing", where, name, key)
				}
			}
			if a == nil {
				// No table: only canonical decimal numbers are valid keys, every one checked.
				if n, err := strconv.ParseUint(key, 10, 31); err != nil || strconv.FormatUint(n, 10) != key {
					return fmt.Errorf("%s: %s: arch has no table, %q must be a number", where, name, key)
				}
				continue
			}
			n, ok := a.ParseKey(key)
			if !ok {
				return fmt.Errorf("%s: %s: unknown syscall %q", where, name, key)
			}
			// A number is a key only for a call the table has no name for: "101" under x86_64
			// would be ptrace to a filter and a mere number to jq, diff and report.
			if callName, named := a.SyscallName(n); named && callName != key {
				return fmt.Errorf("%s: %s: %q is the number of %s: write it by name", where, name, key, callName)
			}
		}
	}
	return nil
}

// ArchName is the profile key of an AUDIT_ARCH value: the arch's name, or "audit-0x%08x" for an
// ABI sctrace has no table for (its calls are kept by number).
func ArchName(audit uint32, nr int) (name string, key string) {
	a, n := arch.Classify(audit, nr)
	if a == nil {
		return fmt.Sprintf("audit-%#08x", audit), fmt.Sprint(nr)
	}
	return a.Name, a.Key(n)
}

func isAuditName(name string) bool {
	var v uint32
	n, err := fmt.Sscanf(name, "audit-0x%08x", &v)
	return err == nil && n == 1 && name == fmt.Sprintf("audit-%#08x", v)
}

func knownArches() string {
	var names []string
	for _, a := range arch.All() {
		names = append(names, a.Name)
	}
	return strings.Join(names, ", ")
}

// jsonError adds the line number to a JSON syntax or type error.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("truncated JSON")
		}
		return err
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	return fmt.Errorf("line %d: %w", line, err)
}

// notJSON says why data cannot be JSON text at all, from its first byte that is not JSON
// white space ("" when it could be, or is empty: the JSON decoder says what is wrong then).
func notJSON(data []byte) string {
	rest := bytes.TrimLeft(data, " \t\r\n")
	if len(rest) == 0 || strings.IndexByte("{[\"-0123456789", rest[0]) >= 0 {
		return ""
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(rest, []byte(lit)) {
			return ""
		}
	}
	if bytes.HasPrefix(rest, []byte("\x7fELF")) {
		return "not JSON text (an ELF file)"
	}
	return "not JSON text"
}

// ValidUTF8 returns s with every byte that is not part of valid UTF-8 written as \xNN. A profile
// is JSON, which holds text: encoding/json would turn each such byte into U+FFFD, so that two
// paths that differ only there (a file named with a Latin-1 byte, say) would become one key,
// and the profile one that sctrace refuses to read.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, "\\x%02x", s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
