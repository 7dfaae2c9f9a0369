/* t_registry.c: loading and validating the adapter registry. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "registry.h"
#include "util.h"
#include "unit.h"

#ifndef LOCO_DATADIR
#define LOCO_DATADIR "/usr/local/share/loco"
#endif

#define BASE "base_model: {name: Qwen3-4B, tag: 'qwen3:4b'}\n"

static const char full[] =
    "version: 1\n"
    "base_model:\n"
    "  name: Qwen3-4B\n"
    "  tag: qwen3:4b\n"
    "  quantization: Q4_K_M\n"
    "  architecture: qwen3\n"
    "domains: [math, code, analysis, writing, law]\n"
    "adapters:\n"
    "  - name: math\n"				/* line 9 */
    "    version: 1.0.0-rc.1+build.5\n"
    "    domain: math\n"
    "    type: lora\n"
    "    description: Grade-school arithmetic\n"
    "    system: Show your working.\n"
    "    router_keywords: [Solve, '  how   MANY ', sum]\n"
    "    keyword_weights: {sum: 0.5, equation: 2}\n"
    "    parameters:\n"
    "      temperature: 0.2\n"
    "      num_ctx: \"4096\"\n"
    "      stop: [\"\\n\\n\", \"User:\"]\n"
    "      flavor: on\n"
    "    file: lora/math.gguf\n"
    "    sha256: sha256:ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789\n"
    "    benchmark: ../bench/math.jsonl\n"
    "    answer_type: number\n"
    "    router_examples: [What is 2+2?, Add 3 and 4]\n"
    "    tags: [arithmetic, gsm8k]\n"
    "    scores: {accuracy: 0.82, base_accuracy: 0.7}\n"
    "    active: false\n"
    "  - name: code.py-3\n"			/* line 30 */
    "    version: \"2.1.0\"\n"
    "    domain: code\n"
    "    type: prompt\n"
    "    description: Python helper\n"
    "    router_keywords: {python: 3, def: 1.5}\n"
    "    answer_type: regex\n"
    "    answer_pattern: '```(.*)```'\n"
    "  - name: legal\n"
    "    version: 0.0.1\n"
    "    domain: law\n"
    "    type: tag\n"
    "    tag: 'hf.co/someone/legal:Q4'\n"
    "    description: Contracts\n"
    "  - name: merged\n"
    "    version: 3.0.0\n"
    "    domain: writing\n"
    "    type: merged\n"
    "    file: /abs/merged.gguf\n"
    "    description: Merged writer\n";

