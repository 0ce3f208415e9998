/* answers MODE: calls syscall(-1), which every kernel fails with ENOSYS, and with MODE "deny"
 * also clone3(NULL, 0) (a call libc falls back from), the number 1000 (no kernel has it) and the
 * x32 getpid (number 39 with bit 30), printing "NAME: R" for each (0 or -errno). A profile
 * recorded with MODE "quiet" has syscall(-1) and none of the others. Exit status: 0. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void try(const char *name, long nr, long a0) {
	long r = syscall(nr, a0, 0L);
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%s: %ld\n", name, r < 0 ? -(long)errno : 0);
	write(1, buf, n);
}

int main(int argc, char **argv) {
	if (argc != 2)
		return 2;
	try("minus-one", -1, 0);
	if (strcmp(argv[1], "deny") == 0) {
		try("clone3", 435, 0);
		try("unknown", 1000, 0);
		try("x32", 0x40000000 | 39, 0);
	}
	return 0;
}
