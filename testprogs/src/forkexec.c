/* forkexec N: N times, one after the other: forks a process C; a thread of C forks in a loop
 * (each child exits at once) while C's main thread, after up to 2 ms, execs this program with
 * "waitall", which reaps every child and exits. The execve kills the forking thread, often
 * between a fork and the report of its fork event, so the new child's creator event never
 * comes. Exit status: 0. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *forker(void *arg) {
	for (;;) {
		if (syscall(SYS_clone, SIGCHLD, 0L, 0L, 0L, 0L) == 0)
			syscall(SYS_exit_group, 0);
	}
	return arg;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "waitall") == 0) {
		while (wait(NULL) > 0)
			;
		return 0;
	}
	int n = argc > 1 ? atoi(argv[1]) : 100;
	for (int i = 0; i < n; i++) {
		if (fork() == 0) {
			pthread_t t;
			pthread_create(&t, NULL, forker, NULL);
			struct timespec ts = {0, (rand() % 2000) * 1000};
			nanosleep(&ts, NULL);
			char *av[] = {argv[0], "waitall", NULL};
			execv("/proc/self/exe", av);
			_exit(127);
		}
		while (wait(NULL) > 0)
			;
	}
	return 0;
}
