/*
 * classifier.c: TF-IDF features and multinomial logistic regression for
 * the trained router, its model file, and the router's training set.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchfile.h"
#include "classifier.h"
#include "config.h"
#include "fsutil.h"
#include "json.h"
#include "router.h"
#include "strbuf.h"
#include "util.h"
#include "banned.h"

#define MODEL_MAGIC	"loco-router-model"
#define MODEL_VERSION	"3"	/* 2: no index; 1: unsorted, no check */
#define MODEL_V2	"2"	/* still read */
#define INDEX_STEP	32	/* features a line of the index stands for */
#define MODEL_MAX	(64u * 1024 * 1024)
#define STAMP_MAGIC	"loco-router-stamp\t1"
#define STAMP_SETTLE	2	/* seconds; see stamp_write */
#define FNV_BASIS	1469598103934665603ULL
#define NOT_FOUND	SIZE_MAX	/* a name a loaded model has not */
#define EPOCHS		15
#define LEARN_RATE	2
#define L2		1e-5
#define SEED		0x9e3779b97f4a7c15ULL
#define START_WEIGHT	2	/* of the start features, against the rest */
#define PIECE_FULL	4	/* bytes of a word piece that weighs in fully */

/* A string -> index map, open addressing. */
struct smap {
	char	**keys;
	size_t	 *vals;
	size_t	  cap, n;
};

/* A sparse vector: feature indices with values. */
struct svec {
	size_t	*idx;
	double	*val;
	size_t	 n;
};

/*
 * Features are sorted by name, found by binary search.  A loaded model
 * maps its file and reads nothing but its header at first: a text's
 * features are looked up by bisection over the mapped lines, and a
 * feature's idf and weights are parsed from its line the first time a
 * text uses it, then kept (found), so that routing one question costs a
 * few dozen lookups, not a pass over a file of megabytes.
 */
struct classifier {
	char		sha256[SHA256_HEX_LEN + 1];
	uint64_t	check;		/* clf_sources_check's */
	char		**classes;
	size_t		  nclasses;
	double		  temperature;
	double		 *bias;		/* nclasses */
	char		**feats;	/* nfeats; trained: sorted */
	double		 *idf;
	double		 *w;		/* nfeats x nclasses */
	size_t		  nfeats;
	/* A trained model: clf_data's stamp of its sources (see stamp_*). */
	uint64_t	  stamp;
	int		  stamped;
	/*
	 * A loaded model: feats, idf and w hold the features read so far,
	 * feats pointing to found's keys.
	 */
	char		 *map;		/* the file, mapped */
	size_t		  maplen;
	struct stat	  st;		/* of the file */
	const char	 *body;		/* its first feature line */
	const char	 *index;	/* version 3: the index's lines, */
	size_t		  nindex;	/* (that many), up to body, */
	const char	**ix;		/* where each begins */
	size_t		  nfile;	/* the features it says it has */
	size_t		 *foff;		/* their lines' offsets in body */
	size_t		  alloc;	/* of feats, foff, idf and w */
	struct smap	  found;	/* name -> index in feats, or NOT_FOUND */
	char		 *path;		/* for errors */
	size_t		  line0;	/* the line of the first feature */
	/* clf_predict's last text and vector, for clf_explain after it. */
	char		 *last_text;
	struct svec	  last;
};


static void
smap_grow(struct smap *m)
{
	struct smap old = *m;
	size_t i, j;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->keys = xcalloc(m->cap, sizeof(*m->keys));
	m->vals = xcalloc(m->cap, sizeof(*m->vals));
	for (i = 0; i < old.cap; i++) {
		if (old.keys[i] == NULL)
			continue;
		j = str_hash(old.keys[i]) & (m->cap - 1);
		while (m->keys[j] != NULL)
			j = (j + 1) & (m->cap - 1);
		m->keys[j] = old.keys[i];
		m->vals[j] = old.vals[i];
	}
	free(old.keys);
	free(old.vals);
}

/* The slot of key: found (keys[slot] != NULL) or where it would go. */
static size_t
smap_slot(const struct smap *m, const char *key)
{
	size_t j = str_hash(key) & (m->cap - 1);

	while (m->keys[j] != NULL && strcmp(m->keys[j], key) != 0)
		j = (j + 1) & (m->cap - 1);
	return j;
}

/* The value of key, inserted (copied) with val when absent. */
static size_t
smap_intern(struct smap *m, const char *key, size_t val)
{
	size_t j;

	if ((m->n + 1) * 2 > m->cap)
		smap_grow(m);
	j = smap_slot(m, key);
	if (m->keys[j] != NULL)
		return m->vals[j];
	m->keys[j] = xstrdup(key);
	m->vals[j] = val;
	m->n++;
	return val;
}

