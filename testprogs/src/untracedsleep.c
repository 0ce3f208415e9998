/* untracedsleep: a clone(CLONE_UNTRACED) child that prints "ready" and sleeps 30 s; the parent
 * waits for it. With a tracer that does not clear CLONE_UNTRACED, the child escapes it: it
 * outlives a killed tracer. Exit status: the child's (0 after its sleep). */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char stack[65536];

static int child(void *arg) {
	(void)arg;
	printf("ready\n");
	fflush(stdout);
	struct timespec ts = {30, 0};
	nanosleep(&ts, NULL);
	syscall(SYS_exit_group, 0);
	return 0;
}

int main(void) {
	pid_t p = clone(child, stack + sizeof stack, CLONE_UNTRACED | SIGCHLD, NULL);
	if (p < 0) {
		perror("clone");
		return 2;
	}
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
