/* cmd_config.c: loco config: the effective configuration and its sources. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "jsonout.h"
#include "banned.h"

static void
json_value(struct jout *j, const struct config *cfg,
    const struct config_key *k)
{
	char *text = config_effective_text(cfg, k);
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
	free(text);
}

/* {"key", "value", "source"}: one key, in the array or alone. */
static void
json_key(struct jout *j, const struct config *cfg, const struct config_key *k)
{
	jout_str(j, "key", k->name);
	json_value(j, cfg, k);
	jout_str(j, "source", config_source_name(config_source_of(cfg, k)));
}

struct error *
cmd_config(struct loco *lc, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cmd *c = cmd_find("config");
	const struct config_key *keys, *k;
	size_t n, i;
	int ch, json = 0;
	char *text;

	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_help_print(c);
			return NULL;
		case 'j':
			json = 1;
			break;
		default:
			return cmd_option_error(c, ch, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		return cmd_usage_error(c, "too many arguments");
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
		loco_print_json(j);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		text = config_effective_text(&lc->cfg, &keys[i]);
		printf("%-26s %-24s %s\n", keys[i].name, *text ? text : "-",
		    config_source_name(config_source_of(&lc->cfg, &keys[i])));
		free(text);
	}
	return NULL;
}
