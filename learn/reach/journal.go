package reach

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// The whole-result cache. A per-object summary saves decoding, but an analysis still decodes
// every summary and propagates through every object (node: about 1 s). So the Result itself is
// cached too, with a journal of every file-system fact the analysis read: each file's content
// (objects, ld.so.cache, nsswitch.conf), each directory listing, each existence test, each
// symbolic link and each ELF class probe. A later analysis of the same path by the same
// sctrace build checks every fact again (objects are hashed again, never trusted by their
// time stamps) and returns the cached Result only if none changed; otherwise it analyses afresh.

// fact is one thing the analysis learnt from the file system: the kind of question, the host
// path and the answer (a digest, a class, a target; "!" for an error).
type fact struct {
	K byte
	P string
	V string
}

// Kinds of fact.
const (
	factFile  = 'f' // the sha256 of the file's bytes
	factStat  = 's' // "d" a directory, "f" anything else
	factDir   = 'd' // the sha256 of the sorted entries (name, directory or not)
	factLink  = 'l' // filepath.EvalSymlinks
	factClass = 'e' // the ELF class and machine
)

// journal collects the facts of one analysis in the order they were learnt.
type journal struct {
	mu    sync.Mutex
	facts []fact
	seen  map[fact]bool
}

func (j *journal) note(k byte, p, v string) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	f := fact{k, p, v}
	if j.seen == nil {
		j.seen = map[fact]bool{}
	}
	if !j.seen[f] {
		j.seen[f] = true
		j.facts = append(j.facts, f)
	}
}

// readFile reads a file, notes its digest and returns it (an object's cache key: a 99 MB
// program is hashed once).
func (j *journal) readFile(p string) ([]byte, string, error) {
	b, err := readRegular(p)
	if err != nil {
		j.note(factFile, p, "!")
		return nil, "", err
	}
	h := contentHash(b)
	j.note(factFile, p, h)
	return b, h, nil
}

// statKind returns "d" for a directory, "f" for anything else, "!" when it cannot be stat'ed.
func statKind(p string) string {
	st, err := os.Stat(p)
	switch {
	case err != nil:
		return "!"
	case st.IsDir():
		return "d"
	}
	return "f"
}

// isDir tells whether p is a directory, noting it; exists whether p exists at all.
func (j *journal) stat(p string) (exists, dir bool) {
	k := statKind(p)
	j.note(factStat, p, k)
	return k != "!", k == "d"
}

// dirDigest lists a directory and digests the listing.
func dirDigest(p string) ([]os.DirEntry, string) {
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, "!"
	}
	h := sha256.New()
	for _, e := range ents { // ReadDir sorts by name
		h.Write([]byte(e.Name()))
		if e.IsDir() {
			h.Write([]byte{0, 'd', 0})
		} else {
			h.Write([]byte{0, 'f', 0})
		}
	}
	return ents, hex.EncodeToString(h.Sum(nil))
}

func (j *journal) readDir(p string) []os.DirEntry {
	ents, d := dirDigest(p)
	j.note(factDir, p, d)
	return ents
}

func evalLink(p string) string {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "!"
	}
	return real
}

// evalSymlinks returns the resolved path, or p when it cannot be resolved.
func (j *journal) evalSymlinks(p string) string {
	real := evalLink(p)
	j.note(factLink, p, real)
	if real == "!" {
		return p
	}
	return real
}

// elfClass returns "64" for an x86_64 ELF file, "32" for an i386 one, "" for anything else and
// "!" when it cannot be read as ELF. Like the loader, it reads the header's identification and
// machine only (debug/elf.Open read every section header: 0.3 ms a gconv module).
func elfClass(p string) string {
	f, err := openRegular(p)
	if err != nil {
		return "!"
	}
	defer f.Close()
	var h [20]byte
	if _, err := io.ReadFull(f, h[:]); err != nil || string(h[:4]) != elf.ELFMAG {
		return "!"
	}
	machine := elf.Machine(binary.LittleEndian.Uint16(h[18:]))
	if elf.Data(h[elf.EI_DATA]) != elf.ELFDATA2LSB {
		return ""
	}
	switch {
	case elf.Class(h[elf.EI_CLASS]) == elf.ELFCLASS64 && machine == elf.EM_X86_64:
		return "64"
	case elf.Class(h[elf.EI_CLASS]) == elf.ELFCLASS32 && machine == elf.EM_386:
		return "32"
	}
	return ""
}

func (j *journal) elfClass(p string) string {
	c := elfClass(p)
	j.note(factClass, p, c)
	return c
}

// errNotRegular: what the analysis reads must be a regular file (a FIFO would block it, a device
// never end).
var errNotRegular = errors.New("not a regular file")

var errIsDir = errors.New("is a directory")

