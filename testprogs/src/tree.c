// tree D W: a process tree. Every process above depth D forks W children and then waits for
// them; the processes at depth D (the leaves, W^D of them) make one getppid call each and exit.
// All W children of a process exist at once, so (W^(D+1)-1)/(W-1) processes in all, many alive
// together. Exit status: 0 if every child exited 0 (recursively), 1 if a fork or wait failed or
// a child did not exit 0, 2 on bad arguments.
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int node(int depth, int d, int w) {
	if (depth == d) {
		syscall(SYS_getppid);
		return 0;
	}
	int forked = 0, bad = 0;
	for (int i = 0; i < w; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			bad = 1;
			break;
		}
		if (pid == 0)
			_exit(node(depth + 1, d, w));
		forked++;
	}
	for (int i = 0; i < forked; i++) {
		int st;
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	}
	return bad;
}

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	int d = atoi(argv[1]), w = atoi(argv[2]);
	if (d < 0 || w < 1)
		return 2;
	return node(0, d, w);
}
