//go:build linux

package tracer

import (
	"encoding/binary"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The tracer's hot path uses RawSyscall: a blocking wait that goes through the runtime's
// entersyscall/exitsyscall hands its P to another thread on almost every ptrace stop (each stop
// outlasts sysmon's 20µs retake threshold) and costs ~45% more wall time on a syscall-bound
// workload. The price is that the runtime cannot stop the world while wait4 blocks; the ticker
// process (ticker_linux.go) bounds that wait.

func wait4(pid int, status *unix.WaitStatus, options int) (int, syscall.Errno) {
	r, _, errno := syscall.RawSyscall6(unix.SYS_WAIT4, uintptr(pid), uintptr(unsafe.Pointer(status)), uintptr(options), 0, 0, 0)
	return int(r), errno
}

func ptrace(request int, pid int, addr, data uintptr) syscall.Errno {
	_, _, errno := syscall.RawSyscall6(unix.SYS_PTRACE, uintptr(request), uintptr(pid), addr, data, 0, 0)
	return errno
}

func ptraceGetEventMsg(pid int) (uint, syscall.Errno) {
	var msg uint
	errno := ptrace(unix.PTRACE_GETEVENTMSG, pid, 0, uintptr(unsafe.Pointer(&msg)))
	return msg, errno
}

// syscallInfo is struct ptrace_syscall_info (include/uapi/linux/ptrace.h) for op
// PTRACE_SYSCALL_INFO_SECCOMP. x/sys/unix has no wrapper for PTRACE_GET_SYSCALL_INFO (Linux 5.3).
type syscallInfo struct {
	Op                 uint8
	_                  [3]uint8
	Arch               uint32
	InstructionPointer uint64
	StackPointer       uint64
	Nr                 uint64
	Args               [6]uint64
	RetData            uint32
	_                  uint32
}

// getSyscallInfo is a variable so that tests can make it fail as on a kernel without it.
var getSyscallInfo = rawGetSyscallInfo

func rawGetSyscallInfo(tid int, info *syscallInfo) syscall.Errno {
	return ptrace(unix.PTRACE_GET_SYSCALL_INFO, tid, unsafe.Sizeof(*info), uintptr(unsafe.Pointer(info)))
}

// writeMem writes b into tracee memory at addr with process_vm_writev; it reports success.
func writeMem(tid int, addr uint64, b []byte) bool {
	local := unix.Iovec{Base: &b[0]}
	local.SetLen(len(b))
	n, err := unix.ProcessVMWritev(tid, []unix.Iovec{local}, []unix.RemoteIovec{{Base: uintptr(addr), Len: len(b)}}, 0)
	return err == nil && n == len(b)
}

// readMemAt reads exactly len(b) bytes of tracee memory at addr.
func readMemAt(tid int, addr uint64, b []byte) bool {
	local := unix.Iovec{Base: &b[0]}
	local.SetLen(len(b))
	n, err := unix.ProcessVMReadv(tid, []unix.Iovec{local}, []unix.RemoteIovec{{Base: uintptr(addr), Len: len(b)}}, 0)
	return err == nil && n == len(b)
}

func putNative16(b []byte, v uint16) { binary.NativeEndian.PutUint16(b, v) }
func putNative32(b []byte, v uint32) { binary.NativeEndian.PutUint32(b, v) }
func putNative64(b []byte, v uint64) { binary.NativeEndian.PutUint64(b, v) }

// dieOf ends this process by sig's default action, as an unregistered signal ends a C program:
// Go's own for SIGQUIT is a goroutine dump and exit status 2.
func dieOf(sig syscall.Signal) {
	var act [4]uintptr // all zero: SIG_DFL, whatever the arch's struct sigaction layout
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	syscall.Kill(syscall.Getpid(), sig)
	time.Sleep(time.Second) // delivered by now, unless every thread blocks it
	os.Exit(128 + int(sig))
}
