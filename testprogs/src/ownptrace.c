/* ownptrace: a parent that traces its own child: the child asks to be traced
 * (PTRACE_TRACEME), stops itself, calls getpgid and exits 0; the parent resumes it and waits.
 * Under a recorder the child is already traced, so PTRACE_TRACEME fails: the recorder must say
 * that the workload traces processes itself. Exit status: 0. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void) {
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		syscall(SYS_getpgid, 0);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, WUNTRACED);
	ptrace(PTRACE_CONT, pid, 0, 0); /* fails if the child is not ours */
	kill(pid, SIGCONT);
	while (waitpid(pid, &st, 0) == pid && !WIFEXITED(st) && !WIFSIGNALED(st))
		ptrace(PTRACE_CONT, pid, 0, 0);
	return 0;
}
