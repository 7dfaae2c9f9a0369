/*
 * cmd_report.c: loco report: adapter against base model, per domain, from
 * one run or from the latest archived result of each adapter, as Markdown,
 * as a self-contained HTML page whose charts are inline SVG, or as JSON;
 * or, with --by-semester, each adapter's accuracy term by term.
 */
#include <sys/stat.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fsutil.h"
#include "jsonout.h"
#include "results.h"
#include "report_cases.h"
#include "stats.h"
#include "strbuf.h"
#include "banned.h"

enum rp_format { RP_MARKDOWN, RP_HTML, RP_JSON };

/* Chart geometry, in SVG user units (pixels). */
#define CH_LEFT		48	/* room for the axis labels */
#define CH_TOP		16
#define CH_HEIGHT	220	/* the plot area: 0 to 100% */
#define CH_BOTTOM	56	/* room for the labels under the bars */
#define CH_GROUP	132	/* one result: two bars and a gap */
#define CH_BAR		44
#define CH_STEP		110	/* between terms on the line chart */

static const char *const palette[] = {
	"#4a7bd0", "#d07a2a", "#3a9a5b", "#b54a8f", "#7a6bd0", "#9a8a2a",
	"#2a9ab0", "#c04a4a"
};
/*
 * The semester chart's series: a colour, a dash pattern and a marker
 * each, drawn wider first so that a series whose values coincide with a
 * later one's still shows around it.
 */
static const char *const dashes[] = { "", "8 4", "2 3", "10 3 2 3" };
enum marker { MK_CIRCLE, MK_SQUARE, MK_TRIANGLE, MK_DIAMOND, MK_N };
#define ADAPTER_COLOR	"#4a7bd0"
#define BASE_COLOR	"#b8b8b8"

static double
chart_y(double accuracy)
{
	return CH_TOP + CH_HEIGHT * (1 - accuracy);
}

/* The y axis and its grid, 0 to 100% by 25, for a chart width wide. */
static void
svg_axis(struct strbuf *sb, int width)
{
	int pct;

	for (pct = 0; pct <= 100; pct += 25) {
		double y = chart_y(pct / 100.0);

		strbuf_addf(sb, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"%s\"/>\n<text class=\"tick\" x=\"%d\" "
		    "y=\"%.1f\" text-anchor=\"end\">%d%%</text>\n", CH_LEFT, width - 8,
		    y, y, pct ? "#e4e4e4" : "#888", CH_LEFT - 6, y + 4, pct);
	}
}

/* A bar from 0 to accuracy with its interval as a whisker. */
static void
svg_bar(struct strbuf *sb, double x, const struct result_score *s,
    const char *color, const char *label)
{
	double y = chart_y(s->accuracy), lo = chart_y(s->ci_low);
	double hi = chart_y(s->ci_high), mid = x + CH_BAR / 2.0;

	strbuf_addf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" "
	    "height=\"%.1f\" fill=\"%s\"><title>", x, y, CH_BAR,
	    CH_TOP + CH_HEIGHT - y, color);
	html_escape(sb, label);
	strbuf_addf(sb, ": %.1f%% [%.1f%%, %.1f%%]</title></rect>\n",
	    s->accuracy * 100, s->ci_low * 100, s->ci_high * 100);
	strbuf_addf(sb, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f "
	    "%.1fH%.1f\" stroke=\"#222\" fill=\"none\"/>\n", mid, hi, lo,
	    mid - 6, hi, mid + 6, mid - 6, lo, mid + 6);
	strbuf_addf(sb, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
	    "%.1f%%</text>\n", mid, (hi < y ? hi : y) - 4, s->accuracy * 100);
}

static void
svg_legend(struct strbuf *sb, double x, double y, const char *color,
    const char *label)
{
	strbuf_addf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" "
	    "height=\"12\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">", x,
	    y - 10, color, x + 16, y);
	html_escape(sb, label);
	strbuf_addstr(sb, "</text>\n");
}

