/* cmd_help.c: loco help [command]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "banned.h"

static const struct opt_form help_forms[] = {
	{ NULL, NULL, "[command]" },
};
static const struct opt_operand help_operands[] = {
	{ "command", "the command whose usage, summary and options to show",
	  OC_COMMAND, NULL },
};
const struct optspec help_spec = {
	"help", "show help for loco or for a command", NULL, 0, help_forms,
	OPT_NELEM(help_forms), help_operands, OPT_NELEM(help_operands), NULL,
	0
};

struct error *
cmd_help(struct loco *lc, int argc, char *argv[])
{
	const struct cmd *c;
	struct optparse p;
	int id;

	opt_init(&p, lc, &help_spec, argc, argv);
	if ((id = opt_next(&p)) < 0)
		return opt_end(&p);
	argc = p.argc;
	argv = p.argv;
	if (argc > 1)
		return opt_usage_error(&help_spec, "too many arguments");
	if (argc == 1) {
		if ((c = cmd_find(argv[0])) == NULL) {
			char *clean = str_sanitize(argv[0], 40);
			struct error *err = error_new(EXIT_USAGE, "'%s' is not "
			    "a loco command; see 'loco help'", clean);
			free(clean);
			return err;
		}
		cmd_help_print(c);
		return NULL;
	}
	loco_usage(stdout);
	return NULL;
}
