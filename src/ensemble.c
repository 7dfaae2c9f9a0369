/* ensemble.c: an ensemble's members and weights (see ensemble.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ensemble.h"
#include "results.h"
#include "strbuf.h"
#include "banned.h"

char *
ensemble_member_name(const struct ensemble_member *m)
{
	return xasprintf("%s@%s", m->adapter->name, m->adapter->version);
}

static struct error *
add(struct ensemble *e, const struct adapter *a)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->m[i].adapter == a)
			return error_new(EXIT_USAGE, "--ensemble: '%s@%s' is "
			    "named twice", a->name, a->version);
	e->m = xreallocarray(e->m, e->n + 1, sizeof(*e->m));
	memset(&e->m[e->n], 0, sizeof(*e->m));
	e->m[e->n].adapter = a;
	e->m[e->n].weight = 1;
	e->m[e->n].accuracy = NAN;
	e->m[e->n++].source = "none";
	return NULL;
}

static struct error *
by_names(const struct registry *reg, const char *names, struct ensemble *e)
{
	struct error *err = NULL;
	const struct adapter *a;
	char *list = xstrdup(names), *p = list, *comma;

	while (err == NULL) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		if (*p == '\0')
			err = error_new(EXIT_USAGE, "--ensemble: an empty name "
			    "in '%s'", names);
		else if ((a = registry_find(reg, p)) == NULL) {
			char *clean = str_sanitize(p, 64);

			err = error_new(EXIT_USAGE, "--ensemble: no adapter "
			    "named '%s' in '%s'; see 'loco adapters list'",
			    clean, reg->path);
			free(clean);
		} else
			err = add(e, a);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	free(list);
	return err;
}

/* The latest archived result of each member, unless stale. */
static struct error *
weigh(struct ensemble *e)
{
	struct results rs;
	struct result *r;
	struct error *err;
	char *dir = results_dir();
	size_t i, k;

	err = results_load(dir, &rs);
	free(dir);
	if (err != NULL)
		return err;
	for (i = 0; i < e->n && err == NULL; i++) {
		const struct adapter *a = e->m[i].adapter;

		/* Sorted by time within an adapter@version: the last wins. */
		for (k = rs.n, r = NULL; k > 0 && r == NULL; k--) {
			struct result *c = &rs.v[k - 1];

			if (strcmp(c->domain, a->domain) == 0 &&
			    c->adapter != NULL &&
			    strcmp(c->adapter, a->name) == 0 &&
			    strcmp(c->version, a->version) == 0)
				r = c;
		}
		if (r == NULL)
			continue;
		if ((err = results_check_stale(r, 1)) != NULL)
			break;
		e->m[i].result = xstrdup(r->file);
		if (r->stale) {
			e->m[i].source = "stale";
			continue;
		}
		e->m[i].source = "recorded";
		e->m[i].accuracy = r->score.accuracy;
		e->m[i].weight = r->score.accuracy;
	}
	results_release(&rs);
	if (err != NULL)
		return err;
	/*
	 * Weights are comparable only when every member has one: a member
	 * without a record weighs 1, which would outweigh every measured
	 * accuracy (an unmeasured math-b at 1 against math's 0.895 decided
	 * the tiny world's math ensemble).  So all weigh 1 then.
	 */
	for (i = 0, k = 0; i < e->n; i++)
		k += strcmp(e->m[i].source, "recorded") == 0;
	if (k > 0 && k < e->n)
		for (i = 0; i < e->n; i++)
			if (strcmp(e->m[i].source, "recorded") == 0) {
				e->m[i].source = "unweighted";
				e->m[i].weight = 1;
			}
	return NULL;
}

struct error *
ensemble_select(const struct registry *reg, const char *names,
    const char *domain, struct ensemble *e)
{
	struct ensemble_member tmp;
	struct error *err = NULL;
	size_t i, j;

	memset(e, 0, sizeof(*e));
	if (names != NULL)
		err = by_names(reg, names, e);
	else {
		for (i = 0; i < reg->nadapters && err == NULL; i++)
			if (reg->adapters[i].active &&
			    strcmp(reg->adapters[i].domain, domain) == 0)
				err = add(e, &reg->adapters[i]);
		if (err == NULL && e->n == 0)
			err = error_new(EXIT_USAGE, "--ensemble: domain '%s' "
			    "has no active adapter", domain);
	}
	if (err == NULL)
		err = weigh(e);
	if (err != NULL) {
		ensemble_release(e);
		return err;
	}
	/* Heaviest first; insertion sort keeps registry order on a tie. */
	for (i = 1; i < e->n; i++)
		for (j = i; j > 0 && e->m[j - 1].weight < e->m[j].weight;
		    j--) {
			tmp = e->m[j - 1];
			e->m[j - 1] = e->m[j];
			e->m[j] = tmp;
		}
	return NULL;
}

void
ensemble_release(struct ensemble *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->m[i].result);
	free(e->m);
	memset(e, 0, sizeof(*e));
}
