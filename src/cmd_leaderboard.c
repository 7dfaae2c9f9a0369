/*
 * cmd_leaderboard.c: loco leaderboard: per domain, the adapters and their
 * versions ranked by the latest archived result of each (see results.h),
 * with the base model's score from the same run, and marks for the
 * active adapter and for results whose benchmark has changed since.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "jsonout.h"
#include "results.h"
#include "stats.h"
#include "strbuf.h"
#include "banned.h"

enum lb_format { LB_TABLE, LB_MARKDOWN, LB_JSON, LB_HTML };

/* One domain's ranked entries. */
struct board {
	const char		 *domain;
	const struct result	**v;
	int			 *active;
	size_t			  n;
	size_t			  napart;	/* the last ones, unranked */
};

static int
rank_cmp(const void *a, const void *b)
{
	return result_rank_cmp(*(const struct result *const *)a,
	    *(const struct result *const *)b);
}

static int
is_active(const struct registry *reg, const struct result *r)
{
	const struct adapter *a;
	char *key = xasprintf("%s@%s", r->adapter, r->version);

	a = registry_find(reg, key);
	free(key);
	return a != NULL && a->active && strcmp(a->domain, r->domain) == 0;
}

static int
has_domain(char **v, size_t n, const char *d)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], d) == 0)
			return 1;
	return 0;
}

/*
 * The registry's domains in its order, then any others the archive has
 * (an adapter's results outlive a domain dropped from the registry).
 */
static char **
all_domains(const struct registry *reg, const struct results *rs, size_t *n)
{
	char **v = xcalloc(reg->ndomains + rs->n + 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < reg->ndomains; i++)
		if (!has_domain(v, *n, reg->domains[i]))
			v[(*n)++] = xstrdup(reg->domains[i]);
	/* rs is sorted by domain, so these come in order. */
	for (i = 0; i < rs->n; i++)
		if (!has_domain(v, *n, rs->v[i].domain))
			v[(*n)++] = xstrdup(rs->v[i].domain);
	return v;
}

static struct error *
unknown_domain(const struct registry *reg, const char *domain)
{
	struct strbuf sb = STRBUF_INIT;
	struct error *err;
	char *clean = str_sanitize(domain, 60);
	size_t i;

	for (i = 0; i < reg->ndomains; i++)
		strbuf_addf(&sb, "%s%s", i == 0 ? "" : i + 1 == reg->ndomains ?
		    " and " : ", ", reg->domains[i]);
	err = error_new(EXIT_USAGE, "unknown domain '%s': the registry's "
	    "domains are %s, and the archive has no results for it", clean,
	    sb.buf);
	free(clean);
	strbuf_release(&sb);
	return err;
}

/*
 * Rank only what can be compared: the results measured as most of the
 * domain's were (the same benchmark, by SHA-256, and the same way of
 * asking; on a tie, as the best one was).  The others are set apart, after
 * the ranked ones, unranked.
 */
static void
mark_apart(struct board *b)
{
	const struct result **v;
	size_t i, k, best = 0, most = 0, count, n = 0;

	for (i = 0; i < b->n; i++) {
		for (k = count = 0; k < b->n; k++)
			count += result_comparable(b->v[i], b->v[k]);
		if (count > most) {
			most = count;
			best = i;
		}
	}
	v = xcalloc(b->n + 1, sizeof(*v));
	for (i = 0; i < b->n; i++)
		if (result_comparable(b->v[best], b->v[i]))
			v[n++] = b->v[i];
	for (i = 0; i < b->n; i++)
		if (!result_comparable(b->v[best], b->v[i])) {
			((struct result *)b->v[i])->apart = 1;
			v[n++] = b->v[i];
			b->napart++;
		}
	memcpy(b->v, v, b->n * sizeof(*v));
	free(v);
}

/* What sets a result apart: "RE2 off, 5 votes at 0.7, sha256:0123abcd4567". */
static void
apart_text(struct strbuf *sb, const struct result *r)
{
	strbuf_addf(sb, "%s, sha256:%.12s", r->settings, r->bench_sha256);
}