// openRegular opens p for reading if it is a regular file (after symbolic links). It looks
// before it opens, so a FIFO is not waited on (this package makes no system calls of its own: a
// FIFO put there between the look and the open would still be).
func openRegular(p string) (*os.File, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &os.PathError{Op: "open", Path: p, Err: errIsDir}
	}
	if !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "open", Path: p, Err: errNotRegular}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	if fi2, err := f.Stat(); err != nil || !fi2.Mode().IsRegular() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: p, Err: errNotRegular}
	}
	return f, nil
}

// readRegular reads the regular file p, in one allocation of its size when it does not grow.
func readRegular(p string) ([]byte, error) {
	f, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := 0
	if fi, err := f.Stat(); err == nil {
		size = int(fi.Size())
	}
	b := make([]byte, 0, size+1) // one more byte: room to see the end
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// fileHash is contentHash of the file's bytes, read in pieces ("!" when it cannot be read).
func fileHash(p string) string {
	f, err := openRegular(p)
	if err != nil {
		return "!"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "!"
	}
	return hex.EncodeToString(h.Sum(nil))
}

// holds tells whether every fact still holds.
func (f fact) holds() bool {
	switch f.K {
	case factFile:
		return fileHash(f.P) == f.V
	case factStat:
		return statKind(f.P) == f.V
	case factDir:
		_, d := dirDigest(f.P)
		return d == f.V
	case factLink:
		return evalLink(f.P) == f.V
	case factClass:
		return elfClass(f.P) == f.V
	}
	return false
}

// resultVersion changes when the cached form changes; the build ID covers the analysis code.
// The form is codec.go's (encoding/gob's package initialisation would cost every sctrace
// command start-up time).
const resultVersion = 2

// cachedResult is what the result cache holds for one analysis.
type cachedResult struct {
	Version int
	Build   string
	Key     string // what resultKey hashes: an entry answers only the analysis it was made for
	Facts   []fact
	Result  *Result
}

var (
	buildOnce sync.Once
	buildID   string
	// resultCache turns the result cache off for tests of the analysis itself; resultHits
	// counts the analyses answered from it.
	resultCache = true
	resultHits  atomic.Int64
)

// selfBuild identifies the running sctrace build: the Go build ID of its executable (which
// changes with any change to the code), or "" when it cannot be read (no result cache then).
func selfBuild() string {
	buildOnce.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			return
		}
		f, err := elf.Open(exe)
		if err != nil {
			return
		}
		defer f.Close()
		s := f.Section(".note.go.buildid")
		if s == nil {
			return
		}
		b, err := s.Data()
		if err != nil || len(b) < 16 {
			return
		}
		// The note: namesz, descsz, type, "Go\0\0", then the ID.
		if i := bytes.Index(b, []byte("Go\x00\x00")); i >= 0 {
			buildID = strings.TrimRight(string(b[i+4:]), "\x00")
		}
	})
	return buildID
}

// resultKeyOf is what identifies an analysis: the path, the root and the modules.
func resultKeyOf(path string, opt Options) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	mods := append([]string(nil), opt.Modules...)
	sort.Strings(mods)
	return strings.Join(append([]string{abs, opt.Root}, mods...), "\x00")
}

// resultKey names the cache entry of an analysis of path with opt.
func resultKey(path string, opt Options) string {
	h := sha256.Sum256([]byte(resultKeyOf(path, opt)))
	return hex.EncodeToString(h[:])
}

func resultPath(dir, key string) string { return filepath.Join(dir, "result-"+key) }

// loadResult returns the cached Result of the analysis, if every fact it rests on still holds.
func loadResult(path string, opt Options) *Result {
	build := selfBuild()
	if opt.CacheDir == "" || build == "" || !resultCache {
		return nil
	}
	b := readCacheFile(resultPath(opt.CacheDir, resultKey(path, opt)), maxResultFile)
	if b == nil {
		return nil
	}
	var c cachedResult
	d := &decoder{b: b}
	if d.value(reflect.ValueOf(&c).Elem()); d.err != nil || len(d.b) != 0 || c.Version != resultVersion || c.Build != build ||
		c.Key != resultKeyOf(path, opt) || c.Result == nil {
		return nil
	}
	// Facts are checked in parallel: hashing the objects again is most of a cached analysis.
	ok := true
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan fact)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ft := range work {
				if !ft.holds() {
					mu.Lock()
					ok = false
					mu.Unlock()
				}
			}
		}()
	}
	for _, ft := range c.Facts {
		work <- ft
	}
	close(work)
	wg.Wait()
	if !ok {
		return nil
	}
	for i := range c.Result.Objects {
		c.Result.Objects[i].Cached = true
	}
	return c.Result
}

// storeResult writes the Result with its facts (atomically; errors ignored).
func storeResult(path string, opt Options, j *journal, r *Result) {
	build := selfBuild()
	if opt.CacheDir == "" || build == "" || j == nil || !resultCache {
		return
	}
	b := encodeValue(nil, reflect.ValueOf(cachedResult{Version: resultVersion, Build: build, Key: resultKeyOf(path, opt), Facts: j.facts, Result: r}))
	writeCacheFile(resultPath(opt.CacheDir, resultKey(path, opt)), b)
}
