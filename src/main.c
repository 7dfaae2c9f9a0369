/*
 * main.c: loco's entry point: global options, dispatch to the command
 * table, and the one place where errors are printed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "http.h"
#include "sandbox.h"
#include "ydoc.h"
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

/*
 * The value of --registry when it is a command's name and no file: the
 * file was left out ("loco --registry route x"), so say so.
 */
static struct error *
registry_misplaced(const char *value)
{
	char *clean;
	struct error *err;

	if (cmd_find(value) == NULL || access(value, F_OK) == 0)
		return NULL;
	clean = str_sanitize(value, 40);
	err = opt_usage_error(&loco_spec, "--registry: '%s' was taken as "
	    "its value, but no such file exists; the file comes first: "
	    "loco --registry file %s ...", clean, clean);
	free(clean);
	return err;
}

/*
 * loco's own options, from its table (loco_spec), leaving the command in
 * argv; *done when --help or --version printed.  A usage error has been
 * said with the usage: its message is empty.
 */
static struct error *
global_options(struct loco *lc, int *argc, char ***argv,
    const char **registry, const char **backend, int *done)
{
	struct optparse p;
	int id;

	*done = 0;
	opt_init(&p, lc, &loco_spec, *argc, *argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_LOCO_BACKEND:
			*backend = p.arg;
			break;
		case O_LOCO_REGISTRY:
			*registry = p.arg;
			break;
		case O_LOCO_HELP:
			loco_usage(stdout);
			*done = 1;
			return opt_end(&p);
		case O_LOCO_VERSION:
			printf("loco %s\n", LOCO_VERSION);
			*done = 1;
			return opt_end(&p);
		}
	if (id < 0)
		return opt_end(&p);
	*argc = p.argc;
	*argv = p.argv;
	return *registry != NULL ? registry_misplaced(*registry) : NULL;
}

/*
 * The trees of the YAML files loco reads at every start (config.yaml,
 * the registry, installed.yaml) kept in $LOCO_HOME/cache/yaml while the
 * files hold the same bytes: libyaml's parse was most of a loco route.
 * Not for a home that is not an absolute path.
 */
static void
yaml_cache(void)
{
	char *home = loco_home(), *dir;

	if (home[0] == '/') {
		dir = xasprintf("%s/cache/yaml", home);
		ydoc_set_cache(dir);
		free(dir);
	}
	free(home);
}

int
main(int argc, char *argv[])
{
	struct loco lc;
	const struct cmd *c;
	struct error *err;
	const char *registry = NULL, *backend = NULL;
	int status, done;

	signal(SIGPIPE, SIG_IGN);
	interrupt_install();
	memset(&lc, 0, sizeof(lc));
	lc.stdout_tty = isatty(STDOUT_FILENO);
	lc.stderr_progress = term_level(STDERR_FILENO) >= TERM_REWRITE;

	err = global_options(&lc, &argc, &argv, &registry, &backend, &done);
	if (err != NULL || done) {
		status = err != NULL ? err->code : EXIT_OK;
		error_free(err);
		return finish_output(status);
	}
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

	yaml_cache();
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
	if (err == NULL)
		err = c->fn(&lc, argc, argv);
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
	ydoc_set_cache(NULL);
	http_cleanup();
	return finish_output(status);
}