static void
smap_free(struct smap *m)
{
	strv_free(m->keys, m->cap);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* Features */

/*
 * A text's feature names, one after another in buf, each ended by a NUL;
 * off[i] is where the i-th begins.  Training makes millions of these and
 * routing hundreds: one growing buffer instead of a string each.
 */
struct flist {
	char	 *buf;
	size_t	  len, cap;
	size_t	 *off;
	size_t	  n, alloc;
};

#define FL(fl, i)	((fl)->buf + (fl)->off[i])

static void
flist_put(struct flist *fl, const void *p, size_t len)
{
	if (fl->cap - fl->len < len) {
		while (fl->cap - fl->len < len)
			fl->cap = fl->cap ? fl->cap * 2 : 1024;
		fl->buf = xrealloc(fl->buf, fl->cap);
	}
	memcpy(fl->buf + fl->len, p, len);
	fl->len += len;
}

/*
 * Add a feature's name: the prefix, then a (its first n bytes when n >
 * 0), then a space and b when b is given.
 */
static void
feature(struct flist *fl, const char *prefix, const char *a, const char *b,
    size_t n)
{
	if (fl->n == fl->alloc) {
		fl->alloc = fl->alloc ? fl->alloc * 2 : 64;
		fl->off = xreallocarray(fl->off, fl->alloc, sizeof(*fl->off));
	}
	fl->off[fl->n++] = fl->len;
	flist_put(fl, prefix, 2);
	flist_put(fl, a, n > 0 ? n : strlen(a));
	if (b != NULL) {
		flist_put(fl, " ", 1);
		flist_put(fl, b, strlen(b));
	}
	flist_put(fl, "", 1);
}

static void
flist_free(struct flist *fl)
{
	free(fl->buf);
	free(fl->off);
	memset(fl, 0, sizeof(*fl));
}

/*
 * Every feature occurrence of text, repeats included.  The first word
 * and the first two also count as start features ("s:write", "s:write
 * a"): what a question asks for is mostly said first, and it tells
 * "write an essay about the causes of the war" from "what were the causes
 * of the war" better than the words that follow.
 */
static void
extract(const char *text, struct flist *fl)
{
	char **words, *padded;
	size_t nwords, i, len, n, k;

	nwords = router_words(text, &words);
	if (nwords > 0)
		feature(fl, "s:", words[0], NULL, 0);
	if (nwords > 1)
		feature(fl, "s:", words[0], words[1], 0);
	for (i = 0; i < nwords; i++) {
		feature(fl, "w:", words[i], NULL, 0);
		if (i + 1 < nwords)
			feature(fl, "b:", words[i], words[i + 1], 0);
		padded = xasprintf("<%s>", words[i]);
		len = strlen(padded);
		for (n = 2; n <= 5; n++)
			for (k = 0; k + n <= len; k++)
				feature(fl, "c:", padded + k, NULL, n);
		free(padded);
	}
	words_free(words, nwords);
}

static int
size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static struct error	*feature_load(struct classifier *, const char *,
			    size_t *, int *);

/* A trained model's feature named name, by binary search; 0 if unknown. */
static int
feature_find(const struct classifier *m, const char *name, size_t *id)
{
	size_t lo = 0, hi = m->nfeats, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, m->feats[mid]);
		if (c == 0) {
			*id = mid;
			return 1;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

struct keyed {
	size_t	key, id;
};

/*
 * Sort by key, in place (heapsort): a route sorts a few hundred, and
 * glibc's qsort asks the kernel for the machine's memory (sysinfo) before
 * it sorts.  Equal keys are the same feature, so order among them is moot.
 */
/* Move k[root] down the heap of k[0..n) to its place. */
static void
keyed_sift(struct keyed *k, size_t root, size_t n)
{
	struct keyed t;
	size_t child;

	for (; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && k[child].key < k[child + 1].key)
			child++;
		if (k[root].key >= k[child].key)
			break;
		t = k[root];
		k[root] = k[child];
		k[child] = t;
	}
}

static void
keyed_sort(struct keyed *k, size_t n)
{
	struct keyed t;
	size_t i;

	for (i = n / 2; i-- > 0; )
		keyed_sift(k, i, n);
	for (i = n; i-- > 1; ) {
		t = k[0];
		k[0] = k[i];
		k[i] = t;
		keyed_sift(k, 0, i);
	}
}

/*
 * The TF-IDF vector of the feature occurrences ids[0..nids) (repeats
 * included), in the model's order of features (a loaded model's ids are
 * in the order it read them; its order is that of their lines), so that
 * the sums over it come out the same to the last bit.
 */
static void
vectorize_ids(const struct classifier *m, const size_t *ids, size_t nids,
    struct svec *v)
{
	struct keyed *k = xcalloc(nids + 1, sizeof(*k));
	size_t i, j, id;
	double norm = 0;

	for (i = 0; i < nids; i++) {
		k[i].id = ids[i];
		k[i].key = m->map != NULL ? m->foff[ids[i]] : ids[i];
	}
	memset(v, 0, sizeof(*v));
	keyed_sort(k, nids);
	v->idx = xcalloc(nids + 1, sizeof(*v->idx));
	v->val = xcalloc(nids + 1, sizeof(*v->val));
	for (i = 0; i < nids; i = j) {
		for (j = i; j < nids && k[j].id == k[i].id; j++)
			;
		id = k[i].id;
		v->idx[v->n] = id;
		v->val[v->n] = (1 + log((double)(j - i))) * m->idf[id];
		norm += v->val[v->n] * v->val[v->n];
		v->n++;
	}
	if (norm > 0)
		for (i = 0; i < v->n; i++)
			v->val[i] /= sqrt(norm);
	free(k);
}

/*
 * The TF-IDF vector of text over the model's features.  Errors: a
 * malformed line of a loaded model's (the first; the feature is left
 * out).
 */
static struct error *
vectorize(struct classifier *m, const char *text, struct svec *v)
{
	struct flist fl;
	struct error *err = NULL, *e;
	size_t *ids, nids = 0, i, val;
	int ok;

	memset(&fl, 0, sizeof(fl));
	extract(text, &fl);
	ids = xcalloc(fl.n + 1, sizeof(*ids));
	for (i = 0; i < fl.n; i++) {
		if (m->map == NULL)
			ok = feature_find(m, FL(&fl, i), &val);
		else if ((e = feature_load(m, FL(&fl, i), &val, &ok)) != NULL) {
			if (err == NULL)
				err = e;
			else
				error_free(e);
			ok = 0;
		}
		if (ok)
			ids[nids++] = val;
	}
	flist_free(&fl);
	vectorize_ids(m, ids, nids, v);
	free(ids);
	return err;
}

static void
svec_free(struct svec *v)
{
	free(v->idx);
	free(v->val);
}

/* Logits of v (before the temperature). */
static void
logits(const double *w, const double *bias, size_t k, double scale,
    const struct svec *v, double *z)
{
	size_t i, c;

	for (c = 0; c < k; c++)
		z[c] = 0;
	for (i = 0; i < v->n; i++) {
		const double *row = w + v->idx[i] * k;

		for (c = 0; c < k; c++)
			z[c] += row[c] * v->val[i];
	}
	for (c = 0; c < k; c++)
		z[c] = bias[c] + scale * z[c];
}

static void
softmax(double *z, size_t k, double temperature)
{
	double max = -HUGE_VAL, sum = 0;
	size_t c;

	for (c = 0; c < k; c++)
		if (z[c] / temperature > max)
			max = z[c] / temperature;
	for (c = 0; c < k; c++) {
		z[c] = exp(z[c] / temperature - max);
		sum += z[c];
	}
	for (c = 0; c < k; c++)
		z[c] /= sum;
}

static uint64_t
rng_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Fit weights and bias on the examples listed in use[0..nuse).  The
 * weights are kept as scale x w so the L2 decay is one multiplication.
 * Classes weigh in inversely to their size, so a class with many
 * examples (the general questions) does not swallow the others.
 */
static void
fit(const struct svec *vecs, const size_t *labels, const size_t *use,
    size_t nuse, size_t nfeats, size_t k, double *w, double *bias)
{
	size_t *order = xcalloc(nuse + 1, sizeof(*order));
	double *z = xcalloc(k, sizeof(*z)), scale = 1, lr, g;
	double *cw = xcalloc(k, sizeof(*cw));
	uint64_t seed = SEED;
	size_t e, i, j, c, t = 0, tmp;

	memcpy(order, use, nuse * sizeof(*order));
	for (i = 0; i < nuse; i++)
		cw[labels[use[i]]]++;
	for (c = 0; c < k; c++)
		cw[c] = cw[c] > 0 ? (double)nuse / ((double)k * cw[c]) : 1;
	for (e = 0; e < EPOCHS; e++) {
		for (i = nuse; i > 1; i--) {
			j = (size_t)(rng_next(&seed) % i);
			tmp = order[i - 1];
			order[i - 1] = order[j];
			order[j] = tmp;
		}
		for (i = 0; i < nuse; i++, t++) {
			const struct svec *v = &vecs[order[i]];

			lr = LEARN_RATE / (1 + (double)t / (double)nuse);
			logits(w, bias, k, scale, v, z);
			softmax(z, k, 1);
			scale *= 1 - lr * L2;
			for (c = 0; c < k; c++) {
				g = (z[c] - (labels[order[i]] == c)) *
				    cw[labels[order[i]]];
				bias[c] -= lr * g;
				/* The step, over the scale kept apart. */
				z[c] = lr * g / scale;
			}
			for (j = 0; j < v->n; j++) {
				double *row = w + v->idx[j] * k;

				for (c = 0; c < k; c++)
					row[c] -= z[c] * v->val[j];
			}
			if (scale < 1e-6) {
				for (j = 0; j < nfeats * k; j++)
					w[j] *= scale;
				scale = 1;
			}
		}
	}
	for (j = 0; j < nfeats * k; j++)
		w[j] *= scale;
	free(order);
	free(z);
	free(cw);
}

/* The temperature with the least log loss on held-out logits. */
static double
fit_temperature(const double *z, const size_t *labels, size_t n, size_t k)
{
	double best = 1, bestloss = HUGE_VAL, t, loss, *p;
	size_t step, i;

	if (n == 0)
		return 1;
	p = xcalloc(k, sizeof(*p));
	for (step = 0; step <= 200; step++) {
		t = exp(log(0.05) + (log(20.0) - log(0.05)) * (double)step /
		    200);
		loss = 0;
		for (i = 0; i < n; i++) {
			memcpy(p, z + i * k, k * sizeof(*p));
			softmax(p, k, t);
			loss -= log(p[labels[i]] > 1e-300 ? p[labels[i]] :
			    1e-300);
		}
		if (loss < bestloss) {
			bestloss = loss;
			best = t;
		}
	}
	free(p);
	return best;
}

/*
 * The weight of a word piece "c:...": shorter pieces are shared by more
 * unrelated words ("<ja" of "java" and "japan"), so a piece of n bytes,
 * the '<' and '>' marks included, weighs n / PIECE_FULL, at most 1.
 */
static double
piece_weight(const char *feat)
{
	size_t n = strlen(feat) - 2;

	return n < PIECE_FULL ? (double)n / PIECE_FULL : 1;
}

struct byname {
	char	*name;
	size_t	 id;		/* by first appearance */
};

static int
byname_cmp(const void *a, const void *b)
{
	return strcmp(((const struct byname *)a)->name,
	    ((const struct byname *)b)->name);
}

struct classifier *
clf_train(const struct clf_data *d, size_t min_df)
{
	struct classifier *m = xcalloc(1, sizeof(*m));
	struct smap seen;
	struct svec *vecs;
	struct byname *byname;
	size_t *df = NULL, ndf = 0, dfalloc = 0, **occ, *nocc, *newid;
	size_t *use, nuse, *held, nheld, i, j, k;
	double *z;

	memset(&seen, 0, sizeof(seen));
	memcpy(m->sha256, d->sha256, sizeof(m->sha256));
	m->check = d->check;
	m->stamp = d->stamp;
	m->stamped = d->stamped;
	k = m->nclasses = d->nclasses;
	m->classes = xcalloc(k + 1, sizeof(*m->classes));
	for (i = 0; i < k; i++)
		m->classes[i] = xstrdup(d->classes[i]);
	m->bias = xcalloc(k + 1, sizeof(*m->bias));
	m->temperature = 1;

	/*
	 * One pass over the texts: each feature occurrence as a number, the
	 * features numbered by first appearance, and their document
	 * frequencies.
	 */
	occ = xcalloc(d->n + 1, sizeof(*occ));
	nocc = xcalloc(d->n + 1, sizeof(*nocc));
	for (i = 0; i < d->n; i++) {
		struct flist fl;

		memset(&fl, 0, sizeof(fl));
		extract(d->texts[i], &fl);
		occ[i] = xcalloc(fl.n + 1, sizeof(**occ));
		for (j = 0; j < fl.n; j++) {
			if (ndf == dfalloc) {
				dfalloc = dfalloc ? dfalloc * 2 : 1024;
				df = xreallocarray(df, dfalloc, sizeof(*df));
			}
			if ((occ[i][j] = smap_intern(&seen, FL(&fl, j), ndf)) ==
			    ndf)
				df[ndf++] = 0;
		}
		nocc[i] = fl.n;
		flist_free(&fl);
		qsort(occ[i], nocc[i], sizeof(**occ), size_cmp);
		for (j = 0; j < nocc[i]; j++)
			if (j == 0 || occ[i][j] != occ[i][j - 1])
				df[occ[i][j]]++;
	}
	/* Keep the frequent enough ones, numbered in the order of their names. */
	byname = xcalloc(ndf + 1, sizeof(*byname));
	for (i = 0; i < seen.cap; i++) {
		if (seen.keys[i] == NULL || df[seen.vals[i]] < min_df)
			continue;
		byname[m->nfeats].name = seen.keys[i];
		byname[m->nfeats++].id = seen.vals[i];
		seen.keys[i] = NULL;
	}
	smap_free(&seen);
	qsort(byname, m->nfeats, sizeof(*byname), byname_cmp);
	newid = xcalloc(ndf + 1, sizeof(*newid));
	for (i = 0; i < ndf; i++)
		newid[i] = SIZE_MAX;
	m->feats = xcalloc(m->nfeats + 1, sizeof(*m->feats));
	m->idf = xcalloc(m->nfeats + 1, sizeof(*m->idf));
	for (i = 0; i < m->nfeats; i++) {
		m->feats[i] = byname[i].name;
		m->idf[i] = log((1.0 + (double)d->n) /
		    (1.0 + (double)df[byname[i].id])) + 1;
		/* The model's idf carries the weights of the kinds. */
		if (m->feats[i][0] == 's')
			m->idf[i] *= START_WEIGHT;
		else if (m->feats[i][0] == 'c')
			m->idf[i] *= piece_weight(m->feats[i]);
		newid[byname[i].id] = i;
	}
	free(byname);
	free(df);

	vecs = xcalloc(d->n + 1, sizeof(*vecs));
	for (i = 0; i < d->n; i++) {
		size_t nids = 0;

		for (j = 0; j < nocc[i]; j++)
			if (newid[occ[i][j]] != SIZE_MAX)
				occ[i][nids++] = newid[occ[i][j]];
		vectorize_ids(m, occ[i], nids, &vecs[i]);
		free(occ[i]);
	}
	free(occ);
	free(nocc);
	free(newid);
	m->w = xcalloc(m->nfeats * k + 1, sizeof(*m->w));

	/* Calibrate on every fifth example, held out from a first fit. */
	use = xcalloc(d->n + 1, sizeof(*use));
	held = xcalloc(d->n + 1, sizeof(*held));
	nuse = nheld = 0;
	for (i = 0; i < d->n; i++) {
		if (i % 5 == 4)
			held[nheld++] = i;
		else
			use[nuse++] = i;
	}
	if (nheld >= 10) {
		size_t *hl = xcalloc(nheld + 1, sizeof(*hl));

		fit(vecs, d->labels, use, nuse, m->nfeats, k, m->w, m->bias);
		z = xcalloc(nheld * k + 1, sizeof(*z));
		for (i = 0; i < nheld; i++) {
			logits(m->w, m->bias, k, 1, &vecs[held[i]], z + i * k);
			hl[i] = d->labels[held[i]];
		}
		m->temperature = fit_temperature(z, hl, nheld, k);
		free(z);
		free(hl);
		memset(m->w, 0, m->nfeats * k * sizeof(*m->w));
		memset(m->bias, 0, k * sizeof(*m->bias));
	}
	for (i = 0; i < d->n; i++)
		use[i] = i;
	fit(vecs, d->labels, use, d->n, m->nfeats, k, m->w, m->bias);

	for (i = 0; i < d->n; i++)
		svec_free(&vecs[i]);
	free(vecs);
	free(use);
	free(held);
	return m;
}

/*
 * x as printf's "%.6g" writes it (bar, at most, the last digit of a
 * number halfway between two): a model has hundreds of thousands of
 * numbers, and printf's exact conversion was a fifth of training.
 */
static void
add_g6(struct strbuf *sb, double x)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
	    1e19, 1e20, 1e21, 1e22 };
	char digits[8], out[32];
	double a = fabs(x), scaled;
	long long mant;
	int e, s, n = 0, i, last;

	if (!isfinite(x) || a < 1e-280 || a > 1e280) {
		strbuf_addf(sb, "%.6g", x);
		return;
	}
	e = (int)floor(log10(a));
	for (;;) {
		s = 5 - e;
		scaled = a;
		for (i = s; i > 22; i -= 22)
			scaled *= p10[22];
		for (; i < -22; i += 22)
			scaled /= p10[22];
		scaled = i >= 0 ? scaled * p10[i] : scaled / p10[-i];
		mant = llround(scaled);
		if (mant >= 1000000)
			e++;
		else if (mant < 100000)
			e--;
		else
			break;
	}
	for (i = 5; i >= 0; i--, mant /= 10)
		digits[i] = (char)('0' + mant % 10);
	for (last = 5; last > 0 && digits[last] == '0'; last--)
		;
	if (x < 0)
		out[n++] = '-';
	if (e >= -4 && e < 6) {
		if (e >= 0) {
			for (i = 0; i <= e; i++)
				out[n++] = digits[i];
			if (last > e)
				out[n++] = '.';
			for (; i <= last; i++)
				out[n++] = digits[i];
		} else {
			out[n++] = '0';
			out[n++] = '.';
			for (i = -1; i > e; i--)
				out[n++] = '0';
			for (i = 0; i <= last; i++)
				out[n++] = digits[i];
		}
		out[n] = '\0';
		strbuf_add(sb, out, (size_t)n);
		return;
	}
	out[n++] = digits[0];
	if (last > 0)
		out[n++] = '.';
	for (i = 1; i <= last; i++)
		out[n++] = digits[i];
	n += snprintf(out + n, sizeof(out) - (size_t)n, "e%c%02d",
	    e < 0 ? '-' : '+', e < 0 ? -e : e);
	strbuf_add(sb, out, (size_t)n);
}

