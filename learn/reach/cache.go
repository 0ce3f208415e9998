package reach

import (
	"crypto/sha256"
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
	return filepath.Join(dir, "reach-"+hash+".sum")
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
	s, err := decodeSummary(b)
	if err != nil || s.Version != summaryVersion {
		return nil
	}
	return s
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
	b := encodeSummary(s)
	tmp, err := os.CreateTemp(dir, "reach-*.tmp")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if err := os.Rename(tmp.Name(), cachePath(dir, hash)); err != nil {
		os.Remove(tmp.Name())
	}
	os.Remove(filepath.Join(dir, "reach-"+hash+".gob")) // what sctrace wrote before summaryVersion 12's encoding
}
