// forkchain N: a chain of N forks (N+1 processes); each process makes one getppid call and
// waits for its child; the exit status travels back up the chain (the last child exits 3).
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 4;
	for (;;) {
		syscall(SYS_getppid);
		if (n-- == 0)
			_exit(3);
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid > 0) {
			int st;
			if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
				_exit(1);
			_exit(WEXITSTATUS(st));
		}
	}
}
