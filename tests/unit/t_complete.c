/*
 * t_complete.c: completion from the real command table and the commands'
 * tables of options, with the adapters, domains, servers and runs from a
 * stub.
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
	} else if (want == COMPLETE_BACKENDS)
		complete_add(c, "lab", "a server of config.yaml");
	else if (want == COMPLETE_RUNS)
		complete_add(c, "20261201-101010-math-1", NULL);
	else if (strchr(c->prefix, '@') != NULL)
		complete_add(c, "math@1.0.0", NULL);
	else {
		complete_add(c, "math", "sums");
		complete_add(c, "code", NULL);
	}
}

/* Complete words[0..n) into c: the candidates as run() gives them. */
static char *
run_v(struct complete *c, char *words[], size_t n)
{
	struct strbuf sb;
	size_t i;

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

/*
 * Complete the words (NULL-terminated) into c; return the candidates
 * joined by spaces, with the kind first unless it is words.
 */
static char *
run(struct complete *c, ...)
{
	va_list ap;
	char *words[32];
	size_t n = 0;

	va_start(ap, c);
	while (n < 32 && (words[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	return run_v(c, words, n);
}

#define EXPECT(want, ...) do {						\
	struct complete c_;						\
	char *got_ = run(&c_, __VA_ARGS__, (char *)NULL);		\
	CHECK_STR(got_, want);						\
	free(got_);							\
	complete_release(&c_);						\
} while (0)

/* A key's choices "a|b|c" as "a b c"; free it. */
static char *
choices_of(const char *key)
{
	const struct config_key *k = config_key_find(key);
	char *s, *p;

	if (k == NULL || k->choices == NULL)
		return xstrdup("(no such key)");
	s = xstrdup(k->choices);
	for (p = s; *p != '\0'; p++)
		if (*p == '|')
			*p = ' ';
	return s;
}

TEST(complete_commands_and_global_options)
{
	struct complete c;
	char *s, *types, *want;

	EXPECT("query", "qu");
	EXPECT("route router", "rou");
	EXPECT("serve", "ser");
	/* loco's own table, --help and --version too. */
	EXPECT("--backend --registry --help --version", "-");
	EXPECT("--registry", "--reg");
	EXPECT("FILES", "--registry", "");
	EXPECT("FILES", "--registry=a");
	/* --backend: the types of backend.type, then config.yaml's servers. */
	types = choices_of("backend.type");
	want = xasprintf("%s lab", types);
	EXPECT(want, "--backend", "");
	EXPECT(want, "--backend", "=");
	EXPECT("llama-server lab", "--backend", "l");
	EXPECT("llama-server lab", "--backend=l");
	free(want);
	free(types);
	EXPECT("query", "--backend", "llama-server", "qu");
	EXPECT("--registry", "--backend", "ollama", "--r");
	EXPECT("query", "--help", "qu");
	EXPECT("", "nosuch", "");
	EXPECT("", "nosuch", "-");
	/* Every listed command, none of the plumbing. */
	s = run(&c, "", (char *)NULL);
	CHECK(strstr(s, "query chat route router adapters") == s);
	CHECK(strstr(s, "completion") != NULL);
	CHECK(strstr(s, "__complete") == NULL);
	CHECK_STR(c.descs[0], cmd_summary(cmd_find("query")));
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
	s = run(&c, "--registry=x.yaml", "query", "--adapter", "m",
	    (char *)NULL);
	CHECK_STR(s, "math");
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
	struct complete c;
	char *s, *want;

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
	/* OC_WORDS: the option's words. */
	EXPECT("number choice regex code text", "query", "--answer-type", "");
	EXPECT("table markdown json html", "leaderboard", "--format", "");
	EXPECT("markdown", "report", "--format", "m");
	EXPECT("json", "report", "--format=j");
	/* A key of fixed choices: the key's, from config.h. */
	want = choices_of("inference.vote_method");
	EXPECT(want, "query", "--vote-method", "");
	free(want);
	EXPECT("majority medoid", "query", "--vote-method", "m");
	/* --backend after the command too: types and servers. */
	want = choices_of("backend.type");
	s = run(&c, "query", "--backend", "", (char *)NULL);
	CHECK(str_startswith(s, want));
	CHECK(strstr(s, " lab") != NULL);
	free(s);
	complete_release(&c);
	free(want);
	/* Values with nothing to offer. */
	EXPECT("", "query", "--seed", "");
	EXPECT("", "query", "--temperature", "");
	EXPECT("", "query", "--host", "");
	EXPECT("", "query", "--ensemble=");
	/* Domains, files, keys, commands and an operand's words. */
	EXPECT("math code", "leaderboard", "--domain", "");
	EXPECT("math code", "leaderboard", "--json", "--domain", "");
	EXPECT("FILES", "report", "");
	EXPECT("FILES", "report", "--format", "html", "");
	EXPECT("inference.votes inference.vote_temperature "
	    "inference.vote_method", "config", "inference.vo");
	EXPECT("help", "help", "he");
	EXPECT("bash zsh", "completion", "");
	EXPECT("zsh", "completion", "z");
}

TEST(complete_descriptions)
{
	struct complete c;
	char *s;

	/* An option's help. */
	s = run(&c, "leaderboard", "--dom", (char *)NULL);
	CHECK_STR(s, "--domain");
	CHECK_STR(c.descs[0], "only this domain");
	free(s);
	complete_release(&c);
	/* --think of a pair: the pair's help. */
	s = run(&c, "query", "--thi", (char *)NULL);
	CHECK_STR(s, "--think");
	CHECK_STR(c.descs[0], "show a thinking model's reasoning on stderr, "
	    "or not");
	free(s);
	complete_release(&c);
	/* --adapter's own values. */
	s = run(&c, "query", "--adapter", "a", (char *)NULL);
	CHECK_STR(s, "auto");
	CHECK_STR(c.descs[0], "route the question (the default)");
	free(s);
	complete_release(&c);
	/* A key's help. */
	s = run(&c, "config", "inference.votes", (char *)NULL);
	CHECK_STR(c.descs[0], config_key_find("inference.votes")->help);
	free(s);
	complete_release(&c);
}

TEST(complete_arguments)
{
	struct complete c;
	char *s;

	/* A question is free text: nothing to offer, and no registry read. */
	EXPECT("", "query", "");
	CHECK_INT(asked, 0);
	EXPECT("", "query", "--votes", "5", "");
	CHECK_INT(asked, 0);
	/* Options end at "--". */
	EXPECT("", "query", "--", "-");
	EXPECT("--explain --json", "route", "-");
	/* No operand left: the options. */
	EXPECT("--json", "version", "");
	EXPECT("--json", "config", "--json", "inference.votes", "");
	EXPECT("--by-semester --format --json", "report", "run", "");
	EXPECT("", "completion", "bash", "");
	/* help's operand is a command. */
	s = run(&c, "help", "", (char *)NULL);
	CHECK(strstr(s, "query chat route") == s);
	free(s);
	complete_release(&c);
}

/*
 * Each table against what completes: "CMD --" gives the table's long
 * options in its order; a value of OC_WORDS its words, of OC_FILE files,
 * of OC_DIR directories.
 */
static void
check_table(char *words[], size_t n, const struct optspec *s)
{
	struct strbuf want, label;
	struct complete c;
	const struct opt *o;
	char *got;
	size_t i;

	strbuf_init(&want, 0);
	for (i = 0; i < s->nopts; i++)
		if (s->opts[i].name != NULL)
			(void)strbuf_addf(&want, "%s--%s", want.len ? " " : "",
			    s->opts[i].name);
	words[n] = "--";
	got = run_v(&c, words, n + 1);
	CHECK_STR(got, want.buf);
	free(got);
	complete_release(&c);
	for (i = 0; i < s->nopts; i++) {
		o = &s->opts[i];
		if (o->name == NULL || o->value == OPT_FLAG ||
		    (o->complete != OC_WORDS && o->complete != OC_FILE &&
		    o->complete != OC_DIR))
			continue;
		strbuf_init(&label, 0);
		(void)strbuf_addf(&label, "--%s=", o->name);
		words[n] = label.buf;
		got = run_v(&c, words, n + 1);
		if (o->complete == OC_FILE)
			CHECK_STR(got, "FILES");
		else if (o->complete == OC_DIR)
			CHECK_STR(got, "DIRS");
		else
			CHECK(str_startswith(got, o->words));
		free(got);
		complete_release(&c);
		strbuf_release(&label);
	}
	strbuf_release(&want);
}

TEST(complete_every_table)
{
	const struct subcmd *sc;
	const struct cmd *t;
	char *words[4];
	size_t i, k, n, ns;

	t = cmd_table(&n);
	for (i = 0; i < n; i++) {
		words[0] = (char *)t[i].name;
		if (t[i].subcmds == NULL) {
			if (t[i].spec != NULL)
				check_table(words, 1, t[i].spec);
			continue;
		}
		sc = t[i].subcmds(&ns);
		for (k = 0; k < ns; k++) {
			words[1] = (char *)sc[k].name;
			if (sc[k].spec != NULL)
				check_table(words, 2, sc[k].spec);
		}
	}
	words[0] = NULL;
	check_table(words, 0, &loco_spec);
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
	for (i = 0; i < n && i < c.n; i++) {
		CHECK_STR(c.words[i], t[i].name);
		if (t[i].spec != NULL)
			CHECK_STR(c.descs[i], t[i].spec->summary);
	}
	free(s);
	complete_release(&c);
	EXPECT("train eval", "router", "");
	EXPECT("", "router", "-");
	EXPECT("", "router", "frob", "");
	EXPECT("", "router", "frob", "-");
}

/*
 * Forms with a lead: a word lead ("history show") is offered where the
 * first operand goes; after an option lead with its value ("history
 * --feedback 3"), the form's first operand, when it is one of words.
 */
TEST(complete_form_leads)
{
	const struct opt_operand *op;
	const struct opt_form *f;
	const struct opt *o;
	const struct cmd *t;
	struct complete c;
	char *words[4], *got, *lead, *args;
	size_t i, k, n, j;

	t = cmd_table(&n);
	for (i = 0; i < n; i++) {
		if (t[i].subcmds != NULL || t[i].spec == NULL)
			continue;
		words[0] = (char *)t[i].name;
		for (k = 0; k < t[i].spec->nforms; k++) {
			f = &t[i].spec->forms[k];
			if (f->lead == NULL)
				continue;
			if (f->lead[0] != '-') {
				words[1] = "";
				got = run_v(&c, words, 2);
				CHECK(opt_word_in(got, f->lead));
				free(got);
				complete_release(&c);
				continue;
			}
			lead = xstrndup(f->lead, strcspn(f->lead, " "));
			o = opt_find(t[i].spec, lead);
			args = xstrndup(f->args ? f->args : "",
			    strcspn(f->args ? f->args : "", " ["));
			for (op = NULL, j = 0; j < t[i].spec->noperands; j++)
				if (strcmp(t[i].spec->operands[j].meta,
				    args) == 0)
					op = &t[i].spec->operands[j];
			if (o != NULL && o->value == OPT_VALUE && op != NULL &&
			    op->complete == OC_WORDS) {
				words[1] = lead;
				words[2] = "1";
				words[3] = "";
				got = run_v(&c, words, 4);
				CHECK_STR(got, op->words);
				free(got);
				complete_release(&c);
			}
			free(args);
			free(lead);
		}
	}
}
