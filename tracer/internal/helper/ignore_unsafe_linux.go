//go:build !mips && !mipsle && !mips64 && !mips64le

package helper

import (
	"syscall"
	"unsafe"
)

// ignore sets sig to SIG_IGN with rt_sigaction(2). The kernel's struct sigaction starts with the
// handler on every arch but MIPS (include/linux/signal_types.h).
func ignore(sig syscall.Signal) {
	act := struct {
		handler  uintptr
		flags    uintptr
		restorer uintptr
		mask     uint64
	}{handler: 1} // SIG_IGN
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
}
