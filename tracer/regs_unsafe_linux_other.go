//go:build linux && !amd64

package tracer

const canSkipSyscalls = false

func skipSyscall(tid int, errno int) bool { return false }

// clearUntraced is not implemented on this architecture: a clone(CLONE_UNTRACED) child escapes
// the recording (and fails every traced call with ENOSYS).
func clearUntraced(tid int, audit uint32, nr int, args [6]uint64) untracedResult {
	return untracedNone
}

// quietStops is a no-op here: the tracer takes a SIGCHLD per stop.
func quietStops() {}
