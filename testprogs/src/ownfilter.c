/* ownfilter: installs a seccomp filter of its own: getppid -> ERRNO(EPERM), sched_yield ->
 * TRACE with data 7 (a tracer of its own that does not exist), everything else allowed. Then
 * calls each once. Alone, getppid fails with EPERM and sched_yield with ENOSYS (a TRACE verdict
 * with no tracer); it must be the same under a recorder, whose own TRACE verdict is outranked.
 * Exit status: 0 if both behaved as alone, 1 if not, 2 if the filter could not be installed. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int main(void) {
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sched_yield, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 7),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog p = {sizeof f / sizeof *f, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p)) {
		perror("seccomp");
		return 2;
	}
	long a = syscall(SYS_getppid);
	int ea = errno;
	long b = syscall(SYS_sched_yield);
	int eb = errno;
	printf("getppid=%ld errno=%d sched_yield=%ld errno=%d\n", a, ea, b, eb);
	return a == -1 && ea == EPERM && b == -1 && eb == ENOSYS ? 0 : 1;
}
