/*
 * cmd_runs.c: loco runs: list the eval runs on disk, show one case by
 * case, compare two with the paired test.  Reading runs is runs.c's.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchfile.h"
#include "cmd.h"
#include "fsutil.h"
#include "jsonout.h"
#include "runs.h"
#include "stats.h"
#include "strbuf.h"
#include "banned.h"

#define QUESTION_WIDTH	40
#define EXPECTED_WIDTH	16
#define GOT_WIDTH	16
/* Case ids a diff lists on each side before "and N more". */
#define DIFF_LIST_MAX	10

enum { O_ADAPTER = 1, O_COUNT, O_FAILURES, O_JSON };

static const struct opt list_opts[] = {
	{ "adapter", 0, O_ADAPTER, OPT_VALUE, "name", "only this adapter's "
	  "runs", OC_ADAPTER },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print JSON (see loco-json(7))" },
	{ NULL, 'n', O_COUNT, OPT_VALUE, "count", "only the newest count runs" },
};
static const struct opt_form list_forms[] = { { NULL, NULL, NULL } };
static const struct opt_operand no_operands[1];
static const struct optspec list_spec = { "runs list", "the runs, newest "
    "first (also plain 'loco runs')", list_opts, OPT_NELEM(list_opts),
    list_forms, 1, no_operands, 0,
    "\nEach run: date, adapter, benchmark, settings, accuracy and status\n"
    "(complete, running, interrupted or stale).\n" };

static const struct opt show_opts[] = {
	{ "failures", 0, O_FAILURES, OPT_FLAG, NULL, "only the cases the "
	  "adapter got wrong" },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print JSON (see loco-json(7))" },
};
static const struct opt_form show_forms[] = { { NULL, NULL, "run" } };
static const struct opt_operand run_operand[] = {
	{ "run", "an id 'loco runs' prints, or a run directory", OC_RUN },
};
static const struct optspec show_spec = OPTSPEC("runs show", "every case "
    "of a run, with each model's answer and verdict",
    show_opts, show_forms, run_operand);

static const struct opt diff_opts[] = {
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print JSON (see loco-json(7))" },
};
static const struct opt_form diff_forms[] = { { NULL, NULL, "run run" } };
static const struct optspec diff_spec = OPTSPEC("runs diff", "the cases "
    "only one of two runs got right, with McNemar's exact test", diff_opts, diff_forms, run_operand);

