/* mkdir80 MODE DIR: a 64-bit program that, with MODE "deny", creates DIR/d through the i386
 * system call ABI (int 0x80, mkdir = 39), with the path in memory below 4 GiB (MAP_32BIT), as
 * 32-bit code reaches it. With MODE "quiet" it makes no such call. Prints "int80: R" (0 or
 * -errno). Exit status: 0. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return 3;
	snprintf(low, 4096, "%s/d", argv[2]);
	long ret = 0;
	if (strcmp(argv[1], "deny") == 0)
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(39L), "b"((long)low), "c"(0700L) : "memory");
	char buf[64];
	int n = snprintf(buf, sizeof buf, "int80: %ld\n", ret);
	write(1, buf, n);
	return 0;
}