/* Adapter and base accuracy of each result, grouped bars. */
static void
svg_bars(struct strbuf *sb, const struct result **v, size_t n)
{
	int width = CH_LEFT + (int)n * CH_GROUP + 16;
	size_t i;
	char *label;

	if (width < 440)
		width = 440;
	strbuf_addf(sb, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" aria-label=\"adapter and base model accuracy\">\n",
	    width, CH_TOP + CH_HEIGHT + CH_BOTTOM + 24, width,
	    CH_TOP + CH_HEIGHT + CH_BOTTOM + 24);
	svg_axis(sb, width);
	for (i = 0; i < n; i++) {
		double x = CH_LEFT + 12 + (double)i * CH_GROUP;

		label = xasprintf("%s@%s", v[i]->adapter, v[i]->version);
		svg_bar(sb, x, &v[i]->score, ADAPTER_COLOR, label);
		free(label);
		label = xasprintf("base %s", v[i]->base_model);
		svg_bar(sb, x + CH_BAR + 4, &v[i]->base, BASE_COLOR, label);
		free(label);
		strbuf_addf(sb, "<text x=\"%.1f\" y=\"%d\" "
		    "text-anchor=\"middle\" font-weight=\"bold\">",
		    x + CH_BAR + 2, CH_TOP + CH_HEIGHT + 18);
		html_escape(sb, v[i]->domain);
		strbuf_addf(sb, "</text>\n<text x=\"%.1f\" y=\"%d\" "
		    "text-anchor=\"middle\">", x + CH_BAR + 2,
		    CH_TOP + CH_HEIGHT + 34);
		html_escape(sb, v[i]->adapter);
		strbuf_addch(sb, '@');
		html_escape(sb, v[i]->version);
		strbuf_addstr(sb, "</text>\n");
	}
	svg_legend(sb, CH_LEFT, CH_TOP + CH_HEIGHT + CH_BOTTOM + 16,
	    ADAPTER_COLOR, "adapter");
	svg_legend(sb, CH_LEFT + 90, CH_TOP + CH_HEIGHT + CH_BOTTOM + 16,
	    BASE_COLOR, "base model (whiskers: 95% interval)");
	strbuf_addstr(sb, "</svg>\n");
}

static void
compare_table(struct strbuf *sb, const struct result **v, size_t n,
    enum rp_format fmt)
{
	size_t i;
	char p[STATS_P_TEXT_LEN];

	if (fmt == RP_MARKDOWN)
		strbuf_addstr(sb, "| domain | adapter | version | accuracy | "
		    "95% interval | base | base 95% interval | difference | p | "
		    "n | settings | date | note |\n"
		    "|---|---|---|---:|---|---:|---|---:|---:|---:|---|---|---|\n");
	else
		strbuf_addstr(sb, "<div class=\"scroll\"><table>\n<tr><th "
		    "class=\"l\">domain</th><th class=\"l\">adapter</th><th>"
		    "accuracy</th>"
		    "<th>95% interval</th><th>base</th><th>base 95% interval"
		    "</th><th>difference</th><th>p</th><th>n</th>"
		    "<th class=\"l\">settings</th><th class=\"l\">date</th>"
		    "<th class=\"l\">note</th></tr>\n");
	for (i = 0; i < n; i++) {
		const struct result *r = v[i];

		stats_p_text(r->p, p);
		if (fmt == RP_MARKDOWN) {
			strbuf_addstr(sb, "| ");
			md_escape(sb, r->domain);
			strbuf_addstr(sb, " | ");
			md_escape(sb, r->adapter);
			strbuf_addstr(sb, " | ");
			md_escape(sb, r->version);
		} else {
			strbuf_addstr(sb, "<tr><td class=\"l\">");
			html_escape(sb, r->domain);
			strbuf_addstr(sb, "</td><td class=\"l\">");
			html_escape(sb, r->adapter);
			strbuf_addch(sb, '@');
			html_escape(sb, r->version);
		}
		strbuf_addf(sb, fmt == RP_MARKDOWN ? " | %.1f%% | [%.1f%%, "
		    "%.1f%%] | %.1f%% | [%.1f%%, %.1f%%] | %+.1f | %s | %ld | " :
		    "</td><td>%.1f%%</td><td>[%.1f%%, %.1f%%]</td><td>%.1f%%"
		    "</td><td>[%.1f%%, %.1f%%]</td><td>%+.1f</td><td>%s</td>"
		    "<td>%ld</td><td class=\"l\">",
		    r->score.accuracy * 100, r->score.ci_low * 100,
		    r->score.ci_high * 100, r->base.accuracy * 100,
		    r->base.ci_low * 100, r->base.ci_high * 100,
		    (r->score.accuracy - r->base.accuracy) * 100, p, r->n);
		(fmt == RP_MARKDOWN ? md_escape : html_escape)(sb, r->settings);
		strbuf_addf(sb, fmt == RP_MARKDOWN ? " | %.10s | %s |\n" :
		    "</td><td class=\"l nw\">%.10s</td><td class=\"l\">%s"
		    "</td></tr>\n", r->timestamp, !r->stale ? "" :
		    fmt == RP_MARKDOWN ? "STALE" :
		    "<span class=\"stale\">STALE</span>");
	}
	if (fmt == RP_HTML)
		strbuf_addstr(sb, "</table></div>\n");
}

