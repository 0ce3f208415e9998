//go:build amd64 || arm64

package nofile

// prlimitNofile reads RLIMIT_NOFILE into lim; 0 or -errno.
//
//go:noescape
func prlimitNofile(lim *[2]uint64) int64
