/* floor: the least a seccomp + ptrace recorder can do, as a yardstick for sctrace record.
 * Usage: floor COMMAND [ARG...]
 * The child asks to be traced and stops itself; the parent sets the options (seccomp stops,
 * forks, clones, exec, kill on exit) and lets it go; the child then installs a filter that
 * returns SECCOMP_RET_TRACE for every call and executes COMMAND. The parent resumes every stop
 * with PTRACE_CONT, passing signals on, until no tracee is left. It reads nothing: a real
 * recorder at least reads each call. With FLOOR_READ set in its environment it does that too
 * (PTRACE_GET_SYSCALL_INFO at each seccomp stop, counted per number): the least a recorder that
 * knows which call was made can do. Exit status: COMMAND's. */
#include <errno.h>
#include <stdlib.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: floor COMMAND [ARG...]\n");
		return 2;
	}
	int readcalls = getenv("FLOOR_READ") != NULL;
	static long counts[1024];
	pid_t child = fork();
	if (child == 0) {
		struct sock_filter all[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE)};
		struct sock_fprog prog = {1, all};
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) || raise(SIGSTOP) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
			perror("floor child");
			_exit(126);
		}
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	int st, code = 0;
	if (waitpid(child, &st, 0) != child || !WIFSTOPPED(st))
		return 2;
	ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL | PTRACE_O_TRACEFORK |
	                                      PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC);
	ptrace(PTRACE_CONT, child, 0, 0);
	for (;;) {
		pid_t pid = waitpid(-1, &st, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing left */
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (pid == child)
				code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			continue;
		}
		if (readcalls && (st >> 16) == PTRACE_EVENT_SECCOMP) {
			struct __ptrace_syscall_info info;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info) > 0)
				counts[info.seccomp.nr & 1023]++;
		}
		int sig = 0;
		if (WIFSTOPPED(st) && (st >> 16) == 0 && WSTOPSIG(st) != SIGTRAP)
			sig = WSTOPSIG(st); /* a signal for the tracee: deliver it */
		ptrace(PTRACE_CONT, pid, 0, sig);
	}
	return code;
}