/* run: the results.json reported on, NULL for the archive's latest. */
static void
compare_json(struct strbuf *sb, const struct result **v, size_t n,
    const char *run)
{
	struct jout *j = jout_new();
	size_t i;
	char *s;

	jout_str(j, "run", run);
	jout_arr(j, "results");
	for (i = 0; i < n; i++) {
		jout_obj(j, NULL);
		jout_str(j, "domain", v[i]->domain);
		result_json(j, v[i], -1);
		jout_end(j);
	}
	jout_end(j);
	s = jout_finish(j, 1);
	strbuf_addstr(sb, s);
	strbuf_addch(sb, '\n');
	free(s);
}

static void
report_compare(struct strbuf *sb, const struct result **v, size_t n,
    enum rp_format fmt, const char *source)
{
	const char *title = "loco evaluation report";
	size_t i;

	if (fmt == RP_MARKDOWN)
		strbuf_addf(sb, "# %s\n\n", title);
	else
		html_begin(sb, title);
	if (fmt == RP_HTML)
		strbuf_addstr(sb, "<p>");
	strbuf_addstr(sb, "From ");
	if (fmt == RP_MARKDOWN)
		md_escape(sb, source);
	else
		html_escape(sb, source);
	strbuf_addstr(sb, ".  Accuracy of each adapter and of the base model "
	    "on the same benchmark in the same run with the same settings, "
	    "with 95% Wilson intervals; p is McNemar's exact test (for a run "
	    "over several seeds, a paired bootstrap's).  STALE: the "
	    "benchmark has changed since the run.");
	for (i = 1; i < n; i++)
		if (strcmp(v[i]->settings, v[0]->settings) != 0) {
			strbuf_addstr(sb, "  The rows were run with different "
			    "settings: compare each adapter with its base, not "
			    "the rows with each other.");
			break;
		}
	for (i = 1; i < n; i++)
		if (strcmp(v[i]->base_model, v[0]->base_model) != 0)
			break;
	if (n > 0 && i == n) {
		strbuf_addstr(sb, "  Base model ");
		if (fmt == RP_MARKDOWN)
			md_escape(sb, v[0]->base_model);
		else
			html_escape(sb, v[0]->base_model);
		strbuf_addch(sb, '.');
	}
	if (fmt == RP_MARKDOWN) {
		strbuf_addstr(sb, "\n\n");
		compare_table(sb, v, n, fmt);
		return;
	}
	strbuf_addstr(sb, "</p>\n");
	svg_bars(sb, v, n);
	compare_table(sb, v, n, fmt);
	strbuf_addstr(sb, "<h2>Cases</h2>\n<p>Each run's cases from its log "
	    "(open a row): the question, the expected answer and each "
	    "model's, &#10003; right or &#10007; wrong; first the cases the "
	    "adapter got wrong, then those only the base got wrong.  A long "
	    "question shows whole when pointed at.</p>\n");
	for (i = 0; i < n; i++)
		report_cases_html(sb, v[i]);
	html_end(sb);
}

