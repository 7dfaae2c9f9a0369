/* t_modelfile.c: parsing Ollama Modelfiles and rendering an adapter's. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "modelfile.h"
#include "registry.h"
#include "util.h"
#include "unit.h"

/* Parse text as if read from unit_tmpdir()/Modelfile. */
static struct error *
parse(const char *text, struct modelfile *mf)
{
	char *path = xasprintf("%s/Modelfile", unit_tmpdir());
	struct error *err = modelfile_parse(path, text, strlen(text), mf);

	free(path);
	return err;
}

/* The error message for text, with the temporary path replaced by "MF". */
static char *
parse_error(const char *text)
{
	struct modelfile mf;
	struct error *err = parse(text, &mf);
	char *prefix, *msg;

	if (err == NULL) {
		modelfile_release(&mf);
		return xstrdup("(no error)");
	}
	CHECK(mf.from == NULL && mf.nparams == 0);
	prefix = xasprintf("'%s/Modelfile'", unit_tmpdir());
	if (str_startswith(err->msg, prefix))
		msg = xasprintf("'MF'%s", err->msg + strlen(prefix));
	else
		msg = xstrdup(err->msg);
	CHECK_INT(err->code, EXIT_CONFIG);
	error_free(err);
	free(prefix);
	return msg;
}

#define CHECK_PARSE_ERR(text, want) do {				\
	char *m_ = parse_error(text);					\
	CHECK_STR(m_, want);						\
	free(m_);							\
} while (0)

TEST(modelfile_parse_full)
{
	struct modelfile mf;

	CHECK_OK(parse(
	    "# a comment\n"
	    "   # an indented comment\n"
	    "\n"
	    "from qwen3:4b\n"
	    "Parameter temperature 0.2\n"
	    "PARAMETER stop \"<|im_end|>\"\n"
	    "PARAMETER stop User: \n"
	    "PARAMETER num_ctx \"4096\"\n"
	    "PARAMETER seed -1000\n"
	    "PARAMETER use_mmap false\n"
	    "PARAMETER top_k\t40\n"
	    "SYSTEM \"\"\"You are terse.\n"
	    "# not a comment\n"
	    "  Use \"quotes\" and \"\"\"triples\"\"\" inside.\"\"\"   \n"
	    "TEMPLATE {{ .Prompt }} # not a comment either\n"
	    "MESSAGE user What is 2+2?\n"
	    "MESSAGE assistant \"\"\"4\"\"\"\n"
	    "LICENSE MIT\n"
	    "license \"\"\"\n"
	    "Apache-2.0\n"
	    "\"\"\"\n"
	    "REQUIRES 0.6.0\n", &mf));
	CHECK_STR(mf.from, "qwen3:4b");
	CHECK_INT(mf.from_is_file, 0);
	CHECK(mf.adapter == NULL);
	CHECK_STR(mf.system, "You are terse.\n# not a comment\n"
	    "  Use \"quotes\" and \"\"\"triples\"\"\" inside.");
	CHECK_STR(mf.template_, "{{ .Prompt }} # not a comment either");
	CHECK_STR(mf.license, "MIT\n\n\nApache-2.0\n");
	CHECK_STR(mf.requires, "0.6.0");
	CHECK_INT(mf.nparams, 7);
	if (mf.nparams == 7) {
		CHECK_STR(mf.params[0].name, "temperature");
		CHECK_STR(mf.params[0].value, "0.2");
		CHECK_INT(mf.params[0].is_number, 1);
		CHECK_STR(mf.params[1].name, "stop");
		CHECK_STR(mf.params[1].value, "<|im_end|>");
		CHECK_INT(mf.params[1].is_number, 0);
		CHECK_STR(mf.params[2].name, "stop");
		CHECK_STR(mf.params[2].value, "User:");
		/* Ollama converts by the option's type, quoted or not. */
		CHECK_STR(mf.params[3].value, "4096");
		CHECK_INT(mf.params[3].is_number, 1);
		CHECK_INT(mf.params[4].is_number, 1);
		CHECK_INT(mf.params[5].is_number, 0);
		CHECK_STR(mf.params[6].name, "top_k");
		CHECK_STR(mf.params[6].value, "40");
		CHECK_INT(mf.params[6].is_number, 1);
	}
	CHECK_INT(mf.nmessages, 2);
	if (mf.nmessages == 2) {
		CHECK_STR(mf.messages[0].role, "user");
		CHECK_STR(mf.messages[0].content, "What is 2+2?");
		CHECK_STR(mf.messages[1].role, "assistant");
		CHECK_STR(mf.messages[1].content, "4");
	}
	modelfile_release(&mf);
	CHECK(mf.from == NULL && mf.params == NULL);
}