static struct error	*stamp_write(const struct classifier *, const char *);

struct error *
clf_save(const struct classifier *m, const char *path)
{
	struct strbuf sb, ib, fb;
	struct error *err;
	size_t i, c;

	/* The feature lines first: the index gives their offsets. */
	strbuf_init(&sb, 0);
	strbuf_init(&ib, 0);
	strbuf_init(&fb, 0);
	strbuf_addf(&sb, "%s\t%s\ndata\t%s\ncheck\t%016llx\nclasses",
	    MODEL_MAGIC, MODEL_VERSION, m->sha256,
	    (unsigned long long)m->check);
	for (c = 0; c < m->nclasses; c++)
		strbuf_addf(&sb, "\t%s", m->classes[c]);
	strbuf_addf(&sb, "\ntemperature\t%.9g\nbias", m->temperature);
	for (c = 0; c < m->nclasses; c++)
		strbuf_addf(&sb, "\t%.9g", m->bias[c]);
	strbuf_addf(&sb, "\nfeatures\t%zu\n", m->nfeats);
	for (i = 0; i < m->nfeats; i++) {
		if (i % INDEX_STEP == 0)
			strbuf_addf(&ib, "%s\t%zu\n", m->feats[i], fb.len);
		strbuf_addstr(&fb, m->feats[i]);
		strbuf_addch(&fb, '\t');
		add_g6(&fb, m->idf[i]);
		/* No denormals: strtod reports them as out of range. */
		for (c = 0; c < m->nclasses; c++) {
			double x = m->w[i * m->nclasses + c];

			strbuf_addch(&fb, '\t');
			add_g6(&fb, fabs(x) < 1e-30 ? 0 : x);
		}
		strbuf_addch(&fb, '\n');
	}
	strbuf_addf(&sb, "index\t%zu\t%zu\n", (m->nfeats + INDEX_STEP - 1) /
	    INDEX_STEP, ib.len);
	strbuf_add(&sb, ib.buf, ib.len);
	strbuf_add(&sb, fb.buf, fb.len);
	strbuf_release(&ib);
	strbuf_release(&fb);
	err = fs_write_atomic(path, sb.buf, sb.len);
	strbuf_release(&sb);
	if (err == NULL)
		err = stamp_write(m, path);
	return err;
}

