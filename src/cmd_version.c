/* cmd_version.c: loco version. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "http.h"
#include "jsonout.h"
#include "ydoc.h"
#include "banned.h"

struct error *
cmd_version(struct loco *lc, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cmd *c = cmd_find("version");
	int ch, json = 0;

	(void)lc;
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
	if (optind < argc)
		return cmd_usage_error(c, "unexpected argument '%s'",
		    argv[optind]);
	if (json) {
		struct jout *j = jout_new();

		jout_str(j, "version", LOCO_VERSION);
		jout_obj(j, "libraries");
		jout_str(j, "libcurl", http_library_version());
		jout_str(j, "cjson", json_library_version());
		jout_str(j, "libyaml", ydoc_library_version());
		jout_end(j);
		loco_print_json(j);
	} else
		printf("loco %s (libcurl %s, cJSON %s, libyaml %s)\n",
		    LOCO_VERSION, http_library_version(),
		    json_library_version(), ydoc_library_version());
	return NULL;
}
