package reach

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"os"
	"path/filepath"
)

// contentHash is the hex sha256 of an object's bytes: the cache key.
func contentHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// cachePath is where an object's summary is stored.
func cachePath(dir, hash string) string {
	return filepath.Join(dir, "reach-"+hash+".gob")
}

// loadCached reads a cached summary, or returns nil (missing, unreadable or another version).
func loadCached(dir, hash string) *objSummary {
	if dir == "" {
		return nil
	}
	b, err := os.ReadFile(cachePath(dir, hash))
	if err != nil {
		return nil
	}
	var s objSummary
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s); err != nil || s.Version != summaryVersion {
		return nil
	}
	return &s
}

// storeCached writes a summary atomically (a temporary file renamed into place). Errors are
// ignored: the cache only saves time.
func storeCached(dir, hash string, s *objSummary) {
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, "reach-*.tmp")
	if err != nil {
		return
	}
	_, werr := tmp.Write(buf.Bytes())
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if err := os.Rename(tmp.Name(), cachePath(dir, hash)); err != nil {
		os.Remove(tmp.Name())
	}
}