/* Distinct terms, in order. */
static char **
terms_of(const struct results *rs, size_t *n)
{
	char **v = xcalloc(rs->n + 1, sizeof(*v)), t[RESULT_TERM_LEN];
	size_t i, k;

	*n = 0;
	for (i = 0; i < rs->n; i++) {
		result_term(&rs->v[i], t);
		for (k = 0; k < *n && strcmp(v[k], t) != 0; k++)
			;
		if (k == *n)
			v[(*n)++] = xstrdup(t);
	}
	for (i = 1; i < *n; i++)	/* few terms: insertion sort */
		for (k = i; k > 0 && strcmp(v[k - 1], v[k]) > 0; k--) {
			char *tmp = v[k];

			v[k] = v[k - 1];
			v[k - 1] = tmp;
		}
	return v;
}

/*
 * cell[a * nterms + t]: the latest run of adapter a (a DOMAIN/ADAPTER
 * group of rs) in term t, or NULL.  Returns the groups' first results.
 */
static const struct result **
trend_cells(const struct results *rs, char **terms, size_t nterms,
    const struct result ***cell, size_t *nadapters)
{
	const struct result **first = xcalloc(rs->n + 1, sizeof(*first));
	char t[RESULT_TERM_LEN];
	size_t i, a = 0, k;

	*cell = xcalloc(rs->n * nterms + 1, sizeof(**cell));
	for (i = 0; i < rs->n; i++) {
		const struct result *r = &rs->v[i];
		const struct result **slot;

		if (i == 0 || strcmp(r->domain, first[a - 1]->domain) != 0 ||
		    strcmp(r->adapter, first[a - 1]->adapter) != 0)
			first[a++] = r;
		result_term(r, t);
		for (k = 0; strcmp(terms[k], t) != 0; k++)
			;
		slot = &(*cell)[(a - 1) * nterms + k];
		if (*slot == NULL || strcmp(r->timestamp, (*slot)->timestamp) > 0)
			*slot = r;
	}
	*nadapters = a;
	return first;
}

static const char *
series_color(size_t a)
{
	return palette[a % ARRAY_SIZE(palette)];
}

static const char *
series_dash(size_t a)
{
	return dashes[a % ARRAY_SIZE(dashes)];
}

/* Wider for the first series, drawn first, so that later ones leave it seen. */
static double
series_width(size_t a, size_t na)
{
	size_t under = na - 1 - a;

	return 2 + 1.5 * (double)(under < 5 ? under : 5);
}

/*
 * Open series a's marker at (x, y), radius r, with a white outline; returns
 * the element's name, for the caller to close after its <title>.
 */
static const char *
svg_marker(struct strbuf *sb, size_t a, double x, double y, double r)
{
	const char *color = series_color(a);

	switch ((enum marker)(a % MK_N)) {
	case MK_SQUARE:
		strbuf_addf(sb, "<rect class=\"marker\" x=\"%.1f\" "
		    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"", x - r * 0.9,
		    y - r * 0.9, r * 1.8, r * 1.8);
		break;
	case MK_TRIANGLE:
		strbuf_addf(sb, "<path class=\"marker\" d=\"M%.1f %.1fL%.1f "
		    "%.1fL%.1f %.1fZ\"", x, y - r * 1.2, x + r * 1.1,
		    y + r * 0.8, x - r * 1.1, y + r * 0.8);
		break;
	case MK_DIAMOND:
		strbuf_addf(sb, "<path class=\"marker\" d=\"M%.1f %.1fL%.1f "
		    "%.1fL%.1f %.1fL%.1f %.1fZ\"", x, y - r * 1.3, x + r * 1.3,
		    y, x, y + r * 1.3, x - r * 1.3, y);
		break;
	default:
		strbuf_addf(sb, "<circle class=\"marker\" cx=\"%.1f\" "
		    "cy=\"%.1f\" r=\"%.1f\"", x, y, r);
		break;
	}
	strbuf_addf(sb, " fill=\"%s\" stroke=\"#fff\">", color);
	switch ((enum marker)(a % MK_N)) {
	case MK_SQUARE:
		return "rect";
	case MK_TRIANGLE:
	case MK_DIAMOND:
		return "path";
	default:
		return "circle";
	}
}

