/* denials MODE DIR: the root process forks a child, which forks a grandchild. With MODE "deny" the
 * grandchild calls mkdirat(AT_FDCWD, "DIR/g", 0700) and the root, once the child is done,
 * socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0); with MODE "quiet" neither call is made, so that
 * a recording of "quiet" lacks exactly those two. Each prints "grandchild: R" / "root: R" (R the
 * call's result: a descriptor, 0 or -errno) on stdout, after "grandchild pid: N" / "root pid: N";
 * the child prints how the grandchild ended. Exit status: 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *who, long r) {
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%s: %ld\n", who, r < 0 ? -(long)errno : r);
	write(1, buf, n);
}

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	int deny = strcmp(argv[1], "deny") == 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/g", argv[2]);
	report("root pid", getpid());
	pid_t child = fork();
	if (child == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) {
			report("grandchild pid", getpid());
			if (deny)
				report("grandchild", syscall(SYS_mkdirat, AT_FDCWD, path, 0700));
			_exit(0);
		}
		int st;
		waitpid(grandchild, &st, 0);
		char buf[64];
		int n = snprintf(buf, sizeof buf, "grandchild ended: %s %d\n", WIFSIGNALED(st) ? "signal" : "exit",
		                 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		write(1, buf, n);
		_exit(0);
	}
	int st;
	waitpid(child, &st, 0);
	if (deny)
		report("root", syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	return 0;
}
