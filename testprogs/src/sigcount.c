/* sigcount SECONDS [signalfd|exitmain]: counts the SIGINT, SIGTERM, SIGHUP and SIGQUIT it
 * receives (all handled; with "signalfd", blocked and read from a signalfd, as daemons do, so
 * that no signal-delivery stop shows them to a tracer; "exitmain" is signalfd read by a second
 * thread after the main thread has exited), prints "ready", then after SECONDS prints
 * "INT=n TERM=n HUP=n QUIT=n" and exits 0. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t counts[65];

static void count(int sig) { counts[sig]++; }

static int secs, usefd, fd = -1;

static void *loop(void *arg) {
	(void)arg;
	printf("ready\n");
	fflush(stdout);
	struct timespec end, now;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += secs;
	do {
		if (usefd) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 10) == 1) {
				struct signalfd_siginfo si;
				if (read(fd, &si, sizeof si) == sizeof si && si.ssi_signo < 65)
					counts[si.ssi_signo]++;
			}
		} else {
			struct timespec ts = {0, 10000000};
			nanosleep(&ts, NULL);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	printf("INT=%d TERM=%d HUP=%d QUIT=%d\n", counts[SIGINT], counts[SIGTERM], counts[SIGHUP], counts[SIGQUIT]);
	fflush(stdout);
	exit(0);
}

int main(int argc, char **argv) {
	secs = argc > 1 ? atoi(argv[1]) : 2;
	int exitmain = argc > 2 && strcmp(argv[2], "exitmain") == 0;
	usefd = exitmain || (argc > 2 && strcmp(argv[2], "signalfd") == 0);
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	if (usefd) {
		sigset_t set;
		sigemptyset(&set);
		for (int i = 0; i < 4; i++)
			sigaddset(&set, sigs[i]);
		sigprocmask(SIG_BLOCK, &set, NULL);
		fd = signalfd(-1, &set, SFD_CLOEXEC);
		if (fd < 0) {
			perror("signalfd");
			return 1;
		}
	} else {
		struct sigaction sa = {.sa_handler = count};
		for (int i = 0; i < 4; i++)
			sigaction(sigs[i], &sa, NULL);
	}
	if (exitmain) {
		pthread_t t;
		pthread_create(&t, NULL, loop, NULL);
		pthread_exit(NULL);
	}
	loop(NULL);
	return 0;
}
