// x32: a 64-bit program that makes two x32 getpid calls (39 | __X32_SYSCALL_BIT) and one x32 call
// of number 13, which x32 does not have (13 is rt_sigaction for x86_64 only). Kernels without
// CONFIG_X86_X32_ABI fail them with ENOSYS, but seccomp sees them first.
#include <sys/syscall.h>
#include <unistd.h>

#define X32_BIT 0x40000000L

int main(void) {
	syscall(X32_BIT | 39);
	syscall(X32_BIT | 39);
	syscall(X32_BIT | 13);
	return 0;
}
