/*
 * cmd_history.c: loco history: list and search the questions asked and
 * their answers, grade an answer good or bad, clear the history.  The
 * file and its ids are history.c's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "history.h"
#include "jsonout.h"
#include "strbuf.h"
#include "tools.h"
#include "banned.h"

#define DEFAULT_COUNT	20
/* The listing fits 80 columns. */
#define WIDTH		80
#define WHO_MAX		20

enum { O_ADAPTER = 1, O_CLEAR, O_COUNT, O_FEEDBACK, O_JSON, O_SEARCH };

static const struct opt history_opts[] = {
	{ "adapter", 0, O_ADAPTER, OPT_VALUE, "name", "only this adapter's "
	  "entries; none: the base model's", OC_ADAPTER },
	{ "clear", 0, O_CLEAR, OPT_FLAG, NULL, "remove every entry (ids are "
	  "not reused)", OC_NONE, NULL, NULL, OPT_NOUSAGE },
	{ "feedback", 0, O_FEEDBACK, OPT_VALUE, "id", "grade the answer of "
	  "entry id good or bad", OC_NONE, NULL, NULL, OPT_NOUSAGE },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print the entries (or the entry) "
	  "as JSON" },
	{ NULL, 'n', O_COUNT, OPT_VALUE, "count", "the last count entries "
	  "(default 20; 0: all)" },
	{ "search", 0, O_SEARCH, OPT_VALUE, "text", "only entries whose "
	  "question, answer or adapter holds text, in any case" },
};
static const struct opt_form history_forms[] = {
	{ NULL, "adapter json n search", NULL },
	{ "show", "json", "id" },
	{ "--feedback id", "", "verdict" },
	{ "--clear", "", NULL },
};
static const struct opt_operand history_operands[] = {
	{ "id", "an entry's id, as 'loco history' prints it; show prints the "
	  "entry whole: question, routing, answer, tokens, timings and votes" },
	{ "verdict", "good or bad", OC_WORDS, "good bad" },
};
const struct optspec history_spec = OPTSPEC("history", "list and search "
    "past questions and answers, grade the answers", history_opts,
    history_forms, history_operands);

/* "2025-06-01T12:00:00Z" in local time, "2025-06-01 14:00". */
static void
local_time(const char *iso, char buf[32])
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (iso != NULL && sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec) == 6) {
		tm.tm_year -= 1900;
		tm.tm_mon--;
		t = timegm(&tm);
		if (t != (time_t)-1 && localtime_r(&t, &tm) != NULL &&
		    strftime(buf, 32, "%Y-%m-%d %H:%M", &tm) > 0)
			return;
	}
	snprintf(buf, 32, "%-16s", "-");
}

static const char *
who(const struct history_entry *e)
{
	if (e->adapter != NULL)
		return e->adapter;
	return e->model != NULL ? e->model : "base";
}

static void
print_list(const struct history *h)
{
	struct strbuf sb = STRBUF_INIT, marks = STRBUF_INIT;
	const struct history_entry *e;
	char when[32], *name, *q, *a, idtext[32];
	int idw = 1, whow = 1, len;
	size_t i, room;

	for (i = 0; i < h->n; i++) {
		len = snprintf(idtext, sizeof(idtext), "%lld", h->v[i].id);
		if (len > idw)
			idw = len;
		len = (int)strlen(who(&h->v[i]));
		if (len > whow)
			whow = len > WHO_MAX ? WHO_MAX : len;
	}
	for (i = 0; i < h->n; i++) {
		e = &h->v[i];
		local_time(e->time, when);
		name = str_one_line(who(e), WHO_MAX);
		room = WIDTH - (size_t)idw - (size_t)whow - 22;
		q = str_one_line(e->question, room < 20 ? 20 : room);
		strbuf_reset(&marks);
		if (e->vote != NULL && e->vote->ngroups > 0)
			strbuf_addf(&marks, "  [vote %lld/%lld]",
			    e->vote->groups[0].count, e->vote->samples);
		if (e->interrupted)
			strbuf_addstr(&marks, "  [interrupted]");
		if (e->feedback != NULL)
			strbuf_addf(&marks, "  [%s]", e->feedback);
		room = WIDTH - (size_t)idw - 2 - marks.len;
		a = str_one_line(*e->answer ? e->answer : "(no answer)",
		    room < 20 ? 20 : room);
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%*lld  %s  %-*s  %s\n%*s  %s%s\n", idw, e->id,
		    when, whow, name, q, idw, "", a, marks.buf);
		loco_write(sb.buf, sb.len);
		free(name);
		free(q);
		free(a);
	}
	strbuf_release(&marks);
	strbuf_release(&sb);
}

