// sighandler: a SIGUSR1 handler (no SA_RESTART) interrupts a blocking ppoll; the interrupted call
// must fail with EINTR after the handler ran once. The child sends the signal; the parent blocks
// SIGUSR1 until ppoll atomically unblocks it, so there is no race.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void onusr1(int sig) {
	(void)sig;
	handled++;
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onusr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, empty;
	sigemptyset(&block);
	sigemptyset(&empty);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		kill(parent, SIGUSR1);
		_exit(0);
	}
	int r = ppoll(NULL, 0, NULL, &empty);
	if (r != -1 || errno != EINTR || handled != 1)
		return 2;
	syscall(SYS_getppid);
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return 3;
	return 0;
}
