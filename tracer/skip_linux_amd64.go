package tracer

import "golang.org/x/sys/unix"

const canSkipSyscalls = true

// skipSyscall makes the call a task is stopped in (a seccomp stop) fail with errno without
// running: the tracer sets the number to -1 and puts the return value in place (seccomp(2),
// SECCOMP_RET_TRACE). A 32-bit task's registers are seen through the same 64-bit struct.
func skipSyscall(tid int, errno int) {
	var regs unix.PtraceRegs
	if err := unix.PtraceGetRegs(tid, &regs); err != nil {
		return
	}
	regs.Orig_rax = ^uint64(0)
	regs.Rax = uint64(-int64(errno))
	unix.PtraceSetRegs(tid, &regs)
}