static void
print_table(struct strbuf *sb, const struct board *b, size_t nb)
{
	size_t i, k, w;
	char p[STATS_P_TEXT_LEN], *name;
	int any_apart = 0;

	for (i = 0; i < nb; i++) {
		strbuf_addf(sb, "%s%s\n", i ? "\n" : "", b[i].domain);
		if (b[i].n == 0) {
			strbuf_addstr(sb, "  no results\n");
			continue;
		}
		for (k = 0, w = 7; k < b[i].n; k++) {
			size_t l = strlen(b[i].v[k]->adapter) +
			    strlen(b[i].v[k]->version) + 1;
			w = l > w ? l : w;
		}
		strbuf_addf(sb, "     #  %-*s  %8s  %-16s  %6s  %6s  %9s  %5s  "
		    "%s\n", (int)w, "adapter", "accuracy", "95% interval",
		    "base", "diff", "p", "n", "date");
		for (k = 0; k < b[i].n; k++) {
			const struct result *r = b[i].v[k];
			char rank[32];

			if (r->apart)
				snprintf(rank, sizeof(rank), " -");
			else
				snprintf(rank, sizeof(rank), "%2zu", k + 1);
			name = xasprintf("%s@%s", r->adapter, r->version);
			stats_p_text(r->p, p);
			strbuf_addf(sb, "  %s %s  %-*s  %7.1f%%  [%5.1f%%, "
			    "%5.1f%%]  %5.1f%%  %+6.1f  %9s  %5ld  %.10s%s",
			    b[i].active[k] ? "*" : " ", rank, (int)w, name,
			    r->score.accuracy * 100, r->score.ci_low * 100,
			    r->score.ci_high * 100, r->base.accuracy * 100,
			    (r->score.accuracy - r->base.accuracy) * 100, p,
			    r->n, r->timestamp, r->stale ? "  STALE" : "");
			if (r->apart) {
				strbuf_addstr(sb, "  APART: ");
				apart_text(sb, r);
			}
			strbuf_addch(sb, '\n');
			free(name);
			any_apart |= r->apart;
		}
	}
	strbuf_addstr(sb, "\n* active adapter; STALE: the benchmark has "
	    "changed since the run\n");
	if (any_apart)
		strbuf_addstr(sb, "APART: measured on another benchmark or "
		    "asked for another way than the ranked results, so not "
		    "ranked against them\n");
}

static void
print_markdown(struct strbuf *sb, const struct board *b, size_t nb)
{
	size_t i, k;
	char p[STATS_P_TEXT_LEN];

	strbuf_addstr(sb, "# loco leaderboard\n");
	for (i = 0; i < nb; i++) {
		strbuf_addstr(sb, "\n## ");
		md_escape(sb, b[i].domain);
		strbuf_addstr(sb, "\n\n");
		if (b[i].n == 0) {
			strbuf_addstr(sb, "No results.\n");
			continue;
		}
		strbuf_addstr(sb, "| rank | adapter | version | active | "
		    "accuracy | 95% interval | base | difference | p | n | "
		    "date | stale |\n"
		    "|---:|---|---|:---:|---:|---|---:|---:|---:|---:|---|---|\n");
		for (k = 0; k < b[i].n; k++) {
			const struct result *r = b[i].v[k];

			stats_p_text(r->p, p);
			if (r->apart)
				strbuf_addstr(sb, "| - | ");
			else
				strbuf_addf(sb, "| %zu | ", k + 1);
			md_escape(sb, r->adapter);
			strbuf_addstr(sb, " | ");
			md_escape(sb, r->version);
			strbuf_addf(sb, " | %s | %.1f%% | [%.1f%%, %.1f%%] | "
			    "%.1f%% | %+.1f | %s | %ld | %.10s | %s",
			    b[i].active[k] ? "*" : "", r->score.accuracy * 100,
			    r->score.ci_low * 100, r->score.ci_high * 100,
			    r->base.accuracy * 100,
			    (r->score.accuracy - r->base.accuracy) * 100, p, r->n,
			    r->timestamp, r->stale ? "STALE" : "");
			if (r->apart) {
				struct strbuf t = STRBUF_INIT;

				apart_text(&t, r);
				strbuf_addstr(sb, r->stale ? " APART: " :
				    "APART: ");
				md_escape(sb, t.buf);
				strbuf_release(&t);
			}
			strbuf_addstr(sb, " |\n");
		}
	}
}

static void
print_json(struct strbuf *sb, const struct board *b, size_t nb)
{
	struct jout *j = jout_new_array();
	size_t i, k;
	char *s;

	for (i = 0; i < nb; i++) {
		jout_obj(j, NULL);
		jout_str(j, "domain", b[i].domain);
		jout_arr(j, "results");
		for (k = 0; k < b[i].n; k++) {
			const struct result *r = b[i].v[k];

			jout_obj(j, NULL);
			if (r->apart)
				jout_null(j, "rank");
			else
				jout_int(j, "rank", (long long)k + 1);
			result_json(j, r, b[i].active[k]);
			jout_bool(j, "comparable", !r->apart);
			jout_end(j);
		}
		jout_end(j);
		jout_end(j);
	}
	s = jout_finish(j, 1);
	strbuf_addstr(sb, s);
	strbuf_addch(sb, '\n');
	free(s);
}

