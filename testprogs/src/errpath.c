/* errpath MODE DIR: with MODE "deny", creates DIR/d (mkdirat); only if that fails, it takes an
 * error path that makes calls it otherwise never makes (sched_yield, then getpgid(0)), as
 * programs do when a call they need is denied. With MODE "quiet" it does neither. Prints
 * "mkdirat: R" (0 or -errno). Exit status: 0 (1 on the error path). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	if (strcmp(argv[1], "deny") != 0)
		return 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/d", argv[2]);
	long r = syscall(SYS_mkdirat, AT_FDCWD, path, 0700);
	char buf[64];
	int n = snprintf(buf, sizeof buf, "mkdirat: %ld\n", r < 0 ? -(long)errno : r);
	write(1, buf, n);
	if (r < 0) {
		syscall(SYS_sched_yield);
		syscall(SYS_getpgid, 0);
		return 1;
	}
	return 0;
}
