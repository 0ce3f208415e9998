/* zombieleader: the main thread exits (SYS_exit) right away, leaving a zombie leader; a worker
 * thread prints "ready", makes 100 getppid calls 10 ms apart, then exits the process with 5. A
 * tracer that attaches meanwhile cannot seize the zombie leader. Exit status: 5. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void *work(void *arg) {
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < 100; i++) {
		struct timespec ts = {0, 10000000};
		syscall(SYS_getppid);
		nanosleep(&ts, NULL);
	}
	exit(5);
	return arg;
}

int main(void) {
	pthread_t t;
	pthread_create(&t, NULL, work, NULL);
	syscall(SYS_exit, 0);
}
