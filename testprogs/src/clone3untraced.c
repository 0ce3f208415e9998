/* clone3untraced: calls clone3 with CLONE_UNTRACED; the child exits 3 at once, the parent
 * waits for it. Prints "clone3: R" (the child's pid is not printed: 0 on success, -errno on
 * failure) and, on ENOSYS, makes the same child with clone(CLONE_UNTRACED) as libc does.
 * Exit status: 0 if a child exited 3. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	struct clone_args ca;
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_UNTRACED;
	ca.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0)
		syscall(SYS_exit_group, 3);
	char buf[64];
	int n = snprintf(buf, sizeof buf, "clone3: %ld\n", pid < 0 ? -(long)errno : 0L);
	write(1, buf, n);
	if (pid < 0 && errno == ENOSYS) {
		pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0L, 0L, 0L, 0L);
		if (pid == 0)
			syscall(SYS_exit_group, 3);
	}
	int st;
	if (pid < 0 || waitpid((pid_t)pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 3 ? 0 : 1;
}
