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

// callRegs is not implemented on this architecture: the call is named without its arguments,
// and a killing call not at all.
func callRegs(tid int, audit uint32) (nr int, args [6]uint64, ok bool) { return -1, args, false }

type savedRegs struct{}

const canInject = false

func isSeccompCall(audit uint32, nr int) bool { return false }

// injectSeccomp is not implemented on this architecture: processes are not fully traced.
func injectSeccomp(tid int, audit uint32, cookie injectCookie) (savedRegs, string) {
	return savedRegs{}, "not supported on this architecture"
}

func restartCall(tid int, saved *savedRegs) bool { return true }

func isClone3(audit uint32, nr int) bool { return false }
