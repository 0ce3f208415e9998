// daemon FILE: the classic double fork. The parent forks a child and waits for it (the child
// exits at once), then exits 0 without waiting for anything else. The child calls setsid, forks a
// grandchild and _exits 0. The grandchild, orphaned and in its own session, points its standard
// streams at /dev/null, sleeps 200 ms, makes one getpgid(0) call, writes "done\n" to FILE and
// exits 0. Exit status of the parent: 0 if the child exited 0; 1 if a fork or wait failed or the
// child did not exit 0 (the child exits 1 if setsid or its fork failed); 2 on bad arguments.
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void grandchild(const char *file) {
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	struct timespec ts = {0, 200000000};
	nanosleep(&ts, NULL);
	syscall(SYS_getpgid, 0);
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "done\n", 5) != 5 || close(fd))
		_exit(1);
	_exit(0);
}

int main(int argc, char **argv) {
	if (argc != 2)
		return 2;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (setsid() < 0)
			_exit(1);
		pid_t g = fork();
		if (g < 0)
			_exit(1);
		if (g == 0)
			grandchild(argv[1]);
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 1;
	return 0;
}
