// loopthreads T N: the shape of strace's tests/looping_threads.c. T threads loop forever on
// getppid; meanwhile the main thread forks N children one after the other, each of which makes
// one getpgid(0) call and _exits 0, and waits for each. Then the main thread calls exit_group(0)
// directly, with every looping thread still running. Exit status: 0; 1 if a thread could not be
// created, a fork or wait failed or a child did not exit 0; 2 on bad arguments; 142 if the
// alarm(60) guard fires (its handler calls exit_group(142)).
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *loop(void *arg) {
	(void)arg;
	for (;;)
		syscall(SYS_getppid);
	return NULL;
}

static void on_alarm(int sig) {
	(void)sig;
	syscall(SYS_exit_group, 142);
}

static void quit(int code) {
	syscall(SYS_exit_group, code);
	_exit(code);
}

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	int t = atoi(argv[1]), n = atoi(argv[2]);
	if (t < 0 || n < 0)
		return 2;
	signal(SIGALRM, on_alarm);
	alarm(60);
	for (int i = 0; i < t; i++) {
		pthread_t th;
		if (pthread_create(&th, NULL, loop, NULL))
			quit(1);
	}
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			quit(1);
		if (pid == 0) {
			syscall(SYS_getpgid, 0);
			_exit(0);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			quit(1);
	}
	quit(0);
}
