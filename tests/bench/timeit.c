/*
 * timeit.c: run a command many times and print its wall time, for
 * tests/bench.sh.  Each run is posix_spawn + waitpid with stdin, stdout
 * and stderr on /dev/null, timed with CLOCK_MONOTONIC.  A run that exits
 * non-zero stops the measurement: a benchmark of a failing command means
 * nothing.
 *
 *   timeit [-n runs] [-w warmup] [NAME=VALUE ...] command [argument ...]
 *	[--- [NAME=VALUE ...] command ...]
 *
 * NAME=VALUE words before a command are set in its environment (as env(1)
 * does, without the cost of running env first).  Several commands
 * (separated by "---") are run in turn, A B A B ..., so that drift in
 * machine load (a 2-core box, a Node server on the same machine) falls on
 * all of them alike.  One line per command: "runs min median mean max
 * ratio", in milliseconds; ratio is the median of the run-by-run ratios
 * of the command's time to the first command's (each run against the
 * one just before it), which drift in load moves less than a ratio of
 * medians.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static posix_spawn_file_actions_t	fa;

struct cmd {
	char	**argv;
	char	**envp;
};

/* The environment with the NAME=VALUE words at *argv set; skips them. */
static char **
cmd_env(char ***argv)
{
	size_t n = 0, i, k, len;
	char **envp, *eq;

	while (environ[n] != NULL)
		n++;
	for (k = 0; (*argv)[k] != NULL && strchr((*argv)[k], '=') != NULL &&
	    (*argv)[k][0] != '=' && (*argv)[k][0] != '/'; k++)
		;
	if ((envp = calloc(n + k + 1, sizeof(*envp))) == NULL) {
		perror("timeit");
		exit(1);
	}
	memcpy(envp, environ, n * sizeof(*envp));
	for (; k > 0; k--, (*argv)++) {
		eq = strchr(**argv, '=');
		len = (size_t)(eq - **argv) + 1;
		for (i = 0; i < n && strncmp(envp[i], **argv, len) != 0; i++)
			;
		if (i == n)
			n++;
		envp[i] = **argv;
	}
	return envp;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One run; returns its wall time in ms, or -1 after printing why. */
static double
run(const struct cmd *cmd)
{
	char **argv = cmd->argv;
	double t0, t1;
	pid_t pid;
	int st, e;

	t0 = now_ms();
	if ((e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, cmd->envp)) !=
	    0) {
		fprintf(stderr, "timeit: cannot run '%s': %s\n", argv[0],
		    strerror(e));
		return -1;
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			perror("timeit: waitpid");
			return -1;
		}
	t1 = now_ms();
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "timeit: '%s' failed (status %d)\n", argv[0],
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -1;
	}
	return t1 - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static long
number(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 1000000) {
		fprintf(stderr, "timeit: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void
usage(void)
{
	fprintf(stderr, "usage: timeit [-n runs] [-w warmup] [NAME=VALUE ...] "
	    "command [argument ...] [--- ...]\n");
	exit(2);
}

#define MAXCMDS 8

int
main(int argc, char *argv[])
{
	char **cmdv[MAXCMDS];
	struct cmd cmds[MAXCMDS];
	double *t[MAXCMDS], *r, ratio[MAXCMDS], sum, med;
	long n = 100, warm = 5, i;
	int ch, c, ncmds = 0;

	while ((ch = getopt(argc, argv, "+n:w:")) != -1) {
		switch (ch) {
		case 'n':
			n = number(optarg, "run count");
			break;
		case 'w':
			warm = number(optarg, "warm-up count");
			break;
		default:
			usage();
		}
	}
	argv += optind;
	argc -= optind;
	if (argc == 0 || n < 1)
		usage();
	/* Split argv at each "---" into NULL-terminated commands. */
	cmdv[ncmds++] = argv;
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "---") == 0) {
			if (ncmds == MAXCMDS)
				usage();
			argv[i] = NULL;
			cmdv[ncmds++] = &argv[i + 1];
		}
	for (c = 0; c < ncmds; c++) {
		cmds[c].envp = cmd_env(&cmdv[c]);
		cmds[c].argv = cmdv[c];
		if (cmds[c].argv[0] == NULL)
			usage();
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);

	for (i = 0; i < warm; i++)
		for (c = 0; c < ncmds; c++)
			if (run(&cmds[c]) < 0)
				return 1;
	for (c = 0; c < ncmds; c++)
		if ((t[c] = calloc((size_t)n, sizeof(double))) == NULL) {
			perror("timeit");
			return 1;
		}
	for (i = 0; i < n; i++)
		for (c = 0; c < ncmds; c++)
			if ((t[c][i] = run(&cmds[c])) < 0)
				return 1;
	if ((r = calloc((size_t)n, sizeof(double))) == NULL) {
		perror("timeit");
		return 1;
	}
	/* The ratios first: sorting puts the runs out of step. */
	for (c = ncmds - 1; c >= 0; c--) {
		for (i = 0; i < n; i++)
			r[i] = t[0][i] > 0 ? t[c][i] / t[0][i] : 0;
		qsort(r, (size_t)n, sizeof(double), cmp_double);
		ratio[c] = n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
	}
	for (c = 0; c < ncmds; c++) {
		sum = 0;
		for (i = 0; i < n; i++)
			sum += t[c][i];
		qsort(t[c], (size_t)n, sizeof(double), cmp_double);
		med = n % 2 ? t[c][n / 2] :
		    (t[c][n / 2 - 1] + t[c][n / 2]) / 2;
		printf("%ld %.3f %.3f %.3f %.3f %.3f\n", n, t[c][0], med,
		    sum / n, t[c][n - 1], ratio[c]);
		free(t[c]);
	}
	free(r);
	return 0;
}