/* Model parsing */

struct mparse {
	const char	*path;
	char		*p;	/* the rest of the file */
	size_t		 line;
	char		*fields[64];
	size_t		 nfields;
};

static struct error *
model_error(const char *path, size_t line, const char *what)
{
	char *clean = str_sanitize(path, 256);
	struct error *err = error_new(EXIT_FAIL, "malformed router model "
	    "'%s': line %zu: %s; run 'loco router train'", clean, line, what);

	free(clean);
	return err;
}

static struct error *
mp_error(const struct mparse *mp, const char *what)
{
	return model_error(mp->path, mp->line, what);
}

/* Split the next line into tab-separated fields; 0 at the end. */
static int
mp_next(struct mparse *mp)
{
	char *nl, *f;

	if (*mp->p == '\0')
		return 0;
	mp->line++;
	nl = strchr(mp->p, '\n');
	if (nl != NULL)
		*nl = '\0';
	mp->nfields = 0;
	f = mp->p;
	for (;;) {
		char *tab = strchr(f, '\t');

		if (mp->nfields < ARRAY_SIZE(mp->fields))
			mp->fields[mp->nfields] = f;
		mp->nfields++;
		if (tab == NULL)
			break;
		*tab = '\0';
		f = tab + 1;
	}
	mp->p = nl != NULL ? nl + 1 : mp->p + strlen(mp->p);
	return 1;
}

static struct error *
mp_expect(struct mparse *mp, const char *key, size_t nfields)
{
	char *what;
	struct error *err;

	if (!mp_next(mp)) {
		mp->line++;
		what = xasprintf("expected '%s', found the end of the file",
		    key);
		goto bad;
	}
	if (strcmp(mp->fields[0], key) != 0) {
		what = xasprintf("expected '%s'", key);
		goto bad;
	}
	if (nfields != 0 && mp->nfields != nfields) {
		what = xasprintf("expected %zu fields after '%s', found %zu",
		    nfields - 1, key, mp->nfields - 1);
		goto bad;
	}
	return NULL;
bad:
	err = mp_error(mp, what);
	free(what);
	return err;
}

/*
 * A number as clf_save writes it (%g).  strtod's exact rounding costs
 * most of the load time of a model with thousands of lines; six or nine
 * significant digits need no more than this.  Anything unusual goes to
 * parse_double.
 */
static int
mp_number(const char *s, double *out)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18 };
	const char *p = s;
	uint64_t mant = 0;
	int neg = 0, ndig = 0, scale = 0, e = 0, eneg = 0, edig = 0;
	double v;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (; *p >= '0' && *p <= '9'; p++, ndig++)
		mant = mant * 10 + (uint64_t)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, ndig++, scale--)
			mant = mant * 10 + (uint64_t)(*p - '0');
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			eneg = *p++ == '-';
		for (; *p >= '0' && *p <= '9' && edig < 4; p++, edig++)
			e = e * 10 + (*p - '0');
		if (edig == 0)
			return 0;
		scale += eneg ? -e : e;
	}
	if (*p != '\0' || ndig == 0 || ndig > 18 || scale < -300 ||
	    scale > 300)
		return parse_double(s, -1e300, 1e300, out) == 0;
	v = (double)mant;
	while (scale > 0) {
		int k = scale > 18 ? 18 : scale;

		v *= p10[k];
		scale -= k;
	}
	while (scale < 0) {
		int k = -scale > 18 ? 18 : -scale;

		v /= p10[k];
		scale += k;
	}
	if (!isfinite(v))
		return 0;
	*out = neg ? -v : v;
	return 1;
}

static int
parse_check(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 16; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			v = v << 4 | (uint64_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v = v << 4 | (uint64_t)(s[i] - 'a' + 10);
		else
			return 0;
	}
	if (s[16] != '\0')
		return 0;
	*out = v;
	return 1;
}

/* The lines before the features: magic, data, check ... features. */
#define HEADER_LINES	7

/* Map the model file read-only (an empty file is not mapped). */
static struct error *
model_map(const char *path, struct classifier *m)
{
	struct stat st;
	struct error *err = NULL;
	char *clean;
	void *p;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_new(EXIT_FAIL, "cannot open '%s': %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1)
		err = error_new(EXIT_FAIL, "cannot read '%s': %s", path,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size >
	    MODEL_MAX) {
		clean = str_sanitize(path, 256);
		err = error_new(EXIT_FAIL, "'%s' is not a file of at most %u "
		    "bytes", clean, MODEL_MAX);
		free(clean);
	} else if (st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
		    0);
		if (p == MAP_FAILED)
			err = error_new(EXIT_FAIL, "cannot read '%s': %s", path,
			    strerror(errno));
		else {
			m->map = p;
			m->maplen = (size_t)st.st_size;
		}
	}
	if (err == NULL)
		m->st = st;
	close(fd);
	return err;
}

/* A NUL-terminated copy of the first HEADER_LINES lines, for mparse. */
static char *
header_copy(const char *map, size_t len)
{
	const char *p = map, *nl;
	int n;

	for (n = 0; n < HEADER_LINES && p < map + len; n++) {
		if ((nl = memchr(p, '\n', (size_t)(map + len - p))) == NULL) {
			p = map + len;
			break;
		}
		p = nl + 1;
	}
	return xstrndup(map != NULL ? map : "", (size_t)(p - map));
}

/* strcmp of two names in a mapped model, each ended by a tab or newline. */
static int
tab_cmp(const char *a, const char *b)
{
	int x, y;

	for (;; a++, b++) {
		x = *a == '\t' || *a == '\n' ? 0 : (unsigned char)*a;
		y = *b == '\t' || *b == '\n' ? 0 : (unsigned char)*b;
		if (x != y || x == 0)
			return x - y;
	}
}

/*
 * The index of a version 3 model, at m->body (line m->line0): a line
 * "index", the number of entries and their size in bytes, then the
 * entries, a line each: the name of every INDEX_STEP-th feature, the
 * first included, and the offset of its line from the first feature
 * line.  Only the size is checked now; an entry is checked when a lookup
 * uses it (index_block).
 */
