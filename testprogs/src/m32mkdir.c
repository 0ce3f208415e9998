/* m32mkdir MODE DIR: built with -m32; with MODE "deny" creates DIR/d with the i386 mkdir call;
 * with "quiet" it does not. Prints "m32: R" (0 or -errno). Exit status: 0. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	char path[4096];
	snprintf(path, sizeof path, "%s/d", argv[2]);
	long ret = 0;
	if (strcmp(argv[1], "deny") == 0)
		ret = syscall(SYS_mkdir, path, 0700) < 0 ? -errno : 0;
	char buf[64];
	int n = snprintf(buf, sizeof buf, "m32: %ld\n", ret);
	write(1, buf, n);
	return 0;
}
