/* maxrss CMD...: run CMD, then print its peak resident set size in kB. */
#include <sys/resource.h>
#include <sys/wait.h>

#include <stdio.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct rusage ru;
	pid_t pid;
	int status;

	if (argc < 2)
		return 2;
	if ((pid = fork()) == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1)
		return 1;
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("%ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
