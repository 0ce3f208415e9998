/* odstack: a static program without libc whose first system call is made with the stack
 * pointer at the top of a data buffer filled with 0x41 (not the stack the kernel set up at
 * execve). It then checks the buffer: exit status 0 if it is intact, 66 if something wrote
 * into it (a tracer that wrote below the stack pointer). */
char buf[8192] __attribute__((aligned(16), used));

__attribute__((naked, noreturn)) void _start(void) {
	__asm__ volatile(
		"lea buf(%rip), %rdi\n"
		"mov $8192, %ecx\n"
		"mov $0x41, %al\n"
		"rep stosb\n"
		"lea buf+8192(%rip), %rsp\n"
		"mov $39, %eax\n" /* getpid */
		"syscall\n"
		"lea buf(%rip), %rsi\n"
		"mov $8192, %ecx\n"
		"1: cmpb $0x41, (%rsi)\n"
		"jne 2f\n"
		"inc %rsi\n"
		"loop 1b\n"
		"mov $231, %eax\n"
		"xor %edi, %edi\n"
		"syscall\n"
		"2: mov $231, %eax\n"
		"mov $66, %edi\n"
		"syscall\n");
}
