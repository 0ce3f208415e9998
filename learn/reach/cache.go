package reach

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
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

// readCacheFile returns the contents of a cache file sctrace may believe, without their
// checksum, or nil. It must be a regular file (a FIFO would block the read, a device never end
// it), owned by this user and writable by no one else (run and emit read the same cache), of at
// most max bytes, ending with the sha256 of what comes before it (a damaged file is ignored,
// never half-believed: a flipped bit could drop a call).
func readCacheFile(path string, max int64) []byte {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG || int(st.Uid) != os.Geteuid() ||
		st.Mode&0o022 != 0 || st.Size < sha256.Size || st.Size > max {
		return nil
	}
	b := make([]byte, st.Size)
	for off := 0; off < len(b); {
		n, err := syscall.Pread(fd, b[off:], int64(off))
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return nil
		}
		off += n
	}
	payload, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if h := sha256.Sum256(payload); !bytes.Equal(h[:], sum) {
		return nil
	}
	return payload
}

// writeCacheFile writes payload and its checksum to path atomically (a temporary file, mode
// 0600, renamed into place). Errors are ignored: the cache only saves time.
func writeCacheFile(dir, path string, payload []byte) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, "reach-*.tmp")
	if err != nil {
		return
	}
	sum := sha256.Sum256(payload)
	_, werr := tmp.Write(payload)
	if werr == nil {
		_, werr = tmp.Write(sum[:])
	}
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
	}
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
	writeCacheFile(dir, cachePath(dir, hash), encodeSummary(s))
	os.Remove(filepath.Join(dir, "reach-"+hash+".gob")) // what sctrace wrote before summaryVersion 12's encoding
}
