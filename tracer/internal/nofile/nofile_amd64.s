#include "textflag.h"

// func prlimitNofile(lim *[2]uint64) int64: prlimit64(0, RLIMIT_NOFILE, NULL, lim).
TEXT ·prlimitNofile(SB),NOSPLIT,$0-16
	MOVQ	$0, DI
	MOVQ	$7, SI
	MOVQ	$0, DX
	MOVQ	lim+0(FP), R10
	MOVQ	$302, AX
	SYSCALL
	MOVQ	AX, ret+8(FP)
	RET