/* The corner cases of Ollama's quoting, as parser.go reads them. */
TEST(modelfile_parse_quotes)
{
	struct modelfile mf;

	/* A newline right after the opening quotes is kept, as Ollama does. */
	CHECK_OK(parse("FROM x\nSYSTEM \"\"\"\nhi\n\"\"\"\n", &mf));
	CHECK_STR(mf.system, "\nhi\n");
	modelfile_release(&mf);

	/* Closing quotes followed by text do not close the block. */
	CHECK_OK(parse("FROM x\nSYSTEM \"\"\"a\"\"\" b\nc\"\"\"\nPARAMETER "
	    "stop s\n", &mf));
	CHECK_STR(mf.system, "a\"\"\" b\nc");
	CHECK_INT(mf.nparams, 1);
	modelfile_release(&mf);

	/* "..." spans lines too; a quote at the end of the text is kept. */
	CHECK_OK(parse("FROM x\nSYSTEM \"one\ntwo\"\nPARAMETER stop \"\n\n\"\n"
	    "PARAMETER stop \"\"\"say \"hi\"\"\"\"\nPARAMETER stop \"\"\n"
	    "PARAMETER stop \"\"\"\"\"\"\nPARAMETER stop a\"b\n", &mf));
	CHECK_STR(mf.system, "one\ntwo");
	CHECK_INT(mf.nparams, 5);
	if (mf.nparams == 5) {
		CHECK_STR(mf.params[0].value, "\n\n");
		CHECK_STR(mf.params[1].value, "say \"hi\"");
		CHECK_STR(mf.params[2].value, "");
		CHECK_STR(mf.params[3].value, "");
		CHECK_STR(mf.params[4].value, "a\"b");
	}
	modelfile_release(&mf);

	/* CRLF line ends, a byte-order mark, no final newline. */
	CHECK_OK(parse("\xef\xbb\xbf" "FROM x\r\nSYSTEM \"\"\"a\r\nb\"\"\"\r\n"
	    "TEMPLATE t", &mf));
	CHECK_STR(mf.from, "x");
	CHECK_STR(mf.system, "a\nb");
	CHECK_STR(mf.template_, "t");
	modelfile_release(&mf);

	/* An empty value must be quoted; then it is allowed. */
	CHECK_OK(parse("FROM x\nSYSTEM \"\"\n", &mf));
	CHECK_STR(mf.system, "");
	modelfile_release(&mf);
}

