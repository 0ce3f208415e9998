/* churnforever: a process to attach to that never stops creating threads and children. Four
 * threads at a time each make 100 getppid calls and end; every 10th round a child calls getppid
 * and exits; every round bumps a counter. Prints "ready" once the first round is done, then
 * runs until killed. Threads a traced thread creates are attached by the kernel
 * (PTRACE_O_TRACECLONE) while the tracer is still walking /proc/PID/task: the attach race. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void *work(void *a) {
	for (int i = 0; i < 100; i++)
		syscall(SYS_getppid);
	return a;
}

int main(void) {
	for (long n = 0;; n++) {
		pthread_t th[4];
		for (int i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, work, NULL);
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		if (n % 10 == 0) {
			pid_t p = fork();
			if (p == 0) {
				syscall(SYS_getppid);
				_exit(0);
			}
			waitpid(p, NULL, 0);
		}
		if (n == 0) {
			puts("ready");
			fflush(stdout);
		}
	}
}
