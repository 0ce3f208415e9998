/* argcalls: makes one call whose arguments sctrace learns, with the arguments given, and says
 * whether it succeeded: "ok", or "errno N" and exit status 1. Static, so that it runs in a
 * container whose root holds nothing else.
 *   argcalls socket FAMILY TYPE PROTOCOL | ioctl REQUEST | clone FLAGS | clone3 FLAGS | unshare FLAGS |
 *            mprotect PROT | prctl OPTION | personality PERSONA | fcntl CMD |
 *            setsockopt LEVEL NAME
 * Numbers may be decimal or 0x hexadecimal. A call may be given twice, separated by "then":
 * both are made, in order (a program that learned the first and tries the second). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long num(const char *s) { return strtoul(s, NULL, 0); }

static long one(char **a) {
	if (!strcmp(a[0], "socket"))
		return syscall(SYS_socket, num(a[1]), num(a[2]), num(a[3]));
	if (!strcmp(a[0], "ioctl"))
		return syscall(SYS_ioctl, 0, num(a[1]), 0);
	if (!strcmp(a[0], "clone")) {
		long pid = syscall(SYS_clone, num(a[1]) | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return pid;
	}
	if (!strcmp(a[0], "clone3")) {
		unsigned long long cargs[11] = {0}; /* struct clone_args, version 2 */
		cargs[0] = num(a[1]);
		cargs[4] = SIGCHLD; /* exit_signal */
		long pid = syscall(435 /* SYS_clone3 */, cargs, sizeof cargs);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return pid;
	}
	if (!strcmp(a[0], "unshare"))
		return syscall(SYS_unshare, num(a[1]));
	if (!strcmp(a[0], "mprotect")) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -1;
		return syscall(SYS_mprotect, p, 4096, num(a[1]));
	}
	if (!strcmp(a[0], "prctl")) {
		char name[32];
		return syscall(SYS_prctl, num(a[1]), name, 0, 0, 0);
	}
	if (!strcmp(a[0], "personality"))
		return syscall(SYS_personality, num(a[1]));
	if (!strcmp(a[0], "fcntl"))
		return syscall(SYS_fcntl, 0, num(a[1]), 0);
	if (!strcmp(a[0], "setsockopt")) {
		int s = socket(1, 1, 0), one = 1;
		return syscall(SYS_setsockopt, s, num(a[1]), num(a[2]), &one, sizeof one);
	}
	fprintf(stderr, "argcalls: unknown call %s\n", a[0]);
	exit(2);
}

int main(int argc, char **argv) {
	int status = 0;
	for (int i = 1; i < argc;) {
		int end = i;
		while (end < argc && strcmp(argv[end], "then"))
			end++;
		argv[end < argc ? end : argc] = NULL;
		errno = 0;
		long r = one(argv + i);
		if (r < 0) {
			printf("%s: errno %d\n", argv[i], errno);
			status = 1;
		} else {
			printf("%s: ok\n", argv[i]);
		}
		fflush(stdout);
		i = end + 1;
	}
	return status;
}
