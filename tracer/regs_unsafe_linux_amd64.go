package tracer

import (
	"encoding/binary"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const canSkipSyscalls = true

// getRegs and setRegs use PTRACE_GETREGS and PTRACE_SETREGS, which always use the tracer's own
// (64-bit) view of the registers. x/sys's PtraceGetRegs uses PTRACE_GETREGSET, which gives the
// tracee's view: the 32-bit layout for a task in a 32-bit code segment, where writing 64-bit
// offsets changes nothing (DESIGN trap 21).
func getRegs(tid int, regs *unix.PtraceRegs) syscall.Errno {
	return ptrace(unix.PTRACE_GETREGS, tid, 0, uintptr(unsafe.Pointer(regs)))
}

func setRegs(tid int, regs *unix.PtraceRegs) syscall.Errno {
	return ptrace(unix.PTRACE_SETREGS, tid, 0, uintptr(unsafe.Pointer(regs)))
}

// skipSyscall makes the call a task is stopped in (a seccomp stop) fail with errno without
// running: the tracer sets the number to -1 and puts the return value in place (seccomp(2),
// SECCOMP_RET_TRACE). It reports whether the change took.
func skipSyscall(tid int, errno int) bool {
	var regs unix.PtraceRegs
	if getRegs(tid, &regs) != 0 {
		return false
	}
	regs.Orig_rax = ^uint64(0)
	regs.Rax = uint64(-int64(errno))
	if setRegs(tid, &regs) != 0 {
		return false
	}
	var check unix.PtraceRegs
	return getRegs(tid, &check) == 0 && check.Orig_rax == ^uint64(0)
}

const (
	auditX86_64   = 0xc000003e
	auditI386     = 0x40000003
	x32Bit        = 0x40000000
	cloneUntraced = 0x00800000
)

// clearUntraced clears CLONE_UNTRACED from a clone or clone3 call a task is stopped in, so that
// the child is traced like any other (the kernel reads the arguments after the seccomp stop).
// clone passes its flags in the first argument register on x86_64, x32 and i386; clone3 in the
// first word of struct clone_args.
func clearUntraced(tid int, audit uint32, nr int, args [6]uint64) untracedResult {
	var clone, clone3 int
	switch audit {
	case auditX86_64:
		nr &^= x32Bit
		clone, clone3 = 56, 435
	case auditI386:
		clone, clone3 = 120, 435
	default:
		return untracedNone
	}
	switch nr {
	case clone:
		if args[0]&cloneUntraced == 0 {
			return untracedNone
		}
		var regs unix.PtraceRegs
		if getRegs(tid, &regs) != 0 {
			return untracedMissed
		}
		if audit == auditI386 {
			regs.Rbx &^= cloneUntraced
		} else {
			regs.Rdi &^= cloneUntraced
		}
		if setRegs(tid, &regs) != 0 {
			return untracedMissed
		}
		var check unix.PtraceRegs
		if getRegs(tid, &check) != 0 || (check.Rdi&cloneUntraced != 0 && audit != auditI386) ||
			(check.Rbx&cloneUntraced != 0 && audit == auditI386) {
			return untracedMissed
		}
		return untracedCleared
	case clone3:
		// Racy: another thread can set the flag again before the kernel copies the struct. A
		// recording only loses the child's calls then; run does not let clone3 reach the
		// tracer (emit.RefuseClone3).
		var b [8]byte
		if args[0] == 0 || !readMemAt(tid, args[0], b[:]) {
			return untracedNone // the call fails with EFAULT on its own
		}
		flags := binary.LittleEndian.Uint64(b[:])
		if flags&cloneUntraced == 0 {
			return untracedNone
		}
		binary.LittleEndian.PutUint64(b[:], flags&^cloneUntraced)
		if !writeMem(tid, args[0], b[:]) {
			return untracedMissed
		}
		return untracedCleared
	}
	return untracedNone
}

const saNoCldStop = 1 // SA_NOCLDSTOP, arch/x86/include/uapi/asm/signal.h

// sigaction is the kernel's struct sigaction for rt_sigaction(2) on x86_64 (handler,
// flags, restorer, mask; include/linux/signal_types.h).
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// quietStops adds SA_NOCLDSTOP to this process's SIGCHLD handler (the Go runtime's own). Every
// ptrace stop of a tracee otherwise sends the tracer a SIGCHLD (kernel/signal.c,
// do_notify_parent_cldstop, CLD_TRAPPED), and running the runtime's signal handler for it costs
// as much as a quarter of a stop; wait4 is woken all the same. Exits still send SIGCHLD.
func quietStops() {
	var act sigaction
	if _, _, e := syscall.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), 0,
		uintptr(unsafe.Pointer(&act)), unsafe.Sizeof(act.mask), 0, 0); e != 0 {
		return
	}
	if act.handler == 0 || act.handler == 1 || act.flags&saNoCldStop != 0 { // SIG_DFL, SIG_IGN, done
		return
	}
	act.flags |= saNoCldStop
	syscall.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), uintptr(unsafe.Pointer(&act)), 0,
		unsafe.Sizeof(act.mask), 0, 0)
}

