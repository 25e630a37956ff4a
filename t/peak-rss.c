#define _GNU_SOURCE
/* peak-rss PROGRAM [ARGS...]: runs PROGRAM and prints its peak RSS in KiB on
 * stderr. Measured here, not from Python or a shell: a child forked from a
 * big process inherits that process's RSS high-water mark across exec. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		return 1;
	fprintf(stderr, "peak RSS %ld KiB\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
