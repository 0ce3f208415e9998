// int80: a 64-bit program that makes 3 i386 getpid calls (number 20) through int 0x80. Seccomp
// sees them with AUDIT_ARCH_I386.
int main(void) {
	for (int i = 0; i < 3; i++) {
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
		if (ret <= 0)
			return 1;
	}
	return 0;
}