TEST(modelfile_parse_errors)
{
	struct modelfile mf;
	struct error *err;

	CHECK_PARSE_ERR("FROM x\n\n\n\n\n\nFORM y\n",
	    "'MF': line 7: unknown instruction 'FORM'; did you mean 'FROM'?");
	CHECK_PARSE_ERR("FROM x\nsytem hi\n",
	    "'MF': line 2: unknown instruction 'sytem'; did you mean "
	    "'SYSTEM'?");
	CHECK_PARSE_ERR("FROM x\nXYZZY hi\n",
	    "'MF': line 2: unknown instruction 'XYZZY'");
	/* Parameters as Ollama's api.FormatParams checks them. */
	CHECK_PARSE_ERR("FROM x\nPARAMETER Top_K 40\n",
	    "'MF': line 2: unknown parameter 'Top_K': Ollama refuses it (see "
	    "its Modelfile reference for the options)");
	CHECK_PARSE_ERR("FROM x\nPARAMETER num_ctx abc\n",
	    "'MF': line 2: PARAMETER num_ctx must be a whole number, not "
	    "'abc'");
	CHECK_PARSE_ERR("FROM x\nPARAMETER seed -1e3\n",
	    "'MF': line 2: PARAMETER seed must be a whole number, not "
	    "'-1e3'");
	CHECK_PARSE_ERR("FROM x\nPARAMETER temperature warm\n",
	    "'MF': line 2: PARAMETER temperature must be a number, not "
	    "'warm'");
	CHECK_PARSE_ERR("FROM x\nPARAMETER use_mmap maybe\n",
	    "'MF': line 2: PARAMETER use_mmap must be true or false, not "
	    "'maybe'");
	CHECK_PARSE_ERR("FROM x\nFROM: y\n",
	    "'MF': line 2: unknown instruction 'FROM:'; did you mean 'FROM'?");
	CHECK_PARSE_ERR("FROM x\nRENDERER qwen3\n",
	    "'MF': line 2: instruction 'RENDERER' is not supported by loco");
	CHECK_PARSE_ERR("FROM x\n\nSYSTEM \"\"\"abc\ndef\n\"\"\" x\n",
	    "'MF': line 3: unterminated \"\"\" block (opened here)");
	CHECK_PARSE_ERR("FROM x\nSYSTEM \"abc\n",
	    "'MF': line 2: unterminated \" string (opened here)");
	CHECK_PARSE_ERR("FROM x\n\n\nPARAMETER stop\n",
	    "'MF': line 4: PARAMETER needs a name and a value");
	CHECK_PARSE_ERR("FROM x\nPARAMETER\n",
	    "'MF': line 2: PARAMETER needs a name and a value");
	CHECK_PARSE_ERR("FROM x\nPARAMETER stop   \n",
	    "'MF': line 2: PARAMETER needs a name and a value");
	CHECK_PARSE_ERR("FROM x\nPARAMETER top-k 3\n",
	    "'MF': line 2: PARAMETER name 'top-k' must be letters, digits "
	    "and '_'");
	CHECK_PARSE_ERR("FROM x\n\n\n\n\n\n\n\nMESSAGE bot hello\n",
	    "'MF': line 9: MESSAGE role must be system, user or assistant, "
	    "not 'bot'");
	CHECK_PARSE_ERR("FROM x\nMESSAGE User hello\n",
	    "'MF': line 2: MESSAGE role must be system, user or assistant, "
	    "not 'User'");
	CHECK_PARSE_ERR("FROM x\nMESSAGE user\n",
	    "'MF': line 2: MESSAGE needs a role and a text");
	CHECK_PARSE_ERR("FROM x\nSYSTEM\n",
	    "'MF': line 2: SYSTEM needs a value");
	CHECK_PARSE_ERR("FROM \"\"\n", "'MF': line 1: FROM needs a value");
	CHECK_PARSE_ERR("# nothing\nSYSTEM hi\n", "'MF': no FROM instruction");
	CHECK_PARSE_ERR("", "'MF': no FROM instruction");
	CHECK_PARSE_ERR("FROM a\nFROM b\n", "'MF': line 2: more than one FROM "
	    "instruction (the first is on line 1)");
	CHECK_PARSE_ERR("FROM a\nADAPTER ./a.gguf\nADAPTER ./b.gguf\n",
	    "'MF': line 3: only one ADAPTER is supported (the first is on "
	    "line 2)");
	CHECK_PARSE_ERR("FROM a\nSYSTEM a\nsystem b\n", "'MF': line 3: more "
	    "than one SYSTEM instruction (the first is on line 2)");
	CHECK_PARSE_ERR("FROM a\nFR\x01OM b\n",
	    "'MF': line 2: unknown instruction 'FR?OM'; did you mean 'FROM'?");

	err = modelfile_parse("mf", "FROM a\nSYSTEM \0x\n", 15, &mf);
	CHECK_ERR(err, "'mf': line 2: NUL byte in a Modelfile");
}

