/*
 * cmd_setup.c: loco setup: check the server, pull the base model, register
 * every adapter, write a default configuration.  Re-running it when all is
 * current sends no upload and no create, and says so.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fsutil.h"
#include "progress.h"
#include "register.h"
#include "banned.h"

static const char *const outcome_text[] = {
	[REG_CURRENT] = "current", [REG_CREATED] = "created",
	[REG_UPDATED] = "updated",
};

/* Write $LOCO_HOME/config.yaml with the defaults if there is none. */
static struct error *
default_config(int *wrote, char **path)
{
	struct error *err;
	char *home = loco_home(), *text;

	*wrote = 0;
	*path = xasprintf("%s/config.yaml", home);
	if (fs_exists(*path) || (err = fs_mkdirs(home, 1)) != NULL) {
		free(home);
		return NULL;
	}
	free(home);
	text = config_default_text();
	if ((err = fs_write_atomic(*path, text, strlen(text))) == NULL)
		*wrote = 1;
	free(text);
	return err;
}

struct error *
cmd_setup(struct loco *lc, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "host", required_argument, NULL, 'H' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cmd *c = cmd_find("setup");
	struct registry *registry;
	struct ollama *o = NULL;
	struct reg *r = NULL;
	struct progress pg;
	struct error *err, *first = NULL;
	const struct reg_counts *n;
	enum reg_outcome out;
	unsigned failed = 0, changed = 0;
	char *cfgpath = NULL;
	int ch, quiet = 0, pulled, wrote;
	size_t i;

	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_help_print(c);
			return NULL;
		case 'H':
			if ((err = cmd_flag_set(c, lc, "--host", "backend.host",
			    optarg)) != NULL)
				return err;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			return cmd_option_error(c, ch, argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error(c, "unexpected argument '%s'",
		    argv[optind]);
	if ((err = loco_registry(lc, &registry)) != NULL ||
	    (err = loco_client(lc, &o)) != NULL)
		return err;
	progress_init(&pg, lc->stderr_progress, quiet);
	if ((err = reg_open(o, registry, progress_update, &pg, &r)) != NULL)
		goto done;
	printf("server: Ollama %s at %s\n", reg_server_version(r),
	    ollama_url(o));
	if ((err = default_config(&wrote, &cfgpath)) != NULL)
		goto done;
	if (wrote) {
		printf("config: wrote the defaults to %s\n", cfgpath);
		changed++;
	}
	err = reg_ensure_base(r, &pulled);
	progress_done(&pg);
	if (err != NULL)
		goto done;
	printf("base: %s %s\n", registry->base.tag, pulled ? "pulled" :
	    "present");
	changed += pulled;
	for (i = 0; i < registry->nadapters; i++) {
		const struct adapter *a = &registry->adapters[i];

		err = reg_adapter(r, a, &out);
		progress_done(&pg);
		if (err != NULL) {
			if (err->code == EXIT_INTERRUPT)
				goto done;
			fprintf(stderr, "loco: %s\n", err->msg);
			printf("adapter %s: %s failed\n", a->name, a->model);
			failed++;
			if (first == NULL)
				first = err;
			else
				error_free(err);
			err = NULL;
			continue;
		}
		printf("adapter %s: %s %s\n", a->name, a->model,
		    outcome_text[out]);
		changed += out != REG_CURRENT;
	}
	n = reg_counts(r);
	if (failed > 0) {
		err = error_new(first->code, "%u of %zu adapters could not be "
		    "registered", failed, registry->nadapters);
		error_free(first);
	} else if (changed == 0)
		printf("everything is current: nothing to do\n");
	else
		printf("done: %u uploaded, %u created, %u pulled\n",
		    n->uploads, n->creates, n->pulls);
done:
	progress_done(&pg);
	if (r != NULL) {
		struct error *cerr = reg_close(r);
		if (err == NULL)
			err = cerr;
		else
			error_free(cerr);
	}
	ollama_free(o);
	free(cfgpath);
	return err;
}