/* One entry's object (see loco-json(7)), into an open builder. */
static void
entry_json(struct jout *j, const struct history_entry *e)
{
	size_t k;

	jout_int(j, "id", e->id);
	jout_str(j, "kind", e->kind);
	jout_str(j, "time", e->time);
	jout_str(j, "session", e->session);
	jout_str(j, "question", e->question);
	jout_str(j, "adapter", e->adapter);
	jout_str(j, "model", e->model);
	jout_str(j, "route", e->route);
	jout_num(j, "confidence", e->confidence);
	jout_str(j, "answer", e->answer);
	jout_bool(j, "interrupted", e->interrupted);
	jout_str(j, "feedback", e->feedback);
	jout_obj(j, "stats");
	jout_int(j, "prompt_tokens", e->prompt_tokens);
	jout_int(j, "answer_tokens", e->answer_tokens);
	jout_num(j, "wall_seconds", (double)e->wall_ns / 1e9);
	jout_num(j, "load_seconds", (double)e->load_ns / 1e9);
	jout_num(j, "eval_seconds", (double)e->eval_ns / 1e9);
	jout_end(j);
	if (e->vote != NULL) {
		jout_obj(j, "vote");
		jout_str(j, "method", e->vote->method);
		jout_str(j, "answer", e->vote->answer);
		jout_obj(j, "votes");
		for (k = 0; k < e->vote->ngroups; k++)
			jout_int(j, e->vote->groups[k].answer,
			    e->vote->groups[k].count);
		jout_end(j);
		jout_int(j, "invalid", e->vote->invalid);
		jout_int(j, "samples", e->vote->samples);
		jout_num(j, "confidence", e->vote->confidence);
		jout_end(j);
	} else
		jout_null(j, "vote");
	if (e->tools != NULL)
		tool_log_jout(j, "tools", e->tools);
}

static void
print_json(const struct history *h)
{
	struct jout *j = jout_new_array();
	size_t i;
	char *s;

	for (i = 0; i < h->n; i++) {
		jout_obj(j, NULL);
		entry_json(j, &h->v[i]);
		jout_end(j);
	}
	s = jout_finish(j, 1);
	loco_write(s, strlen(s));
	loco_write("\n", 1);
	free(s);
}

/*
 * Text from the file, whole, each line indented by two spaces; control
 * characters other than tab shown as '?', so a stored answer cannot
 * drive the terminal.
 */
static void
add_block(struct strbuf *sb, const char *label, const char *s)
{
	const unsigned char *p;

	strbuf_addf(sb, "%s:\n  ", label);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\n')
			strbuf_addstr(sb, p[1] != '\0' ? "\n  " : "");
		else
			strbuf_addch(sb, (*p < 0x20 && *p != '\t') ||
			    *p == 0x7f ? '?' : *p);
	}
	strbuf_addch(sb, '\n');
}

/* A field's line, its value cleaned of control characters. */
static void
add_field(struct strbuf *sb, const char *name, const char *value)
{
	char *clean = str_sanitize(value, 0);

	strbuf_addf(sb, "%-12s%s\n", name, clean);
	free(clean);
}

