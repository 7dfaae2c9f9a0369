/* cmd_version.c: loco version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "http.h"
#include "jsonout.h"
#include "ydoc.h"
#include "banned.h"

enum { O_JSON = 1 };

static const struct opt version_opts[] = {
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print JSON" },
};
static const struct opt_form version_forms[] = {
	{ NULL, NULL, NULL },
};
const struct optspec version_spec = {
	"version", "print loco's version and its libraries'", version_opts,
	OPT_NELEM(version_opts), version_forms, OPT_NELEM(version_forms),
	NULL, 0, NULL, 0
};

struct error *
cmd_version(struct loco *lc, int argc, char *argv[])
{
	struct optparse p;
	struct error *err;
	char *clean;
	int id, json = 0;

	opt_init(&p, lc, &version_spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		if (id == O_JSON)
			json = 1;
	if (id < 0)
		return opt_end(&p);
	if (p.argc > 0) {
		clean = str_sanitize(p.argv[0], 40);
		err = opt_usage_error(&version_spec, "unexpected argument '%s'",
		    clean);
		free(clean);
		return err;
	}
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