TEST(registry_full)
{
	struct registry *r;
	const struct adapter *a;
	const char *path;
	char *want;

	path = unit_write("registry.yaml", full);
	CHECK_OK(registry_load(path, &r));
	if (r == NULL)
		return;
	CHECK_STR(r->path, path);
	CHECK_STR(r->dir, unit_tmpdir());
	CHECK_STR(r->base.name, "Qwen3-4B");
	CHECK_STR(r->base.tag, "qwen3:4b");
	CHECK_STR(r->base.quantization, "Q4_K_M");
	CHECK_STR(r->base.architecture, "qwen3");
	CHECK_INT(r->ndomains, 5);
	CHECK_STR(r->domains[4], "law");
	CHECK_INT(r->nadapters, 4);

	a = registry_find(r, "math");
	CHECK(a == &r->adapters[0]);
	CHECK_STR(a->version, "1.0.0-rc.1+build.5");
	CHECK_STR(a->model, "loco-math:1.0.0-rc.1_build.5-qwen3-4b");
	CHECK_STR(a->domain, "math");
	CHECK_INT(a->type, ADAPTER_LORA);
	CHECK_STR(a->description, "Grade-school arithmetic");
	CHECK_STR(a->system, "Show your working.");
	CHECK_INT(a->nkeywords, 4);
	CHECK_STR(a->keywords[0].phrase, "solve");
	CHECK_DBL(a->keywords[0].weight, 1.0, 1e-12);
	CHECK_STR(a->keywords[1].phrase, "how many");
	CHECK_STR(a->keywords[2].phrase, "sum");
	CHECK_DBL(a->keywords[2].weight, 0.5, 1e-12);
	CHECK_STR(a->keywords[3].phrase, "equation");
	CHECK_DBL(a->keywords[3].weight, 2.0, 1e-12);
	CHECK_INT(a->nparams, 5);
	CHECK_STR(a->params[0].name, "temperature");
	CHECK_STR(a->params[0].value, "0.2");
	CHECK_INT(a->params[0].is_number, 1);
	CHECK_STR(a->params[1].name, "num_ctx");
	CHECK_INT(a->params[1].is_number, 1);	/* quoted, but an int option */
	CHECK_STR(a->params[2].name, "stop");
	CHECK_STR(a->params[2].value, "\n\n");
	CHECK_INT(a->params[2].is_number, 0);
	CHECK_STR(a->params[3].name, "stop");
	CHECK_STR(a->params[3].value, "User:");
	CHECK_STR(a->params[4].value, "on");
	CHECK_INT(a->params[4].is_number, 0);
	want = xasprintf("%s/lora/math.gguf", unit_tmpdir());
	CHECK_STR(a->file, want);
	free(want);
	CHECK_STR(a->sha256,
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	want = xasprintf("%s/../bench/math.jsonl", unit_tmpdir());
	CHECK_STR(a->benchmark, want);
	free(want);
	CHECK_STR(a->answer_type, "number");
	CHECK(a->answer_pattern == NULL);
	CHECK(a->tag == NULL);
	CHECK_INT(a->nexamples, 2);
	CHECK_STR(a->examples[0], "What is 2+2?");
	CHECK_INT(a->ntags, 2);
	CHECK_STR(a->tags[1], "gsm8k");
	CHECK_INT(a->nscores, 2);
	CHECK_STR(a->scores[1].name, "base_accuracy");
	CHECK_DBL(a->scores[0].value, 0.82, 1e-12);
	CHECK_INT(a->active, 0);
	CHECK_INT(a->line, 9);

	a = registry_find(r, "code.py-3");
	CHECK(a != NULL);
	CHECK_STR(a->model, "loco-code.py-3:2.1.0-qwen3-4b");
	CHECK_INT(a->type, ADAPTER_PROMPT);
	CHECK(a->file == NULL && a->sha256 == NULL && a->system == NULL);
	CHECK_INT(a->nkeywords, 2);
	CHECK_STR(a->keywords[0].phrase, "python");
	CHECK_DBL(a->keywords[0].weight, 3.0, 1e-12);
	CHECK_DBL(a->keywords[1].weight, 1.5, 1e-12);
	CHECK_STR(a->answer_pattern, "```(.*)```");
	CHECK_INT(a->active, 1);
	CHECK_INT(a->line, 30);

	a = registry_find(r, "legal");
	CHECK_INT(a->type, ADAPTER_TAG);
	CHECK_STR(a->tag, "hf.co/someone/legal:Q4");
	CHECK_STR(a->model, "hf.co/someone/legal:Q4");
	CHECK_INT(a->nkeywords, 0);
	CHECK_INT(a->nparams, 0);

	a = registry_find(r, "merged");
	CHECK_INT(a->type, ADAPTER_MERGED);
	CHECK_STR(a->file, "/abs/merged.gguf");
	CHECK_STR(a->model, "loco-merged:3.0.0-qwen3-4b");

	CHECK(registry_find(r, "Math") == NULL);
	CHECK(registry_find(r, "nope") == NULL);
	registry_free(r);
}

TEST(registry_minimal)
{
	struct registry *r;

	CHECK_OK(registry_load(unit_write("r.yaml", BASE), &r));
	CHECK_INT(r->nadapters, 0);
	CHECK_INT(r->ndomains, 4);
	CHECK_STR(r->domains[0], "math");
	CHECK_STR(r->domains[3], "writing");
	CHECK(r->base.quantization == NULL);
	registry_free(r);
	CHECK_OK(registry_load(unit_write("r.yaml", BASE "adapters: []\n"),
	    &r));
	registry_free(r);
	CHECK_OK(registry_load(unit_write("r.yaml", BASE "adapters:\n"), &r));
	registry_free(r);
}

TEST(registry_names)
{
	char *s;

	char *want;

	s = adapter_model_name("math", "1.2.3", "qwen3:4b");
	CHECK_STR(s, "loco-math:1.2.3-qwen3-4b");
	free(s);
	/* Build metadata: '_', so it stays apart from a pre-release. */
	s = adapter_model_name("m", "1.0.0+a+b", "qwen3:4b");
	CHECK_STR(s, "loco-m:1.0.0_a_b-qwen3-4b");
	free(s);
	s = adapter_model_name("m", "1.0.0-a.b", "qwen3:4b");
	CHECK_STR(s, "loco-m:1.0.0-a.b-qwen3-4b");
	free(s);
	/* ":latest" is dropped, in any case; other tags are kept. */
	s = adapter_model_name("math", "1.0.0", "tiny-base:latest");
	CHECK_STR(s, "loco-math:1.0.0-tiny-base");
	free(s);
	s = adapter_model_name("math", "1.0.0", "Tiny-Base:LATEST");
	CHECK_STR(s, "loco-math:1.0.0-Tiny-Base");
	free(s);
	s = adapter_model_name("math", "1.0.0", "tiny-base");
	CHECK_STR(s, "loco-math:1.0.0-tiny-base");
	free(s);
	s = adapter_model_name("math", "1.0.0",
	    "qwen3:4b-instruct-2507-q4_K_M");
	CHECK_STR(s, "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M");
	free(s);
	s = adapter_base_slug("hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M");
	CHECK_STR(s, "hf.co-unsloth-Qwen3-4B-GGUF-Q4_K_M");
	free(s);
	s = adapter_base_slug("latest");
	CHECK_STR(s, "latest");
	free(s);
	/* 80 characters fit; 81 are cut to 71, '-' and a hash of all. */
	s = adapter_model_name("m", "1.0.0", "b:"
	    "1234567890123456789012345678901234567890"
	    "12345678901234567890123456789012");
	CHECK_STR(strchr(s, ':') + 1, "1.0.0-b-"
	    "1234567890123456789012345678901234567890"
	    "12345678901234567890123456789012");
	CHECK_INT(strlen(strchr(s, ':') + 1), 80);
	free(s);
	s = adapter_model_name("m", "1.0.0", "b:"
	    "1234567890123456789012345678901234567890"
	    "123456789012345678901234567890123");
	CHECK_INT(strlen(strchr(s, ':') + 1), 80);
	CHECK_STR(strchr(s, ':') + 1, "1.0.0-b-"
	    "1234567890123456789012345678901234567890"
	    "12345678901234567890123-e508d720");
	free(s);
	/* Two long bases that differ only past the cut stay apart. */
	want = adapter_model_name("m", "1.0.0", "b:"
	    "1234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567-x");
	s = adapter_model_name("m", "1.0.0", "b:"
	    "1234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567-y");
	CHECK(strcmp(s, want) != 0);
	CHECK_INT(strlen(s), strlen(want));
	free(s);
	free(want);
	CHECK_STR(adapter_type_name(ADAPTER_LORA), "lora");
	CHECK_STR(adapter_type_name(ADAPTER_MERGED), "merged");
	CHECK_STR(adapter_type_name(ADAPTER_PROMPT), "prompt");
	CHECK_STR(adapter_type_name(ADAPTER_TAG), "tag");
	CHECK_STR(adapter_type_name(ADAPTER_COMPOSE), "compose");
}

TEST(registry_dir_relative)
{
	struct registry *r;
	char *cwd, *want;

	cwd = getcwd(NULL, 0);
	CHECK(cwd != NULL);
	unit_write("r.yaml", BASE
	    "adapters:\n"
	    "  - {name: a, version: 1.0.0, domain: math, type: lora,\n"
	    "     description: d, file: a.gguf, benchmark: b/a.jsonl}\n");
	CHECK(chdir(unit_tmpdir()) == 0);
	CHECK_OK(registry_load("r.yaml", &r));
	if (r != NULL) {
		CHECK_STR(r->dir, ".");
		CHECK_STR(r->adapters[0].file, "./a.gguf");
		CHECK_STR(r->adapters[0].benchmark, "./b/a.jsonl");
		registry_free(r);
	}
	want = xasprintf("%s/r.yaml", unit_tmpdir());
	CHECK_OK(registry_load(want, &r));
	free(want);
	if (r != NULL) {
		want = xasprintf("%s/a.gguf", unit_tmpdir());
		CHECK_STR(r->adapters[0].file, want);
		free(want);
		registry_free(r);
	}
	CHECK(chdir(cwd) == 0);
	free(cwd);
}

/* Load "BASE + adapters: - name: x ..." style text; expect PATH + tail. */
static void
check_err(const char *yaml, const char *want_after_path)
{
	struct registry *r = (struct registry *)1;
	const char *path = unit_write("r.yaml", yaml);
	char *want = xasprintf("%s%s", path, want_after_path);
	struct error *err = registry_load(path, &r);

	if (err != NULL)
		CHECK_INT(err->code, EXIT_CONFIG);
	CHECK(r == NULL);
	CHECK_ERR(err, want);
	free(want);
}

#define AD(extra)							\
	BASE "adapters:\n"						\
	"  - name: math\n"						\
	"    version: 1.0.0\n"						\
	"    domain: math\n"						\
	"    description: d\n" extra

TEST(registry_top_errors)
{
	check_err("", ": missing required key 'base_model'");
	check_err("domains: [math]\n", ": missing required key 'base_model'");
	check_err("[1]\n", ":1:1: the top level must be a mapping");
	check_err(BASE "adaptors: []\n",
	    ":2:1: unknown top-level key 'adaptors'; did you mean 'adapters'?");
	check_err("version: 2\n" BASE,
	    ":1:10: unsupported registry version 2");
	check_err("version: one\n" BASE, ":1:10: 'version' must be an integer");
	check_err("base_model: qwen\n", ":1:13: 'base_model' must be a mapping");
	check_err("base_model: {name: q}\n",
	    ":1:13: base_model: missing required key 'tag'");
	check_err("base_model: {name: q, tag: t, quant: x}\n",
	    ":1:31: unknown key 'quant' in base_model");
	check_err("base_model: {name: q, tag: [t]}\n",
	    ":1:28: base_model: 'tag' must be a string");
	check_err(BASE "domains: math\n",
	    ":2:10: 'domains' must be a list of strings");
	check_err(BASE "domains: [math, Poetry]\n",
	    ":2:17: domain 'Poetry' must be a lower-case word");
	check_err(BASE "domains: [math, math]\n",
	    ":2:17: duplicate domain 'math'");
	check_err(BASE "adapters: {name: x}\n",
	    ":2:11: 'adapters' must be a list");
	check_err(BASE "adapters: [x]\n", ":2:12: adapter #1 must be a mapping");
	check_err(BASE "adapters:\n  - {version: 1.0.0}\n",
	    ":3:5: adapter #1: missing required key 'name'");
}

TEST(registry_adapter_errors)
{
	check_err(AD("    type: lora\n"),
	    ":3:5: adapter 'math': missing required key 'file' for type lora");
	check_err(AD("    type: prompt\n    file: x.gguf\n"),
	    ":8:11: adapter 'math': 'file' is not allowed for type prompt");
	check_err(AD("    type: tag\n"),
	    ":3:5: adapter 'math': missing required key 'tag' for type tag");
	check_err(AD("    type: prompt\n    tag: x\n"),
	    ":8:10: adapter 'math': 'tag' is only allowed for type tag");
	check_err(AD("    type: qlora\n"),
	    ":7:11: adapter 'math': 'type' must be one of lora, merged, "
	    "prompt, tag, compose, not 'qlora'");
	check_err(AD("    type: prompt\n    foo: 1\n"),
	    ":8:5: unknown key 'foo' in adapter 'math'");
	check_err(AD("    type: prompt\n    domian: math\n"),
	    ":8:5: unknown key 'domian' in adapter 'math'; "
	    "did you mean 'domain'?");
	check_err(AD("    type: prompt\n    description: [a]\n"),
	    ":8:5: duplicate key 'description'");
	check_err(BASE "adapters:\n  - name: math\n    version: 1.0.0\n"
	    "    domain: math\n    type: prompt\n    description: [d]\n",
	    ":7:18: adapter 'math': 'description' must be a string");
	check_err(BASE "adapters:\n  - name: math\n    domain: math\n"
	    "    type: prompt\n    description: d\n",
	    ":3:5: adapter 'math': missing required key 'version'");
	check_err(BASE "adapters:\n  - name: math\n    version: 1.0.0\n"
	    "    domain: poetry\n    type: prompt\n    description: d\n",
	    ":5:13: adapter 'math': unknown domain 'poetry' (known: math, "
	    "code, analysis, writing)");
	check_err(AD("    type: prompt\n    active: maybe\n"),
	    ":8:13: adapter 'math': 'active' must be true or false");
	check_err(AD("    type: prompt\n    tags: a\n"),
	    ":8:11: adapter 'math': 'tags' must be a list of strings");
	check_err(AD("    type: prompt\n    router_examples: [a, [b]]\n"),
	    ":8:26: adapter 'math': 'router_examples' must be a list of "
	    "strings");
	check_err(AD("    type: prompt\n    scores: {accuracy: high}\n"),
	    ":8:24: adapter 'math': score 'accuracy' must be a number");
	check_err(AD("    type: prompt\n    sha256: abc\n"),
	    ":8:13: adapter 'math': 'sha256' must be 64 hexadecimal digits, "
	    "not 'abc'");
	check_err(AD("    type: prompt\n    answer_type: regex\n"),
	    ":3:5: adapter 'math': missing required key 'answer_pattern' for "
	    "answer_type regex");
	check_err(AD("    type: prompt\n    answer_pattern: x\n"),
	    ":8:21: adapter 'math': 'answer_pattern' is only allowed with "
	    "answer_type regex");
	check_err(AD("    type: prompt\n    answer_type: essay\n"),
	    ":8:18: adapter 'math': 'answer_type' must be one of number, "
	    "choice, regex, code, text, not 'essay'");
	check_err(AD("    type: prompt\n    parameters: [a]\n"),
	    ":8:17: adapter 'math': 'parameters' must be a mapping");
	check_err(AD("    type: prompt\n    parameters: {stop: [a, {b: c}]}\n"),
	    ":8:28: adapter 'math': parameter 'stop' must be a scalar or a "
	    "list of scalars");
	check_err(AD("    type: prompt\n    parameters: {top_k: }\n"),
	    ":8:25: adapter 'math': parameter 'top_k' must be a scalar or a "
	    "list of scalars");
	check_err(AD("    type: prompt\n    parameters: {temperature: hot}\n"),
	    ":8:31: adapter 'math': parameter 'temperature' must be a number, "
	    "not 'hot'");
	check_err(AD("    type: prompt\n    parameters: {num_ctx: 4096.5}\n"),
	    ":8:27: adapter 'math': parameter 'num_ctx' must be a whole "
	    "number, not '4096.5'");
	check_err(AD("    type: prompt\n    parameters: {use_mmap: yes}\n"),
	    ":8:28: adapter 'math': parameter 'use_mmap' must be true or "
	    "false, not 'yes'");
	check_err(AD("    type: prompt\n    parameters: {\"top k\": 1}\n"),
	    ":8:18: adapter 'math': parameter name 'top k' must be letters, "
	    "digits and '_'");
	check_err(AD("    type: prompt\n    router_keywords: {\"a\\x01\": 0}\n"),
	    ":8:32: adapter 'math': weight of keyword 'a?' must be a "
	    "positive number, not '0'");
	check_err(AD("    type: prompt\n    description: \n"),
	    ":8:5: duplicate key 'description'");
	check_err(BASE "adapters:\n  - name: math\n    version: 1.0.0\n"
	    "    domain: math\n    type: prompt\n    description:\n",
	    ":7:17: adapter 'math': 'description' must not be empty");
}

TEST(registry_identity_words)
{
	struct base_model b;
	struct weights_id llamacpp = { "Qwen3", "Instruct", "4B", "2507",
	    NULL };
	struct weights_id unsloth = { "Qwen3-4B-Instruct-2507", "Instruct",
	    "4B", "2507", "Qwen3-4B-Instruct-2507" };
	struct weights_id thinking = { "Qwen3", "Thinking", "4B", "2507",
	    "Qwen3 4B Thinking 2507" };
	struct weights_id tiny = { NULL, NULL, NULL, NULL, "tiny-base" };
	struct weights_id none = { NULL, NULL, NULL, NULL, NULL };
	struct weights_id evil = { "Qwen3\033[2J", NULL, "4B", NULL, NULL };
	char *found, *missing;

	memset(&b, 0, sizeof(b));
	b.name = "Qwen3-4B-Instruct-2507";
	CHECK_INT(registry_base_identity(&b, &llamacpp, &found, &missing),
	    BASE_SAME);
	CHECK_STR(found, "general.basename 'Qwen3', general.finetune "
	    "'Instruct', general.size_label '4B', general.version '2507'");
	CHECK(missing == NULL);
	free(found);
	CHECK_INT(registry_base_identity(&b, &unsloth, NULL, NULL), BASE_SAME);
	CHECK_INT(registry_base_identity(&b, &thinking, &found, &missing),
	    BASE_OTHER);
	CHECK_STR(missing, "'instruct'");
	CHECK_STR(found, "general.basename 'Qwen3', general.finetune "
	    "'Thinking', general.size_label '4B', general.version '2507', "
	    "general.name 'Qwen3 4B Thinking 2507'");
	free(found);
	free(missing);
	CHECK_INT(registry_base_identity(&b, &none, &found, &missing),
	    BASE_UNKNOWN);
	CHECK(found == NULL);
	free(missing);
	/* Control characters from a server never reach a message. */
	CHECK_INT(registry_base_identity(&b, &evil, &found, &missing),
	    BASE_OTHER);
	CHECK(strchr(found, '\033') == NULL);
	CHECK_STR(missing, "'qwen3', 'instruct', '2507'");
	free(found);
	free(missing);
	/* Any case, any of '-', '_', '.' and blanks; fewer words pass. */
	b.name = "qwen3_4b";
	CHECK_INT(registry_base_identity(&b, &thinking, NULL, NULL), BASE_SAME);
	b.name = "Qwen3 4B.Thinking";
	CHECK_INT(registry_base_identity(&b, &thinking, NULL, NULL), BASE_SAME);
	b.name = "tiny-base";
	CHECK_INT(registry_base_identity(&b, &tiny, NULL, NULL), BASE_SAME);
	b.name = "tiny-base-v2";
	CHECK_INT(registry_base_identity(&b, &tiny, NULL, &missing),
	    BASE_OTHER);
	CHECK_STR(missing, "'v2'");
	free(missing);
}

TEST(registry_names_checked)
{
	check_err(BASE "adapters:\n  - name: Math\n",
	    ":3:11: adapter name 'Math' must be 1 to 64 characters from a-z, "
	    "0-9, '_', '.' and '-', starting with a letter or digit");
	check_err(BASE "adapters:\n  - name: -x\n",
	    ":3:11: adapter name '-x' must be 1 to 64 characters from a-z, "
	    "0-9, '_', '.' and '-', starting with a letter or digit");
	check_err(BASE "adapters:\n  - name: a b\n",
	    ":3:11: adapter name 'a b' must be 1 to 64 characters from a-z, "
	    "0-9, '_', '.' and '-', starting with a letter or digit");
	check_err(BASE "adapters:\n  - name: "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    ":3:11: adapter name "
	    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
	    "must be 1 to 64 characters from a-z, 0-9, '_', '.' and '-', "
	    "starting with a letter or digit");
	check_err(BASE "adapters:\n  - name: ''\n",
	    ":3:11: 'name' must not be empty");
	check_err(BASE "adapters:\n"
	    "  - {name: math, version: 1.0.0, domain: math, type: prompt,\n"
	    "     description: d}\n"
	    "  - {name: code, version: 1.0.0, domain: code, type: prompt,\n"
	    "     description: d}\n"
	    "  - {name: math, version: 2.0.0, domain: math, type: prompt,\n"
	    "     description: d}\n",
	    ":7:12: duplicate adapter name 'math' (first defined at line 3)");
}

TEST(registry_name_lengths)
{
	struct registry *r;

	CHECK_OK(registry_load(unit_write("r.yaml", BASE "adapters:\n"
	    "  - {name: "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,\n"
	    "     version: 1.0.0, domain: math, type: prompt, description: d}\n"
	    "  - {name: 0_x.y-z, version: 1.0.0, domain: math, type: prompt,\n"
	    "     description: d}\n"), &r));
	CHECK_INT(r->nadapters, 2);
	registry_free(r);
}

static void
check_version(const char *yaml_value, const char *want_after_path)
{
	char *text = xasprintf(BASE "adapters:\n  - name: math\n"
	    "    version: %s\n    domain: math\n    type: prompt\n"
	    "    description: d\n", yaml_value);

	if (want_after_path == NULL) {
		struct registry *r;

		CHECK_OK(registry_load(unit_write("r.yaml", text), &r));
		registry_free(r);
	} else
		check_err(text, want_after_path);
	free(text);
}

TEST(registry_versions)
{
	check_version("1.0.0", NULL);
	check_version("0.0.0", NULL);
	check_version("1.0.0-rc.1+build.5", NULL);
	check_version("10.20.30-alpha-1.0.x", NULL);
	check_version("1.0.0+20130313144700", NULL);
	check_version("1.0.0+001", NULL);
	check_version("'1.2.3'", NULL);
	check_version("1.0",
	    ":4:14: adapter 'math': 'version' must be a semantic version like "
	    "\"1.0.0\" (quoted), not the number 1.0");
	check_version("2",
	    ":4:14: adapter 'math': 'version' must be a semantic version like "
	    "\"1.0.0\" (quoted), not the number 2");
	check_version("\"1.0\"",
	    ":4:14: adapter 'math': 'version' must be a semantic version like "
	    "1.0.0, not '1.0'");
	check_version("01.0.0",
	    ":4:14: adapter 'math': 'version' must be a semantic version like "
	    "1.0.0, not '01.0.0'");
	check_version("1.0.0-01",
	    ":4:14: adapter 'math': 'version' must be a semantic version like "
	    "1.0.0, not '1.0.0-01'");
	check_version("1.0.0-",
	    ":4:14: adapter 'math': 'version' must be a semantic version like "
	    "1.0.0, not '1.0.0-'");
	check_version("1.0.0+",
	    ":4:14: adapter 'math': 'version' must be a semantic version like "
	    "1.0.0, not '1.0.0+'");
	check_version("1.0.0-a..b",
	    ":4:14: adapter 'math': 'version' must be a semantic version like "
	    "1.0.0, not '1.0.0-a..b'");
	check_version("v1.0.0",
	    ":4:14: adapter 'math': 'version' must be a semantic version like "
	    "1.0.0, not 'v1.0.0'");
	check_version("1.0.0.0",
	    ":4:14: adapter 'math': 'version' must be a semantic version like "
	    "1.0.0, not '1.0.0.0'");
}

TEST(registry_keywords)
{
	struct registry *r;
	const struct adapter *a;

	CHECK_OK(registry_load(unit_write("r.yaml", AD(
	    "    type: prompt\n"
	    "    router_keywords:\n"
	    "      \"  Prime\\tNumber  \": 2\n"
	    "      GCD: 1\n"
	    "    keyword_weights: {gcd: 4, ' LCM ': 0.25}\n")), &r));
	a = &r->adapters[0];
	CHECK_INT(a->nkeywords, 3);
	CHECK_STR(a->keywords[0].phrase, "prime number");
	CHECK_DBL(a->keywords[0].weight, 2.0, 1e-12);
	CHECK_STR(a->keywords[1].phrase, "gcd");
	CHECK_DBL(a->keywords[1].weight, 4.0, 1e-12);
	CHECK_STR(a->keywords[2].phrase, "lcm");
	CHECK_DBL(a->keywords[2].weight, 0.25, 1e-12);
	registry_free(r);

	check_err(AD("    type: prompt\n    router_keywords: [a, '   ']\n"),
	    ":8:26: adapter 'math': empty keyword in 'router_keywords'");
	check_err(AD("    type: prompt\n    router_keywords: [Sum, sum]\n"),
	    ":8:28: adapter 'math': duplicate keyword 'sum'");
	check_err(AD("    type: prompt\n    router_keywords: {sum: 0}\n"),
	    ":8:28: adapter 'math': weight of keyword 'sum' must be a "
	    "positive number, not '0'");
	check_err(AD("    type: prompt\n    router_keywords: {sum: -1}\n"),
	    ":8:28: adapter 'math': weight of keyword 'sum' must be a "
	    "positive number, not '-1'");
	check_err(AD("    type: prompt\n    router_keywords: {sum: [1]}\n"),
	    ":8:28: adapter 'math': weight of keyword 'sum' must be a "
	    "positive number, not 'list'");
	check_err(AD("    type: prompt\n    router_keywords: sum\n"),
	    ":8:22: adapter 'math': 'router_keywords' must be a list of "
	    "strings or a mapping of phrases to weights");
	check_err(AD("    type: prompt\n    keyword_weights: [sum]\n"),
	    ":8:22: adapter 'math': 'keyword_weights' must be a mapping of "
	    "phrases to weights");
	check_err(AD("    type: prompt\n    keyword_weights: {sum: x}\n"),
	    ":8:28: adapter 'math': weight of keyword 'sum' must be a "
	    "positive number, not 'x'");
}

TEST(registry_parameters)
{
	struct registry *r;
	const struct adapter *a;

	CHECK_OK(registry_load(unit_write("r.yaml", AD(
	    "    type: prompt\n"
	    "    parameters:\n"
	    "      top_k: 40\n"
	    "      top_p: .9\n"
	    "      seed: -3\n"
	    "      big: 1e3\n"
	    "      quoted: '7'\n"
	    "      hex: 0x10\n"
	    "      inf: .inf\n"
	    "      word: nan\n"
	    "      stop: [\"</s>\", 5]\n"
	    "      empty: ''\n")), &r));
	a = &r->adapters[0];
	CHECK_INT(a->nparams, 11);
	CHECK_STR(a->params[0].value, "40");
	CHECK_INT(a->params[0].is_number, 1);
	CHECK_INT(a->params[1].is_number, 1);
	CHECK_INT(a->params[2].is_number, 1);
	CHECK_INT(a->params[3].is_number, 1);
	CHECK_INT(a->params[4].is_number, 0);
	CHECK_INT(a->params[5].is_number, 0);	/* JSON has no hex */
	CHECK_INT(a->params[6].is_number, 0);
	CHECK_INT(a->params[7].is_number, 0);
	CHECK_STR(a->params[8].name, "stop");
	CHECK_STR(a->params[8].value, "</s>");
	CHECK_INT(a->params[8].is_number, 0);
	CHECK_STR(a->params[9].name, "stop");
	CHECK_INT(a->params[9].is_number, 0);	/* stop is text */
	CHECK_STR(a->params[10].value, "");
	CHECK_INT(a->params[10].is_number, 0);
	registry_free(r);
	/* Ollama's options go with their own type, however quoted. */
	CHECK_OK(registry_load(unit_write("r.yaml", AD(
	    "    type: prompt\n"
	    "    parameters:\n"
	    "      temperature: '0.7'\n"
	    "      num_ctx: \"8192\"\n"
	    "      use_mmap: false\n")), &r));
	a = &r->adapters[0];
	CHECK_INT(a->params[0].is_number, 1);
	CHECK_INT(a->params[1].is_number, 1);
	CHECK_INT(a->params[2].is_number, 0);
	CHECK_INT(param_type("temperature"), PARAM_FLOAT);
	CHECK_INT(param_type("stop"), PARAM_STRING);
	CHECK_INT(param_type("flux"), PARAM_UNKNOWN);
	registry_free(r);
}

TEST(registry_sha256_forms)
{
	struct registry *r;

	CHECK_OK(registry_load(unit_write("r.yaml", AD(
	    "    type: lora\n    file: x\n    sha256: "
	    "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\n")),
	    &r));
	CHECK_STR(r->adapters[0].sha256,
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	registry_free(r);
	check_err(AD("    type: lora\n    file: x\n    sha256: "
	    "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678g\n"),
	    ":9:13: adapter 'math': 'sha256' must be 64 hexadecimal digits, "
	    "not 'sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	    "ef012345678g'");
}

TEST(registry_locate_order)
{
	char *p, *want, *home;
	struct error *err;

	home = xasprintf("%s/home", unit_tmpdir());
	setenv("LOCO_HOME", home, 1);

	want = xasprintf("%s/nope.yaml", unit_tmpdir());
	err = registry_locate(want, &p);
	CHECK(p == NULL);
	{
		char *msg = xasprintf("cannot open registry '%s': No such file "
		    "or directory", want);

		CHECK_ERR(err, msg);
		free(msg);
	}
	free(want);

	want = xstrdup(unit_write("explicit.yaml", BASE));
	CHECK_OK(registry_locate(want, &p));
	CHECK_STR(p, want);
	free(p);
	free(want);

	/* Run from the temporary directory so ./adapters is ours. */
	{
		char *cwd = getcwd(NULL, 0), *dot;

		CHECK(chdir(unit_tmpdir()) == 0);
		err = registry_locate(NULL, &p);
		if (access(LOCO_DATADIR "/adapters/registry.yaml", F_OK)
		    != 0) {
			want = xasprintf("no adapter registry found (looked in "
			    "%s/adapters/registry.yaml, ./adapters/registry.yaml, "
			    LOCO_DATADIR "/adapters/registry.yaml); set "
			    "registry.path or reinstall loco", home);
			CHECK_ERR(err, want);
			free(want);
		} else {
			error_free(err);
			free(p);
		}

		CHECK(mkdir("adapters", 0755) == 0);
		unit_write("adapters/registry.yaml", BASE);
		CHECK_OK(registry_locate(NULL, &p));
		CHECK_STR(p, "./adapters/registry.yaml");
		free(p);

		CHECK(mkdir(home, 0755) == 0);
		dot = xasprintf("%s/adapters", home);
		CHECK(mkdir(dot, 0755) == 0);
		free(dot);
		unit_write("home/adapters/registry.yaml", BASE);
		CHECK_OK(registry_locate(NULL, &p));
		want = xasprintf("%s/adapters/registry.yaml", home);
		CHECK_STR(p, want);
		free(want);
		free(p);

		CHECK(chdir(cwd) == 0);
		free(cwd);
	}
	unsetenv("LOCO_HOME");
	free(home);
}

/* Two LoRA adapters and a prompt one to compose, then "mc" from line 9. */
#define PARTS(extra)							\
	BASE "adapters:\n"						\
	"  - {name: math, version: 1.0.0, domain: math, type: lora,\n"	\
	"     description: d, file: m.gguf}\n"				\
	"  - {name: code, version: 1.0.0, domain: code, type: lora,\n"	\
	"     description: d, file: c.gguf}\n"				\
	"  - {name: writer, version: 1.0.0, domain: writing,\n"		\
	"     type: prompt, description: d}\n"				\
	"  - name: mc\n"						\
	"    version: 1.0.0\n"						\
	"    domain: math\n"						\
	"    description: d\n" extra

TEST(registry_compose)
{
	struct registry *r;
	const struct adapter *a;
	char *want;

	CHECK_OK(registry_load(unit_write("r.yaml", PARTS(
	    "    compose:\n"
	    "      - {adapter: math, scale: 0.7}\n"
	    "      - {adapter: code@1.0.0, scale: -.35e1}\n"
	    "      - adapter: writer@1.0.0\n"
	    "        scale: ~\n"
	    "  - name: one\n"
	    "    version: 2.0.0-rc.1\n"
	    "    domain: code\n"
	    "    type: compose\n"
	    "    description: d\n"
	    "    system: Be brief.\n"
	    "    compose: [{adapter: code}]\n")), &r));
	if (r == NULL)
		return;
	a = registry_find(r, "mc");
	CHECK(a != NULL);
	CHECK_INT(a->type, ADAPTER_COMPOSE);
	CHECK_STR(a->model, "loco-mc:1.0.0-qwen3-4b");
	CHECK(a->file == NULL && a->sha256 == NULL && a->tag == NULL);
	CHECK_INT(a->active, 1);
	CHECK_INT(a->ncompose, 3);
	CHECK_STR(a->compose[0].adapter, "math");
	CHECK_DBL(a->compose[0].scale, 0.7, 1e-12);
	CHECK_STR(a->compose[1].adapter, "code@1.0.0");
	CHECK_DBL(a->compose[1].scale, -3.5, 1e-12);
	CHECK_STR(a->compose[2].adapter, "writer@1.0.0");
	CHECK_DBL(a->compose[2].scale, 1.0, 1e-12);	/* the default */
	want = xasprintf("%s/r.yaml:14:19", unit_tmpdir());
	CHECK_STR(a->compose[0].where, want);
	free(want);
	a = registry_find(r, "one");
	CHECK_INT(a->type, ADAPTER_COMPOSE);
	CHECK_STR(a->model, "loco-one:2.0.0-rc.1-qwen3-4b");
	CHECK_STR(a->system, "Be brief.");
	CHECK_INT(a->ncompose, 1);
	CHECK_DBL(a->compose[0].scale, 1.0, 1e-12);
	CHECK_INT(registry_find(r, "math")->ncompose, 0);
	/* writer is a prompt adapter. */
	want = xasprintf("%s/r.yaml:16:18: adapter 'mc': compose: "
	    "'writer@1.0.0' is a prompt adapter: only lora adapters can be "
	    "composed", unit_tmpdir());
	CHECK_ERR(registry_check_compose(r), want);
	free(want);
	registry_free(r);

	CHECK_OK(registry_load(unit_write("r.yaml", PARTS(
	    "    compose:\n"
	    "      - {adapter: math, scale: 4}\n"
	    "      - {adapter: code, scale: -4}\n")), &r));
	CHECK_OK(registry_check_compose(r));
	registry_free(r);
}

TEST(registry_compose_errors)
{
	check_err(PARTS("    type: lora\n    file: x\n"
	    "    compose: [{adapter: math}]\n"),
	    ":15:14: adapter 'mc': 'compose' is not allowed for type lora");
	check_err(PARTS("    type: compose\n"),
	    ":9:5: adapter 'mc': missing required key 'compose' for type "
	    "compose");
	check_err(PARTS("    compose: []\n"),
	    ":13:14: adapter 'mc': 'compose' must not be empty");
	check_err(PARTS("    type: compose\n    compose:\n"),
	    ":14:13: adapter 'mc': 'compose' must not be empty");
	check_err(PARTS("    compose:\n"),
	    ":13:13: adapter 'mc': 'compose' must not be empty");
	check_err(PARTS("    compose: math\n"),
	    ":13:14: adapter 'mc': 'compose' must be a list of mappings with "
	    "'adapter' and 'scale'");
	check_err(PARTS("    compose: [{adapter: math}, {adapter: code},\n"
	    "      {adapter: a}, {adapter: b}, {adapter: c}, {adapter: d},\n"
	    "      {adapter: e}, {adapter: f}, {adapter: g}]\n"),
	    ":15:35: adapter 'mc': 'compose' must have at most 8 parts, not 9");
	check_err(PARTS("    compose: [math]\n"),
	    ":13:15: adapter 'mc': compose: each part must be a mapping with "
	    "'adapter' and 'scale'");
	check_err(PARTS("    compose: [{adapter: math, sacle: 2}]\n"),
	    ":13:31: unknown key 'sacle' in compose of adapter 'mc'; did you "
	    "mean 'scale'?");
	check_err(PARTS("    compose: [{scale: 2}]\n"),
	    ":13:15: adapter 'mc': compose: missing required key 'adapter'");
	check_err(PARTS("    compose: [{adapter: [math]}]\n"),
	    ":13:25: adapter 'mc': compose: 'adapter' must be a string");
	check_err(PARTS("    compose: [{adapter: ''}]\n"),
	    ":13:25: adapter 'mc': compose: 'adapter' must not be empty");
	check_err(PARTS("    compose: [{adapter: Math}]\n"),
	    ":13:25: adapter 'mc': compose: 'adapter' must be NAME or "
	    "NAME@VERSION, not 'Math'");
	check_err(PARTS("    compose: [{adapter: math@1.0}]\n"),
	    ":13:25: adapter 'mc': compose: 'adapter' must be NAME or "
	    "NAME@VERSION, not 'math@1.0'");
	check_err(PARTS("    compose: [{adapter: mc}]\n"),
	    ":13:25: adapter 'mc': compose: 'mc' names the composition "
	    "itself");
	check_err(PARTS("    compose: [{adapter: math}, {adapter: mc@1.0.0}]\n"),
	    ":13:42: adapter 'mc': compose: 'mc@1.0.0' names the composition "
	    "itself");
	check_err(PARTS("    compose: [{adapter: math, scale: 4.5}]\n"),
	    ":13:38: adapter 'mc': compose: 'scale' must be a number from -4 "
	    "to 4, not '4.5'");
	check_err(PARTS("    compose: [{adapter: math, scale: -5}]\n"),
	    ":13:38: adapter 'mc': compose: 'scale' must be a number from -4 "
	    "to 4, not '-5'");
	check_err(PARTS("    compose: [{adapter: math, scale: high}]\n"),
	    ":13:38: adapter 'mc': compose: 'scale' must be a number from -4 "
	    "to 4, not 'high'");
	check_err(PARTS("    compose: [{adapter: math, scale: [1]}]\n"),
	    ":13:38: adapter 'mc': compose: 'scale' must be a number from -4 "
	    "to 4, not 'list'");
	check_err(PARTS("    compose: [{adapter: math}]\n    file: x.gguf\n"),
	    ":14:11: adapter 'mc': 'file' is not allowed for type compose");
	check_err(PARTS("    compose: [{adapter: math}]\n    sha256: abc\n"),
	    ":14:13: adapter 'mc': 'sha256' is not allowed for type compose");
	check_err(PARTS("    compose: [{adapter: math}]\n    tag: x\n"),
	    ":14:10: adapter 'mc': 'tag' is not allowed for type compose");
}

/* Loads, then registry_check_compose fails with PATH + want_after_path. */
static void
check_compose_err(const char *yaml, const char *want_after_path)
{
	struct registry *r;
	const char *path = unit_write("r.yaml", yaml);
	char *want = xasprintf("%s%s", path, want_after_path);
	struct error *err;

	CHECK_OK(registry_load(path, &r));
	if (r == NULL) {
		free(want);
		return;
	}
	err = registry_check_compose(r);
	if (err != NULL)
		CHECK_INT(err->code, EXIT_CONFIG);
	CHECK_ERR(err, want);
	registry_free(r);
	free(want);
}

TEST(registry_compose_names)
{
	check_compose_err(PARTS("    compose: [{adapter: maths}]\n"),
	    ":13:25: adapter 'mc': compose: unknown adapter 'maths' (known "
	    "lora adapters: math, code)");
	check_compose_err(PARTS("    compose: [{adapter: math@2.0.0}]\n"),
	    ":13:25: adapter 'mc': compose: unknown adapter 'math@2.0.0' "
	    "(known versions of 'math': 1.0.0)");
	check_compose_err(PARTS("    compose: [{adapter: nope@2.0.0}]\n"),
	    ":13:25: adapter 'mc': compose: unknown adapter 'nope@2.0.0' "
	    "(known lora adapters: math, code)");
	check_compose_err(BASE "adapters:\n"
	    "  - {name: w, version: 1.0.0, domain: writing, type: prompt,\n"
	    "     description: d}\n"
	    "  - {name: mc, version: 1.0.0, domain: math, description: d,\n"
	    "     compose: [{adapter: x}]}\n",
	    ":6:26: adapter 'mc': compose: unknown adapter 'x' (the registry "
	    "has no lora adapters)");
	check_compose_err(PARTS("    compose:\n"
	    "      - {adapter: math}\n"
	    "      - {adapter: writer, scale: 0.5}\n"),
	    ":15:19: adapter 'mc': compose: 'writer' is a prompt adapter: only "
	    "lora adapters can be composed");
	check_compose_err(PARTS("    compose: [{adapter: math}]\n"
	    "  - {name: mc2, version: 1.0.0, domain: math, description: d,\n"
	    "     compose: [{adapter: code}, {adapter: mc}]}\n"),
	    ":15:43: adapter 'mc2': compose: 'mc' is a compose adapter: only "
	    "lora adapters can be composed");
	check_compose_err(BASE "adapters:\n"
	    "  - {name: t, version: 1.0.0, domain: law, type: tag, tag: x,\n"
	    "     description: d}\n"
	    "  - {name: m, version: 1.0.0, domain: writing, type: merged,\n"
	    "     file: m.gguf, description: d}\n"
	    "  - {name: mc, version: 1.0.0, domain: math, description: d,\n"
	    "     compose: [{adapter: m}, {adapter: t}]}\n"
	    "domains: [math, law, writing]\n",
	    ":8:26: adapter 'mc': compose: 'm' is a merged adapter: only lora "
	    "adapters can be composed");
	check_compose_err(PARTS("    compose:\n"
	    "      - {adapter: math}\n"
	    "      - {adapter: code}\n"
	    "      - {adapter: math, scale: 0.1}\n"),
	    ":16:19: adapter 'mc': compose: 'math' is in the composition "
	    "twice");
	check_compose_err(PARTS("    compose:\n"
	    "      - {adapter: math}\n"
	    "      - {adapter: math@1.0.0}\n"),
	    ":15:19: adapter 'mc': compose: 'math@1.0.0' is in the "
	    "composition already, as 'math'");
}

/* A composition may name adapters that only installed packages add. */
TEST(registry_compose_installed)
{
	struct registry *r;
	const char *dir = unit_tmpdir();
	char *path;

	path = xasprintf("%s/pkg", dir);
	CHECK(mkdir(path, 0755) == 0);
	free(path);
	path = xasprintf("%s/pkg/math", dir);
	CHECK(mkdir(path, 0755) == 0);
	free(path);
	path = xasprintf("%s/pkg/mc", dir);
	CHECK(mkdir(path, 0755) == 0);
	free(path);
	unit_write("pkg/math/adapter.yaml", "name: math\nversion: 2.0.0\n"
	    "domain: math\ntype: lora\ndescription: d\nfile: m.gguf\n");
	unit_write("pkg/mc/adapter.yaml", "name: pmc\nversion: 1.0.0\n"
	    "domain: code\ndescription: d\n"
	    "compose: [{adapter: math@2.0.0}, {adapter: code, scale: 2}]\n");
	unit_write("installed.yaml", "packages: [pkg/math, pkg/mc]\n");
	CHECK_OK(registry_load(unit_write("r.yaml", BASE "adapters:\n"
	    "  - {name: code, version: 1.0.0, domain: code, type: lora,\n"
	    "     description: d, file: c.gguf}\n"
	    "  - {name: mc, version: 1.0.0, domain: math, description: d,\n"
	    "     compose: [{adapter: math, scale: 0.5}]}\n"), &r));
	if (r == NULL)
		return;
	path = xasprintf("%s/installed.yaml", dir);
	CHECK_OK(registry_load_installed(r, path));
	free(path);
	CHECK_OK(registry_check_compose(r));
	CHECK_INT(registry_find(r, "pmc")->ncompose, 2);
	registry_free(r);

	/* The other way round: the package names what is not there. */
	unit_write("pkg/mc/adapter.yaml", "name: pmc\nversion: 1.0.0\n"
	    "domain: code\ndescription: d\n"
	    "compose: [{adapter: math@2.0.0}, {adapter: cod}]\n");
	CHECK_OK(registry_load(unit_write("r.yaml", BASE "adapters:\n"
	    "  - {name: code, version: 1.0.0, domain: code, type: lora,\n"
	    "     description: d, file: c.gguf}\n"), &r));
	if (r == NULL)
		return;
	path = xasprintf("%s/installed.yaml", dir);
	CHECK_OK(registry_load_installed(r, path));
	free(path);
	path = xasprintf("%s/pkg/mc/adapter.yaml:5:44: adapter 'pmc': compose: "
	    "unknown adapter 'cod' (known lora adapters: code, math)", dir);
	CHECK_ERR(registry_check_compose(r), path);
	free(path);
	registry_free(r);
}

TEST(registry_base_gguf)
{
	struct registry *r;
	char *want;

	CHECK_OK(registry_load(unit_write("r.yaml",
	    "base_model:\n"
	    "  name: Qwen3-4B\n"
	    "  tag: qwen3:4b\n"
	    "  file: models/qwen3-4b.gguf\n"
	    "  url: https://example.com/qwen3-4b-Q4_K_M.gguf?download=1\n"
	    "  sha256: sha256:ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789\n"),
	    &r));
	if (r == NULL)
		return;
	want = xasprintf("%s/models/qwen3-4b.gguf", unit_tmpdir());
	CHECK_STR(r->base.file, want);
	free(want);
	CHECK_STR(r->base.url,
	    "https://example.com/qwen3-4b-Q4_K_M.gguf?download=1");
	CHECK_STR(r->base.sha256,
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	registry_free(r);

	/* Each alone where it makes sense; none: all NULL. */
	CHECK_OK(registry_load(unit_write("r.yaml", "base_model: {name: q, "
	    "tag: t, file: /m/q.gguf}\n"), &r));
	CHECK_STR(r->base.file, "/m/q.gguf");
	CHECK(r->base.url == NULL && r->base.sha256 == NULL);
	registry_free(r);
	CHECK_OK(registry_load(unit_write("r.yaml", "base_model: {name: q, "
	    "tag: t, url: 'http://h/q.gguf', sha256: "
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789}\n"),
	    &r));
	CHECK(r->base.file == NULL);
	CHECK_STR(r->base.url, "http://h/q.gguf");
	registry_free(r);
	CHECK_OK(registry_load(unit_write("r.yaml", BASE), &r));
	CHECK(r->base.file == NULL && r->base.url == NULL &&
	    r->base.sha256 == NULL);
	registry_free(r);

	check_err("base_model: {name: q, tag: t, url: 'https://h/q.gguf'}\n",
	    ":1:13: base_model: missing required key 'sha256' for 'url'");
	check_err("base_model: {name: q, tag: t, url: 'https://h/q.gguf',\n"
	    "  sha256: abc}\n",
	    ":2:11: base_model: 'sha256' must be 64 hexadecimal digits, not "
	    "'abc'");
	check_err("base_model: {name: q, tag: t, file: q.gguf, sha256: "
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678}\n",
	    ":1:53: base_model: 'sha256' must be 64 hexadecimal digits, not "
	    "'abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678'");
	check_err("base_model: {name: q, tag: t, sha256: "
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789}\n",
	    ":1:39: base_model: 'sha256' is only allowed with 'file' or 'url'");
	check_err("base_model: {name: q, tag: t, url: 'ftp://h/q.gguf'}\n",
	    ":1:36: base_model: 'url' must be an http or https URL, not "
	    "'ftp://h/q.gguf'");
	check_err("base_model: {name: q, tag: t, url: 'https://'}\n",
	    ":1:36: base_model: 'url' must be an http or https URL, not "
	    "'https://'");
	check_err("base_model: {name: q, tag: t, url: 'https://h/a b'}\n",
	    ":1:36: base_model: 'url' must be an http or https URL, not "
	    "'https://h/a b'");
	check_err("base_model: {name: q, tag: t, file: ''}\n",
	    ":1:37: base_model: 'file' must not be empty");
	check_err("base_model: {name: q, tag: t, file: [q.gguf]}\n",
	    ":1:37: base_model: 'file' must be a string");
	check_err("base_model: {name: q, tag: t, gguf: q.gguf}\n",
	    ":1:31: unknown key 'gguf' in base_model");
}

TEST(registry_active_of_domain)
{
	struct registry *r;

	CHECK_OK(registry_load(unit_write("r.yaml", BASE "adapters:\n"
	    "  - {name: old, version: 1.0.0, domain: math, type: prompt,\n"
	    "     description: d, active: false}\n"
	    "  - {name: w, version: 1.0.0, domain: writing, type: prompt,\n"
	    "     description: d}\n"
	    "  - {name: m1, version: 1.0.0, domain: math, type: prompt,\n"
	    "     description: d}\n"
	    "  - {name: m2, version: 1.0.0, domain: math, type: prompt,\n"
	    "     description: d}\n"
	    "  - {name: c, version: 1.0.0, domain: code, type: prompt,\n"
	    "     description: d, active: false}\n"), &r));
	if (r == NULL)
		return;
	CHECK(registry_active(r, "math") == registry_find(r, "m1"));
	CHECK(registry_active(r, "writing") == registry_find(r, "w"));
	CHECK(registry_active(r, "code") == NULL);	/* inactive */
	CHECK(registry_active(r, "analysis") == NULL);	/* none */
	CHECK(registry_active(r, "poetry") == NULL);	/* no such domain */
	registry_free(r);
}
