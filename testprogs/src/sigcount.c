/* sigcount SECONDS: counts the SIGINT, SIGTERM, SIGHUP and SIGQUIT it receives (all handled),
 * prints "ready", then after SECONDS prints "INT=n TERM=n HUP=n QUIT=n" and exits 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t counts[65];

static void count(int sig) { counts[sig]++; }

int main(int argc, char **argv) {
	int secs = argc > 1 ? atoi(argv[1]) : 2;
	struct sigaction sa = {.sa_handler = count};
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	struct timespec end, now;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += secs;
	do {
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	printf("INT=%d TERM=%d HUP=%d QUIT=%d\n", counts[SIGINT], counts[SIGTERM], counts[SIGHUP], counts[SIGQUIT]);
	return 0;
}
