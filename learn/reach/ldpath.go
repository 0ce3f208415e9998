package reach

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
)

// ldCacheMagic starts the "new" ld.so.cache format (glibc 2.32 and later write only this one).
const ldCacheMagic = "glibc-ld.so.cache1.1"

// ld.so.cache entry flags (glibc's elf/cache.h).
const (
	ldFlagTypeMask = 0x00ff
	ldFlagLibc6    = 0x0003
	ldFlagReqMask  = 0xff00
	ldFlagX8664    = 0x0300
	ldFlagX32      = 0x0800
)

// ldCacheEntry is one library of ld.so.cache.
type ldCacheEntry struct {
	flags       int32
	name, value string
}

// parseLdCache parses the new-format ld.so.cache (possibly after an old-format part).
func parseLdCache(d []byte) ([]ldCacheEntry, error) {
	base := bytes.Index(d, []byte(ldCacheMagic))
	if base < 0 {
		return nil, errors.New("ld.so.cache: no " + ldCacheMagic + " header")
	}
	h := d[base:]
	if len(h) < 48 {
		return nil, errors.New("ld.so.cache: short header")
	}
	n := int(binary.LittleEndian.Uint32(h[20:]))
	str := func(off uint32) string {
		// String offsets count from the start of the new-format header.
		o := int(off)
		if o >= len(h) {
			return ""
		}
		if e := bytes.IndexByte(h[o:], 0); e >= 0 {
			return string(h[o : o+e])
		}
		return ""
	}
	var out []ldCacheEntry
	for i := 0; i < n; i++ {
		p := 48 + 24*i
		if p+24 > len(h) {
			return out, errors.New("ld.so.cache: truncated")
		}
		out = append(out, ldCacheEntry{
			flags: int32(binary.LittleEndian.Uint32(h[p:])),
			name:  str(binary.LittleEndian.Uint32(h[p+4:])),
			value: str(binary.LittleEndian.Uint32(h[p+8:])),
		})
	}
	return out, nil
}

// resolver finds shared libraries like the dynamic loader does, under a file-system root.
type resolver struct {
	root  string
	cache []ldCacheEntry
	j     *journal // what was read, for the result cache (nil: not noted)
}

// newResolver reads root/etc/ld.so.cache if present.
func newResolver(root string, j *journal) *resolver {
	r := &resolver{root: root, j: j}
	if d, _, err := j.readFile(filepath.Join(root, "etc/ld.so.cache")); err == nil {
		r.cache, _ = parseLdCache(d)
	}
	return r
}

// host maps a path as the program sees it to the path under the root.
func (r *resolver) host(p string) string {
	if r.root == "" || r.root == "/" {
		return p
	}
	return filepath.Join(r.root, p)
}

// matches tells whether the file is an ELF object of the wanted class and machine.
func (r *resolver) matches(p string, mode int) bool {
	c := r.j.elfClass(r.host(p))
	return mode == 64 && c == "64" || mode == 32 && c == "32"
}

// find resolves a DT_NEEDED name for an object at path (as the program sees it) with the given
// DT_RPATH and DT_RUNPATH: DT_RPATH (only without DT_RUNPATH), LD_LIBRARY_PATH (ignored),
// DT_RUNPATH, ld.so.cache, then the default directories. It returns the path and how it was found.
func (r *resolver) find(name, origin string, rpath, runpath []string, mode int) (string, string) {
	if strings.Contains(name, "/") {
		if r.matches(name, mode) {
			return name, "path in DT_NEEDED"
		}
		return "", ""
	}
	expand := func(dir string) string {
		dir = strings.ReplaceAll(dir, "${ORIGIN}", origin)
		dir = strings.ReplaceAll(dir, "$ORIGIN", origin)
		lib := "lib64"
		if mode == 32 {
			lib = "lib"
		}
		dir = strings.ReplaceAll(dir, "${LIB}", lib)
		dir = strings.ReplaceAll(dir, "$LIB", lib)
		dir = strings.ReplaceAll(dir, "${PLATFORM}", "x86_64")
		return strings.ReplaceAll(dir, "$PLATFORM", "x86_64")
	}
	try := func(dirs []string, how string) (string, string) {
		for _, d := range dirs {
			if d == "" {
				continue
			}
			p := filepath.Join(expand(d), name)
			if r.matches(p, mode) {
				return p, how
			}
		}
		return "", ""
	}
	if len(runpath) == 0 {
		if p, how := try(rpath, "DT_RPATH"); p != "" {
			return p, how
		}
	}
	if p, how := try(runpath, "DT_RUNPATH"); p != "" {
		return p, how
	}
	for _, e := range r.cache {
		if e.name != name || e.flags&ldFlagTypeMask != ldFlagLibc6 {
			continue
		}
		req := e.flags & ldFlagReqMask
		if (mode == 64 && req != ldFlagX8664) || (mode == 32 && req != 0) {
			continue
		}
		if r.matches(e.value, mode) {
			return e.value, "ld.so.cache"
		}
	}
	dirs := []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}
	if mode == 32 {
		dirs = []string{"/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib32", "/usr/lib32", "/lib", "/usr/lib"}
	}
	return try(dirs, "default directories")
}
