// survivor: ignores SIGINT (SIG_IGN), prints "ready" on stdout, then sleeps 3 s as 30 nanosleeps
// of 100 ms (a sleep cut short by a signal is not made up), makes one getpgid(0) call and exits 7.
// Exit status: 7; 1 if the sigaction failed.
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void) {
	struct sigaction sa = {.sa_handler = SIG_IGN};
	if (sigaction(SIGINT, &sa, NULL))
		return 1;
	puts("ready");
	fflush(stdout);
	struct timespec ts = {0, 100000000};
	for (int i = 0; i < 30; i++)
		nanosleep(&ts, NULL);
	syscall(SYS_getpgid, 0);
	return 7;
}
