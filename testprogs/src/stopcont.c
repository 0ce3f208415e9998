// stopcont: the child stops itself with SIGSTOP; the parent must see it stopped (waitpid
// WUNTRACED), continues it with SIGCONT, and the child then makes one getppid call and exits 0.
// A tracer that resumes a group-stop with PTRACE_CONT instead of PTRACE_LISTEN breaks this.
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	pid_t pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGSTOP);
		syscall(SYS_getppid);
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
		return 2;
	kill(pid, SIGCONT);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 3;
	return 0;
}
