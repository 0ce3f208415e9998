// selfstate: prints what a process inherits from whoever started it, one item a line:
//   pdeathsig=N         prctl(PR_GET_PDEATHSIG)
//   SigIgn:\t...        the ignored-signal mask, as /proc/self/status has it
//   SigBlk:\t...        the blocked-signal mask, likewise
//   fds=0,1,2           the open file descriptors (/proc/self/fd, sorted, without the one that
//                       reads the directory)
//   env=N               how many environment variables have a name starting with _SCTRACE
// Run bare and under a tracer, the output must be the same. Exit status: 0; 1 if it cannot read
// /proc.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

extern char **environ;

static int cmp(const void *a, const void *b) {
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int main(void) {
	int sig = -1;
	if (prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0))
		return 1;
	printf("pdeathsig=%d\n", sig);

	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return 1;
	char line[512];
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "SigIgn:", 7) || !strncmp(line, "SigBlk:", 7))
			fputs(line, stdout);
	fclose(f);

	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 1;
	int fds[1024], n = 0, self = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d)) && n < 1024) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd != self)
			fds[n++] = fd;
	}
	closedir(d);
	qsort(fds, n, sizeof fds[0], cmp);
	printf("fds=");
	for (int i = 0; i < n; i++)
		printf(i ? ",%d" : "%d", fds[i]);
	printf("\n");

	int env = 0;
	for (char **p = environ; *p; p++)
		if (!strncmp(*p, "_SCTRACE", 8))
			env++;
	printf("env=%d\n", env);
	return 0;
}
