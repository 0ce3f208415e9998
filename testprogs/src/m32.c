// m32: built with gcc -m32; makes 7 getppid calls, all in the i386 ABI (arch x86).
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
	for (int i = 0; i < 7; i++)
		syscall(SYS_getppid);
	return 0;
}
