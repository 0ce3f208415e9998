// killed: a child kills itself with SIGTERM and the parent checks that; with "self" the program
// itself dies by SIGTERM (a tracer reports 143).
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "self") == 0)
		raise(SIGTERM);
	pid_t pid = fork();
	if (pid == 0) {
		raise(SIGTERM);
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM)
		return 2;
	return 0;
}