static void
svg_trend(struct strbuf *sb, const struct result **first, size_t na,
    const struct result **cell, char **terms, size_t nt)
{
	int width = CH_LEFT + 40 + (int)(nt > 1 ? nt - 1 : 1) * CH_STEP + 40;
	int height = CH_TOP + CH_HEIGHT + 40 + 20 * (int)na;
	size_t a, t;

	if (width < 360)
		width = 360;
	strbuf_addf(sb, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" aria-label=\"accuracy by term\">\n", width, height,
	    width, height);
	svg_axis(sb, width);
	for (t = 0; t < nt; t++) {
		strbuf_addf(sb, "<text x=\"%d\" y=\"%d\" "
		    "text-anchor=\"middle\">", CH_LEFT + 40 + (int)t * CH_STEP,
		    CH_TOP + CH_HEIGHT + 18);
		html_escape(sb, terms[t]);
		strbuf_addstr(sb, "</text>\n");
	}
	/* Lines first, the widest (first) at the bottom, then the markers. */
	for (a = 0; a < na; a++) {
		int started = 0;

		strbuf_addf(sb, "<path class=\"series\" fill=\"none\" "
		    "stroke=\"%s\" stroke-width=\"%.1f\"", series_color(a),
		    series_width(a, na));
		if (*series_dash(a) != '\0')
			strbuf_addf(sb, " stroke-dasharray=\"%s\"",
			    series_dash(a));
		strbuf_addstr(sb, " d=\"");
		for (t = 0; t < nt; t++) {
			const struct result *r = cell[a * nt + t];

			if (r == NULL)
				continue;
			strbuf_addf(sb, "%s%d %.1f", started ? " L" : "M",
			    CH_LEFT + 40 + (int)t * CH_STEP,
			    chart_y(r->score.accuracy));
			started = 1;
		}
		strbuf_addstr(sb, "\"/>\n");
	}
	for (a = 0; a < na; a++) {
		double rad = 4 + (double)(na - 1 - a < 3 ? na - 1 - a : 3);

		for (t = 0; t < nt; t++) {
			const struct result *r = cell[a * nt + t];
			const char *el;

			if (r == NULL)
				continue;
			el = svg_marker(sb, a, CH_LEFT + 40 + (double)t *
			    CH_STEP, chart_y(r->score.accuracy), rad);
			strbuf_addstr(sb, "<title>");
			html_escape(sb, r->adapter);
			strbuf_addch(sb, '@');
			html_escape(sb, r->version);
			strbuf_addf(sb, " %s: %.1f%%</title></%s>\n",
			    terms[t], r->score.accuracy * 100, el);
		}
	}
	for (a = 0; a < na; a++) {
		double y = CH_TOP + CH_HEIGHT + 44 + 20 * (double)a;

		strbuf_addf(sb, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"",
		    CH_LEFT, CH_LEFT + 36, y - 4, y - 4, series_color(a));
		if (*series_dash(a) != '\0')
			strbuf_addf(sb, " stroke-dasharray=\"%s\"",
			    series_dash(a));
		strbuf_addstr(sb, "/>\n");
		strbuf_addf(sb, "</%s>\n", svg_marker(sb, a, CH_LEFT + 18,
		    y - 4, 4));
		strbuf_addf(sb, "<text x=\"%d\" y=\"%.1f\">", CH_LEFT + 44,
		    y);
		html_escape(sb, first[a]->adapter);
		strbuf_addstr(sb, " (");
		html_escape(sb, first[a]->domain);
		strbuf_addstr(sb, ")</text>\n");
	}
	strbuf_addstr(sb, "</svg>\n");
}

