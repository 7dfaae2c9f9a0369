/*
 * cmd_modelfile.c: loco modelfile NAME: the Ollama Modelfile that stands
 * for an adapter, as `ollama create` would read it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "modelfile.h"
#include "banned.h"

struct error *
cmd_modelfile(struct loco *lc, int argc, char *argv[])
{
	const struct cmd *c = cmd_find("modelfile");
	struct registry *reg;
	const struct adapter *a;
	struct error *err;
	char *text;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		cmd_help_print(c);
		return NULL;
	}
	if (argc != 2 || argv[1][0] == '-')
		return cmd_usage_error(c, argc < 2 ? "no adapter given" :
		    "give one adapter name");
	if ((err = loco_registry(lc, &reg)) != NULL)
		return err;
	if ((a = registry_find(reg, argv[1])) == NULL) {
		return registry_unknown(reg, argv[1]);
	}
	if ((err = modelfile_check(reg, a)) != NULL)
		return err;
	text = modelfile_render(reg, a);
	loco_write(text, strlen(text));
	free(text);
	return NULL;
}
