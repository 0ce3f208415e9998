/*
 * allow-floor COMMAND [ARG...]: runs COMMAND under a one-instruction seccomp filter that allows
 * everything. Any seccomp filter moves every system call onto the kernel's slower entry path, so
 * this is the least an enforcing launcher can cost; bench.sh compares `sctrace run` with it.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
		return 2;
	}
	struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_fprog prog = {1, allow};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("seccomp");
		return 126;
	}
	execvp(argv[1], argv + 1);
	perror("execvp");
	return 127;
}
