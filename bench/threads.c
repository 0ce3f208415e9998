// threads N: N threads alive at once. Each makes one gettid call and waits at a barrier that
// opens only when all N threads and the main thread have reached it, so every thread is created
// before any ends (a tracer holds N+1 live tasks at the peak); then the main thread joins them
// all. Stacks are 64 KiB so that 2000 threads fit in ordinary limits. Exit status: 0; 1 if a
// thread could not be created or joined; 2 on bad arguments.
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_barrier_t barrier;

static void *worker(void *arg) {
	(void)arg;
	syscall(SYS_gettid);
	pthread_barrier_wait(&barrier);
	return NULL;
}

int main(int argc, char **argv) {
	if (argc != 2)
		return 2;
	int n = atoi(argv[1]);
	if (n < 1)
		return 2;
	pthread_t *t = calloc(n, sizeof *t);
	pthread_attr_t attr;
	if (!t || pthread_barrier_init(&barrier, NULL, n + 1) || pthread_attr_init(&attr) ||
	    pthread_attr_setstacksize(&attr, 64 * 1024))
		return 1;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], &attr, worker, NULL))
			_exit(1); // the barrier can never open: leave without waiting for it
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < n; i++)
		if (pthread_join(t[i], NULL))
			return 1;
	return 0;
}
