/*
 * cmd.c: the command table and the helpers commands share: usage and
 * option errors, the registry and client set-up, reading the question,
 * and writes to stdout that remember a failure for main's final check.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "router.h"
#include "fsutil.h"
#include "jsonout.h"
#include "progress.h"
#include "strbuf.h"
#include "tools.h"
#include "banned.h"

#define QUESTION_MAX (1024u * 1024)

static const struct cmd commands[] = {
	{ .name = "query", .fn = cmd_query, .spec = &query_spec },
	{ .name = "chat", .fn = cmd_chat, .spec = &chat_spec },
	{ .name = "route", .fn = cmd_route, .spec = &route_spec },
	{ .name = "router", .fn = cmd_router, .subcmds = router_subcmds,
	  .spec = &router_spec },
	{ .name = "adapters", .fn = cmd_adapters, .subcmds = adapters_subcmds,
	  .spec = &adapters_spec },
	{ .name = "setup", .fn = cmd_setup, .spec = &setup_spec },
	{ .name = "doctor", .fn = cmd_doctor, .spec = &doctor_spec },
	{ .name = "modelfile", .fn = cmd_modelfile, .spec = &modelfile_spec },
	{ .name = "eval", .fn = cmd_eval, .spec = &eval_spec },
	{ .name = "leaderboard", .fn = cmd_leaderboard,
	  .spec = &leaderboard_spec },
	{ .name = "report", .fn = cmd_report, .spec = &report_spec },
	{ .name = "runs", .fn = cmd_runs, .subcmds = runs_subcmds,
	  .spec = &runs_spec },
	{ .name = "history", .fn = cmd_history, .spec = &history_spec },
	{ .name = "bench", .fn = cmd_bench, .subcmds = bench_subcmds,
	  .spec = &bench_spec },
	{ .name = "serve", .fn = cmd_serve, .spec = &serve_spec },
	{ .name = "config", .fn = cmd_config, .spec = &config_spec },
	{ .name = "version", .fn = cmd_version, .spec = &version_spec },
	{ .name = "help", .fn = cmd_help, .spec = &help_spec },
	{ .name = "completion", .fn = cmd_completion,
	  .spec = &completion_spec },
};

/* Not listed: the plumbing that loco's own scripts call. */
static const struct cmd plumbing[] = {
	{ .name = "__complete", .fn = cmd_complete,
	  .spec = &complete_spec },
};

/* loco's own options, before the command (main.c parses them). */
static const struct opt loco_opts[] = {
	{ "backend", 0, O_LOCO_BACKEND, OPT_VALUE, "type", "the inference "
	  "server: a type (sets backend.type) or a server of config.yaml's "
	  "backends", OC_BACKEND, NULL, NULL },
	{ "registry", 0, O_LOCO_REGISTRY, OPT_VALUE, "file", "the adapter "
	  "registry to use (sets registry.path)", OC_FILE },
	{ "help", 'h', O_LOCO_HELP, OPT_FLAG, NULL, "print the usage and the "
	  "commands", OC_NONE, NULL, NULL, OPT_NOUSAGE },
	{ "version", 0, O_LOCO_VERSION, OPT_FLAG, NULL, "print loco's version",
	  OC_NONE, NULL, NULL, OPT_NOUSAGE },
};
static const struct opt_form loco_forms[] = {
	{ NULL, NULL, "command [argument ...]" },
};
static const struct opt_operand loco_operands[] = {
	{ "command", "a command", OC_COMMAND, NULL },
};
const struct optspec loco_spec = {
	"", "loco runs one small base model and a library of LoRA adapters in "
	"Ollama as a team of specialists", loco_opts, OPT_NELEM(loco_opts),
	loco_forms, OPT_NELEM(loco_forms), loco_operands,
	OPT_NELEM(loco_operands), NULL, OPTSPEC_IN_ORDER
};

int	 loco_write_failed;
int	 loco_write_errno;

const struct cmd *
cmd_table(size_t *n)
{
	*n = ARRAY_SIZE(commands);
	return commands;
}

const struct cmd *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	for (i = 0; i < ARRAY_SIZE(plumbing); i++)
		if (strcmp(plumbing[i].name, name) == 0)
			return &plumbing[i];
	return NULL;
}

const char *
loco_main_usage(void)
{
	static char *line;

	if (line == NULL)
		line = opt_usage_line(&loco_spec, 0);
	return line;
}

const char *
cmd_summary(const struct cmd *c)
{
	return c->spec->summary;
}

void
cmd_usage(const struct cmd *c, FILE *fp)
{
	const struct subcmd *t;
	size_t i, j, n, line = 0;
	char *u;

	if (c->subcmds == NULL) {
		opt_usage(c->spec, fp);
		return;
	}
	t = c->subcmds(&n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < t[i].spec->nforms; j++) {
			u = opt_usage_line(t[i].spec, j);
			fprintf(fp, "%s%s\n", line++ ? "       " : "usage: ", u);
			free(u);
		}
	}
}