TEST(modelfile_parse_paths)
{
	struct modelfile mf;
	const char *dir = unit_tmpdir();
	char *want, *home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;

	want = xasprintf("%s/weights/base.gguf", dir);
	CHECK_OK(parse("FROM ./weights/base.gguf\nADAPTER lora.gguf\n", &mf));
	CHECK_STR(mf.from, want);
	CHECK_INT(mf.from_is_file, 1);
	free(want);
	want = xasprintf("%s/lora.gguf", dir);
	CHECK_STR(mf.adapter, want);
	free(want);
	modelfile_release(&mf);

	/* Not path-like: a tag, unless such a file exists. */
	CHECK_OK(parse("FROM base\n", &mf));
	CHECK_STR(mf.from, "base");
	CHECK_INT(mf.from_is_file, 0);
	modelfile_release(&mf);
	unit_write("base", "GGUF");
	want = xasprintf("%s/base", dir);
	CHECK_OK(parse("FROM base\n", &mf));
	CHECK_STR(mf.from, want);
	CHECK_INT(mf.from_is_file, 1);
	free(want);
	modelfile_release(&mf);

	CHECK_OK(parse("FROM /abs/m.gguf\nADAPTER \"../my lora.gguf\"\n", &mf));
	CHECK_STR(mf.from, "/abs/m.gguf");
	want = xasprintf("%s/../my lora.gguf", dir);
	CHECK_STR(mf.adapter, want);
	free(want);
	modelfile_release(&mf);

	setenv("HOME", "/home/tester", 1);
	CHECK_OK(parse("FROM ~/m.gguf\nADAPTER ~\n", &mf));
	CHECK_STR(mf.from, "/home/tester/m.gguf");
	CHECK_STR(mf.adapter, "/home/tester");
	modelfile_release(&mf);
	CHECK_OK(parse("FROM ~root/m.gguf\n", &mf));
	CHECK(mf.from != NULL && str_endswith(mf.from, "/m.gguf") &&
	    mf.from[0] == '/');
	modelfile_release(&mf);
	CHECK_PARSE_ERR("FROM ~no-such-user-xq/m.gguf\n",
	    "'MF': line 1: no such user 'no-such-user-xq'");
	if (home != NULL)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);

	/* A Modelfile in the current directory keeps paths relative. */
	CHECK_OK(modelfile_parse("Modelfile", "FROM ./m.gguf\n", 14, &mf));
	CHECK_STR(mf.from, "./m.gguf");
	modelfile_release(&mf);
}

TEST(modelfile_read_file)
{
	struct modelfile mf;
	const char *path;
	char *missing;

	path = unit_write("Modelfile", "FROM qwen3:4b\r\nSYSTEM hi\r\n");
	CHECK_OK(modelfile_read(path, &mf));
	CHECK_STR(mf.from, "qwen3:4b");
	CHECK_STR(mf.system, "hi");
	modelfile_release(&mf);

	missing = xasprintf("%s/nope", unit_tmpdir());
	{
		char *want = xasprintf("cannot open '%s': No such file or "
		    "directory", missing);

		CHECK_ERR(modelfile_read(missing, &mf), want);
		free(want);
	}
	free(missing);
}

/* Rendering. */

static struct param math_params[] = {
	{ (char *)"temperature", (char *)"0.2", 1 },
	{ (char *)"stop", (char *)"\n\n", 0 },
	{ (char *)"stop", (char *)"User:", 0 },
	{ (char *)"stop", (char *)"<|im end|>", 0 },
	{ (char *)"num_ctx", (char *)"4096", 0 },
};

static void
fake_registry(struct registry *r, struct adapter *a, const char *dir)
{
	memset(r, 0, sizeof(*r));
	memset(a, 0, sizeof(*a));
	r->dir = (char *)dir;
	r->base.tag = (char *)"qwen3:4b";
	r->adapters = a;
	r->nadapters = 1;
	a->name = (char *)"math";
	a->version = (char *)"1.2.0";
}

