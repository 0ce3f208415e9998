// churn N: 4 threads each create and join N threads that return at once (4N short-lived
// threads, one at a time per creator), then the program prints "done" and exits 0. Exit status
// 1 if a pthread_create or pthread_join failed, 2 on bad arguments.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int n;

static void *empty(void *arg) {
	return arg;
}

static void *creator(void *arg) {
	(void)arg;
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, empty, NULL) || pthread_join(t, NULL))
			return (void *)1;
	}
	return NULL;
}

int main(int argc, char **argv) {
	if (argc != 2 || (n = atoi(argv[1])) < 0)
		return 2;
	pthread_t t[4];
	int bad = 0;
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, creator, NULL))
			return 1;
	for (int i = 0; i < 4; i++) {
		void *ret;
		if (pthread_join(t[i], &ret) || ret != NULL)
			bad = 1;
	}
	if (bad)
		return 1;
	puts("done");
	return 0;
}
