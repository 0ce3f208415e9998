// spinkids: the parent forks one child and waits for it. The child starts 20 threads that spin
// on getppid forever and, once all 20 are running, its main thread makes 100 getuid calls and
// calls exit_group(0). Exit status: 0 if the child exited 0; 1 if the fork or wait failed or the
// child did not exit 0 (the child exits 1 if it cannot create a thread); 142 if the alarm(60)
// guard fires in the parent or in the child (its handler calls exit_group(142)).
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int running;

static void *spin(void *arg) {
	(void)arg;
	atomic_fetch_add(&running, 1);
	for (;;)
		syscall(SYS_getppid);
	return NULL;
}

static void on_alarm(int sig) {
	(void)sig;
	syscall(SYS_exit_group, 142);
}

static void child(void) {
	alarm(60);
	for (int i = 0; i < 20; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, spin, NULL))
			syscall(SYS_exit_group, 1);
	}
	while (atomic_load(&running) < 20)
		sched_yield();
	for (int i = 0; i < 100; i++)
		syscall(SYS_getuid);
	syscall(SYS_exit_group, 0);
}

int main(void) {
	signal(SIGALRM, on_alarm);
	alarm(60);
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		child();
		_exit(1);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return 1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 142)
		return 142;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
