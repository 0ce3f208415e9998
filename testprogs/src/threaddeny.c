/* threaddeny MODE: the main thread starts a thread and joins it; with MODE "deny" the thread calls
 * uname, which a recording of MODE "quiet" lacks. Prints "thread: R" (0 or -errno) from the thread.
 * Exit status: 0. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static int deny;

static void *run(void *arg) {
	long r = 0;
	if (deny) {
		struct utsname u;
		r = syscall(SYS_uname, &u) < 0 ? -errno : 0;
	}
	char buf[64];
	int n = snprintf(buf, sizeof buf, "thread: %ld\n", r);
	write(1, buf, n);
	return arg;
}

int main(int argc, char **argv) {
	if (argc != 2)
		return 2;
	deny = strcmp(argv[1], "deny") == 0;
	pthread_t th;
	pthread_create(&th, NULL, run, NULL);
	pthread_join(th, NULL);
	return 0;
}
