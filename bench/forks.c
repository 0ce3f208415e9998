// forks N: N short-lived children, one at a time: fork, the child _exits 0 at once, the parent
// waits for it before the next fork. A tracer sees N+1 processes, N of them dead by the end:
// bench/tracer.sh uses it to see whether the tracer's memory grows with dead tasks. Exit status:
// 0; 1 if a fork or wait failed or a child did not exit 0; 2 on bad arguments.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc != 2)
		return 2;
	int n = atoi(argv[1]);
	if (n < 0)
		return 2;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(0);
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 1;
	}
	return 0;
}