void
cmd_help_print(const struct cmd *c)
{
	const struct subcmd *t;
	size_t i, n;

	cmd_usage(c, stdout);
	printf("\n%s.\n", cmd_summary(c));
	if (c->subcmds == NULL) {
		if (c->spec->nopts > 0 || c->spec->noperands > 0 ||
		    c->spec->epilog != NULL) {
			fputc('\n', stdout);
			opt_help_list(c->spec, stdout);
		}
		return;
	}
	fputc('\n', stdout);
	t = c->subcmds(&n);
	for (i = 0; i < n; i++)
		printf("  %-8s %s\n", t[i].name, t[i].spec != NULL ?
		    t[i].spec->summary : "");
	printf("\nSee 'loco %s SUBCOMMAND -h' for options.\n", c->name);
}

struct error *
cmd_usage_error(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		opt_vmessage(fmt, ap);
		va_end(ap);
	}
	cmd_usage(c, stderr);
	/* Already said; main prints nothing more for an empty message. */
	return error_new(EXIT_USAGE, "%s", "");
}

const char *
cmd_suggest(const char *name)
{
	const struct cmd *t;
	const char **names;
	const char *hint;
	size_t i, n;

	t = cmd_table(&n);
	names = xcalloc(n + 1, sizeof(*names));
	for (i = 0; i < n; i++)
		names[i] = t[i].name;
	hint = str_suggest(name, names, n);
	free(names);
	return hint;
}

struct error *
cmd_subcommand(struct loco *lc, const struct cmd *c, int argc, char *argv[])
{
	const struct subcmd *t;
	size_t i, n;

	t = c->subcmds(&n);
	if (argc < 2)
		return cmd_usage_error(c, "no subcommand given");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cmd_help_print(c);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (strcmp(argv[1], t[i].name) == 0)
			return t[i].fn(lc, &t[i], argc - 1, argv + 1);
	{
		const char **names = xcalloc(n + 1, sizeof(*names));
		const char *hint;
		char *clean = str_sanitize(argv[1], 40);
		struct error *err;

		for (i = 0; i < n; i++)
			names[i] = t[i].name;
		if ((hint = str_suggest(argv[1], names, n)) != NULL)
			err = cmd_usage_error(c, "unknown subcommand '%s'; did "
			    "you mean '%s'?", clean, hint);
		else
			err = cmd_usage_error(c, "unknown subcommand '%s'",
			    clean);
		free(names);
		free(clean);
		return err;
	}
}

struct error *
sub_usage_error(const struct subcmd *sc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	opt_vmessage(fmt, ap);
	va_end(ap);
	opt_usage(sc->spec, stderr);
	return error_new(EXIT_USAGE, "%s", "");
}

struct error *
answer_piece(struct answer_out *a, const char *content, size_t clen,
    const char *thinking, size_t tlen)
{
	if (tlen > 0 && !a->quiet) {
		fflush(stdout);
		if (!a->in_thinking) {
			fputs("Thinking...\n", stderr);
			a->in_thinking = 1;
		}
		fwrite(thinking, 1, tlen, stderr);
	}
	if (clen > 0) {
		if (a->in_thinking) {
			fputs("\n...done thinking.\n\n", stderr);
			a->in_thinking = 0;
		}
		if (loco_write(content, clen) == -1)
			return error_new(EXIT_FAIL, "%s", "");
		fflush(stdout);
		a->printed = 1;
		a->last = content[clen - 1];
	}
	return NULL;
}

void
answer_end(struct answer_out *a)
{
	if (a->in_thinking)
		fputs("\n...done thinking.\n\n", stderr);
	a->in_thinking = 0;
	/* End a streamed answer with a newline, even when cut short. */
	if (a->printed && a->last != '\n')
		loco_write("\n", 1);
	a->printed = 0;
	/* The answer before what follows on stderr, on one terminal. */
	fflush(stdout);
}

int
loco_write(const void *p, size_t n)
{
	if (loco_write_failed)
		return -1;
	if (n > 0 && fwrite(p, 1, n, stdout) != n) {
		loco_write_failed = 1;
		loco_write_errno = errno;
		return -1;
	}
	return 0;
}

void
loco_print_json(struct jout *j)
{
	char *s = jout_finish(j, 1);

	loco_write(s, strlen(s));
	loco_write("\n", 1);
	free(s);
}

char *
installed_path(void)
{
	char *home = loco_home(), *path;

	path = xasprintf("%s/adapters/installed.yaml", home);
	free(home);
	return path;
}