static struct error *
index_parse(struct classifier *m, const char *path)
{
	const char *p = m->body, *end = m->map + m->maplen, *eol;
	char line[64], *f[3], *tab;
	long n, bytes;
	size_t i;

	if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL ||
	    (size_t)(eol - p) >= sizeof(line))
		eol = p;
	memcpy(line, p, (size_t)(eol - p));
	line[eol - p] = '\0';
	f[0] = line;
	for (i = 1; i < 3; i++)
		if ((tab = strchr(f[i - 1], '\t')) != NULL) {
			*tab = '\0';
			f[i] = tab + 1;
		} else
			f[i] = "";
	if (strcmp(f[0], "index") != 0 || strchr(f[2], '\t') != NULL ||
	    parse_long(f[1], 0, 10000000, &n) != 0 ||
	    parse_long(f[2], 0, MODEL_MAX, &bytes) != 0)
		return model_error(path, m->line0, "expected 'index', the "
		    "number of entries and their size");
	if ((size_t)(end - (eol + 1)) < (size_t)bytes || (bytes > 0 &&
	    eol[bytes] != '\n') || (n > 0) != (bytes > 0) ||
	    (n > 0) != (m->nfile > 0))
		return model_error(path, m->line0, "the index does not match "
		    "the file");
	m->index = eol + 1;
	m->nindex = (size_t)n;
	m->body = m->index + bytes;
	/* Where the entries begin, for a bisection that need not look. */
	m->ix = xcalloc(m->nindex + 1, sizeof(*m->ix));
	for (i = 0, p = m->index; p < m->body; i++) {
		if (i == m->nindex)
			break;
		m->ix[i] = p;
		p = (const char *)memchr(p, '\n', (size_t)(m->body - p)) + 1;
	}
	if (i != m->nindex || p != m->body)
		return model_error(path, m->line0, "the index does not match "
		    "the file");
	return NULL;
}

struct error *
clf_load(const char *path, struct classifier **out)
{
	struct classifier *m = xcalloc(1, sizeof(*m));
	struct mparse mp;
	struct error *err;
	char *data = NULL;
	size_t len, c, k;
	long nf;
	int v2;

	*out = NULL;
	if ((err = model_map(path, m)) != NULL)
		goto done;
	len = m->maplen;
	/* The header is parsed from a copy of its lines; see HEADER_LINES. */
	data = header_copy(m->map, len);
	memset(&mp, 0, sizeof(mp));
	mp.path = path;
	mp.p = data;
	if (!mp_next(&mp) || strcmp(mp.fields[0], MODEL_MAGIC) != 0 ||
	    mp.nfields != 2) {
		mp.line = 1;
		err = mp_error(&mp, "not a loco router model");
		goto done;
	}
	if (strcmp(mp.fields[1], MODEL_VERSION) != 0 &&
	    strcmp(mp.fields[1], MODEL_V2) != 0) {
		err = mp_error(&mp, "unknown model version");
		goto done;
	}
	v2 = strcmp(mp.fields[1], MODEL_V2) == 0;
	if ((err = mp_expect(&mp, "data", 2)) != NULL)
		goto done;
	if (!sha256_valid_hex(mp.fields[1])) {
		err = mp_error(&mp, "expected a SHA-256 after 'data'");
		goto done;
	}
	memcpy(m->sha256, mp.fields[1], SHA256_HEX_LEN + 1);
	if ((err = mp_expect(&mp, "check", 2)) != NULL)
		goto done;
	if (!parse_check(mp.fields[1], &m->check)) {
		err = mp_error(&mp, "expected 16 hexadecimal digits after "
		    "'check'");
		goto done;
	}
	if ((err = mp_expect(&mp, "classes", 0)) != NULL)
		goto done;
	if (mp.nfields < 3 || mp.nfields > ARRAY_SIZE(mp.fields)) {
		err = mp_error(&mp, "expected 2 to 63 classes");
		goto done;
	}
	k = m->nclasses = mp.nfields - 1;
	m->classes = xcalloc(k + 1, sizeof(*m->classes));
	for (c = 0; c < k; c++)
		m->classes[c] = xstrdup(mp.fields[c + 1]);
	if ((err = mp_expect(&mp, "temperature", 2)) != NULL)
		goto done;
	if (!mp_number(mp.fields[1], &m->temperature) ||
	    !(m->temperature > 0)) {
		err = mp_error(&mp, "expected a positive temperature");
		goto done;
	}
	if ((err = mp_expect(&mp, "bias", k + 1)) != NULL)
		goto done;
	m->bias = xcalloc(k + 1, sizeof(*m->bias));
	for (c = 0; c < k; c++)
		if (!mp_number(mp.fields[c + 1], &m->bias[c])) {
			err = mp_error(&mp, "expected a number");
			goto done;
		}
	if ((err = mp_expect(&mp, "features", 2)) != NULL)
		goto done;
	if (parse_long(mp.fields[1], 0, 10000000, &nf) != 0) {
		err = mp_error(&mp, "expected a feature count");
		goto done;
	}
	/*
	 * Nothing past the header is read now: feature_load finds the lines
	 * a text needs.  Only the ends are checked.
	 */
	m->nfile = (size_t)nf;
	m->line0 = mp.line + 1;
	m->body = m->map + (mp.p - data);
	if (!v2) {
		if ((err = index_parse(m, path)) != NULL)
			goto done;
		mp.line += 1 + m->nindex;
		m->line0 += 1 + m->nindex;
	}
	if (nf > 0 && m->body >= m->map + len) {
		mp.line++;
		err = mp_error(&mp, "expected a feature, found the end of the "
		    "file");
		goto done;
	}
	if (nf == 0 && m->body < m->map + len) {
		mp.line++;
		err = mp_error(&mp, "more features than the count says");
		goto done;
	}
	m->path = xstrdup(path);
done:
	free(data);
	if (err != NULL)
		clf_free(m);
	else
		*out = m;
	return err;
}

void
clf_free(struct classifier *m)
{
	if (m == NULL)
		return;
	strv_free(m->classes, m->nclasses);
	if (m->map == NULL)
		strv_free(m->feats, m->nfeats);
	else {
		free(m->feats);
		free(m->foff);
		free(m->ix);
		smap_free(&m->found);
		munmap(m->map, m->maplen);
	}
	free(m->path);
	free(m->idf);
	free(m->w);
	free(m->bias);
	free(m->last_text);
	svec_free(&m->last);
	free(m);
}

const char *
clf_data_sha256(const struct classifier *m)
{
	return m->sha256;
}

uint64_t
clf_data_check(const struct classifier *m)
{
	return m->check;
}

size_t
clf_nclasses(const struct classifier *m)
{
	return m->nclasses;
}

const char *
clf_class(const struct classifier *m, size_t i)
{
	return m->classes[i];
}

size_t
clf_nfeatures(const struct classifier *m)
{
	return m->map != NULL ? m->nfile : m->nfeats;
}

double
clf_temperature(const struct classifier *m)
{
	return m->temperature;
}

/* The line number of the line at p of a loaded model (for errors). */
static size_t
line_number(const struct classifier *m, const char *p)
{
	const char *q = m->body, *nl;
	size_t line = m->line0;

	while (q < p && (nl = memchr(q, '\n', (size_t)(p - q))) != NULL) {
		line++;
		q = nl + 1;
	}
	return line;
}

static const char *
line_end(const struct classifier *m, const char *p)
{
	const char *end = m->map + m->maplen, *nl;

	nl = memchr(p, '\n', (size_t)(end - p));
	return nl != NULL ? nl : end;
}

/*
 * strcmp of name and the name at the start of the line at p (ended by a
 * tab, the line's end or the file's).
 */
static int
line_cmp(const struct classifier *m, const char *name, const char *p)
{
	const char *end = m->map + m->maplen;
	int x, y;

	for (;; name++, p++) {
		x = (unsigned char)*name;
		y = p == end || *p == '\t' || *p == '\n' ? 0 :
		    (unsigned char)*p;
		if (x != y || x == 0)
			return x - y;
	}
}