// callRegs reads the call a task stopped in a system call (or killed in one) was making: the
// number the kernel saw (orig_rax) and the arguments, from the registers audit's ABI passes them
// in.
func callRegs(tid int, audit uint32) (nr int, args [6]uint64, ok bool) {
	var r unix.PtraceRegs
	if getRegs(tid, &r) != 0 {
		return -1, args, false
	}
	if audit == auditI386 {
		args = [6]uint64{r.Rbx & 0xffffffff, r.Rcx & 0xffffffff, r.Rdx & 0xffffffff, r.Rsi & 0xffffffff,
			r.Rdi & 0xffffffff, r.Rbp & 0xffffffff}
	} else {
		args = [6]uint64{r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9}
	}
	return int(int32(uint32(r.Orig_rax))), args, true
}

// savedRegs are a task's registers at the syscall-enter stop an injection replaced.
type savedRegs = unix.PtraceRegs

const canInject = true

// isSeccompCall reports whether (audit, nr) is seccomp(2) in the x86_64 or i386 ABI.
func isSeccompCall(audit uint32, nr int) bool {
	return (audit == auditX86_64 && nr == 317) || (audit == auditI386 && nr == 354)
}

// injectSeccomp turns the call a task is stopped at the entry of into
// seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog) with a one-instruction program that traces every
// call; it returns the registers to restore, or why it could not.
func injectSeccomp(tid int, audit uint32, cookie injectCookie) (savedRegs, string) {
	var regs unix.PtraceRegs
	if errno := getRegs(tid, &regs); errno != 0 {
		return regs, "PTRACE_GETREGS: " + errno.Error()
	}
	saved := regs
	if audit != auditX86_64 && audit != auditI386 {
		return saved, "not an x86_64 or i386 call"
	}
	if audit == auditX86_64 && regs.Orig_rax&x32Bit != 0 {
		return saved, "an x32 process (not supported)"
	}
	// Below the stack pointer, past the red zone, in the stack area the kernel maps at execve.
	sp := regs.Rsp
	if audit == auditI386 {
		sp &= 0xffffffff
	}
	progAddr := (sp - 2048) &^ 15
	fprogAddr := progAddr + 16
	if sp < 4096 || !onStack(tid, progAddr, sp) {
		return saved, "its stack pointer is not in its stack mapping"
	}
	var fprog []byte
	if audit == auditI386 {
		fprog = make([]byte, 8) // {u16 len; u16 pad; u32 filter}
		putNative16(fprog, 1)
		putNative32(fprog[4:], uint32(progAddr))
	} else {
		fprog = make([]byte, 16) // {u16 len; pad; u64 filter}
		putNative16(fprog, 1)
		putNative64(fprog[8:], progAddr)
	}
	if !writeMem(tid, progAddr, filterTraceAll()) || !writeMem(tid, fprogAddr, fprog) {
		return saved, "could not write the filter into the process"
	}
	const setModeFilter = 1
	if audit == auditI386 {
		regs.Orig_rax = 354
		regs.Rbx, regs.Rcx, regs.Rdx = setModeFilter, 0, fprogAddr
		regs.Rsi, regs.Rdi = uint64(cookie[0]), uint64(cookie[1])
	} else {
		regs.Orig_rax = 317
		regs.Rdi, regs.Rsi, regs.Rdx = setModeFilter, 0, fprogAddr
		regs.R10, regs.R8 = uint64(cookie[0]), uint64(cookie[1])
	}
	if errno := setRegs(tid, &regs); errno != 0 {
		return saved, "PTRACE_SETREGS: " + errno.Error()
	}
	return saved, ""
}

// restartCall puts back the registers of the injected call's entry, one instruction (the
// two-byte syscall or int $0x80) earlier, so that the task makes its original call again.
func restartCall(tid int, saved *savedRegs) bool {
	regs := *saved
	regs.Rip -= 2
	regs.Rax = regs.Orig_rax
	return setRegs(tid, &regs) == 0
}

// isClone3 reports whether (audit, nr) is clone3 in the x86_64, x32 or i386 ABI.
func isClone3(audit uint32, nr int) bool {
	return (audit == auditX86_64 && nr&^x32Bit == 435) || (audit == auditI386 && nr == 435)
}
