// untraced: forks a child with clone(CLONE_UNTRACED|SIGCHLD) — a flag that tells the kernel not
// to make the child a tracee even under PTRACE_O_TRACEFORK. The child makes one getpgid(0) call
// and calls exit_group(3); the parent waits for it. Exit status: 0 if the child exited 3; 1 if
// the clone or wait failed or the child ended any other way.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	// A raw clone without CLONE_VM and without a new stack returns twice, like fork.
	long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0L, 0L, 0L, 0L);
	if (pid < 0)
		return 1;
	if (pid == 0) {
		syscall(SYS_getpgid, 0);
		syscall(SYS_exit_group, 3);
		_exit(4);
	}
	int st;
	if (waitpid((pid_t)pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 3 ? 0 : 1;
}
