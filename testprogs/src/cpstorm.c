/* cpstorm: a child of the first process starts 4 threads that each make 200 children with
 * clone(CLONE_PARENT|SIGCHLD) (so their parent is the first process, which reaps them all); each
 * child calls getpgid(0) and exits. Exit status: 0. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static void *spawn(void *a) {
	for (int i = 0; i < 200; i++) {
		long c = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0L, 0L, 0L, 0L);
		if (c == 0) { syscall(SYS_getpgid, 0); syscall(SYS_exit_group, 0); }
	}
	return a;
}
int main(void) {
	pid_t p = fork();
	if (p == 0) {
		pthread_t t[4];
		for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, spawn, 0);
		for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
		_exit(0);
	}
	while (wait(NULL) > 0) ;
	return 0;
}
