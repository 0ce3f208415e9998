// threads: 4 threads each make 10 getppid calls (40 in all); one process.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *worker(void *arg) {
	(void)arg;
	for (int i = 0; i < 10; i++)
		syscall(SYS_getppid);
	return NULL;
}

int main(void) {
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, worker, NULL))
			return 1;
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 0;
}
