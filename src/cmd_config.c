/* cmd_config.c: loco config: the effective configuration and its sources. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "jsonout.h"
#include "banned.h"

/* text as JSON of k's type. */
static void
json_text(struct jout *j, const struct config_key *k, const char *text)
{
	long l;
	double d;
	int b;

	if (*text == '\0')
		jout_null(j, "value");
	else if (k->type == CONFIG_BOOL && parse_bool(text, &b) == 0)
		jout_bool(j, "value", b);
	else if (k->type == CONFIG_INT && parse_long(text, LONG_MIN, LONG_MAX,
	    &l) == 0)
		jout_int(j, "value", l);
	else if (k->type == CONFIG_FLOAT && parse_double(text, -HUGE_VAL,
	    HUGE_VAL, &d) == 0)
		jout_num(j, "value", d);
	else
		jout_str(j, "value", text);
}

static void
json_value(struct jout *j, const struct config *cfg,
    const struct config_key *k)
{
	char *text = config_effective_text(cfg, k);

	json_text(j, k, text);
	free(text);
}

/*
 * The servers of the backends mapping, as keys "backends.NAME.KEY" (from
 * the file): each the variable that holds a key, never a key.  With
 * only, just that one; returns whether it was found.
 */
static int
print_backends(const struct config *cfg, struct jout *j, const char *only)
{
	const struct config_backend *cb;
	const struct config_key *k;
	size_t i, m;
	char *name;
	int found = 0;

	for (i = 0; i < cfg->nbackends; i++) {
		cb = &cfg->backends[i];
		for (m = 0; m < cb->n; m++) {
			k = config_key_find(cb->keys[m]);
			name = xasprintf("backends.%s.%s", cb->name,
			    cb->keys[m] + strlen("backend."));
			if (only != NULL && strcmp(only, name) != 0) {
				free(name);
				continue;
			}
			found = 1;
			if (j != NULL) {
				if (only == NULL)
					jout_obj(j, NULL);
				jout_str(j, "key", name);
				json_text(j, k, cb->values[m]);
				jout_str(j, "source", "file");
				if (only == NULL)
					jout_end(j);
			} else if (only != NULL)
				printf("%s\n", cb->values[m]);
			else
				printf("%-26s %-24s %s\n", name, cb->values[m],
				    "file");
			free(name);
		}
	}
	return found;
}

/* {"key", "value", "source"}: one key, in the array or alone. */
static void
json_key(struct jout *j, const struct config *cfg, const struct config_key *k)
{
	jout_str(j, "key", k->name);
	json_value(j, cfg, k);
	jout_str(j, "source", config_source_name(config_source_of(cfg, k)));
}

enum { O_JSON = 1 };

static const struct opt config_opts[] = {
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print JSON" },
};
static const struct opt_form config_forms[] = {
	{ NULL, NULL, "[key]" },
};
static const struct opt_operand config_operands[] = {
	{ "key", "print only this key's value", OC_KEY, NULL },
};
const struct optspec config_spec = OPTSPEC("config", "show the "
    "configuration and where each value came from", config_opts,
    config_forms, config_operands);

struct error *
cmd_config(struct loco *lc, int argc, char *argv[])
{
	const struct config_key *keys, *k;
	struct optparse p;
	size_t n, i;
	int id, json = 0;
	char *text;

	opt_init(&p, lc, &config_spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		if (id == O_JSON)
			json = 1;
	if (id < 0)
		return opt_end(&p);
	argc = p.argc;
	argv = p.argv;
	if (argc > 1)
		return opt_usage_error(&config_spec, "too many arguments");
	if (argc == 1 && str_startswith(argv[0], "backends.") &&
	    config_key_find(argv[0]) == NULL) {
		struct jout *j = json ? jout_new() : NULL;

		if (print_backends(&lc->cfg, j, argv[0])) {
			if (j != NULL)
				loco_print_json(j);
			return NULL;
		}
		if (j != NULL)
			jout_free(j);
	}
	if (argc == 1) {
		if ((k = config_key_find(argv[0])) == NULL) {
			char *clean = str_sanitize(argv[0], 60);
			struct error *err = error_new(EXIT_USAGE, "unknown "
			    "configuration key '%s'; see 'loco config'", clean);
			free(clean);
			return err;
		}
		if (json) {
			struct jout *j = jout_new();

			json_key(j, &lc->cfg, k);
			loco_print_json(j);
			return NULL;
		}
		text = config_effective_text(&lc->cfg, k);
		printf("%s\n", text);
		free(text);
		return NULL;
	}
	keys = config_keys(&n);
	if (json) {
		struct jout *j = jout_new_array();

		for (i = 0; i < n; i++) {
			jout_obj(j, NULL);
			json_key(j, &lc->cfg, &keys[i]);
			jout_end(j);
		}
		print_backends(&lc->cfg, j, NULL);
		loco_print_json(j);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		text = config_effective_text(&lc->cfg, &keys[i]);
		printf("%-26s %-24s %s\n", keys[i].name, *text ? text : "-",
		    config_source_name(config_source_of(&lc->cfg, &keys[i])));
		free(text);
	}
	print_backends(&lc->cfg, NULL, NULL);
	return NULL;
}
