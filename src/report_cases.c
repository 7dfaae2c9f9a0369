/*
 * report_cases.c: the per-case view of loco report's HTML page: the cases
 * of a result's run, read from its log (runs.h), with both models'
 * answers.
 */
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "report_cases.h"
#include "runs.h"
#include "util.h"
#include "banned.h"

/* Longer questions and answers are shortened in the case tables. */
#define QUESTION_SHORT	160
#define ANSWER_SHORT	60

/*
 * Append s escaped, its lines joined by sep ("&#10;" keeps them in an
 * attribute, " " runs them together) and tabs as spaces, at most max
 * bytes of it (0: all), cut on a character; returns whether it was cut.
 */
static int
html_lines(struct strbuf *sb, const char *s, const char *sep, size_t max)
{
	char *copy = xstrdup(s), *line, *nl, *p;
	size_t len = strlen(copy);
	int cut = 0;

	if (max > 0 && len > max) {
		while (max > 0 && ((unsigned char)copy[max] & 0xC0) == 0x80)
			max--;
		copy[max] = '\0';
		cut = 1;
	}
	for (p = copy; *p != '\0'; p++)
		if (*p == '\t' || *p == '\r')
			*p = ' ';
	for (line = copy; line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		html_escape(sb, line);
		if (nl != NULL)
			strbuf_addstr(sb, sep);
	}
	free(copy);
	return cut;
}

/* s in a cell, shortened to max with the whole text as its title. */
static void
html_short(struct strbuf *sb, const char *s, size_t max)
{
	if (strlen(s) <= max && strchr(s, '\n') == NULL) {
		html_escape(sb, s);
		return;
	}
	strbuf_addstr(sb, "<span title=\"");
	html_lines(sb, s, "&#10;", 0);
	strbuf_addstr(sb, "\">");
	if (html_lines(sb, s, " ", max))
		strbuf_addstr(sb, "&#8230;");
	strbuf_addstr(sb, "</span>");
}

/* One model's answer to a case: pass or fail, then what it answered. */
static void
case_answer(struct strbuf *sb, const struct run_case *c)
{
	if (c == NULL) {
		strbuf_addstr(sb, "<td class=\"l\"><span class=\"none\">not "
		    "run</span></td>");
		return;
	}
	strbuf_addf(sb, "<td class=\"l %s\">%s&#160;", c->pending ? "pending" :
	    c->pass ? "pass" : "fail", c->pending ? "&#8943;" :
	    c->pass ? "&#10003;" : "&#10007;");
	if (c->got != NULL && *c->got != '\0')
		html_short(sb, c->got, ANSWER_SHORT);
	else
		strbuf_addstr(sb, "<span class=\"none\">no answer</span>");
	strbuf_addstr(sb, "</td>");
}

/* A case the adapter got wrong (0), only the base (1), neither (2). */
static int
case_group(const struct run_case *ad, const struct run_case *base)
{
	if (ad == NULL || !ad->pass)
		return 0;
	return base == NULL || !base->pass ? 1 : 2;
}

static const char *const group_names[] = {
	"the adapter got wrong", "only the base got wrong", "both got right"
};

/*
 * The run directory of a result: the one its results.json is in, else
 * the one it names.
 */
static char *
run_dir_of(const struct result *r)
{
	char *dir = xstrdup(r->file), *slash = strrchr(dir, '/'), *p;

	if (slash != NULL)
		*slash = '\0';
	p = xasprintf("%s/run.json", slash != NULL ? dir : ".");
	if (slash != NULL && fs_exists(p)) {
		free(p);
		return dir;
	}
	free(p);
	free(dir);
	return runs_dir_of_result(r->file);
}

void
report_cases_html(struct strbuf *sb, const struct result *r)
{
	const struct run_case *q;
	struct run_pair *pairs = NULL;
	struct error *err = NULL;
	struct run run;
	size_t n = 0, i, count[3] = { 0, 0, 0 };
	char *dir = run_dir_of(r);
	int g;

	memset(&run, 0, sizeof(run));
	strbuf_addstr(sb, "<details class=\"cases\"><summary>");
	html_escape(sb, r->domain);
	strbuf_addstr(sb, ": ");
	html_escape(sb, r->adapter);
	strbuf_addch(sb, '@');
	html_escape(sb, r->version);
	if (dir == NULL || !fs_exists(dir) ||
	    (err = run_read(dir, NULL, &run)) != NULL ||
	    run.adapter_side.n + run.base_side.n == 0) {
		strbuf_addstr(sb, "</summary>\n<p class=\"none\">");
		if (dir == NULL)
			strbuf_addstr(sb, "The result names no run directory: "
			    "no case to show.");
		else if (!fs_exists(dir)) {
			strbuf_addstr(sb, "The run directory ");
			html_escape(sb, dir);
			strbuf_addstr(sb, " is gone: no case to show.");
		} else if (err != NULL)
			html_escape(sb, err->msg);
		else {
			strbuf_addstr(sb, "No case in the log of ");
			html_escape(sb, dir);
			strbuf_addch(sb, '.');
		}
		strbuf_addstr(sb, "</p>\n</details>\n");
		goto done;
	}
	pairs = run_pairs(&run, &n);
	for (i = 0; i < n; i++)
		count[case_group(pairs[i].a, pairs[i].b)]++;
	strbuf_addf(sb, " &#8212; %zu case%s; the adapter got %zu wrong, "
	    "the base %zu</summary>\n<table>\n<tr><th class=\"l\">case</th>"
	    "<th class=\"l\">question</th><th class=\"l\">expected</th>"
	    "<th class=\"l\">adapter</th><th class=\"l\">base</th></tr>\n", n,
	    n == 1 ? "" : "s", run.adapter_side.n - run.adapter_side.passed,
	    run.base_side.n - run.base_side.passed);
	for (g = 0; g < 3; g++) {
		if (count[g] == 0)
			continue;
		strbuf_addf(sb, "<tr><th class=\"l group\" colspan=\"5\">%zu "
		    "%s</th></tr>\n", count[g], group_names[g]);
		for (i = 0; i < n; i++) {
			if (case_group(pairs[i].a, pairs[i].b) != g)
				continue;
			q = pairs[i].a != NULL ? pairs[i].a : pairs[i].b;
			strbuf_addstr(sb, "<tr class=\"case\"><td class=\"l "
			    "nw\">");
			html_escape(sb, q->id);
			strbuf_addstr(sb, "</td><td class=\"l\">");
			html_short(sb, q->question != NULL ? q->question : "",
			    QUESTION_SHORT);
			strbuf_addstr(sb, "</td><td class=\"l\">");
			if (q->expected != NULL)
				html_short(sb, q->expected, ANSWER_SHORT);
			else
				strbuf_addstr(sb, "<span class=\"none\">none"
				    "</span>");
			strbuf_addstr(sb, "</td>");
			case_answer(sb, pairs[i].a);
			case_answer(sb, pairs[i].b);
			strbuf_addstr(sb, "</tr>\n");
		}
	}
	strbuf_addstr(sb, "</table>\n</details>\n");
done:
	error_free(err);
	free(pairs);
	free(dir);
	run_release(&run);
}
