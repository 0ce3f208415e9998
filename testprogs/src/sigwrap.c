/* sigwrap SIGNUM[,SIGNUM...] COMMAND [ARG...]: sets the listed signals to SIG_IGN and executes
 * COMMAND, as nohup or a shell's `trap "" SIG` would. Exit status: COMMAND's; 127 if it cannot
 * be executed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 3)
		return 2;
	for (char *s = strtok(argv[1], ","); s; s = strtok(NULL, ","))
		signal(atoi(s), SIG_IGN);
	execvp(argv[2], argv + 2);
	perror("execvp");
	return 127;
}