TEST(modelfile_render_types)
{
	struct registry r;
	struct adapter a;
	char *text;

	fake_registry(&r, &a, "/srv/loco/adapters");
	a.type = ADAPTER_LORA;
	a.file = (char *)"/srv/loco/adapters/lora/math.gguf";
	a.system = (char *)"Show your working.";
	a.params = math_params;
	a.nparams = ARRAY_SIZE(math_params);
	text = modelfile_render(&r, &a);
	CHECK_STR(text,
	    "# loco adapter math 1.2.0 (lora): generated from the registry; "
	    "do not edit\n"
	    "FROM qwen3:4b\n"
	    "ADAPTER ./lora/math.gguf\n"
	    "SYSTEM \"\"\"Show your working.\"\"\"\n"
	    "PARAMETER temperature 0.2\n"
	    "PARAMETER stop \"\n\n\"\n"
	    "PARAMETER stop User:\n"
	    "PARAMETER stop \"<|im end|>\"\n"
	    "PARAMETER num_ctx 4096\n");
	free(text);

	a.type = ADAPTER_MERGED;
	a.file = (char *)"/elsewhere/merged model.bin";
	a.system = NULL;
	a.nparams = 0;
	text = modelfile_render(&r, &a);
	CHECK_STR(text,
	    "# loco adapter math 1.2.0 (merged): generated from the registry; "
	    "do not edit\n"
	    "FROM \"/elsewhere/merged model.bin\"\n");
	free(text);

	a.type = ADAPTER_PROMPT;
	a.file = NULL;
	a.system = (char *)"Line one.\n\"Quoted\" line two.\n";
	text = modelfile_render(&r, &a);
	CHECK_STR(text,
	    "# loco adapter math 1.2.0 (prompt): generated from the registry; "
	    "do not edit\n"
	    "FROM qwen3:4b\n"
	    "SYSTEM \"\"\"Line one.\n\"Quoted\" line two.\n\"\"\"\n");
	free(text);

	a.type = ADAPTER_TAG;
	a.tag = (char *)"hf.co/someone/legal:Q4";
	a.system = NULL;
	text = modelfile_render(&r, &a);
	CHECK_STR(text,
	    "# loco adapter math 1.2.0 (tag): generated from the registry; "
	    "do not edit\n"
	    "FROM hf.co/someone/legal:Q4\n");
	free(text);

	a.type = ADAPTER_COMPOSE;
	a.tag = NULL;
	CHECK(modelfile_render(&r, &a) == NULL);
	CHECK_ERR(modelfile_check(&r, &a), "adapter 'math': a composition "
	    "cannot be written in a Modelfile: it is served only by "
	    "llama-server: Ollama applies one adapter per model");
}

/* render, then parse as a Modelfile next to the registry: same values. */
static void
round_trip(const struct registry *r, const struct adapter *a)
{
	struct modelfile mf;
	struct error *err;
	char *text, *path;
	size_t i;

	CHECK_OK(modelfile_check(r, a));
	if ((text = modelfile_render(r, a)) == NULL) {
		CHECK(!"modelfile_render returned NULL");
		return;
	}
	path = xasprintf("%s/Modelfile", r->dir);
	err = modelfile_parse(path, text, strlen(text), &mf);
	free(path);
	CHECK_OK(err);
	if (err != NULL) {
		free(text);
		return;
	}
	switch (a->type) {
	case ADAPTER_LORA:
		CHECK_STR(mf.from, r->base.tag);
		CHECK_STR(mf.adapter, a->file);
		break;
	case ADAPTER_MERGED:
		CHECK_STR(mf.from, a->file);
		CHECK_INT(mf.from_is_file, 1);
		CHECK(mf.adapter == NULL);
		break;
	case ADAPTER_PROMPT:
		CHECK_STR(mf.from, r->base.tag);
		CHECK(mf.adapter == NULL);
		break;
	case ADAPTER_TAG:
		CHECK_STR(mf.from, a->tag);
		CHECK_INT(mf.from_is_file, 0);
		break;
	case ADAPTER_COMPOSE:
		CHECK(!"a composition has no Modelfile");
		break;
	}
	CHECK_STR(mf.system, a->system);
	CHECK_INT(mf.nparams, a->nparams);
	for (i = 0; i < mf.nparams && i < a->nparams; i++) {
		CHECK_STR(mf.params[i].name, a->params[i].name);
		CHECK_STR(mf.params[i].value, a->params[i].value);
	}
	if (mf.nparams != a->nparams)
		fprintf(stderr, "rendered:\n%s", text);
	modelfile_release(&mf);
	free(text);
}

static const char *const tricky[] = {
	"plain",
	"",
	" leading and trailing spaces ",
	"\n\nstarts and ends with newlines\n\n",
	"ends with a quote\"",
	"ends with three quotes\"\"\"",
	"\"starts with a quote",
	"\"\"starts with two quotes",
	"\"\"\"starts with three",
	"\"",
	"\"\"",
	"\"\"\"",
	"\"\"\"\"\"\"",
	"line one ends \"quoted\"\nline two",
	"mid \"\"\" triple\nand \"\"\" again",
	"# looks like a comment\n#another\n",
	"FROM evil\nADAPTER evil",
	"tabs\tinside\t",
	"unicode: caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x99\x82",
	"trailing spaces after quote\"   \nnext",
};

