/* listenmkdir MODE DIR: installs a seccomp filter of its own whose listener a thread of its own
 * answers with "continue" (SECCOMP_USER_NOTIF_FLAG_CONTINUE): with MODE "deny" the filter sends
 * mkdirat there and the program creates DIR/d; with "quiet" it sends getppid and calls getppid.
 * A listener filter outranks a tracer's SECCOMP_RET_TRACE, so a supervisor that only traces would
 * let the mkdirat through. Prints "listener: R" (the filter's installation: 0 or -errno) and
 * "mkdirat: R". Exit status: 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static volatile int listener = -1;

static void *supervise(void *arg) {
	while (listener == -1)
		usleep(1000);
	if (listener < 0)
		return arg;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	for (;;) {
		memset(&req, 0, sizeof req);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
			return arg;
		memset(&resp, 0, sizeof resp);
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

static void report(const char *what, long r) {
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%s: %ld\n", what, r);
	write(1, buf, n);
}

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	int deny = strcmp(argv[1], "deny") == 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/d", argv[2]);
	pthread_t th;
	pthread_create(&th, NULL, supervise, NULL);
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, deny ? SYS_mkdirat : SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog p = {sizeof f / sizeof *f, f};
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &p);
	report("listener", fd < 0 ? -errno : 0);
	listener = fd < 0 ? -2 : fd;
	long r = deny ? syscall(SYS_mkdirat, AT_FDCWD, path, 0700) : syscall(SYS_getppid);
	report(deny ? "mkdirat" : "getppid", r < 0 ? -errno : 0);
	_exit(0);
}