/*
 * A row's change: from the earliest run of the row that is comparable
 * with its last (the same benchmark, by hash, and the same settings), to
 * the last.  *last is the row's last run, or NULL when it has none;
 * returns that earlier run, or NULL when there is none.
 */
static const struct result *
change_from(const struct result **row, size_t nt, const struct result **last)
{
	size_t t;

	*last = NULL;
	for (t = nt; t > 0 && *last == NULL; t--)
		*last = row[t - 1];
	for (t = 0; *last != NULL && t < nt; t++)
		if (row[t] != NULL && row[t] != *last &&
		    result_comparable(row[t], *last))
			return row[t];
	return NULL;
}

/* The row's first run. */
static const struct result *
first_run(const struct result **row, size_t nt)
{
	size_t t;

	for (t = 0; t < nt; t++)
		if (row[t] != NULL)
			return row[t];
	return NULL;
}

static void
terms_json(struct strbuf *sb, const struct result **first, size_t na,
    const struct result **cell, char **terms, size_t nt)
{
	struct jout *j = jout_new();
	const struct result *r, *from, *last;
	char term[RESULT_TERM_LEN];
	size_t a, t;
	char *s;

	jout_arr(j, "terms");
	for (t = 0; t < nt; t++)
		jout_str(j, NULL, terms[t]);
	jout_end(j);
	jout_arr(j, "adapters");
	for (a = 0; a < na; a++) {
		jout_obj(j, NULL);
		jout_str(j, "domain", first[a]->domain);
		jout_str(j, "adapter", first[a]->adapter);
		from = change_from(&cell[a * nt], nt, &last);
		jout_arr(j, "terms");
		for (t = 0; t < nt; t++) {
			if ((r = cell[a * nt + t]) == NULL)
				continue;
			jout_obj(j, NULL);
			jout_str(j, "term", terms[t]);
			jout_str(j, "version", r->version);
			jout_num(j, "accuracy", r->score.accuracy);
			jout_str(j, "settings", r->settings);
			jout_str(j, "benchmark_sha256", r->bench_sha256);
			jout_bool(j, "comparable", result_comparable(r, last));
			jout_str(j, "timestamp", r->timestamp);
			jout_str(j, "file", r->file);
			jout_end(j);
		}
		jout_end(j);
		if (from == NULL) {
			jout_null(j, "change");
			jout_null(j, "change_from");
		} else {
			result_term(from, term);
			jout_num(j, "change", last->score.accuracy -
			    from->score.accuracy);
			jout_str(j, "change_from", term);
		}
		jout_end(j);
	}
	jout_end(j);
	s = jout_finish(j, 1);
	strbuf_addstr(sb, s);
	strbuf_addch(sb, '\n');
	free(s);
}