/* Characters on screen: UTF-8 continuation bytes do not count. */
static int
width(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Append s padded with spaces to w characters. */
static void
add_padded(struct strbuf *sb, const char *s, int w)
{
	strbuf_addstr(sb, s);
	for (w -= width(s); w > 0; w--)
		strbuf_addch(sb, ' ');
}

static void
local_time(long t, char buf[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, 32, "-");
}

static void
utc_time(long t, char buf[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "-");
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

/* "m60.jsonl", or "sha256:0123456789ab" when loco knows no such file. */
static char *
bench_text(const struct run *r)
{
	if (r->bench_path != NULL)
		return str_sanitize(base_name(r->bench_path), 60);
	return xasprintf("sha256:%.12s", r->bench_sha256);
}

static const char *
status_text(const struct run *r)
{
	if (r->stale)
		return "stale";
	if (r->running)
		return "running";
	return r->complete ? "complete" : "interrupted";
}

static void
pct(double v, char buf[16])
{
	if (isnan(v))
		snprintf(buf, 16, "-");
	else
		snprintf(buf, 16, "%.1f%%", v * 100);
}

/* Do two paths name one file? */
static int
same_file(const char *a, const char *b)
{
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	int same = ra != NULL && rb != NULL && strcmp(ra, rb) == 0;

	free(ra);
	free(rb);
	return same;
}

/*
 * The first word of each item of a run.json list, "code sha256:...,
 * math sha256:..." or "math@1.0.0 0.9, math-b@1.1.0 0.8"; free with
 * strv_free.  NULL (n 0) for NULL or "".
 */
static char **
list_heads(const char *s, size_t *n)
{
	char **v = NULL;
	const char *end;

	*n = 0;
	while (s != NULL && *s != '\0') {
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = xstrndup(s, strcspn(s, " ,"));
		if ((end = strstr(s, ", ")) == NULL)
			break;
		s = end + 2;
	}
	return v;
}

/*
 * The command that finishes an interrupted run, from what run.json
 * recorded: eval checks that the settings given match the record, so
 * these are the flags that make the same record.  NULL for a finished or
 * stale run.
 */
static char *
resume_command(struct registry *reg, const struct run *r)
{
	struct strbuf sb = STRBUF_INIT, names = STRBUF_INIT;
	const struct adapter *a;
	struct bench *b = NULL;
	struct error *err = NULL;
	char *std = NULL, **v;
	size_t i, n;

	if (r->complete || r->stale || r->running)
		return NULL;
	if (r->command != NULL)
		return xstrdup(r->command);
	strbuf_addstr(&sb, "loco eval");
	a = reg != NULL ? registry_find(reg, r->adapter) : NULL;
	if (a != NULL)
		std = bench_for_adapter(reg, a);
	if (r->bench_path != NULL && (std == NULL ||
	    !same_file(std, r->bench_path))) {
		strbuf_addstr(&sb, " --benchmark ");
		strbuf_addquoted(&sb, r->bench_path);
	}
	free(std);
	if (r->base_only)
		strbuf_addstr(&sb, " --base");
	if (r->grid)
		strbuf_addstr(&sb, " --grid");
	/* The members by name: eval orders them by weight itself. */
	if (r->ensemble != NULL) {
		v = list_heads(r->ensemble, &n);
		strbuf_reset(&names);
		for (i = 0; i < n; i++)
			strbuf_addf(&names, "%s%s", i ? "," : "", v[i]);
		strbuf_addstr(&sb, " --ensemble=");
		strbuf_addquoted(&sb, names.buf);
		strv_free(v, n);
	}
	v = list_heads(r->ood, &n);
	for (i = 0; i < n; i++) {
		strbuf_addstr(&sb, " --ood ");
		strbuf_addquoted(&sb, v[i]);
	}
	strv_free(v, n);
	/* --limit: fewer cases than the file has. */
	if (r->bench_path != NULL) {
		if ((err = bench_load(r->bench_path, 0, &b)) == NULL &&
		    (long)b->n > r->cases)
			strbuf_addf(&sb, " --limit %ld", r->cases);
		error_free(err);
		bench_free(b);
	}
	if (!r->reread)
		strbuf_addstr(&sb, " --no-reread");
	if (r->votes > 1)
		strbuf_addf(&sb, " --votes %ld", r->votes);
	if (r->temperature_flag > 0)
		strbuf_addf(&sb, " --temperature %g", r->temperature_flag);
	if (r->nseeds > 1 || (r->nseeds == 1 && r->seeds[0] != 42))
		for (i = 0; i < r->nseeds; i++)
			strbuf_addf(&sb, " --seed %ld", r->seeds[i]);
	strbuf_addch(&sb, ' ');
	strbuf_addquoted(&sb, r->adapter);
	strbuf_addstr(&sb, " --resume ");
	strbuf_addquoted(&sb, r->dir);
	strbuf_release(&names);
	return strbuf_detach(&sb, NULL);
}

/*
 * Decide which runs are stale; an interrupted run's benchmark is looked
 * for among the standard benchmarks of the adapters (reg may be NULL).
 */
static struct error *
check_stale(struct registry *reg, struct run *v, size_t n)
{
	const struct adapter *a;
	struct error *err;
	char **std = NULL;
	size_t i, nstd = 0;

	for (i = 0; i < n && reg != NULL; i++) {
		if (v[i].complete ||
		    (a = registry_find(reg, v[i].adapter)) == NULL)
			continue;
		std = xreallocarray(std, nstd + 1, sizeof(*std));
		if ((std[nstd] = bench_for_adapter(reg, a)) != NULL)
			nstd++;
	}
	err = runs_check_stale(v, n, (const char *const *)std, nstd);
	strv_free(std, nstd);
	return err;
}

/* The registry, for the standard benchmarks: none is no error. */
static struct registry *
registry_or_null(struct loco *lc)
{
	struct registry *reg;
	struct error *err;

	if ((err = loco_registry(lc, &reg)) != NULL) {
		error_free(err);
		return NULL;
	}
	return reg;
}

/* Load every run and decide which are stale. */
static struct error *
load_runs(struct loco *lc, struct runs *rs, struct registry **regp)
{
	struct error *err;
	size_t i;

	*regp = NULL;
	if ((err = runs_load(rs)) != NULL)
		return err;
	for (i = 0; i < rs->nwarnings; i++)
		fprintf(stderr, "loco: %s\n", rs->warnings[i]);
	*regp = registry_or_null(lc);
	return check_stale(*regp, rs->v, rs->n);
}

static void
settings_json(struct jout *j, const struct run *r)
{
	size_t i;

	jout_obj(j, "settings");
	jout_bool(j, "reread", r->reread);
	jout_int(j, "votes", r->votes);
	jout_num(j, "temperature", r->temperature);
	jout_arr(j, "seeds");
	for (i = 0; i < r->nseeds; i++)
		jout_int(j, NULL, r->seeds[i]);
	jout_end(j);
	jout_str(j, "text", r->settings);
	jout_end(j);
}

/* The fields every run's JSON has (see loco-json(7)). */
static void
run_json(struct jout *j, struct registry *reg, const struct run *r)
{
	char when[32], *sha, *resume;

	jout_str(j, "id", r->id);
	jout_str(j, "dir", r->dir);
	utc_time(r->time, when);
	jout_str(j, "time", when);
	jout_str(j, "adapter", r->adapter);
	jout_str(j, "version", r->version);
	jout_str(j, "kind", r->grid ? "grid" : r->ensemble ? "ensemble" :
	    r->base_only ? "base" : "eval");
	jout_obj(j, "benchmark");
	jout_str(j, "path", r->bench_path);
	sha = xasprintf("sha256:%s", r->bench_sha256);
	jout_str(j, "sha256", sha);
	free(sha);
	jout_end(j);
	jout_int(j, "cases", r->cases);
	settings_json(j, r);
	jout_obj(j, "accuracy");
	jout_num(j, "adapter", r->acc_adapter);
	jout_num(j, "base", r->acc_base);
	jout_end(j);
	jout_str(j, "status", status_text(r));
	jout_bool(j, "complete", r->complete);
	jout_bool(j, "stale", r->stale);
	resume = resume_command(reg, r);
	jout_str(j, "resume", resume);
	free(resume);
}

static void
print_list(struct registry *reg, const struct run *v, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	char when[32], a[16], b[16], *name, *bench, *resume;
	int wid = 3, wname = 4, wbench = 9, wset = 8, l;
	size_t i;

	for (i = 0; i < n; i++) {
		name = xasprintf("%s@%s", v[i].adapter, v[i].version);
		bench = bench_text(&v[i]);
		if ((l = width(v[i].id)) > wid)
			wid = l;
		if ((l = width(name)) > wname)
			wname = l;
		if ((l = width(bench)) > wbench)
			wbench = l;
		if ((l = width(v[i].settings)) > wset)
			wset = l;
		free(name);
		free(bench);
	}
	add_padded(&sb, "run", wid + 2);
	add_padded(&sb, "date", 18);
	add_padded(&sb, "name", wname + 2);
	add_padded(&sb, "benchmark", wbench + 2);
	add_padded(&sb, "settings", wset + 2);
	strbuf_addf(&sb, "%7s  %6s  status\n", "adapter", "base");
	for (i = 0; i < n; i++) {
		name = xasprintf("%s@%s", v[i].adapter, v[i].version);
		bench = bench_text(&v[i]);
		local_time(v[i].time, when);
		pct(v[i].acc_adapter, a);
		pct(v[i].acc_base, b);
		add_padded(&sb, v[i].id, wid + 2);
		add_padded(&sb, when, 18);
		add_padded(&sb, name, wname + 2);
		add_padded(&sb, bench, wbench + 2);
		add_padded(&sb, v[i].settings, wset + 2);
		strbuf_addf(&sb, "%7s  %6s  %s\n", a, b, status_text(&v[i]));
		free(name);
		free(bench);
	}
	for (i = 0; i < n; i++) {
		if ((resume = resume_command(reg, &v[i])) == NULL)
			continue;
		strbuf_addf(&sb, "%s%s is interrupted; to finish it:\n  %s\n",
		    sb.len ? "\n" : "", v[i].id, resume);
		free(resume);
	}
	loco_write(sb.buf, sb.len);
	strbuf_release(&sb);
}

static struct error *
runs_list(struct loco *lc, const struct subcmd *sc, int argc, char *argv[])
{
	struct registry *reg;
	struct runs rs;
	struct error *err;
	struct optparse p;
	const char *adapter = NULL;
	char *clean;
	size_t i, k, limit = 0, matched = 0;
	long l;
	int id, json = 0;

	opt_init(&p, lc, sc->spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_COUNT:
			if (parse_long(p.arg, 0, LONG_MAX, &l) == -1) {
				clean = str_sanitize(p.arg, 40);
				p.err = sub_usage_error(sc, "-n: must be a "
				    "number of runs, not '%s'", clean);
				free(clean);
				return opt_end(&p);
			}
			limit = (size_t)l;
			break;
		case O_ADAPTER:
			adapter = p.arg;
			break;
		case O_JSON:
			json = 1;
			break;
		}
	if (id < 0)
		return opt_end(&p);
	if (p.argc > 0) {
		clean = str_sanitize(p.argv[0], 40);
		err = sub_usage_error(sc, "unexpected argument '%s'", clean);
		free(clean);
		return err;
	}
	if ((err = load_runs(lc, &rs, &reg)) != NULL) {
		runs_release(&rs);
		return err;
	}
	/* Keep the wanted ones in place (newest first), up to the limit. */
	for (i = k = 0; i < rs.n; i++) {
		if (adapter != NULL && strcmp(rs.v[i].adapter, adapter) == 0)
			matched++;
		if ((adapter != NULL && strcmp(rs.v[i].adapter, adapter) != 0)
		    || (limit > 0 && k == limit)) {
			run_release(&rs.v[i]);
			continue;
		}
		rs.v[k++] = rs.v[i];
	}
	rs.n = k;
	/*
	 * No run of a name the registry does not know: perhaps a typo.  The
	 * runs of an adapter removed since are still listed.
	 */
	if (adapter != NULL && matched == 0 && reg != NULL &&
	    registry_find(reg, adapter) == NULL) {
		runs_release(&rs);
		return registry_unknown(reg, adapter);
	}
	if (json) {
		struct jout *j = jout_new_array();

		for (i = 0; i < rs.n; i++) {
			jout_obj(j, NULL);
			run_json(j, reg, &rs.v[i]);
			jout_end(j);
		}
		loco_print_json(j);
	} else if (rs.n == 0)
		fprintf(stderr, "loco: no eval runs%s%s%s; 'loco eval ADAPTER' "
		    "makes one\n", adapter ? " of '" : "", adapter ? adapter :
		    "", adapter ? "'" : "");
	else
		print_list(reg, rs.v, rs.n);
	runs_release(&rs);
	return NULL;
}

/*
 * The run arg names: an id that 'loco runs' prints, else a directory
 * holding a run; *one holds a run read alone.  A finished run of
 * $LOCO_HOME/runs is read alone; other ids need the whole list, loaded
 * once into rs (*loaded), which also tells an interrupted run's
 * benchmark as the list does.
 */
static struct error *
find_run(struct loco *lc, const char *arg, struct runs *rs, int *loaded,
    struct registry **reg, struct run *one, const struct run **out)
{
	struct error *err;
	char *root, *dir, *json, *clean;
	int alone = 0;

	if (strchr(arg, '/') == NULL && !*loaded) {
		root = runs_dir();
		dir = xasprintf("%s/%s", root, arg);
		json = xasprintf("%s/run.json", dir);
		if (fs_exists(json)) {
			if ((err = run_read(dir, NULL, one)) == NULL &&
			    one->complete)
				alone = 1;
			else
				run_release(one);
			error_free(err);
		}
		free(json);
		free(dir);
		free(root);
		if (alone) {
			*out = one;
			if (*reg == NULL)
				*reg = registry_or_null(lc);
			return check_stale(*reg, one, 1);
		}
	}
	if (strchr(arg, '/') == NULL) {
		if (!*loaded) {
			*loaded = 1;
			if ((err = load_runs(lc, rs, reg)) != NULL)
				return err;
		}
		if ((err = runs_find(rs, arg, out)) == NULL)
			return NULL;
		json = xasprintf("%s/run.json", arg);
		if (!fs_exists(json)) {
			free(json);
			return err;
		}
		free(json);
		error_free(err);
	} else if (!fs_exists(arg)) {
		clean = str_sanitize(arg, 200);
		err = error_new(EXIT_USAGE, "no run directory '%s'", clean);
		free(clean);
		return err;
	}
	if ((err = run_read(arg, arg, one)) != NULL)
		return err;
	*out = one;
	if (*reg == NULL)
		*reg = registry_or_null(lc);
	return check_stale(*reg, one, 1);
}

/* A model's cell: "pass 4", "FAIL 0", "waiting" for the judge, "-". */
static char *
cell(const struct run_case *c)
{
	char *got, *s;

	if (c == NULL)
		return xstrdup("-");
	if (c->pending)
		return xstrdup("waiting");
	got = str_one_line(c->got != NULL ? c->got : "(none)", GOT_WIDTH);
	s = xasprintf("%s %s", c->pass ? "pass" : "FAIL", got);
	free(got);
	return s;
}

/* The side --failures judges by: the adapter's, the base's for a base run. */
static int
failed(const struct run_pair *w)
{
	const struct run_case *c = w->a != NULL ? w->a : w->b;

	return c != NULL && !c->pass && !c->pending;
}

static void
show_json(struct registry *reg, const struct run *r, const struct run_pair *rows,
    size_t n, int failures)
{
	struct jout *j = jout_new();
	size_t i;
	int s;

	run_json(j, reg, r);
	jout_arr(j, "cases");
	for (i = 0; i < n; i++) {
		const struct run_case *any = rows[i].a ? rows[i].a : rows[i].b;

		if (failures && !failed(&rows[i]))
			continue;
		jout_obj(j, NULL);
		jout_str(j, "id", any->id);
		jout_str(j, "question", any->question);
		jout_str(j, "expected", any->expected);
		for (s = 0; s < 2; s++) {
			const struct run_case *c = s ? rows[i].b : rows[i].a;

			if (c == NULL) {
				jout_null(j, s ? "base" : "adapter");
				continue;
			}
			jout_obj(j, s ? "base" : "adapter");
			jout_str(j, "got", c->got);
			jout_bool(j, "pass", c->pass);
			jout_bool(j, "pending", c->pending);
			jout_end(j);
		}
		jout_end(j);
	}
	jout_end(j);
	loco_print_json(j);
}

static void
side_summary(struct strbuf *sb, const char *name, const struct run_side *s)
{
	if (s->label == NULL)
		return;
	strbuf_addf(sb, "%s%s %zu of %zu right (%.1f%%)", sb->len ? "; " : "",
	    name, s->passed, s->n, s->n ? (double)s->passed * 100 /
	    (double)s->n : 0.0);
}

static void
show_text(const struct run *r, const struct run_pair *rows, size_t n, int failures)
{
	struct strbuf sb = STRBUF_INIT, sum = STRBUF_INIT;
	char *bench, *q, *e, *ca, *cb;
	int wid = 2, wexp = 8, wa = 7, l;
	size_t i, shown = 0;

	bench = bench_text(r);
	strbuf_addf(&sb, "run %s: %s@%s on %s (%ld cases), %s: %s\n", r->id,
	    r->adapter, r->version, bench, r->cases, r->settings,
	    status_text(r));
	free(bench);
	for (i = 0; i < n; i++) {
		const struct run_case *any = rows[i].a ? rows[i].a : rows[i].b;

		if ((l = width(any->id)) > wid)
			wid = l;
		e = str_one_line(any->expected ? any->expected : "-",
		    EXPECTED_WIDTH);
		if ((l = width(e)) > wexp)
			wexp = l;
		free(e);
		ca = cell(rows[i].a);
		if ((l = width(ca)) > wa)
			wa = l;
		free(ca);
	}
	add_padded(&sb, "id", wid + 2);
	add_padded(&sb, "question", QUESTION_WIDTH + 2);
	add_padded(&sb, "expected", wexp + 2);
	add_padded(&sb, "adapter", wa + 2);
	strbuf_addstr(&sb, "base\n");
	for (i = 0; i < n; i++) {
		const struct run_case *any = rows[i].a ? rows[i].a : rows[i].b;

		if (failures && !failed(&rows[i]))
			continue;
		shown++;
		q = str_one_line(any->question, QUESTION_WIDTH);
		e = str_one_line(any->expected ? any->expected : "-",
		    EXPECTED_WIDTH);
		ca = cell(rows[i].a);
		cb = cell(rows[i].b);
		add_padded(&sb, any->id, wid + 2);
		add_padded(&sb, q, QUESTION_WIDTH + 2);
		add_padded(&sb, e, wexp + 2);
		add_padded(&sb, ca, wa + 2);
		strbuf_addf(&sb, "%s\n", cb);
		free(q);
		free(e);
		free(ca);
		free(cb);
	}
	side_summary(&sum, "adapter", &r->adapter_side);
	side_summary(&sum, "base", &r->base_side);
	if (failures)
		strbuf_addf(&sum, "%s%zu failure%s shown", sum.len ? "; " : "",
		    shown, shown == 1 ? "" : "s");
	strbuf_addf(&sb, "%s\n", sum.len ? sum.buf : "no case finished yet");
	loco_write(sb.buf, sb.len);
	strbuf_release(&sum);
	strbuf_release(&sb);
}

static struct error *
runs_show(struct loco *lc, const struct subcmd *sc, int argc, char *argv[])
{
	struct registry *reg = NULL;
	struct runs rs;
	struct run one;
	const struct run *r;
	struct error *err;
	struct run_pair *rows;
	struct optparse p;
	size_t n;
	int id, json = 0, failures = 0, loaded = 0;

	opt_init(&p, lc, sc->spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_FAILURES:
			failures = 1;
			break;
		case O_JSON:
			json = 1;
			break;
		}
	if (id < 0)
		return opt_end(&p);
	if (p.argc != 1)
		return sub_usage_error(sc, "runs show takes one run");
	memset(&rs, 0, sizeof(rs));
	memset(&one, 0, sizeof(one));
	if ((err = find_run(lc, p.argv[0], &rs, &loaded, &reg, &one,
	    &r)) != NULL)
		goto done;
	rows = run_pairs(r, &n);
	if (json)
		show_json(reg, r, rows, n, failures);
	else
		show_text(r, rows, n, failures);
	free(rows);
done:
	run_release(&one);
	runs_release(&rs);
	return err;
}

/* Up to DIFF_LIST_MAX ids, then "and N more". */
static void
id_list(struct strbuf *sb, const char *who, const char **ids, size_t n)
{
	size_t i;

	strbuf_addf(sb, "only %s right (%zu)%s", who, n, n ? ": " : "");
	for (i = 0; i < n && i < DIFF_LIST_MAX; i++) {
		char *id = str_sanitize(ids[i], 60);

		strbuf_addf(sb, "%s%s", i ? ", " : "", id);
		free(id);
	}
	if (n > DIFF_LIST_MAX)
		strbuf_addf(sb, " and %zu more", n - DIFF_LIST_MAX);
	strbuf_addch(sb, '\n');
}

static void
diff_side_json(struct jout *j, const char *key, const struct run *r,
    size_t passed, size_t n, const char **only, size_t nonly)
{
	size_t i;

	jout_obj(j, key);
	jout_str(j, "id", r->id);
	jout_str(j, "dir", r->dir);
	jout_str(j, "adapter", r->adapter);
	jout_str(j, "version", r->version);
	jout_str(j, "settings", r->settings);
	jout_int(j, "passed", (long long)passed);
	jout_num(j, "accuracy", n ? (double)passed / (double)n : NAN);
	jout_arr(j, "only_right");
	for (i = 0; i < nonly; i++)
		jout_str(j, NULL, only[i]);
	jout_end(j);
	jout_end(j);
}

static struct error *
runs_diff_cmd(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct registry *reg = NULL;
	struct runs rs;
	struct run one[2];
	const struct run *r[2];
	struct runs_diff d;
	struct error *err = NULL;
	struct strbuf sb = STRBUF_INIT;
	struct optparse p;
	char pt[STATS_P_TEXT_LEN], *ba, *bb, *name;
	int id, json = 0, k, loaded = 0;

	opt_init(&p, lc, sc->spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		if (id == O_JSON)
			json = 1;
	if (id < 0)
		return opt_end(&p);
	if (p.argc != 2)
		return sub_usage_error(sc, "runs diff takes two runs");
	memset(&rs, 0, sizeof(rs));
	memset(one, 0, sizeof(one));
	for (k = 0; k < 2; k++)
		if ((err = find_run(lc, p.argv[k], &rs, &loaded, &reg,
		    &one[k], &r[k])) != NULL)
			goto done;
	if (strcmp(r[0]->bench_sha256, r[1]->bench_sha256) != 0) {
		ba = r[0]->bench_path ? str_sanitize(r[0]->bench_path, 200) :
		    xstrdup("a file loco cannot find");
		bb = r[1]->bench_path ? str_sanitize(r[1]->bench_path, 200) :
		    xstrdup("a file loco cannot find");
		err = error_new(EXIT_FAIL, "runs '%s' and '%s' were measured "
		    "on different benchmarks (%s, sha256:%.12s; %s, "
		    "sha256:%.12s): their cases cannot be paired", r[0]->id,
		    r[1]->id, ba, r[0]->bench_sha256, bb, r[1]->bench_sha256);
		free(ba);
		free(bb);
		goto done;
	}
	runs_diff(r[0], r[1], &d);
	stats_p_text(d.p, pt);
	if (json) {
		struct jout *j = jout_new();

		jout_int(j, "cases", (long long)d.n);
		diff_side_json(j, "a", r[0], d.a_passed, d.n, d.only_a,
		    d.nonly_a);
		diff_side_json(j, "b", r[1], d.b_passed, d.n, d.only_b,
		    d.nonly_b);
		jout_obj(j, "mcnemar");
		jout_num(j, "p", d.p);
		jout_bool(j, "p_underflow", d.p < STATS_P_FLOOR);
		jout_bool(j, "significant", d.p < 0.05);
		jout_end(j);
		loco_print_json(j);
	} else {
		for (k = 0; k < 2; k++) {
			size_t passed = k ? d.b_passed : d.a_passed;

			name = xasprintf("%s@%s", r[k]->adapter,
			    r[k]->version);
			strbuf_addf(&sb, "%c: %s  %s  %s: %zu of %zu right "
			    "(%.1f%%)\n", k ? 'b' : 'a', r[k]->id, name,
			    r[k]->settings, passed, d.n, d.n ? (double)passed *
			    100 / (double)d.n : 0.0);
			free(name);
		}
		strbuf_addf(&sb, "on the %zu case%s both runs finished\n", d.n,
		    d.n == 1 ? "" : "s");
		id_list(&sb, "a", d.only_a, d.nonly_a);
		id_list(&sb, "b", d.only_b, d.nonly_b);
		strbuf_addf(&sb, "McNemar exact p = %s: ", pt);
		if (d.p >= 0.05)
			strbuf_addstr(&sb, "no significant difference\n");
		else
			strbuf_addf(&sb, "%c is better (significant at "
			    "0.05)\n", d.nonly_a > d.nonly_b ? 'a' : 'b');
		loco_write(sb.buf, sb.len);
	}
	runs_diff_release(&d);
done:
	strbuf_release(&sb);
	run_release(&one[0]);
	run_release(&one[1]);
	runs_release(&rs);
	return err;
}

static const struct subcmd subcmds[] = {
	{ .name = "list", .fn = runs_list, .spec = &list_spec },
	{ .name = "show", .fn = runs_show, .spec = &show_spec },
	{ .name = "diff", .fn = runs_diff_cmd, .spec = &diff_spec },
};

const struct optspec runs_spec = { "runs", "list the eval runs, show one "
    "case by case, compare two", NULL, 0, NULL, 0, NULL, 0, NULL };

const struct subcmd *
runs_subcmds(size_t *n)
{
	*n = ARRAY_SIZE(subcmds);
	return subcmds;
}

struct error *
cmd_runs(struct loco *lc, int argc, char *argv[])
{
	/* Bare `loco runs` and `loco runs -n 5` list. */
	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "-h") != 0 &&
	    strcmp(argv[1], "--help") != 0))
		return runs_list(lc, &subcmds[0], argc, argv);
	return cmd_subcommand(lc, cmd_find("runs"), argc, argv);
}
