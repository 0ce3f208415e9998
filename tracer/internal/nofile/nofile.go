// Package nofile keeps the soft limit on open files this process was started with. Package
// syscall raises the soft limit to the hard one less one in its init (go.dev/issue/46279) and
// restores the original only in children it starts itself; sctrace's workload is started by raw
// system calls, so it would inherit the raised limit, which programs that use select(2) cannot
// live with. This package imports nothing, so Go initializes it before syscall (the spec
// initializes, in import-path order, the first package whose imports are ready), and reads the
// limit with a system call of its own, in assembly.
package nofile

// Orig is RLIMIT_NOFILE as the process started: {soft, hard}. Known is false where it could not
// be read (an arch without the assembly).
var (
	Orig  [2]uint64
	Known bool
)

func init() {
	Known = prlimitNofile(&Orig) == 0
}
