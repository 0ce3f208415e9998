// execchain N: re-executes itself (/proc/self/exe) with N-1, down to 0, which exits 0: one
// process, N+1 execs counting the first. Exit status: 0; 1 if an exec failed; 2 on bad arguments.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc != 2)
		return 2;
	int n = atoi(argv[1]);
	if (n < 0)
		return 2;
	if (n == 0)
		return 0;
	char next[16];
	snprintf(next, sizeof next, "%d", n - 1);
	char *args[] = {argv[0], next, NULL};
	execv("/proc/self/exe", args);
	return 1;
}
