/* clone3race N: 4 threads each make N children with clone3 while another thread keeps toggling
 * CLONE_UNTRACED in their arguments, so that the flag a tracer cleared at the clone3's stop can
 * be set again before the kernel copies the arguments. Each child calls getpgid(0) and exits;
 * the parent waits for it (at most 1 s). Prints "children: N". Exit status: 0. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct clone_args args[4];
static int n, made;
static volatile int done;

static void *flip(void *arg) {
	while (!done)
		for (int i = 0; i < 4; i++)
			args[i].flags ^= CLONE_UNTRACED;
	return arg;
}

static void *worker(void *arg) {
	long i = (long)arg;
	for (int k = 0; k < n; k++) {
		args[i].exit_signal = SIGCHLD;
		long r = syscall(SYS_clone3, &args[i], sizeof args[i]);
		if (r == 0) {
			syscall(SYS_getpgid, 0);
			syscall(SYS_exit_group, 0);
		}
		if (r > 0) {
			__sync_fetch_and_add(&made, 1);
			struct timespec ts = {0, 100000000};
			for (int q = 0; q < 10 && waitpid((pid_t)r, NULL, WNOHANG) == 0; q++)
				nanosleep(&ts, NULL);
		}
	}
	return arg;
}

int main(int argc, char **argv) {
	n = argc > 1 ? atoi(argv[1]) : 10;
	pthread_t f, w[4];
	pthread_create(&f, NULL, flip, NULL);
	for (long i = 0; i < 4; i++)
		pthread_create(&w[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(w[i], NULL);
	done = 1;
	pthread_join(f, NULL);
	printf("children: %d\n", made);
	return 0;
}
