// starve N M: a worker thread, created first, makes M getpid calls while N threads, created
// after it, spin on getppid forever; the main thread joins the worker and then _exits 0 (which
// ends the spinners). A tracer that serves the busiest threads first starves the worker. Exit
// status: 0; 1 if a thread could not be created; 2 on bad arguments; 142 if the alarm(60) guard
// fires (its handler calls exit_group(142)).
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int m;

static void *worker(void *arg) {
	(void)arg;
	for (int i = 0; i < m; i++)
		syscall(SYS_getpid);
	return NULL;
}

static void *spin(void *arg) {
	(void)arg;
	for (;;)
		syscall(SYS_getppid);
	return NULL;
}

static void on_alarm(int sig) {
	(void)sig;
	syscall(SYS_exit_group, 142);
}

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	int n = atoi(argv[1]);
	m = atoi(argv[2]);
	if (n < 0 || m < 0)
		return 2;
	signal(SIGALRM, on_alarm);
	alarm(60);
	pthread_t w;
	if (pthread_create(&w, NULL, worker, NULL))
		_exit(1);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, spin, NULL))
			_exit(1);
	}
	pthread_join(w, NULL);
	_exit(0);
}