static void
print_entry(const struct history_entry *e)
{
	struct strbuf sb = STRBUF_INIT, v = STRBUF_INIT;
	char when[32];
	size_t k;

	strbuf_addf(&sb, "%-12s%lld\n", "id", e->id);
	local_time(e->time, when);
	add_field(&sb, "time", when);
	add_field(&sb, "kind", e->kind);
	if (e->session != NULL)
		add_field(&sb, "session", e->session);
	add_field(&sb, "adapter", e->adapter != NULL ? e->adapter :
	    "none (the base model)");
	if (e->model != NULL)
		add_field(&sb, "model", e->model);
	if (e->route != NULL) {
		strbuf_addstr(&v, e->route);
		if (!isnan(e->confidence))
			strbuf_addf(&v, ", confidence %.2f", e->confidence);
		add_field(&sb, "routing", v.buf);
		strbuf_reset(&v);
	}
	strbuf_addf(&sb, "%-12s%lld prompt, %lld answer\n", "tokens",
	    e->prompt_tokens, e->answer_tokens);
	strbuf_addf(&sb, "%-12s%.2f s in all, %.2f s loading, %.2f s "
	    "generating\n", "timings", (double)e->wall_ns / 1e9,
	    (double)e->load_ns / 1e9, (double)e->eval_ns / 1e9);
	if (e->vote != NULL) {
		strbuf_addf(&v, "%s of %lld samples", e->vote->method,
		    e->vote->samples);
		if (e->vote->answer != NULL)
			strbuf_addf(&v, ", answer %s", e->vote->answer);
		if (!isnan(e->vote->confidence))
			strbuf_addf(&v, ", confidence %.2f",
			    e->vote->confidence);
		for (k = 0; k < e->vote->ngroups; k++)
			strbuf_addf(&v, "%s%s: %lld", k ? ", " : "; ",
			    e->vote->groups[k].answer, e->vote->groups[k].count);
		if (e->vote->invalid > 0)
			strbuf_addf(&v, "; %lld without an answer",
			    e->vote->invalid);
		add_field(&sb, "votes", v.buf);
		strbuf_reset(&v);
	}
	if (e->feedback != NULL)
		add_field(&sb, "feedback", e->feedback);
	if (e->interrupted)
		add_field(&sb, "interrupted", "yes: the answer was cut short");
	add_block(&sb, "question", e->question);
	add_block(&sb, "answer", *e->answer ? e->answer : "(no answer)");
	loco_write(sb.buf, sb.len);
	strbuf_release(&v);
	strbuf_release(&sb);
}

/* loco history show ID: one entry, whole. */
static struct error *
show(const struct cmd *c, const char *id, int json)
{
	struct history_filter f;
	struct history h;
	struct error *err;
	char *path, *clean;
	long l;

	if (parse_long(id, 1, LONG_MAX, &l) == -1) {
		clean = str_sanitize(id, 40);
		err = cmd_usage_error(c, "history show: '%s' is not an entry "
		    "id (a number that 'loco history' prints)", clean);
		free(clean);
		return err;
	}
	memset(&f, 0, sizeof(f));
	f.id = l;
	path = history_path();
	err = history_read(path, &f, &h);
	free(path);
	if (err == NULL && h.n == 0)
		err = error_new(EXIT_FAIL, "no entry '%ld' in the history; see "
		    "'loco history'", l);
	if (err == NULL && json) {
		struct jout *j = jout_new();

		entry_json(j, &h.v[h.n - 1]);
		loco_print_json(j);
	} else if (err == NULL)
		print_entry(&h.v[h.n - 1]);
	history_release(&h);
	return err;
}

/*
 * --adapter NAME when no entry matched: a name the registry does not know
 * is perhaps a typo (registry_unknown), one it knows or that an adapter
 * removed since had is not.  NULL when it is no error.
 */
static struct error *
unknown_adapter(struct loco *lc, const char *name)
{
	struct registry *reg;
	struct error *err;

	if (strcmp(name, "none") == 0)
		return NULL;
	if ((err = loco_registry(lc, &reg)) != NULL) {
		/* Without a registry there is nothing to suggest. */
		error_free(err);
		return NULL;
	}
	return registry_find(reg, name) == NULL ? registry_unknown(reg, name) :
	    NULL;
}

