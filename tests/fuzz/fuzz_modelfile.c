/*
 * fuzz_modelfile.c: modelfile_parse on the input.  A Modelfile that parses
 * is turned into an adapter of a small registry (a prompt adapter, a LoRA
 * when it has an ADAPTER, a merged model when FROM is a file); when
 * modelfile_check accepts that, modelfile_render's text must parse back
 * to the same FROM, ADAPTER, SYSTEM and PARAMETERs.
 */
#include <ctype.h>

#include "fuzz.h"
#include "modelfile.h"
#include "registry.h"

/* Nothing exists there, so FROM never turns into a file by accident. */
#define MF_DIR	"/nonexistent/loco-fuzz"
#define MF_PATH	MF_DIR "/Modelfile"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
check_parsed(const struct modelfile *mf)
{
	const char *c;
	size_t i;

	FUZZ_CHECK(mf->from != NULL);
	if (mf->from_is_file)
		FUZZ_CHECK(mf->from[0] == '/' || mf->from[0] == '.');
	FUZZ_CHECK(mf->nparams == 0 || mf->params != NULL);
	for (i = 0; i < mf->nparams; i++) {
		FUZZ_CHECK(mf->params[i].name != NULL &&
		    mf->params[i].value != NULL);
		FUZZ_CHECK(mf->params[i].name[0] != '\0');
		for (c = mf->params[i].name; *c != '\0'; c++)
			FUZZ_CHECK(isalnum((unsigned char)*c) || *c == '_');
	}
	for (i = 0; i < mf->nmessages; i++) {
		FUZZ_CHECK(mf->messages[i].content != NULL);
		FUZZ_CHECK(str_same(mf->messages[i].role, "system") ||
		    str_same(mf->messages[i].role, "user") ||
		    str_same(mf->messages[i].role, "assistant"));
	}
}

/* The rendered text reads back as what was rendered. */
static void
round_trip(const struct modelfile *mf)
{
	struct registry r;
	struct adapter a;
	struct modelfile back;
	struct error *err;
	char *text;
	size_t i;

	memset(&r, 0, sizeof(r));
	memset(&a, 0, sizeof(a));
	r.path = MF_DIR "/registry.yaml";
	r.dir = MF_DIR;
	a.name = "fuzz";
	a.version = "1.0.0";
	a.domain = "general";
	a.model = "loco-fuzz:1.0.0";
	a.active = 1;
	a.system = mf->system;
	a.params = mf->params;
	a.nparams = mf->nparams;
	if (mf->from_is_file) {
		a.type = ADAPTER_MERGED;
		a.file = mf->from;
	} else {
		r.base.tag = mf->from;
		a.type = mf->adapter != NULL ? ADAPTER_LORA : ADAPTER_PROMPT;
		a.file = mf->adapter;
	}

	if ((err = modelfile_check(&r, &a)) != NULL) {
		FUZZ_CHECK(err->code == EXIT_CONFIG);
		fuzz_error_free(err);
		FUZZ_CHECK(modelfile_render(&r, &a) == NULL);
		return;
	}
	text = modelfile_render(&r, &a);
	FUZZ_CHECK(text != NULL);
	err = modelfile_parse(MF_PATH, text, strlen(text), &back);
	if (err != NULL) {
		fprintf(stderr, "rendered:\n%s\nreads back as: %s\n", text,
		    err->msg);
		FUZZ_CHECK(err == NULL);
	}
	FUZZ_CHECK(str_same(back.from, mf->from));
	FUZZ_CHECK(back.from_is_file == mf->from_is_file);
	if (a.type == ADAPTER_LORA)
		FUZZ_CHECK(str_same(back.adapter, mf->adapter));
	else
		FUZZ_CHECK(back.adapter == NULL);
	FUZZ_CHECK(str_same(back.system, mf->system));
	FUZZ_CHECK(back.nparams == mf->nparams);
	for (i = 0; i < mf->nparams; i++) {
		FUZZ_CHECK(strcmp(back.params[i].name, mf->params[i].name)
		    == 0);
		FUZZ_CHECK(strcmp(back.params[i].value, mf->params[i].value)
		    == 0);
		FUZZ_CHECK(back.params[i].is_number ==
		    mf->params[i].is_number);
	}
	FUZZ_CHECK(back.template_ == NULL && back.nmessages == 0);
	modelfile_release(&back);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct modelfile mf;
	struct error *err;

	/* Not a C string: the parser takes a length and refuses NUL bytes. */
	err = modelfile_parse(MF_PATH, (const char *)data, size, &mf);
	if (err != NULL) {
		FUZZ_CHECK(err->code == EXIT_CONFIG);
		fuzz_error_free(err);
		FUZZ_CHECK(mf.from == NULL && mf.system == NULL);
		FUZZ_CHECK(mf.params == NULL && mf.nparams == 0);
		FUZZ_CHECK(mf.messages == NULL && mf.nmessages == 0);
		return 0;
	}
	check_parsed(&mf);
	round_trip(&mf);
	modelfile_release(&mf);
	return 0;
}