/* A 160 by 14 bar: the accuracy, its interval and the base as a tick. */
static void
html_bar(struct strbuf *sb, const struct result *r)
{
	strbuf_addf(sb, "<svg width=\"160\" height=\"14\" role=\"img\" "
	    "aria-label=\"%.1f%%\"><rect x=\"0\" y=\"2\" width=\"160\" "
	    "height=\"10\" fill=\"#eee\"/><rect x=\"0\" y=\"2\" width=\"%.1f\" "
	    "height=\"10\" fill=\"#4a7bd0\"/><line x1=\"%.1f\" x2=\"%.1f\" "
	    "y1=\"7\" y2=\"7\" stroke=\"#222\"/><line x1=\"%.1f\" x2=\"%.1f\" "
	    "y1=\"0\" y2=\"14\" stroke=\"#d07a2a\" stroke-width=\"2\"/></svg>",
	    r->score.accuracy * 100, r->score.accuracy * 160,
	    r->score.ci_low * 160, r->score.ci_high * 160,
	    r->base.accuracy * 160, r->base.accuracy * 160);
}

static void
print_html(struct strbuf *sb, const struct board *b, size_t nb)
{
	size_t i, k;
	char p[STATS_P_TEXT_LEN];

	html_begin(sb, "loco leaderboard");
	strbuf_addstr(sb, "<p>Each adapter version's latest result; the bar "
	    "shows its accuracy with the 95% interval, the orange tick the "
	    "base model's accuracy in the same run.  * marks the active "
	    "adapter, <span class=\"stale\">STALE</span> a result whose "
	    "benchmark has changed since.</p>\n");
	for (i = 0; i < nb; i++) {
		strbuf_addstr(sb, "<h2>");
		html_escape(sb, b[i].domain);
		strbuf_addstr(sb, "</h2>\n");
		if (b[i].n == 0) {
			strbuf_addstr(sb, "<p class=\"none\">No results.</p>\n");
			continue;
		}
		strbuf_addstr(sb, "<table>\n<tr><th>#</th><th class=\"l\">"
		    "adapter</th><th>accuracy</th><th>95% interval</th>"
		    "<th>base</th><th>difference</th><th>p</th><th>n</th>"
		    "<th class=\"l\">date</th><th class=\"l\"></th>"
		    "<th class=\"l\"></th></tr>\n");
		for (k = 0; k < b[i].n; k++) {
			const struct result *r = b[i].v[k];

			stats_p_text(r->p, p);
			if (r->apart)
				strbuf_addstr(sb, "<tr><td>-</td><td class=\"l\">");
			else
				strbuf_addf(sb, "<tr><td>%zu</td><td "
				    "class=\"l\">", k + 1);
			html_escape(sb, r->adapter);
			strbuf_addch(sb, '@');
			html_escape(sb, r->version);
			strbuf_addf(sb, "%s</td><td>%.1f%%</td><td>[%.1f%%, "
			    "%.1f%%]</td><td>%.1f%%</td><td>%+.1f</td>"
			    "<td>%s</td><td>%ld</td><td class=\"l\">%.10s</td>"
			    "<td class=\"l\">", b[i].active[k] ? " *" : "",
			    r->score.accuracy * 100, r->score.ci_low * 100,
			    r->score.ci_high * 100, r->base.accuracy * 100,
			    (r->score.accuracy - r->base.accuracy) * 100, p,
			    r->n, r->timestamp);
			html_bar(sb, r);
			strbuf_addf(sb, "</td><td class=\"l\">%s",
			    r->stale ? "<span class=\"stale\">STALE</span>" :
			    "");
			if (r->apart) {
				struct strbuf t = STRBUF_INIT;

				apart_text(&t, r);
				strbuf_addstr(sb, " <span class=\"stale\">APART: ");
				html_escape(sb, t.buf);
				strbuf_addstr(sb, "</span>");
				strbuf_release(&t);
			}
			strbuf_addstr(sb, "</td></tr>\n");
		}
		strbuf_addstr(sb, "</table>\n");
	}
	html_end(sb);
}

enum { O_DOMAIN = 1, O_FORMAT, O_JSON };

