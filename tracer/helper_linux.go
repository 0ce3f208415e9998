package tracer

import (
	"encoding/binary"
	"io"
	"os"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The helper protocol. Launch starts /proc/self/exe with helperEnv set; this package's init
// function sees it and turns the process into the helper before main runs.
const (
	helperEnv = "_SCTRACE_HELPER"
	// helperFilterFD carries the filter program. The tracer writes it only after PTRACE_SEIZE, and
	// the helper reads to EOF: that read is also the "tracer is attached" barrier (DESIGN trap 1:
	// SECCOMP_RET_TRACE with no tracer attached fails the call with ENOSYS).
	helperFilterFD = 3
	// helperErrFD carries one byte, 'R', when the helper runs (its own execve of /proc/self/exe
	// is over, so that exec's PTRACE_EVENT_EXEC cannot reach the tracer, which seizes only
	// then). It is close-on-exec in the helper: EOF then means the workload's execve succeeded,
	// 8 more bytes (step, errno) that it failed.
	helperErrFD = 4
)

var helperSteps = []string{"", "prctl", "seccomp", "execve", "filter"}

func init() {
	switch os.Getenv(helperEnv) {
	case "":
		return
	case "exec":
		// init runs on the main thread, which is the thread the tracer seized; lock it there so
		// that the filter and the execve happen on the traced thread (DESIGN trap 2).
		runtime.LockOSThread()
		execHelper()
	case "ticker":
		runtime.LockOSThread()
		tickerHelper()
	}
	os.Exit(126)
}

// execHelper is the helper process: os.Args is [name, path, argv...].
func execHelper() {
	fail := func(step int, errno syscall.Errno) {
		var b [8]byte
		binary.LittleEndian.PutUint32(b[:4], uint32(step))
		binary.LittleEndian.PutUint32(b[4:], uint32(errno))
		rawWrite(helperErrFD, b[:])
		rawExit(127)
	}
	if _, err := unix.FcntlInt(helperErrFD, unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		os.Exit(126)
	}
	rawWrite(helperErrFD, []byte{'R'})
	if len(os.Args) < 3 {
		fail(4, syscall.EINVAL)
	}
	f := os.NewFile(helperFilterFD, "filter")
	raw, err := io.ReadAll(f)
	f.Close()
	if err != nil || len(raw) == 0 || len(raw)%8 != 0 {
		fail(4, syscall.EINVAL)
	}
	// The tracer is attached with PTRACE_O_EXITKILL now: that, not the parent-death signal
	// the helper was started with, ties the workload to the tracer. The workload must not
	// inherit sctrace's state (prctl(2): PR_SET_PDEATHSIG survives execve).
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, 0, 0, 0, 0); err != nil {
		fail(1, err.(syscall.Errno))
	}
	prog := make([]bpf.RawInstruction, len(raw)/8)
	for i := range prog {
		b := raw[i*8:]
		prog[i] = bpf.RawInstruction{
			Op: binary.NativeEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.NativeEndian.Uint32(b[4:]),
		}
	}

	env := make([]string, 0, len(os.Environ()))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, helperEnv+"=") {
			env = append(env, kv)
		}
	}
	// Everything execve needs is allocated before the filter goes in: after it, the only system
	// call this thread makes is execve (the enforcement filter may allow nothing else).
	path, err := syscall.BytePtrFromString(os.Args[1])
	if err != nil {
		fail(3, syscall.EINVAL)
	}
	argv, err := syscall.SlicePtrFromStrings(os.Args[2:])
	if err != nil {
		fail(3, syscall.EINVAL)
	}
	envv, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		fail(3, syscall.EINVAL)
	}
	if step, errno := installFilter(prog); errno != 0 {
		if step == "prctl" {
			fail(1, errno)
		}
		fail(2, errno)
	}
	fail(3, rawExecve(path, argv, envv))
}

// encodeFilter serializes a program the way execHelper reads it.
func encodeFilter(prog []bpf.RawInstruction) []byte {
	b := make([]byte, 0, 8*len(prog))
	for _, ins := range prog {
		b = binary.NativeEndian.AppendUint16(b, ins.Op)
		b = append(b, ins.Jt, ins.Jf)
		b = binary.NativeEndian.AppendUint32(b, ins.K)
	}
	return b
}