static struct error *
list(struct loco *lc, const struct history_filter *f, int json)
{
	struct history h;
	struct error *err;
	char *path = history_path();
	size_t i;

	err = history_read(path, f, &h);
	for (i = 0; i < h.nwarnings; i++)
		fprintf(stderr, "loco: %s\n", h.warnings[i]);
	if (h.nbad > h.nwarnings)
		fprintf(stderr, "loco: %s: %zu more unusable lines skipped\n",
		    path, h.nbad - h.nwarnings);
	if (err == NULL && h.n == 0 && f->adapter != NULL)
		err = unknown_adapter(lc, f->adapter);
	if (err == NULL) {
		if (json)
			print_json(&h);
		else
			print_list(&h);
	}
	history_release(&h);
	free(path);
	return err;
}

struct error *
cmd_history(struct loco *lc, int argc, char *argv[])
{
	const struct cmd *c = cmd_find("history");
	struct history_filter f;
	struct optparse p;
	struct error *err;
	const char *feedback = NULL;
	char *path, *clean;
	int id, json = 0, clear = 0, listing = 0, filtering = 0;
	size_t removed = 0;
	long l;

	memset(&f, 0, sizeof(f));
	f.limit = DEFAULT_COUNT;
	opt_init(&p, lc, &history_spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_COUNT:
			if (parse_long(p.arg, 0, LONG_MAX, &l) == -1) {
				clean = str_sanitize(p.arg, 40);
				p.err = cmd_usage_error(c, "-n: must be a "
				    "number of entries, not '%s'", clean);
				free(clean);
				return opt_end(&p);
			}
			f.limit = (size_t)l;
			listing = filtering = 1;
			break;
		case O_ADAPTER:
			f.adapter = p.arg;
			listing = filtering = 1;
			break;
		case O_CLEAR:
			clear = 1;
			break;
		case O_FEEDBACK:
			feedback = p.arg;
			break;
		case O_JSON:
			json = 1;
			listing = 1;
			break;
		case O_SEARCH:
			f.search = p.arg;
			listing = filtering = 1;
			break;
		}
	if (id < 0)
		return opt_end(&p);
	argc = p.argc;
	argv = p.argv;
	if (argc > 0 && strcmp(argv[0], "show") == 0 && feedback == NULL &&
	    !clear) {
		if (filtering)
			return cmd_usage_error(c, "history show takes only "
			    "--json");
		if (argc != 2)
			return cmd_usage_error(c, "history show takes one id");
		return show(c, argv[1], json);
	}
	if ((feedback != NULL || clear) && (listing ||
	    (feedback != NULL && clear)))
		return cmd_usage_error(c, "%s goes alone", clear ? "--clear" :
		    "--feedback");
	if (feedback != NULL && argc == 0)
		return cmd_usage_error(c, "--feedback needs a verdict: good or "
		    "bad");
	if (argc > (feedback != NULL)) {
		clean = str_sanitize(argv[feedback != NULL], 40);
		err = cmd_usage_error(c, "unexpected argument '%s'", clean);
		free(clean);
		return err;
	}
	if (feedback != NULL && strcmp(argv[0], "good") != 0 &&
	    strcmp(argv[0], "bad") != 0) {
		clean = str_sanitize(argv[0], 40);
		err = cmd_usage_error(c, "the verdict must be good or bad, not "
		    "'%s'", clean);
		free(clean);
		return err;
	}
	if (feedback == NULL && !clear)
		return list(lc, &f, json);
	path = history_path();
	if (clear && (err = history_clear(path, &removed)) == NULL)
		printf("cleared the history: %zu entr%s removed\n", removed,
		    removed == 1 ? "y" : "ies");
	else if (!clear && (err = history_feedback(path, feedback,
	    argv[0])) == NULL)
		printf("entry %s marked %s\n", feedback, argv[0]);
	free(path);
	return err;
}
