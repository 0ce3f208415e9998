/* untracedmkdir MODE DIR: forks a child with clone(CLONE_UNTRACED|SIGCHLD), which a tracer does
 * not follow unless it clears the flag; with MODE "deny" the child creates DIR/d (mkdirat).
 * Prints "untraced: R" (0 or -errno) from the child. Exit status: 0 if the child exited 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	char path[4096];
	snprintf(path, sizeof path, "%s/d", argv[2]);
	int deny = strcmp(argv[1], "deny") == 0;
	long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0L, 0L, 0L, 0L);
	if (pid < 0)
		return 1;
	if (pid == 0) {
		long r = deny ? syscall(SYS_mkdirat, AT_FDCWD, path, 0700) : 0;
		char buf[64];
		int n = snprintf(buf, sizeof buf, "untraced: %ld\n", r < 0 ? -(long)errno : r);
		write(1, buf, n);
		syscall(SYS_exit_group, 0);
	}
	int st;
	if (waitpid((pid_t)pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
