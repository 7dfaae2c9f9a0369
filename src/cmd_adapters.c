/*
 * cmd_adapters.c: loco adapters SUBCOMMAND.  A small table of its own, so
 * later subcommands (install, remove, ...) slot in beside list.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "jsonout.h"
#include "banned.h"

struct subcmd {
	const char	*name;
	struct error	*(*fn)(struct loco *, const struct cmd *, int,
			    char *[]);
};

/* Is model among the server's models? */
static int
has_model(const struct ollama_model *m, size_t n, const char *model)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ollama_name_equal(m[i].name, model))
			return 1;
	return 0;
}

static struct error *
adapters_list(struct loco *lc, const struct cmd *c, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "host", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct registry *reg;
	struct ollama *o = NULL;
	struct ollama_model *models = NULL;
	size_t nmodels = 0, i;
	struct error *err, *probe;
	int ch, json = 0, known;
	char *s;

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
		case 'j':
			json = 1;
			break;
		default:
			return cmd_option_error(c, ch, argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error(c, "unexpected argument '%s'",
		    argv[optind]);
	if ((err = loco_registry(lc, &reg)) != NULL)
		return err;
	if ((err = loco_client(lc, &o)) != NULL)
		return err;
	/* Without a server the list is still useful: presence unknown. */
	probe = ollama_tags(o, &models, &nmodels);
	known = probe == NULL;
	if (probe != NULL) {
		if (probe->code == EXIT_INTERRUPT) {
			ollama_free(o);
			return probe;
		}
		fprintf(stderr, "loco: model presence unknown: %s\n",
		    probe->msg);
		error_free(probe);
	}
	if (json) {
		struct jout *j = jout_new_array();

		for (i = 0; i < reg->nadapters; i++) {
			const struct adapter *a = &reg->adapters[i];

			jout_obj(j, NULL);
			jout_str(j, "name", a->name);
			jout_str(j, "version", a->version);
			jout_str(j, "domain", a->domain);
			jout_str(j, "type", adapter_type_name(a->type));
			jout_str(j, "description", a->description);
			jout_str(j, "model", a->model);
			jout_bool(j, "active", a->active);
			if (known)
				jout_bool(j, "present",
				    has_model(models, nmodels, a->model));
			else
				jout_null(j, "present");
			jout_end(j);
		}
		s = jout_finish(j, 1);
		loco_write(s, strlen(s));
		loco_write("\n", 1);
		free(s);
	} else {
		printf("%-12s %-9s %-9s %-7s %-8s %s\n", "NAME", "VERSION",
		    "DOMAIN", "TYPE", "OLLAMA", "DESCRIPTION");
		for (i = 0; i < reg->nadapters; i++) {
			const struct adapter *a = &reg->adapters[i];
			const char *state = !known ? "?" :
			    has_model(models, nmodels, a->model) ? "present" :
			    "missing";

			printf("%-12s %-9s %-9s %-7s %-8s %s%s\n", a->name,
			    a->version, a->domain, adapter_type_name(a->type),
			    state, a->active ? "" : "(inactive) ",
			    a->description);
		}
	}
	ollama_models_free(models, nmodels);
	ollama_free(o);
	return NULL;
}

static const struct subcmd subcmds[] = {
	{ "list", adapters_list },
};

struct error *
cmd_adapters(struct loco *lc, int argc, char *argv[])
{
	const struct cmd *c = cmd_find("adapters");
	size_t i;

	if (argc < 2)
		return cmd_usage_error(c, "no subcommand given");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cmd_help_print(c);
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(subcmds); i++)
		if (strcmp(argv[1], subcmds[i].name) == 0)
			return subcmds[i].fn(lc, c, argc - 1, argv + 1);
	return cmd_usage_error(c, "unknown subcommand '%s'", argv[1]);
}
