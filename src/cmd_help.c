/* cmd_help.c: loco help [command]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "banned.h"

struct error *
cmd_help(struct loco *lc, int argc, char *argv[])
{
	const struct cmd *c;

	(void)lc;
	if (argc > 2)
		return cmd_usage_error(cmd_find("help"), "too many arguments");
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		cmd_help_print(cmd_find("help"));
		return NULL;
	}
	if (argc == 2) {
		if ((c = cmd_find(argv[1])) == NULL) {
			char *clean = str_sanitize(argv[1], 40);
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