/*
 * The line of the feature named name among the lines [lo, hi), by
 * bisection; NULL if absent.
 */
static const char *
line_find(const struct classifier *m, const char *name, const char *lo,
    const char *hi)
{
	const char *p, *nl;
	int c;

	while (lo < hi) {
		/*
		 * The line after the middle; lo's when the middle is on the
		 * last line (memchr looks forward fast, not back).
		 */
		p = lo + (hi - lo) / 2;
		nl = memchr(p, '\n', (size_t)(hi - p));
		p = nl != NULL && nl + 1 < hi ? nl + 1 : lo;
		if ((c = line_cmp(m, name, p)) == 0)
			return p;
		if (c < 0)
			hi = p;
		else
			lo = line_end(m, p) + 1;
	}
	return NULL;
}

static struct error *
line_error(const struct classifier *m, const char *p, const char *what)
{
	return model_error(m->path, line_number(m, p), what);
}

/*
 * The idf and weights on the line at p, whose name is name, into
 * slot i of idf and w.  The lines next to it must sort before and after
 * it: a file out of order would make lookups miss.
 */
static struct error *
feature_parse(struct classifier *m, const char *name, const char *p,
    size_t i)
{
	const char *f, *eol = line_end(m, p), *end = m->map + m->maplen;
	const char *prev, *next;
	char num[64], *what;
	struct error *err;
	size_t c, k = m->nclasses, len;
	int cmp;

	if (memchr(p, '\0', (size_t)(eol - p)) != NULL)
		return line_error(m, p, "not a text file");
	if (p > m->body) {
		for (prev = p - 1; prev > m->body && prev[-1] != '\n'; prev--)
			;
		if ((cmp = line_cmp(m, name, prev)) <= 0)
			return line_error(m, p, cmp == 0 ? "duplicate feature" :
			    "features out of order");
	}
	if ((next = eol + 1) < end && (cmp = line_cmp(m, name, next)) >= 0)
		return line_error(m, next, cmp == 0 ? "duplicate feature" :
		    "features out of order");
	p += strlen(name);
	for (c = 0; c <= k && p < eol && *p == '\t'; c++) {
		f = ++p;
		if ((p = memchr(f, '\t', (size_t)(eol - f))) == NULL)
			p = eol;
		len = (size_t)(p - f);
		num[0] = '\0';
		if (len < sizeof(num)) {
			memcpy(num, f, len);
			num[len] = '\0';
		}
		if (!mp_number(num, c == 0 ? &m->idf[i] : &m->w[i * k + c - 1]))
			return line_error(m, f, c == 0 ?
			    "expected a number for the idf" :
			    "expected a number");
	}
	if (c != k + 1 || p != eol) {
		what = xasprintf("expected a feature, its idf and %zu weights",
		    k);
		err = line_error(m, eol, what);
		free(what);
		return err;
	}
	return NULL;
}

/* The offset on the index line at p, or (size_t)-1. */
static size_t
index_offset(const struct classifier *m, const char *p)
{
	const char *eol = line_end(m, p), *f;
	size_t off = 0;

	if ((f = memchr(p, '\t', (size_t)(eol - p))) == NULL || ++f == eol)
		return (size_t)-1;
	for (; f < eol; f++) {
		if (*f < '0' || *f > '9' || off > MODEL_MAX)
			return (size_t)-1;
		off = off * 10 + (size_t)(*f - '0');
	}
	return off;
}

/*
 * Where name's line must be: [*lo, *hi), the block of the last index
 * entry not after name (an empty range when name sorts before all), or
 * the whole file without an index.
 */
static struct error *
index_block(const struct classifier *m, const char *name, const char **lo,
    const char **hi)
{
	const char *end = m->map + m->maplen, *e;
	size_t a, b = (size_t)(end - m->body), j, k, mid;

	*lo = m->body;
	*hi = end;
	if (m->nindex == 0)
		return NULL;
	/* The last entry not after name. */
	for (j = 0, k = m->nindex; j < k; ) {
		mid = j + (k - j) / 2;
		if (line_cmp(m, name, m->ix[mid]) < 0)
			k = mid;
		else
			j = mid + 1;
	}
	if (j == 0) {
		*hi = *lo;
		return NULL;
	}
	e = m->ix[--j];
	a = index_offset(m, e);
	if (j + 1 < m->nindex)
		b = index_offset(m, m->ix[j + 1]);
	if (a >= b || b > (size_t)(end - m->body) ||
	    (a > 0 && m->body[a - 1] != '\n') ||
	    (m->body + b < end && m->body[b - 1] != '\n') ||
	    tab_cmp(e, m->body + a) != 0)
		return model_error(m->path, m->line0 - m->nindex + j,
		    "the index does not match the features");
	*lo = m->body + a;
	*hi = m->body + b;
	return NULL;
}

/*
 * A loaded model's feature named name: *found says whether the model has
 * it, *id its index in feats, idf and w, read from its line the first
 * time.  A malformed line is an error each time it is looked up.
 */
static struct error *
feature_load(struct classifier *m, const char *name, size_t *id,
    int *found)
{
	struct error *err;
	const char *p, *lo, *hi;
	size_t j, i = m->nfeats, k = m->nclasses;

	*found = 0;
	if (m->found.cap > 0) {
		j = smap_slot(&m->found, name);
		if (m->found.keys[j] != NULL) {
			*id = m->found.vals[j];
			*found = *id != NOT_FOUND;
			return NULL;
		}
	}
	if ((err = index_block(m, name, &lo, &hi)) != NULL)
		return err;
	if ((p = line_find(m, name, lo, hi)) == NULL) {
		smap_intern(&m->found, name, NOT_FOUND);
		return NULL;
	}
	if (i == m->alloc) {
		m->alloc = m->alloc ? m->alloc * 2 : 64;
		m->feats = xreallocarray(m->feats, m->alloc, sizeof(*m->feats));
		m->foff = xreallocarray(m->foff, m->alloc, sizeof(*m->foff));
		m->idf = xreallocarray(m->idf, m->alloc, sizeof(*m->idf));
		m->w = xreallocarray(m->w, m->alloc * k, sizeof(*m->w));
	}
	if ((err = feature_parse(m, name, p, i)) != NULL)
		return err;
	smap_intern(&m->found, name, i);
	m->feats[i] = m->found.keys[smap_slot(&m->found, name)];
	m->foff[i] = (size_t)(p - m->body);
	m->nfeats++;
	*id = i;
	*found = 1;
	return NULL;
}

struct error *
clf_predict(struct classifier *m, const char *text, double *probs)
{
	struct svec v;
	struct error *err;

	err = vectorize(m, text, &v);
	logits(m->w, m->bias, m->nclasses, 1, &v, probs);
	softmax(probs, m->nclasses, m->temperature);
	free(m->last_text);
	svec_free(&m->last);
	m->last_text = NULL;
	memset(&m->last, 0, sizeof(m->last));
	if (err == NULL) {
		m->last_text = xstrdup(text);
		m->last = v;
	} else
		svec_free(&v);
	return err;
}

static int
feature_cmp(const void *a, const void *b)
{
	const struct clf_feature *x = a, *y = b;

	if (x->contrib != y->contrib)
		return x->contrib > y->contrib ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct error *
clf_explain(struct classifier *m, const char *text, size_t cls,
    struct clf_feature *out, size_t max, size_t *nout)
{
	struct clf_feature *all;
	struct error *err;
	struct svec v;
	size_t i, n = 0;
	int mine = 1;

	*nout = 0;
	if (m->last_text != NULL && strcmp(m->last_text, text) == 0) {
		v = m->last;
		mine = 0;
	} else if ((err = vectorize(m, text, &v)) != NULL) {
		svec_free(&v);
		return err;
	}
	all = xcalloc(v.n + 1, sizeof(*all));
	for (i = 0; i < v.n; i++) {
		double c = m->w[v.idx[i] * m->nclasses + cls] * v.val[i];

		if (c > 0) {
			all[n].name = m->feats[v.idx[i]];
			all[n++].contrib = c;
		}
	}
	qsort(all, n, sizeof(*all), feature_cmp);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	*nout = n;
	free(all);
	if (mine)
		svec_free(&v);
	return NULL;
}

/* Training sets */

void
clf_data_init(struct clf_data *d)
{
	memset(d, 0, sizeof(*d));
}

size_t
clf_data_class(struct clf_data *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nclasses; i++)
		if (strcmp(d->classes[i], name) == 0)
			return i;
	d->classes = xreallocarray(d->classes, d->nclasses + 1,
	    sizeof(*d->classes));
	d->classes[d->nclasses] = xstrdup(name);
	return d->nclasses++;
}