static void
report_terms(struct strbuf *sb, const struct results *rs, enum rp_format fmt)
{
	const struct result **first, **cell, *r, *from, *last;
	const char *title = "loco results by semester";
	char **terms, term[RESULT_TERM_LEN];
	size_t nt, na, a, t, marked = 0;
	int md = fmt == RP_MARKDOWN;

	terms = terms_of(rs, &nt);
	first = trend_cells(rs, terms, nt, &cell, &na);
	if (fmt == RP_JSON) {
		terms_json(sb, first, na, cell, terms, nt);
		goto done;
	}
	if (md)
		strbuf_addf(sb, "# %s\n\nEach adapter's accuracy in its latest "
		    "archived run of each term (S1: January to June, S2: July "
		    "to December), with the version run; change is the last "
		    "term's against the first term's run on the same benchmark "
		    "with the same settings, in points.\n\n| domain | "
		    "adapter |", title);
	else {
		html_begin(sb, title);
		strbuf_addstr(sb, "<p>Each adapter's accuracy in its latest "
		    "archived run of each term (S1: January to June, S2: July "
		    "to December), with the version run; change is the last "
		    "term's against the first term's run on the same benchmark "
		    "with the same settings, in points.</p>\n");
		svg_trend(sb, first, na, cell, terms, nt);
		strbuf_addstr(sb, "<table>\n<tr><th class=\"l\">domain</th>"
		    "<th class=\"l\">adapter</th>");
	}
	for (t = 0; t < nt; t++)
		strbuf_addf(sb, md ? " %s |" : "<th>%s</th>", terms[t]);
	if (md) {
		strbuf_addstr(sb, " change |\n|---|---|");
		for (t = 0; t < nt; t++)
			strbuf_addstr(sb, "---:|");
		strbuf_addstr(sb, "---:|\n");
	} else
		strbuf_addstr(sb, "<th>change</th></tr>\n");
	for (a = 0; a < na; a++) {
		strbuf_addstr(sb, md ? "| " : "<tr><td class=\"l\">");
		(md ? md_escape : html_escape)(sb, first[a]->domain);
		strbuf_addstr(sb, md ? " | " : "</td><td class=\"l\">");
		(md ? md_escape : html_escape)(sb, first[a]->adapter);
		strbuf_addstr(sb, md ? " |" : "</td>");
		from = change_from(&cell[a * nt], nt, &last);
		for (t = 0; t < nt; t++) {
			int other;

			if ((r = cell[a * nt + t]) == NULL) {
				strbuf_addstr(sb, md ? " - |" : "<td>-</td>");
				continue;
			}
			/* A run the last one cannot be compared with. */
			other = !result_comparable(r, last);
			marked += other;
			strbuf_addf(sb, md ? " %.1f%% (" : "<td>%.1f%% (",
			    r->score.accuracy * 100);
			(md ? md_escape : html_escape)(sb, r->version);
			strbuf_addstr(sb, !other ? ")" : md ? ")\xe2\x80\xa0" :
			    ")&#8224;");
			strbuf_addstr(sb, md ? " |" : "</td>");
		}
		if (from == NULL)
			strbuf_addstr(sb, md ? " - |\n" : "<td>-</td></tr>\n");
		else {
			strbuf_addf(sb, md ? " %+.1f" : "<td>%+.1f",
			    (last->score.accuracy - from->score.accuracy) * 100);
			result_term(from, term);
			if (from != first_run(&cell[a * nt], nt))
				strbuf_addf(sb, " since %s", term);
			strbuf_addstr(sb, md ? " |\n" : "</td></tr>\n");
		}
	}
	if (marked > 0)
		strbuf_addstr(sb, md ? "\n\xe2\x80\xa0 run on another benchmark "
		    "or with other settings than the adapter's last run, so "
		    "not in its change (see loco report --json).\n" :
		    "</table>\n<p>&#8224; run on another benchmark or "
		    "with other settings than the adapter's last run, so not "
		    "in its change (see loco report --json).</p>\n");
	else if (!md)
		strbuf_addstr(sb, "</table>\n");
	if (!md)
		html_end(sb);
done:
	strv_free(terms, nt);
	free(first);
	free(cell);
}

/* A run directory (its results.json) or a results.json itself. */
static struct error *
read_run(const char *arg, struct result *r)
{
	struct stat st;
	struct error *err;
	char *path;

	memset(r, 0, sizeof(*r));
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		path = xasprintf("%s/results.json", arg);
		if (!fs_exists(path)) {
			free(path);
			return error_new(EXIT_FAIL, "'%s' is not a run "
			    "directory: it has no results.json", arg);
		}
	} else
		path = xstrdup(arg);
	err = result_read(path, r);
	if (err == NULL && r->adapter == NULL)
		err = error_new(EXIT_FAIL, "'%s' is a base-only run: it has "
		    "no adapter to compare", path);
	free(path);
	return err;
}

enum { O_BY_SEMESTER = 1, O_FORMAT, O_JSON };