struct error *
loco_registry(struct loco *lc, struct registry **reg)
{
	struct error *err;
	char *path;

	if (lc->reg == NULL) {
		if ((err = registry_locate(lc->cfg.registry_path, &path)))
			return err;
		err = registry_load(path, &lc->reg);
		free(path);
		if (err == NULL) {
			path = installed_path();
			if (fs_exists(path))
				err = registry_load_installed(lc->reg, path);
			free(path);
		}
		/* Compositions may name the packages' adapters. */
		if (err == NULL)
			err = registry_check_compose(lc->reg);
		if (err != NULL) {
			registry_free(lc->reg);
			lc->reg = NULL;
			return err;
		}
	}
	*reg = lc->reg;
	return NULL;
}

struct error *
loco_client(struct loco *lc, struct ollama **o)
{
	struct error *err;
	char *url;

	*o = NULL;
	if ((err = ollama_host_parse(lc->cfg.host, &url)) != NULL)
		return err;
	*o = ollama_new(url, lc->cfg.connect_timeout, lc->cfg.timeout);
	free(url);
	return NULL;
}

struct error *
loco_router(struct loco *lc, struct registry *reg, struct router **r,
    int quiet)
{
	struct error *err;
	char *notice = NULL;

	err = router_open(&lc->cfg, reg, r, &notice);
	if (notice != NULL && !quiet)
		fprintf(stderr, "loco: %s\n", notice);
	free(notice);
	return err;
}

struct error *
loco_backend(struct loco *lc, struct backend **be)
{
	return backend_open(&lc->cfg, be);
}

void
loco_show_waits(struct loco *lc, struct backend *be, int quiet)
{
	static struct progress pg;

	if (!lc->stderr_progress || quiet)
		return;
	progress_init(&pg, 1, 0);
	backend_on_wait(be, progress_wait, &pg);
}

struct error *
loco_question(const struct cmd *c, int argc, char *argv[], char **question)
{
	struct strbuf sb;
	char buf[8192];
	size_t n;
	int i;

	*question = NULL;
	if (argc == 0)
		return cmd_usage_error(c, "no question given");
	strbuf_init(&sb, QUESTION_MAX);
	if (argc == 1 && strcmp(argv[0], "-") == 0) {
		while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
			if (strbuf_add(&sb, buf, n) == -1) {
				strbuf_release(&sb);
				return error_new(EXIT_USAGE, "the question on "
				    "standard input is longer than %u bytes",
				    QUESTION_MAX);
			}
		if (ferror(stdin)) {
			strbuf_release(&sb);
			return error_new(EXIT_FAIL, "cannot read standard "
			    "input: %s", strerror(errno));
		}
	} else {
		for (i = 0; i < argc; i++)
			if ((i > 0 && strbuf_addch(&sb, ' ') == -1) ||
			    strbuf_addstr(&sb, argv[i]) == -1) {
				strbuf_release(&sb);
				return error_new(EXIT_USAGE, "the question is "
				    "longer than %u bytes", QUESTION_MAX);
			}
	}
	str_trim(sb.buf);
	sb.len = strlen(sb.buf);
	if (sb.len == 0) {
		strbuf_release(&sb);
		return cmd_usage_error(c, "the question is empty");
	}
	if (memchr(sb.buf, '\0', sb.len) != NULL)
		fatal("NUL in question");
	*question = strbuf_detach(&sb, NULL);
	return NULL;
}

void
loco_usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: %s\n\nloco runs one small base model and a "
	    "library of LoRA adapters\nin Ollama as a team of specialists."
	    "\n\ncommands:\n", loco_main_usage());
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(fp, "  %-11s %s\n", commands[i].name,
		    cmd_summary(&commands[i]));
	fprintf(fp, "\nSee 'loco help command' or man loco.\n");
}

/*
 * The tools of the model that answers (its registry entry, or --tools),
 * unless --no-tools; they run only in a sandbox that meets
 * sandbox.require, or with --unsafe-tools in whatever sandbox there is.
 */
struct error *
loco_tools(struct loco *lc, const struct adapter *a, struct tool_flags *tf,
    int quiet, struct tool_settings *ts)
{
	struct error *err;
	char *missing;

	tool_settings_for(tf->no_tools ? NULL : a, &lc->cfg, ts);
	if (tf->given != 0 && !tf->no_tools) {
		ts->tools = tf->given;
		if (!tools_sympy_available())
			ts->tools &= ~TOOL_SYMPY;
		/* A model not trained on the text form: the server's. */
		if (a == NULL || a->ntools == 0)
			ts->format = TOOL_FORMAT_NATIVE;
	}
	if (ts->tools == 0 || tf->checked)
		return NULL;
	if ((err = tools_check(tf->unsafe, &missing)) != NULL)
		return err;
	if (missing != NULL && *missing != '\0' && !quiet)
		fprintf(stderr, "loco: --unsafe-tools: tool calls run in a "
		    "sandbox that lacks %s\n", missing);
	free(missing);
	tf->checked = 1;
	return NULL;
}