static const struct opt lb_opts[] = {
	{ "domain", 0, O_DOMAIN, OPT_VALUE, "domain", "only this domain",
	  OC_DOMAIN },
	{ "format", 0, O_FORMAT, OPT_VALUE, "format", "table, markdown, json "
	  "or html", OC_WORDS, "table markdown json html" },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "the same as --format json" },
};
static const struct opt_form lb_forms[] = {
	{ NULL, NULL, NULL },
};
const struct optspec leaderboard_spec = {
	"leaderboard", "rank each domain's adapters by their latest archived "
	"results", lb_opts, OPT_NELEM(lb_opts), lb_forms, OPT_NELEM(lb_forms),
	NULL, 0, NULL, 0
};

/* The options into domain and fmt; *done after -h. */
static struct error *
parse_options(struct loco *lc, int argc, char *argv[], const char **domain,
    enum lb_format *fmt, int *done)
{
	static const char *const names[] = {
		[LB_TABLE] = "table", [LB_MARKDOWN] = "markdown",
		[LB_JSON] = "json", [LB_HTML] = "html"
	};
	struct optparse p;
	size_t i;
	int id;

	*done = 0;
	opt_init(&p, lc, &leaderboard_spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_DOMAIN:
			*domain = p.arg;
			break;
		case O_FORMAT:
			for (i = 0; i < ARRAY_SIZE(names); i++)
				if (strcmp(p.arg, names[i]) == 0)
					*fmt = (enum lb_format)i;
			break;
		case O_JSON:
			*fmt = LB_JSON;
			break;
		}
	if (id < 0) {
		*done = 1;
		return opt_end(&p);
	}
	if (p.argc > 0) {
		char *clean = str_sanitize(p.argv[0], 40);
		struct error *err = opt_usage_error(&leaderboard_spec,
		    "unexpected argument '%s'", clean);

		free(clean);
		return err;
	}
	return NULL;
}

struct error *
cmd_leaderboard(struct loco *lc, int argc, char *argv[])
{
	const struct result **latest = NULL;
	const char *only = NULL;
	struct registry *reg;
	struct results rs;
	struct board *boards = NULL;
	struct strbuf sb = STRBUF_INIT;
	struct error *err;
	enum lb_format fmt = LB_TABLE;
	char **domains = NULL, *dir;
	size_t nlatest, ndomains = 0, nb = 0, i, k;
	int done;

	memset(&rs, 0, sizeof(rs));
	if ((err = parse_options(lc, argc, argv, &only, &fmt, &done)) != NULL ||
	    done)
		return err;
	if ((err = loco_registry(lc, &reg)) != NULL)
		return err;
	dir = results_dir();
	err = results_load(dir, &rs);
	free(dir);
	if (err != NULL)
		return err;
	domains = all_domains(reg, &rs, &ndomains);
	if (only != NULL && !has_domain(domains, ndomains, only)) {
		err = unknown_domain(reg, only);
		goto done;
	}
	if (only != NULL)
		results_filter_domain(&rs, only);
	if ((err = results_check_stale(rs.v, rs.n)) != NULL)
		goto done;
	nlatest = results_latest(&rs, 1, &latest);
	boards = xcalloc(ndomains + 1, sizeof(*boards));
	for (i = 0; i < ndomains; i++) {
		struct board *b;

		if (only != NULL && strcmp(domains[i], only) != 0)
			continue;
		b = &boards[nb++];
		b->domain = domains[i];
		b->v = xcalloc(nlatest + 1, sizeof(*b->v));
		b->active = xcalloc(nlatest + 1, sizeof(*b->active));
		for (k = 0; k < nlatest; k++)
			if (strcmp(latest[k]->domain, b->domain) == 0)
				b->v[b->n++] = latest[k];
		qsort(b->v, b->n, sizeof(*b->v), rank_cmp);
		mark_apart(b);
		for (k = 0; k < b->n; k++)
			b->active[k] = is_active(reg, b->v[k]);
	}
	switch (fmt) {
	case LB_TABLE:
		print_table(&sb, boards, nb);
		break;
	case LB_MARKDOWN:
		print_markdown(&sb, boards, nb);
		break;
	case LB_JSON:
		print_json(&sb, boards, nb);
		break;
	case LB_HTML:
		print_html(&sb, boards, nb);
		break;
	}
	loco_write(sb.buf, sb.len);
done:
	for (i = 0; i < nb; i++) {
		free(boards[i].v);
		free(boards[i].active);
	}
	free(boards);
	strv_free(domains, ndomains);
	free(latest);
	results_release(&rs);
	strbuf_release(&sb);
	return err;
}