static const struct opt rp_opts[] = {
	{ "by-semester", 0, O_BY_SEMESTER, OPT_FLAG, NULL, "every archived "
	  "run, by academic term" },
	{ "format", 0, O_FORMAT, OPT_VALUE, "format", "markdown, html or json",
	  OC_WORDS, "markdown html json" },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "the same as --format json" },
};
static const struct opt_form rp_forms[] = {
	{ NULL, NULL, "[run]" },
};
static const struct opt_operand rp_operands[] = {
	{ "run", "a run directory or results.json (default: the latest "
	  "archived result of each adapter)", OC_FILE, NULL },
};
const struct optspec report_spec = OPTSPEC("report", "report adapter "
    "against base model, with charts, or term by term", rp_opts, rp_forms,
    rp_operands);

/* The options into terms and fmt, the run (or NULL); *done after -h. */
static struct error *
parse_options(struct loco *lc, int argc, char *argv[], int *terms,
    enum rp_format *fmt, const char **run, int *done)
{
	static const char *const names[] = {
		[RP_MARKDOWN] = "markdown", [RP_HTML] = "html",
		[RP_JSON] = "json"
	};
	struct optparse p;
	struct error *err;
	size_t i;
	char *clean;
	int id;

	*done = 0;
	*run = NULL;
	opt_init(&p, lc, &report_spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_BY_SEMESTER:
			*terms = 1;
			break;
		case O_FORMAT:
			for (i = 0; i < ARRAY_SIZE(names); i++)
				if (strcmp(p.arg, names[i]) == 0)
					*fmt = (enum rp_format)i;
			break;
		case O_JSON:
			*fmt = RP_JSON;
			break;
		}
	if (id < 0) {
		*done = 1;
		return opt_end(&p);
	}
	if (p.argc > 1) {
		clean = str_sanitize(p.argv[1], 0);
		err = opt_usage_error(&report_spec, "unexpected argument '%s'",
		    clean);
		free(clean);
		return err;
	}
	if (*terms && p.argc == 1)
		return opt_usage_error(&report_spec, "--by-semester reads the "
		    "archive: give no run");
	if (p.argc == 1)
		*run = p.argv[0];
	return NULL;
}

struct error *
cmd_report(struct loco *lc, int argc, char *argv[])
{
	const struct result **latest = NULL, *one[1];
	struct results rs;
	struct result run;
	struct strbuf sb = STRBUF_INIT;
	struct error *err;
	enum rp_format fmt = RP_MARKDOWN;
	char *dir = NULL, *source = NULL;
	const char *arg;
	size_t n;
	int terms = 0, done;

	memset(&rs, 0, sizeof(rs));
	memset(&run, 0, sizeof(run));
	err = parse_options(lc, argc, argv, &terms, &fmt, &arg, &done);
	if (err != NULL || done)
		return err;
	if (arg != NULL) {
		if ((err = read_run(arg, &run)) != NULL ||
		    (err = results_check_stale(&run, 1)) != NULL)
			goto done;
		one[0] = &run;
		source = str_sanitize(run.file, 0);
		if (fmt == RP_JSON)
			compare_json(&sb, one, 1, run.file);
		else
			report_compare(&sb, one, 1, fmt, source);
		loco_write(sb.buf, sb.len);
		goto done;
	}
	dir = results_dir();
	if ((err = results_load(dir, &rs)) != NULL)
		goto done;
	if (rs.n == 0) {
		err = error_new(EXIT_FAIL, "no results in '%s': 'loco eval' "
		    "archives a result there each time it runs an adapter on "
		    "its standard benchmark", dir);
		goto done;
	}
	if (terms)
		report_terms(&sb, &rs, fmt);
	else {
		if ((err = results_check_stale(rs.v, rs.n)) != NULL)
			goto done;
		n = results_latest(&rs, 0, &latest);
		source = xasprintf("the latest archived result of each "
		    "adapter in %s", dir);
		if (fmt == RP_JSON)
			compare_json(&sb, latest, n, NULL);
		else
			report_compare(&sb, latest, n, fmt, source);
	}
	loco_write(sb.buf, sb.len);
done:
	free(latest);
	free(source);
	free(dir);
	result_release(&run);
	results_release(&rs);
	strbuf_release(&sb);
	return err;
}
