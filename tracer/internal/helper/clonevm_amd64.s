//go:build linux

#include "textflag.h"

// func cloneVM(flags, stack uintptr, h unsafe.Pointer, fn uintptr) (pid, errno uintptr)
TEXT ·cloneVM(SB),NOSPLIT,$0-48
	MOVQ	flags+0(FP), DI
	MOVQ	stack+8(FP), SI
	MOVQ	h+16(FP), R12	// kept across the system call, in the child too
	MOVQ	fn+24(FP), R13
	XORQ	DX, DX	// parent_tid
	XORQ	R10, R10	// child_tid
	XORQ	R8, R8	// tls
	MOVL	$56, AX	// SYS_clone
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	CMPQ	AX, $0xfffffffffffff001
	JLS	parent
	NEGQ	AX
	MOVQ	$0, pid+32(FP)
	MOVQ	AX, errno+40(FP)
	RET
parent:
	MOVQ	AX, pid+32(FP)
	MOVQ	$0, errno+40(FP)
	RET
child:
	// The child's stack pointer is stack: nothing of this frame is there, so nothing of it is
	// used again. fn is workloadChild's register-ABI entry, called directly: its argument in
	// AX, X15 zero as that ABI wants. (Through the ABI0 wrapper a CALL would name, the race
	// detector's instrumentation of the wrapper ran in the child, on the parent's race state,
	// and the linker's nosplit check failed in builds without optimisation.)
	SUBQ	$16, SP
	MOVQ	R12, AX
	XORPS	X15, X15
	CALL	R13
	MOVL	$127, DI	// not reached: workloadChild ends in execve or exit_group
	MOVL	$231, AX	// SYS_exit_group
	SYSCALL
	INT	$3
