/*
 * t_complete.c: completion from the real command table, with the adapters
 * and domains from a stub.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "complete.h"
#include "strbuf.h"
#include "util.h"
#include "unit.h"

static int asked;

static void
stub(struct complete *c, enum complete_want want, void *arg)
{
	(void)arg;
	asked++;
	if (want == COMPLETE_DOMAINS) {
		complete_add(c, "math", NULL);
		complete_add(c, "code", NULL);
	} else if (strchr(c->prefix, '@') != NULL)
		complete_add(c, "math@1.0.0", NULL);
	else {
		complete_add(c, "math", "sums");
		complete_add(c, "code", NULL);
	}
}

/*
 * Complete the words (NULL-terminated) into c; return the candidates
 * joined by spaces, with the kind first unless it is words.
 */
static char *
run(struct complete *c, ...)
{
	struct strbuf sb;
	va_list ap;
	char *words[32];
	size_t n = 0, i;

	va_start(ap, c);
	while (n < 32 && (words[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	asked = 0;
	complete_line(c, words, n, stub, NULL);
	strbuf_init(&sb, 0);
	if (c->kind == COMPLETE_FILES)
		(void)strbuf_addstr(&sb, "FILES");
	else if (c->kind == COMPLETE_DIRS)
		(void)strbuf_addstr(&sb, "DIRS");
	for (i = 0; i < c->n; i++)
		(void)strbuf_addf(&sb, "%s%s", sb.len ? " " : "", c->words[i]);
	return strbuf_detach(&sb, NULL);
}

#define EXPECT(want, ...) do {						\
	struct complete c_;						\
	char *got_ = run(&c_, __VA_ARGS__, (char *)NULL);		\
	CHECK_STR(got_, want);						\
	free(got_);							\
	complete_release(&c_);						\
} while (0)

TEST(complete_commands_and_global_options)
{
	struct complete c;
	char *s;

	EXPECT("query", "qu");
	EXPECT("route router", "rou");
	EXPECT("serve", "ser");
	EXPECT("--backend --registry", "-");
	EXPECT("FILES", "--registry", "");
	EXPECT("FILES", "--registry=a");
	/* --backend: the choices of backend.type, which it sets. */
	EXPECT("ollama llama-server openai", "--backend", "");
	EXPECT("llama-server", "--backend", "l");
	EXPECT("llama-server", "--backend=l");
	EXPECT("ollama llama-server openai", "--backend", "=");
	EXPECT("query", "--backend", "llama-server", "qu");
	EXPECT("--registry", "--backend", "ollama", "--r");
	EXPECT("", "nosuch", "");
	/* Every listed command, none of the plumbing. */
	s = run(&c, "", (char *)NULL);
	CHECK(strstr(s, "query chat route router adapters") == s);
	CHECK(strstr(s, "completion") != NULL);
	CHECK(strstr(s, "__complete") == NULL);
	free(s);
	complete_release(&c);
}

TEST(complete_registry_before_the_command)
{
	struct complete c;
	char *s;

	s = run(&c, "--registry", "r.yaml", "query", "--adapter", "",
	    (char *)NULL);
	CHECK_STR(s, "math code auto none");
	CHECK_STR(c.registry, "r.yaml");
	free(s);
	complete_release(&c);
	s = run(&c, "--registry=x.yaml", "modelfile", "", (char *)NULL);
	CHECK_STR(s, "math code");
	CHECK_STR(c.registry, "x.yaml");
	CHECK_STR(c.descs[0], "sums");
	free(s);
	complete_release(&c);
	s = run(&c, "query", "", (char *)NULL);
	CHECK(c.registry == NULL);
	free(s);
	complete_release(&c);
}

TEST(complete_options_and_values)
{
	EXPECT("--adapter --answer-type", "query", "--a");
	EXPECT("--no-reread --no-tools --no-think", "query", "--no");
	EXPECT("--think", "query", "--think");
	EXPECT("math code auto none", "query", "--adapter", "");
	EXPECT("none", "query", "--adapter", "n");
	/* A value joined by "=", whole or as bash splits it. */
	EXPECT("math", "query", "--adapter=m");
	EXPECT("math code auto none", "query", "--adapter", "=");
	EXPECT("math", "query", "--adapter", "=", "m");
	EXPECT("math", "query", "--adapter", "=", "code", "--adapter", "m");
	/* Values listed by the help text. */
	EXPECT("number choice regex code text", "query", "--answer-type", "");
	EXPECT("majority best_of_n medoid", "query", "--vote-method", "");
	EXPECT("table json markdown junit", "eval", "--format", "");
	EXPECT("markdown", "report", "--format", "m");
	EXPECT("table markdown json html", "leaderboard", "--format", "");
	/* Values with nothing to offer. */
	EXPECT("", "query", "--seed", "");
	EXPECT("", "query", "--temperature", "");
	EXPECT("", "query", "--host", "");
	/* Files, directories, domains, keys and commands. */
	EXPECT("FILES", "eval", "--benchmark", "");
	EXPECT("DIRS", "eval", "--output", "");
	EXPECT("math code", "eval", "--ood", "");
	EXPECT("math code", "eval", "--ood", "math", "--seed", "1", "");
	EXPECT("inference.votes inference.vote_temperature "
	    "inference.vote_method", "config", "inference.vo");
	EXPECT("help", "help", "he");
	EXPECT("bash zsh", "completion", "");
	EXPECT("zsh", "completion", "z");
	/* serve: a program, and numbers. */
	EXPECT("--dry-run --llama-server --port --slots --threads", "serve",
	    "-");
	EXPECT("FILES", "serve", "--llama-server", "");
	EXPECT("FILES", "serve", "--llama-server=l");
	EXPECT("", "serve", "--port", "");
	EXPECT("--slots", "serve", "--port", "0", "--sl");
}

TEST(complete_serve_descriptions)
{
	struct complete c;
	char *s;

	/* A two-word option's help, continued on the next line. */
	s = run(&c, "serve", "--ll", (char *)NULL);
	CHECK_STR(s, "--llama-server");
	CHECK_STR(c.descs[0], "the binary (default: backend.llama_server, "
	    "else llama-server on PATH)");
	free(s);
	complete_release(&c);
	s = run(&c, "serve", "--dry", (char *)NULL);
	CHECK_STR(c.descs[0], "print the llama-server command line and stop");
	free(s);
	complete_release(&c);
}

TEST(complete_arguments)
{
	int n;

	/* A question is free text: nothing to offer, and no registry read. */
	EXPECT("", "query", "");
	CHECK_INT(asked, 0);
	EXPECT("math code", "eval", "--votes", "5", "");
	n = asked;
	CHECK_INT(n, 1);
	/* Options end at "--". */
	EXPECT("", "query", "--", "-");
	EXPECT("--explain --json", "route", "-");
	/* No argument left: the options. */
	EXPECT("--json", "version", "");
	EXPECT("--json", "config", "--json", "inference.votes", "");
	/* An argument that repeats. */
	EXPECT("math code", "adapters", "update", "math", "");
	EXPECT("math@1.0.0", "adapters", "remove", "math@");
}

TEST(complete_subcommands)
{
	const struct subcmd *t;
	struct complete c;
	size_t n, i;
	char *s;

	/* From the table that dispatches them, in its order. */
	s = run(&c, "adapters", "", (char *)NULL);
	t = adapters_subcmds(&n);
	CHECK_INT(c.n, n);
	for (i = 0; i < n && i < c.n; i++)
		CHECK_STR(c.words[i], t[i].name);
	CHECK_STR(c.descs[0], "the registry's adapters and whether Ollama "
	    "has them");
	free(s);
	complete_release(&c);
	EXPECT("train eval", "router", "");
	EXPECT("", "router", "-");
	EXPECT("", "router", "frob", "");
	EXPECT("--json --router --oracle --host --jobs --limit", "router", "eval",
	    "--");
	EXPECT("keyword classifier auto", "router", "eval", "--router", "");
	EXPECT("FILES", "router", "eval", "--json", "");
	EXPECT("FILES", "router", "train", "--out", "");
	EXPECT("FILES", "router", "train", "--out=x");
	EXPECT("--description --domain", "adapters", "add", "--d");
	EXPECT("math code", "adapters", "add", "--domain", "");
	EXPECT("FILES", "adapters", "add", "--modelfile", "");
	EXPECT("FILES", "adapters", "install", "");
	EXPECT("--force --index --json", "adapters", "install", "--");
	/* Subcommands from the usage lines alone. */
	EXPECT("import check", "bench", "");
	EXPECT("gsm8k humaneval jsonl", "bench", "import", "--format", "");
	EXPECT("FILES", "bench", "check", "");
}