TEST(modelfile_round_trip)
{
	struct registry r;
	struct adapter a;
	struct param p[ARRAY_SIZE(tricky) + 2];
	size_t i, t;
	enum adapter_type types[] = {
		ADAPTER_LORA, ADAPTER_MERGED, ADAPTER_PROMPT, ADAPTER_TAG
	};
	char *file;

	fake_registry(&r, &a, unit_tmpdir());
	file = xasprintf("%s/lora/a b.gguf", unit_tmpdir());
	for (i = 0; i < ARRAY_SIZE(tricky); i++) {
		p[i].name = (char *)"stop";
		p[i].value = (char *)tricky[i];
		p[i].is_number = 0;
	}
	p[i].name = (char *)"temperature";
	p[i].value = (char *)"0.7";
	p[i++].is_number = 1;
	p[i].name = (char *)"num_ctx";
	p[i].value = (char *)"8192";
	p[i++].is_number = 0;
	a.params = p;
	a.nparams = i;
	a.tag = (char *)"hf.co/org/model:Q4_K_M";
	for (t = 0; t < ARRAY_SIZE(types); t++) {
		a.type = types[t];
		a.file = types[t] == ADAPTER_LORA ||
		    types[t] == ADAPTER_MERGED ? file : NULL;
		a.system = NULL;
		round_trip(&r, &a);
		for (i = 0; i < ARRAY_SIZE(tricky); i++) {
			a.system = (char *)tricky[i];
			round_trip(&r, &a);
		}
	}
	/* Relative registry directory. */
	r.dir = (char *)".";
	a.type = ADAPTER_LORA;
	a.file = (char *)"./lora/x.gguf";
	round_trip(&r, &a);
	a.type = ADAPTER_MERGED;
	a.file = (char *)"./../up/merged.bin";
	round_trip(&r, &a);
	free(file);
}

TEST(modelfile_check_unwritable)
{
	struct registry r;
	struct adapter a;
	struct param bad[] = { { (char *)"stop", (char *)"a\"\"\"\nb", 0 } };
	struct param ctl[] = { { (char *)"stop", (char *)"\x1b[0m", 0 } };

	fake_registry(&r, &a, "/reg");
	a.type = ADAPTER_PROMPT;
	a.system = (char *)"Say \"\"\"\nthen stop";
	CHECK_ERR(modelfile_check(&r, &a), "adapter 'math': the system prompt "
	    "cannot be written in a Modelfile: a line other than the last ends "
	    "with \"\"\" and Ollama has no escapes");
	CHECK(modelfile_render(&r, &a) == NULL);
	a.system = (char *)"Say \"\"\"   \nthen stop";
	CHECK(modelfile_render(&r, &a) == NULL);
	a.system = (char *)"carriage\rreturn";
	CHECK_ERR(modelfile_check(&r, &a), "adapter 'math': the system prompt "
	    "cannot be written in a Modelfile: it holds a control character");
	a.system = NULL;
	a.params = bad;
	a.nparams = 1;
	CHECK_ERR(modelfile_check(&r, &a), "adapter 'math': a value of "
	    "parameter 'stop' cannot be written in a Modelfile: a line other "
	    "than the last ends with \"\"\" and Ollama has no escapes");
	a.params = ctl;
	CHECK_ERR(modelfile_check(&r, &a), "adapter 'math': a value of "
	    "parameter 'stop' cannot be written in a Modelfile: it holds a "
	    "control character");
	a.nparams = 0;
	a.type = ADAPTER_LORA;
	a.file = NULL;
	CHECK_ERR(modelfile_check(&r, &a), "adapter 'math': ADAPTER cannot be "
	    "written in a Modelfile: the adapter has no file");
	a.type = ADAPTER_MERGED;
	a.file = (char *)"/reg/new\nline.gguf";
	CHECK_ERR(modelfile_check(&r, &a), "adapter 'math': the file cannot be "
	    "written in a Modelfile: it holds a control character");
}
