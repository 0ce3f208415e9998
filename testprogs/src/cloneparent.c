/* cloneparent: run as "cloneparent-x": forks a child that execs "cloneparent-y" from the same
 * directory, and waits for every child. cloneparent-y makes a child with
 * clone(CLONE_PARENT|SIGCHLD), whose parent is then cloneparent-x, not its creator; that child
 * calls getpgid(0) once and exits. The getpgid belongs to cloneparent-y's executable, though
 * /proc names cloneparent-x as the child's parent. Exit status: 0. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	size_t len = strlen(argv[0]);
	if (argv[0][len - 1] == 'x') {
		char y[4096];
		snprintf(y, sizeof y, "%.*sy", (int)(len - 1), argv[0]);
		if (fork() == 0) {
			execl(y, y, (char *)NULL);
			_exit(127);
		}
		while (wait(NULL) > 0)
			;
		return 0;
	}
	long c = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0L, 0L, 0L, 0L);
	if (c == 0) {
		syscall(SYS_getpgid, 0);
		syscall(SYS_exit_group, 0);
	}
	return 0;
}