void
clf_data_add(struct clf_data *d, size_t label, const char *text)
{
	d->texts = xreallocarray(d->texts, d->n + 1, sizeof(*d->texts));
	d->labels = xreallocarray(d->labels, d->n + 1, sizeof(*d->labels));
	d->texts[d->n] = xstrdup(text);
	d->labels[d->n++] = label;
}

void
clf_data_seal(struct clf_data *d)
{
	struct sha256 *h = sha256_new();
	size_t i;

	for (i = 0; i < d->nclasses; i++)
		sha256_update(h, d->classes[i], strlen(d->classes[i]) + 1);
	for (i = 0; i < d->n; i++) {
		const char *cls = d->classes[d->labels[i]];

		sha256_update(h, cls, strlen(cls) + 1);
		sha256_update(h, d->texts[i], strlen(d->texts[i]) + 1);
	}
	sha256_finish(h, d->sha256);
}

void
clf_data_release(struct clf_data *d)
{
	strv_free(d->classes, d->nclasses);
	strv_free(d->texts, d->n);
	free(d->labels);
	memset(d, 0, sizeof(*d));
}

/* general.txt in the search order of the standard benchmarks. */
static char *
find_general(const char *registry_dir)
{
	char *home = loco_home(), *cands[4], *found = NULL;
	size_t i;

	cands[0] = xasprintf("%s/benchmarks/general.txt", home);
	cands[1] = xasprintf("%s/../benchmarks/general.txt", registry_dir);
	cands[2] = xstrdup("./benchmarks/general.txt");
	cands[3] = xasprintf("%s/benchmarks/general.txt", LOCO_DATADIR);
	free(home);
	for (i = 0; i < ARRAY_SIZE(cands); i++) {
		if (found == NULL && fs_exists(cands[i]))
			found = cands[i];
		else
			free(cands[i]);
	}
	return found;
}

static struct error *
add_lines(struct clf_data *d, size_t label, const char *path)
{
	char *data, *line, *nl;
	size_t len;
	struct error *err;

	if ((err = fs_read_file(path, MODEL_MAX, &data, &len)) != NULL)
		return err;
	for (line = data; line != NULL && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		line = str_trim(line);
		if (*line != '\0' && *line != '#')
			clf_data_add(d, label, line);
	}
	free(data);
	return NULL;
}

/* A keyword phrase without its '*' wildcards. */
static void
add_phrase(struct clf_data *d, size_t label, const char *phrase)
{
	char *s = xstrdup(phrase), *p, *q;

	for (p = q = s; *p != '\0'; p++)
		if (*p != '*')
			*q++ = *p;
	*q = '\0';
	clf_data_add(d, label, s);
	free(s);
}

/*
 * The sources of the training set, fed to SHA-256 (the data's identity,
 * recorded in the model) or to 64-bit FNV-1a (the check every routing
 * makes, which need not pay for starting OpenSSL).
 */
struct data_hash {
	struct sha256	*sha;		/* NULL: FNV-1a */
	uint64_t	 fnv;
	/*
	 * Stamp mode: a file is hashed by what stat says of it, not read;
	 * newest is the latest change time of those files.
	 */
	int		 stamp;
	struct timespec	 newest;
};

static void
hash_bytes(struct data_hash *h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	if (h->sha != NULL) {
		sha256_update(h->sha, p, n);
		return;
	}
	for (i = 0; i < n; i++) {
		h->fnv ^= b[i];
		h->fnv *= 1099511628211ULL;
	}
}

static void
hash_str(struct data_hash *h, const char *s)
{
	hash_bytes(h, s, strlen(s) + 1);
}

static int
ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec &&
	    a.tv_nsec < b.tv_nsec);
}

/* What stat says of a file that changes whenever its contents do. */
static void
hash_stat(struct data_hash *h, const struct stat *st)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%lld %lld.%09ld %lld.%09ld %llu %llu",
	    (long long)st->st_size, (long long)st->st_mtim.tv_sec,
	    st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
	    st->st_ctim.tv_nsec, (unsigned long long)st->st_ino,
	    (unsigned long long)st->st_dev);
	hash_str(h, buf);
}

static struct error *
hash_file(struct data_hash *h, const char *path)
{
	struct stat st;
	char *data;
	size_t len;
	struct error *err;

	if (path == NULL) {
		hash_str(h, "-");
		return NULL;
	}
	if (h->stamp) {
		if (stat(path, &st) == -1)
			return error_new(EXIT_FAIL, "cannot read '%s': %s",
			    path, strerror(errno));
		hash_str(h, path);
		hash_stat(h, &st);
		if (ts_before(h->newest, st.st_mtim))
			h->newest = st.st_mtim;
		if (ts_before(h->newest, st.st_ctim))
			h->newest = st.st_ctim;
		return NULL;
	}
	if ((err = fs_read_file(path, MODEL_MAX, &data, &len)) != NULL)
		return err;
	hash_bytes(h, data, len);
	hash_str(h, "");
	free(data);
	return NULL;
}

/*
 * What the training set is made from: the files as they are and the
 * registry's examples and keywords.  Reading them is cheaper than
 * building the set, and every router decision checks them.
 */
static struct error *
hash_sources(const struct registry *reg, struct data_hash *h)
{
	struct error *err = NULL;
	size_t i, j, k;
	char *path, buf[32];

	hash_str(h, "loco-router-data 1");
	for (i = 0; i < reg->ndomains && err == NULL; i++) {
		const struct adapter *active = registry_active(reg,
		    reg->domains[i]);

		if (active == NULL)
			continue;
		hash_str(h, reg->domains[i]);
		path = bench_for_domain(reg, reg->domains[i]);
		err = hash_file(h, path);
		free(path);
		for (j = 0; j < reg->nadapters; j++) {
			const struct adapter *a = &reg->adapters[j];

			char **ex = NULL;
			size_t nex = 0;

			if (!a->active || strcmp(a->domain,
			    reg->domains[i]) != 0)
				continue;
			if (h->stamp && a->examples_file != NULL) {
				if (err == NULL)
					err = hash_file(h, a->examples_file);
			} else if (err == NULL)
				err = registry_examples(a, &ex, &nex);
			for (k = 0; k < nex; k++)
				hash_str(h, ex[k]);
			strv_free(ex, nex);
			for (k = 0; k < a->nkeywords; k++) {
				hash_str(h, a->keywords[k].phrase);
				/* A stamp is read by the same program. */
				if (h->stamp) {
					hash_bytes(h, &a->keywords[k].weight,
					    sizeof(a->keywords[k].weight));
					continue;
				}
				snprintf(buf, sizeof(buf), "%.17g",
				    a->keywords[k].weight);
				hash_str(h, buf);
			}
		}
	}
	hash_str(h, CLF_NONE);
	if (err == NULL) {
		path = find_general(reg->dir);
		err = hash_file(h, path);
		free(path);
	}
	return err;
}

struct error *
clf_sources_sha256(const struct registry *reg, char hex[SHA256_HEX_LEN + 1])
{
	struct data_hash h;
	struct error *err;

	memset(&h, 0, sizeof(h));
	h.sha = sha256_new();
	err = hash_sources(reg, &h);
	sha256_finish(h.sha, hex);
	return err;
}

