// execthread: a thread that is not the leader calls execve on this program with "after"; the new
// image makes 3 getppid calls and exits 5. Under ptrace the exec'ing thread takes the leader's tid.
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char *self;

static void *worker(void *arg) {
	(void)arg;
	char *argv[] = {self, "after", NULL};
	char *envp[] = {NULL};
	// Let the leader reach pause() first, so that the footprint does not depend on timing.
	struct timespec ts = {0, 50000000};
	nanosleep(&ts, NULL);
	execve("/proc/self/exe", argv, envp);
	_exit(1);
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "after") == 0) {
		for (int i = 0; i < 3; i++)
			syscall(SYS_getppid);
		return 5;
	}
	self = argv[0];
	pthread_t t;
	if (pthread_create(&t, NULL, worker, NULL))
		return 1;
	for (;;)
		pause(); // the leader waits to be replaced
}
