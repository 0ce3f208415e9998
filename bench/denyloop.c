/*
 * denyloop N: N getpgid(0) calls and nothing else (no output, exit 0). Record it with N=0 and the
 * profile lacks getpgid, so under `sctrace run` every one of the N calls is a denial that goes to
 * sctrace; enforce.sh times N=0 against N > 0 for the round trip. The loop ignores the calls'
 * results: a denied call failing with EPERM (or running, in report and log modes) changes
 * nothing. The raw syscall keeps libc from caching or skipping the call.
 */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 0;
	for (long i = 0; i < n; i++)
		syscall(SYS_getpgid, 0);
	return 0;
}
