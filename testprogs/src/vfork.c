// vfork: the child of a vfork makes one getppid call and exits 7; the parent checks that.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	pid_t pid = vfork();
	if (pid == 0) {
		syscall(SYS_getppid);
		_exit(7);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : 1;
}
