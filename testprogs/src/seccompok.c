/* seccompok MODE: run as "seccompok-a MODE", installs a filter of its own that answers
 * seccomp(SECCOMP_SET_MODE_FILTER, ...) with success without installing anything
 * (SECCOMP_RET_ERRNO with errno 0), forks a child that writes a line (so that its own calls
 * cover the whole profile), then execs "seccompok-b MODE" from the same directory; seccompok-b
 * calls getppid only with MODE "attack". A refine run that believed a filter went in would miss
 * that getppid in seccompok-b's set. Exit status: 0. */
#define _GNU_SOURCE
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
	if (argc != 2)
		return 2;
	size_t len = strlen(argv[0]);
	if (argv[0][len - 1] == 'a') {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 3),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_SET_MODE_FILTER, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog p = {sizeof f / sizeof f[0], f};
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p);
		syscall(SYS_getppid);
		if (fork() == 0) {
			write(1, "a\n", 2);
			_exit(0);
		}
		wait(NULL);
		char b[4096];
		snprintf(b, sizeof b, "%.*sb", (int)(len - 1), argv[0]);
		execl(b, b, argv[1], (char *)NULL);
		return 127;
	}
	if (strcmp(argv[1], "attack") == 0)
		syscall(SYS_getppid);
	write(1, "b\n", 2);
	return 0;
}
