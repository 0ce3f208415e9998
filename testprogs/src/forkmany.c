// forkmany N: forks N children as fast as it can, each makes one getppid call and exits with its
// index modulo 256; the parent reaps them all and checks the statuses. Under a tracer, a child's
// first stop often arrives before its parent's fork event: the tracer must cope with both orders.
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 64;
	int sum = 0, want = 0;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			syscall(SYS_getppid);
			_exit(i % 256);
		}
		want += i % 256;
	}
	for (int i = 0; i < n; i++) {
		int st;
		if (wait(&st) < 0 || !WIFEXITED(st))
			return 2;
		sum += WEXITSTATUS(st);
	}
	return sum == want ? 0 : 3;
}
