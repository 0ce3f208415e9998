// sleeper SECONDS: prints "ready" on stdout, then sleeps; exits 0 when the sleep ends.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
	puts("ready");
	fflush(stdout);
	sleep(argc > 1 ? atoi(argv[1]) : 600);
	return 0;
}
