// periodic: prints "ready", then two threads loop forever, each making a getppid call and
// sleeping 5 ms (nanosleep); for attaching to a process that is already running.
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void *loop(void *arg) {
	(void)arg;
	struct timespec ts = {0, 5000000};
	for (;;) {
		syscall(SYS_getppid);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(void) {
	pthread_t t;
	if (pthread_create(&t, NULL, loop, NULL))
		return 1;
	puts("ready");
	fflush(stdout);
	loop(NULL);
}
