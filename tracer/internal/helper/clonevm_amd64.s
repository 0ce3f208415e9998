//go:build linux

#include "textflag.h"

// func cloneVM(flags, stack uintptr, h unsafe.Pointer) (pid, errno uintptr)
TEXT ·cloneVM(SB),NOSPLIT,$0-40
	MOVQ	flags+0(FP), DI
	MOVQ	stack+8(FP), SI
	MOVQ	h+16(FP), R12	// kept across the system call, in the child too
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
	MOVQ	$0, pid+24(FP)
	MOVQ	AX, errno+32(FP)
	RET
parent:
	MOVQ	AX, pid+24(FP)
	MOVQ	$0, errno+32(FP)
	RET
child:
	// The child's stack pointer is stack: nothing of this frame is there, so nothing of it is
	// used again. workloadChild(h), ABI0: its argument at 0(SP) when it is called.
	SUBQ	$16, SP
	MOVQ	R12, 0(SP)
	CALL	·workloadChild(SB)
	MOVL	$127, DI	// not reached: workloadChild ends in execve or exit_group
	MOVL	$231, AX	// SYS_exit_group
	SYSCALL
	INT	$3
