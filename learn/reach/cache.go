package reach

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"reflect"
)

// contentHash is the hex sha256 of an object's bytes: the cache key.
func contentHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// cachePath is where an object's summary is stored.
func cachePath(dir, hash string) string {
	return filepath.Join(dir, "reach-"+hash+".sum")
}

// Largest cache files read: a summary (node's is about 60 MB) and a result.
const (
	maxSummaryFile = 1 << 30
	maxResultFile  = 256 << 20
)

// ReadTrusted returns the contents of a cache file sctrace may believe, or nil. It must be a
// regular file (a FIFO would block the read, a device never end it), owned by this user and
// writable by no one else (run and emit read the same caches, and a poisoned one could widen a
// profile), of at most max bytes.
func ReadTrusted(path string, max int64) []byte {
	fi, err := os.Lstat(path)
	if err != nil || !trustedCache(fi, max) {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if fi2, err := f.Stat(); err != nil || !os.SameFile(fi, fi2) || !trustedCache(fi2, max) {
		return nil // replaced between the two looks
	}
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil
	}
	return b
}

// readCacheFile is ReadTrusted for the analysis's own files, which end with the sha256 of what
// comes before it: a damaged file is ignored, never half-believed (a flipped bit could drop a
// call). It returns the contents without the checksum.
func readCacheFile(path string, max int64) []byte {
	b := ReadTrusted(path, max)
	if len(b) < sha256.Size {
		return nil
	}
	payload, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if h := sha256.Sum256(payload); !bytes.Equal(h[:], sum) {
		return nil
	}
	return payload
}

// trustedCache tells whether a file may be a cache file sctrace believes: regular, of at most
// max bytes, writable by its owner only, and owned by this user.
func trustedCache(fi os.FileInfo, max int64) bool {
	return fi.Mode().IsRegular() && fi.Mode().Perm()&0o022 == 0 && fi.Size() <= max && ownedByMe(fi)
}

// ownedByMe tells whether this user owns the file. The owner is read from the FileInfo's system
// data by name (its Uid field, on Unix), which keeps the package free of syscall; a system whose
// files have no Uid passes.
func ownedByMe(fi os.FileInfo) bool {
	v := reflect.ValueOf(fi.Sys())
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return true
	}
	uid := v.FieldByName("Uid")
	if !uid.IsValid() || !uid.CanUint() {
		return true
	}
	return uid.Uint() == uint64(os.Geteuid())
}

// WriteCacheFile replaces path with b atomically: a temporary file (mode 0600) in its directory,
// created if needed, renamed over whatever is there (a FIFO or device too: never written into).
// Errors are ignored: a cache only saves time.
func WriteCacheFile(path string, b []byte) {
	writeParts(path, b)
}

// writeParts is WriteCacheFile of the parts one after the other.
func writeParts(path string, parts ...[]byte) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".sctrace-*.tmp")
	if err != nil {
		return
	}
	var werr error
	for _, b := range parts {
		if _, err := tmp.Write(b); err != nil && werr == nil {
			werr = err
		}
	}
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}

// writeCacheFile is WriteCacheFile for the analysis's own files: payload, then its sha256.
func writeCacheFile(path string, payload []byte) {
	sum := sha256.Sum256(payload)
	writeParts(path, payload, sum[:])
}

// loadCached reads a cached summary, or returns nil (missing, untrusted, damaged or another
// version).
func loadCached(dir, hash string) *objSummary {
	if dir == "" {
		return nil
	}
	b := readCacheFile(cachePath(dir, hash), maxSummaryFile)
	if b == nil {
		return nil
	}
	s, err := decodeSummary(b)
	if err != nil || s.Version != summaryVersion {
		return nil
	}
	return s
}

// storeCached writes a summary.
func storeCached(dir, hash string, s *objSummary) {
	if dir == "" {
		return
	}
	writeCacheFile(cachePath(dir, hash), encodeSummary(s))
	os.Remove(filepath.Join(dir, "reach-"+hash+".gob")) // what sctrace wrote before summaryVersion 12's encoding
}
