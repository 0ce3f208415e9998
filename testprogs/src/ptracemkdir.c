/* ptracemkdir MODE DIR: a parent that traces its own child: the child asks to be traced
 * (PTRACE_TRACEME; under sctrace it is already traced and this fails), stops itself, and with
 * MODE "deny" creates DIR/d (mkdirat); the parent resumes it with PTRACE_CONT and waits. Prints
 * "traced child: R" (0 or -errno). Exit status: 0. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	char path[4096];
	snprintf(path, sizeof path, "%s/d", argv[2]);
	int deny = strcmp(argv[1], "deny") == 0;
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		long r = deny ? syscall(SYS_mkdirat, AT_FDCWD, path, 0700) : 0;
		char buf[64];
		int n = snprintf(buf, sizeof buf, "traced child: %ld\n", r < 0 ? -(long)errno : r);
		write(1, buf, n);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, WUNTRACED);
	ptrace(PTRACE_CONT, pid, 0, 0);
	kill(pid, SIGCONT);
	while (waitpid(pid, &st, 0) == pid && !WIFEXITED(st) && !WIFSIGNALED(st))
		ptrace(PTRACE_CONT, pid, 0, 0);
	return 0;
}