struct error *
clf_sources_check(const struct registry *reg, uint64_t *check)
{
	struct data_hash h;
	struct error *err;

	memset(&h, 0, sizeof(h));
	h.fnv = FNV_BASIS;
	err = hash_sources(reg, &h);
	*check = h.fnv;
	return err;
}

/*
 * The sources' stamp: hash_sources with each file's stat in place of its
 * contents.  *newest: the latest modification or change time among them.
 */
static struct error *
sources_stamp(const struct registry *reg, uint64_t *stamp,
    struct timespec *newest)
{
	struct data_hash h;
	struct error *err;

	memset(&h, 0, sizeof(h));
	h.fnv = FNV_BASIS;
	h.stamp = 1;
	err = hash_sources(reg, &h);
	*stamp = h.fnv;
	*newest = h.newest;
	return err;
}

/* What the stamp file of a model holds: its file, its check, the stamp. */
static uint64_t
stamp_value(const struct stat *model, uint64_t check, uint64_t stamp)
{
	struct data_hash h;
	char buf[64];

	memset(&h, 0, sizeof(h));
	h.fnv = FNV_BASIS;
	hash_str(&h, "loco-router-stamp 1");
	hash_stat(&h, model);
	snprintf(buf, sizeof(buf), "%016llx %016llx",
	    (unsigned long long)check, (unsigned long long)stamp);
	hash_str(&h, buf);
	return h.fnv;
}

static char *
stamp_path(const char *model)
{
	return xasprintf("%s.stamp", model);
}

/*
 * After clf_save wrote path: its stamp file, when the sources were
 * stamped at least STAMP_SETTLE seconds after their last change (a file
 * changed again within the same tick of its clock could keep its stamp);
 * else no stamp file, and routing reads the sources each time.
 */
static struct error *
stamp_write(const struct classifier *m, const char *path)
{
	struct stat st;
	struct error *err = NULL;
	char *sp = stamp_path(path), line[64];

	if (m->stamped && stat(path, &st) == 0) {
		snprintf(line, sizeof(line), "%s\t%016llx\n", STAMP_MAGIC,
		    (unsigned long long)stamp_value(&st, m->check, m->stamp));
		err = fs_write_atomic(sp, line, strlen(line));
	} else if (unlink(sp) == -1 && errno != ENOENT)
		err = error_new(EXIT_FAIL, "cannot remove '%s': %s", sp,
		    strerror(errno));
	free(sp);
	return err;
}

int
clf_sources_unchanged(const struct classifier *m, const struct registry *reg)
{
	struct timespec newest;
	struct error *err;
	uint64_t stamp, want;
	char *sp, *data = NULL;
	size_t len, mlen = strlen(STAMP_MAGIC);
	int ok = 0;

	if (m->map == NULL || m->path == NULL)
		return 0;
	sp = stamp_path(m->path);
	err = fs_read_file(sp, 256, &data, &len);
	free(sp);
	if (err != NULL) {
		error_free(err);
		return 0;
	}
	if (len == mlen + 18 && strncmp(data, STAMP_MAGIC, mlen) == 0 &&
	    data[mlen] == '\t' && data[len - 1] == '\n') {
		data[len - 1] = '\0';
		if (parse_check(data + mlen + 1, &want) &&
		    (err = sources_stamp(reg, &stamp, &newest)) == NULL)
			ok = stamp_value(&m->st, m->check, stamp) == want;
		error_free(err);
	}
	free(data);
	return ok;
}

struct error *
clf_data_collect(const struct registry *reg, struct clf_data *d)
{
	struct error *err = NULL;
	struct timespec newest, now;
	size_t i, j, c, before;
	char *path;

	clf_data_init(d);
	/* Before the files are read: a change while they are is seen. */
	if ((err = sources_stamp(reg, &d->stamp, &newest)) == NULL) {
		clock_gettime(CLOCK_REALTIME, &now);
		now.tv_sec -= STAMP_SETTLE;
		d->stamped = ts_before(newest, now);
	}
	error_free(err);
	err = NULL;
	for (i = 0; i < reg->ndomains; i++) {
		const struct adapter *active = registry_active(reg,
		    reg->domains[i]);
		struct bench *b = NULL;

		if (active == NULL)
			continue;
		c = clf_data_class(d, reg->domains[i]);
		before = d->n;
		path = bench_for_domain(reg, reg->domains[i]);
		if (path != NULL) {
			err = bench_load(path, 0, &b);
			free(path);
			if (err != NULL)
				goto done;
			/*
			 * The instruction is the question; the input is
			 * material (a text to rewrite, a passage) that looks
			 * like anything.
			 */
			for (j = 0; j < b->n; j++)
				clf_data_add(d, c, *b->cases[j].instruction ?
				    b->cases[j].instruction :
				    b->cases[j].input);
			bench_free(b);
		}
		for (j = 0; j < reg->nadapters; j++) {
			const struct adapter *a = &reg->adapters[j];
			char **ex;
			size_t k, nex;

			if (strcmp(a->domain, reg->domains[i]) != 0)
				continue;
			if (!a->active)
				continue;
			if ((err = registry_examples(a, &ex, &nex)) != NULL)
				break;
			for (k = 0; k < nex; k++)
				clf_data_add(d, c, ex[k]);
			strv_free(ex, nex);
			/* Keyword phrases are short examples of the domain. */
			for (k = 0; k < a->nkeywords; k++)
				add_phrase(d, c, a->keywords[k].phrase);
		}
		if (err != NULL)
			goto done;
		if (d->n == before) {
			/* Nothing to learn the class from. */
			free(d->classes[--d->nclasses]);
		}
	}
	c = clf_data_class(d, CLF_NONE);
	if ((path = find_general(reg->dir)) != NULL) {
		err = add_lines(d, c, path);
		free(path);
	}
done:
	if (err == NULL)
		err = clf_sources_sha256(reg, d->sha256);
	if (err == NULL)
		err = clf_sources_check(reg, &d->check);
	if (err != NULL)
		clf_data_release(d);
	return err;
}

/* Labelled files */

static struct error *
label_error(const char *path, size_t line, const char *what)
{
	char *clean = str_sanitize(path, 256);
	struct error *err = error_new(EXIT_FAIL, "cannot read '%s': line %zu: "
	    "%s", clean, line, what);

	free(clean);
	return err;
}

static struct error *
label_json(struct clf_data *d, const char *path, size_t lineno,
    const char *line)
{
	struct json *root = json_parse_object(line, strlen(line));
	const char *dom = json_str(root, "domain");
	const char *q = json_str(root, "query");
	struct error *err = NULL;

	if (root == NULL)
		err = label_error(path, lineno, "expected a JSON object");
	else if (dom == NULL || *dom == '\0')
		err = label_error(path, lineno, "expected string for "
		    "\"domain\"");
	else if (q == NULL)
		err = label_error(path, lineno, "expected string for "
		    "\"query\"");
	else
		clf_data_add(d, clf_data_class(d, dom), q);
	json_free(root);
	return err;
}

struct error *
router_labels_load(const char *path, struct clf_data *d)
{
	char *data, *line, *nl, *tab, *p;
	size_t len, lineno = 0;
	int json = str_endswith(path, ".jsonl") || str_endswith(path, ".json");
	struct error *err;

	clf_data_init(d);
	if ((err = fs_read_file(path, MODEL_MAX, &data, &len)) != NULL)
		return err;
	for (line = data; line != NULL && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		lineno++;
		if ((p = strchr(line, '\r')) != NULL && p[1] == '\0')
			*p = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		if (json || *p == '{') {
			if ((err = label_json(d, path, lineno, p)) != NULL)
				break;
			continue;
		}
		if ((tab = strchr(line, '\t')) == NULL || tab == line ||
		    tab[1] == '\0') {
			err = label_error(path, lineno,
			    "expected domain<TAB>query");
			break;
		}
		*tab = '\0';
		clf_data_add(d, clf_data_class(d, str_trim(line)), tab + 1);
	}
	free(data);
	if (err != NULL)
		clf_data_release(d);
	else
		clf_data_seal(d);
	return err;
}
