/*
 * main.c: loco's entry point: global options, dispatch to the command
 * table, and the one place where errors are printed.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "http.h"
#include "sandbox.h"
#include "banned.h"

/* Flush stdout and report a failed write, quietly for a closed pipe. */
static int
finish_output(int status)
{
	if (fflush(stdout) != 0 && !loco_write_failed) {
		loco_write_failed = 1;
		loco_write_errno = errno;
	}
	if (loco_write_failed && loco_write_errno != EPIPE) {
		fprintf(stderr, "loco: cannot write to standard output: %s\n",
		    strerror(loco_write_errno));
		return status ? status : EXIT_FAIL;
	}
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "registry", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct loco lc;
	const struct cmd *c;
	struct error *err;
	const char *registry = NULL, *backend = NULL;
	int ch, status;

	signal(SIGPIPE, SIG_IGN);
	interrupt_install();
	memset(&lc, 0, sizeof(lc));
	lc.stdout_tty = isatty(STDOUT_FILENO);
	lc.stderr_progress = term_level(STDERR_FILENO) >= TERM_REWRITE;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			backend = optarg;
			break;
		case 'r':
			registry = optarg;
			break;
		case 'h':
			loco_usage(stdout);
			return finish_output(0);
		case 'V':
			printf("loco %s\n", LOCO_VERSION);
			return finish_output(0);
		case ':':
			fprintf(stderr, "loco: option '%s' needs a value\n",
			    argv[optind - 1]);
			loco_usage(stderr);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "loco: unknown option '%s'\n",
			    argv[optind - 1]);
			loco_usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		loco_usage(stderr);
		return EXIT_USAGE;
	}
	if ((c = cmd_find(argv[0])) == NULL) {
		char *clean = str_sanitize(argv[0], 40);
		const char *hint = cmd_suggest(argv[0]);

		if (hint != NULL)
			fprintf(stderr, "loco: '%s' is not a loco command; did "
			    "you mean '%s'?\n", clean, hint);
		else
			fprintf(stderr, "loco: '%s' is not a loco command; see "
			    "'loco help'\n", clean);
		free(clean);
		return EXIT_USAGE;
	}

	if ((err = config_load(&lc.cfg)) == NULL && registry != NULL)
		err = config_set(&lc.cfg, "registry.path", registry,
		    CONFIG_SRC_FLAG);
	if (err == NULL)
		err = sandbox_set_require(lc.cfg.sandbox_require);
	if (err == NULL && backend != NULL &&
	    (err = config_backend_choose(&lc.cfg, backend)) != NULL) {
		err = error_prefix(err, "--backend");
		err->code = EXIT_USAGE;
	}
	if (err == NULL) {
		optind = 0;	/* glibc: full reset for the command's getopt */
		opterr = 1;
		err = c->fn(&lc, argc, argv);
	}
	status = EXIT_OK;
	if (err != NULL) {
		fflush(stdout);
		if (err->msg[0] != '\0')
			fprintf(stderr, "loco: %s\n", err->msg);
		status = err->code;
		error_free(err);
	}
	if (lc.reg != NULL)
		registry_free(lc.reg);
	config_free(&lc.cfg);
	http_cleanup();
	return finish_output(status);
}
