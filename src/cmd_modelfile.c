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

static const struct opt_form modelfile_forms[] = {
	{ NULL, NULL, "name" },
};
static const struct opt_operand modelfile_operands[] = {
	{ "name", "an adapter, or name@version", OC_ADAPTER, NULL },
};
/* No options: OPTSPEC would take the size of an empty table. */
const struct optspec modelfile_spec = {
	"modelfile", "print the Ollama Modelfile of an adapter", NULL, 0,
	modelfile_forms, OPT_NELEM(modelfile_forms), modelfile_operands,
	OPT_NELEM(modelfile_operands), NULL
};

struct error *
cmd_modelfile(struct loco *lc, int argc, char *argv[])
{
	const struct cmd *c = cmd_find("modelfile");
	struct registry *reg;
	const struct adapter *a;
	struct error *err;
	struct optparse p;
	char *text;

	opt_init(&p, lc, &modelfile_spec, argc, argv);
	if (opt_next(&p) < 0)
		return opt_end(&p);
	if (p.argc != 1)
		return cmd_usage_error(c, p.argc == 0 ? "no adapter given" :
		    "give one adapter name");
	if ((err = loco_registry(lc, &reg)) != NULL)
		return err;
	if ((a = registry_find(reg, p.argv[0])) == NULL)
		return registry_unknown(reg, p.argv[0]);
	if ((err = modelfile_check(reg, a)) != NULL)
		return err;
	text = modelfile_render(reg, a);
	loco_write(text, strlen(text));
	free(text);
	return NULL;
}
