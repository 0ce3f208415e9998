/* cpkill: forks 50 children; each makes a child with clone(CLONE_PARENT|SIGCHLD) and at once
 * kills itself with SIGKILL, so its clone event may never be reported; the grandchild sleeps 1 ms,
 * calls getpgid(0) and exits. The first process reaps all 100. Prints "reaped N". Exit status: 0. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
	for (int i = 0; i < 50; i++) {
		pid_t p = fork();
		if (p == 0) {
			long c = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0L, 0L, 0L, 0L);
			if (c == 0) { usleep(1000); syscall(SYS_getpgid, 0); syscall(SYS_exit_group, 0); }
			kill(getpid(), SIGKILL);
		}
	}
	int n = 0;
	while (wait(NULL) > 0) n++;
	printf("reaped %d\n", n);
	return 0;
}
