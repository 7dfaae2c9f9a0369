/*
 * router.c: the router interface, the keyword router and the classifier
 * router with its fallback chain.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "classifier.h"
#include "config.h"
#include "fsutil.h"
#include "router.h"
#include "banned.h"

struct router_ops {
	const char	*kind;
	struct error	*(*route)(struct router *, const char *,
			    struct route_result *);
	void		 (*free)(struct router *);
};

/* A phrase split into words once, at construction. */
struct kw_phrase {
	char	*text;		/* as in the registry */
	char	**words;
	size_t	 nwords;
	double	 weight;
};

struct kw_adapter {
	const struct adapter	*adapter;
	struct kw_phrase	*phrases;
	size_t			 nphrases;
};

struct router {
	const struct router_ops	*ops;
	/* keyword router */
	struct kw_adapter	*ads;
	size_t			 nads;
	double			 min_score;
	/*
	 * classifier router: the keyword router is the next link, made when
	 * first needed (with min_score)
	 */
	struct classifier	*model;
	struct router		*keyword;
	const struct registry	*reg;
	double			 threshold;
};

/* A classifier router's keyword link. */
static struct router *
keyword_link(struct router *r)
{
	if (r->keyword == NULL)
		r->keyword = router_new_keyword(r->reg, r->min_score);
	return r->keyword;
}

static int
is_word_byte(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* allow_star: a keyword phrase, where a word may end in '*'. */
static size_t
split_words(const char *text, int allow_star, char ***words)
{
	const unsigned char *p = (const unsigned char *)text, *start;
	char **w = NULL, *word;
	size_t n = 0, alloc = 0, len, i;

	while (*p != '\0') {
		if (!is_word_byte(*p)) {
			p++;
			continue;
		}
		start = p;
		while (is_word_byte(*p))
			p++;
		/* Keep "c++", "c#", and a pattern's trailing '*'. */
		while (p > start && (*p == '+' || *p == '#'))
			p++;
		if (allow_star && *p == '*')
			p++;
		len = (size_t)(p - start);
		word = xstrndup((const char *)start, len);
		for (i = 0; i < len; i++)
			word[i] = (char)tolower((unsigned char)word[i]);
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			w = xreallocarray(w, alloc, sizeof(*w));
		}
		w[n++] = word;
	}
	*words = w;
	return n;
}

size_t
router_words(const char *text, char ***words)
{
	return split_words(text, 0, words);
}

void
words_free(char **words, size_t n)
{
	strv_free(words, n);
}

static int
word_matches(const char *pattern, const char *word)
{
	size_t plen = strlen(pattern);

	if (plen > 1 && pattern[plen - 1] == '*')
		return strncmp(pattern, word, plen - 1) == 0;
	return strcmp(pattern, word) == 0;
}

static int
phrase_occurs(const struct kw_phrase *ph, char **words, size_t nwords)
{
	size_t i, j;

	if (ph->nwords == 0 || ph->nwords > nwords)
		return 0;
	for (i = 0; i + ph->nwords <= nwords; i++) {
		for (j = 0; j < ph->nwords; j++)
			if (!word_matches(ph->words[j], words[i + j]))
				break;
		if (j == ph->nwords)
			return 1;
	}
	return 0;
}

/* Ranking; ties fall through to registry order (index). */
static int
candidate_cmp(const struct route_candidate *a, size_t ia,
    const struct route_candidate *b, size_t ib)
{
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->nhits != b->nhits)
		return a->nhits > b->nhits ? -1 : 1;
	if (a->nwords != b->nwords)
		return a->nwords > b->nwords ? -1 : 1;
	return ia < ib ? -1 : (ia > ib);
}

/* One domain (an adapter without one is a domain of its own). */
static int
same_domain(const struct adapter *a, const struct adapter *b)
{
	if (a->domain == NULL || b->domain == NULL)
		return a == b;
	return strcmp(a->domain, b->domain) == 0;
}

static struct error *
keyword_route(struct router *r, const char *question,
    struct route_result *res)
{
	char **words;
	size_t nwords, i, j, n = 0;
	struct route_candidate *cands, tmp;
	size_t *order, tmpi;
	double total = 0;

	memset(res, 0, sizeof(*res));
	nwords = router_words(question, &words);
	cands = xcalloc(r->nads + 1, sizeof(*cands));
	order = xcalloc(r->nads + 1, sizeof(*order));
	for (i = 0; i < r->nads; i++) {
		struct kw_adapter *ka = &r->ads[i];
		struct route_candidate *c = &cands[n];

		for (j = 0; j < ka->nphrases; j++) {
			if (!phrase_occurs(&ka->phrases[j], words, nwords))
				continue;
			c->score += ka->phrases[j].weight;
			c->nhits++;
			c->nwords += ka->phrases[j].nwords;
			c->hits = xreallocarray(c->hits, c->nhits,
			    sizeof(*c->hits));
			c->hits[c->nhits - 1] = xstrdup(ka->phrases[j].text);
		}
		if (c->nhits > 0 && c->score > 0) {
			c->adapter = ka->adapter;
			order[n] = i;
			n++;
		} else {
			strv_free(c->hits, c->nhits);
			memset(c, 0, sizeof(*c));
		}
	}
	/* Insertion sort: a handful of candidates, and it is stable. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && candidate_cmp(&cands[j], order[j],
		    &cands[j - 1], order[j - 1]) < 0; j--) {
			tmp = cands[j];
			cands[j] = cands[j - 1];
			cands[j - 1] = tmp;
			tmpi = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmpi;
		}
	free(order);
	words_free(words, nwords);
	/*
	 * The confidence is about the domain: adapters of one domain (math
	 * and math-b, with the same keywords) are not rivals, so each domain
	 * counts once, with its best score (the first of it in this order).
	 */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (same_domain(cands[j].adapter, cands[i].adapter))
				break;
		if (j == i)
			total += cands[i].score;
	}

	res->candidates = cands;
	res->ncandidates = n;
	if (n == 0) {
		res->reason = "no keyword matched";
		return NULL;
	}
	if (cands[0].score < r->min_score) {
		res->reason = "keyword score below router.min_score";
		return NULL;
	}
	res->adapter = cands[0].adapter;
	res->score = cands[0].score;
	res->confidence = total > 0 ? cands[0].score / total : 0;
	res->reason = "keywords";
	return NULL;
}

static void
keyword_free(struct router *r)
{
	size_t i, j;

	for (i = 0; i < r->nads; i++) {
		for (j = 0; j < r->ads[i].nphrases; j++) {
			free(r->ads[i].phrases[j].text);
			words_free(r->ads[i].phrases[j].words,
			    r->ads[i].phrases[j].nwords);
		}
		free(r->ads[i].phrases);
	}
	free(r->ads);
}

static const struct router_ops keyword_ops = {
	"keyword", keyword_route, keyword_free
};

struct router *
router_new_keyword(const struct registry *reg, double min_score)
{
	struct router *r = xcalloc(1, sizeof(*r));
	size_t i, j;

	r->ops = &keyword_ops;
	r->min_score = min_score;
	r->ads = xcalloc(reg->nadapters + 1, sizeof(*r->ads));
	for (i = 0; i < reg->nadapters; i++) {
		const struct adapter *a = &reg->adapters[i];
		struct kw_adapter *ka;

		if (!a->active)
			continue;
		ka = &r->ads[r->nads++];
		ka->adapter = a;
		ka->phrases = xcalloc(a->nkeywords + 1, sizeof(*ka->phrases));
		for (j = 0; j < a->nkeywords; j++) {
			struct kw_phrase *ph = &ka->phrases[ka->nphrases];

			ph->nwords = split_words(a->keywords[j].phrase, 1,
			    &ph->words);
			if (ph->nwords == 0) {
				free(ph->words);
				continue;
			}
			ph->text = xstrdup(a->keywords[j].phrase);
			ph->weight = a->keywords[j].weight;
			ka->nphrases++;
		}
	}
	return r;
}

#define EXPLAIN_FEATURES 5

/* Words: runs of letters or digits. */
static size_t
word_count(const char *s)
{
	size_t n = 0;
	int in = 0;

	for (; *s != '\0'; s++) {
		int w = isalnum((unsigned char)*s) || (*s & 0x80);

		n += w && !in;
		in = w;
	}
	return n;
}

static struct error *
classifier_route(struct router *r, const char *question,
    struct route_result *res)
{
	size_t k = clf_nclasses(r->model), i, best = 0;
	double *probs = xcalloc(k, sizeof(*probs));
	struct clf_feature feats[EXPLAIN_FEATURES];
	const struct adapter *a = NULL;
	const char *cls;
	struct error *err;

	if ((err = clf_predict(r->model, question, probs)) != NULL) {
		free(probs);
		return err;
	}
	for (i = 1; i < k; i++)
		if (probs[i] > probs[best])
			best = i;
	cls = clf_class(r->model, best);
	if (probs[best] >= r->threshold && strcmp(cls, CLF_NONE) != 0)
		a = registry_active(r->reg, cls);
	/*
	 * "none" for "why?" or "and then?" is no decision: so few words
	 * say nothing about a topic (chat keeps a follow-up with the
	 * adapter of the turn before), so keywords have the last word.
	 */
	if (probs[best] >= r->threshold && strcmp(cls, CLF_NONE) == 0 &&
	    word_count(question) <= ROUTE_SHORT_WORDS) {
		if ((err = router_route(keyword_link(r), question, res)) != NULL) {
			free(probs);
			return err;
		}
		if (res->adapter == NULL)
			res->reason = "too few words to place, no keyword "
			    "decision";
		else
			res->reason = "too few words to place, keywords";
	} else if (probs[best] >= r->threshold &&
	    (a != NULL || strcmp(cls, CLF_NONE) == 0)) {
		memset(res, 0, sizeof(*res));
		res->adapter = a;
		res->link = "classifier";
		res->reason = a ? "classifier" : "classifier: none";
	} else {
		if ((err = router_route(keyword_link(r), question, res)) != NULL) {
			free(probs);
			return err;
		}
		if (res->adapter == NULL)
			res->reason = probs[best] < r->threshold ?
			    "classifier below router.threshold, no keyword "
			    "decision" : "no active adapter of the domain, "
			    "no keyword decision";
		else
			res->reason = probs[best] < r->threshold ?
			    "classifier below router.threshold, keywords" :
			    "no active adapter of the domain, keywords";
	}
	if (res->link == NULL || strcmp(res->link, "classifier") == 0) {
		res->score = probs[best];
		res->confidence = probs[best];
	}
	res->nclasses = k;
	res->probs = probs;
	res->classes = xcalloc(k, sizeof(*res->classes));
	for (i = 0; i < k; i++)
		res->classes[i] = xstrdup(clf_class(r->model, i));
	if ((err = clf_explain(r->model, question, best, feats,
	    EXPLAIN_FEATURES, &res->nfeatures)) != NULL) {
		route_result_release(res);
		return err;
	}
	res->features = xcalloc(res->nfeatures + 1, sizeof(*res->features));
	for (i = 0; i < res->nfeatures; i++) {
		res->features[i].name = xstrdup(feats[i].name);
		res->features[i].contrib = feats[i].contrib;
	}
	return NULL;
}

static void
classifier_free(struct router *r)
{
	clf_free(r->model);
	router_free(r->keyword);
}

static const struct router_ops classifier_ops = {
	"classifier", classifier_route, classifier_free
};

struct router *
router_new_classifier(const struct registry *reg, struct classifier *model,
    double threshold, double min_score)
{
	struct router *r = xcalloc(1, sizeof(*r));

	r->ops = &classifier_ops;
	r->model = model;
	r->reg = reg;
	r->threshold = threshold;
	r->min_score = min_score;
	return r;
}

const char *
router_kind(const struct router *r)
{
	return r->ops->kind;
}

struct error *
router_route(struct router *r, const char *question, struct route_result *res)
{
	struct error *err;

	if ((err = r->ops->route(r, question, res)) != NULL)
		return err;
	if (res->link == NULL)
		res->link = res->adapter != NULL ? r->ops->kind : "base";
	return NULL;
}

void
route_result_release(struct route_result *res)
{
	size_t i, j;

	for (i = 0; i < res->ncandidates; i++) {
		for (j = 0; j < res->candidates[i].nhits; j++)
			free(res->candidates[i].hits[j]);
		free(res->candidates[i].hits);
	}
	free(res->candidates);
	strv_free(res->classes, res->nclasses);
	free(res->probs);
	for (i = 0; i < res->nfeatures; i++)
		free(res->features[i].name);
	free(res->features);
	memset(res, 0, sizeof(*res));
}

void
router_free(struct router *r)
{
	if (r == NULL)
		return;
	r->ops->free(r);
	free(r);
}

#define STALE_MSG	"the router model was trained on other data: run " \
			"'loco router train'"

char *
router_model_path(const struct config *cfg)
{
	char *home, *path;

	if (cfg->router_model != NULL)
		return xstrdup(cfg->router_model);
	home = loco_home();
	path = xasprintf("%s/router.model", home);
	free(home);
	return path;
}

struct error *
router_open(const struct config *cfg, const struct registry *reg,
    struct router **out, char **notice)
{
	const char *type = cfg->router_type;
	struct classifier *m = NULL;
	struct error *err = NULL;
	char *path = NULL, *clean;
	uint64_t check;

	*out = NULL;
	*notice = NULL;
	if (strcmp(type, "keyword") == 0)
		goto keyword;
	path = router_model_path(cfg);
	if (!fs_exists(path)) {
		if (strcmp(type, "auto") == 0)
			goto keyword;
		clean = str_sanitize(path, 256);
		err = error_new(EXIT_FAIL, "no router model '%s': run 'loco "
		    "router train'", clean);
		free(clean);
		goto done;
	}
	if ((err = clf_load(path, &m)) != NULL)
		goto done;
	/*
	 * A source of its data that cannot be read (a benchmark moved or
	 * removed) leaves the model unchecked: keywords route, as for a
	 * stale one, unless the classifier was asked for by name.
	 */
	if (clf_sources_unchanged(m, reg))
		check = clf_data_check(m);
	else if ((err = clf_sources_check(reg, &check)) != NULL) {
		clf_free(m);
		m = NULL;
		if (strcmp(type, "classifier") == 0)
			goto done;
		*notice = xasprintf("cannot check the router model against "
		    "its data: %s; using keywords", err->msg);
		error_free(err);
		err = NULL;
		goto keyword;
	}
	if (check != clf_data_check(m)) {
		clf_free(m);
		m = NULL;
		if (strcmp(type, "classifier") == 0) {
			err = error_new(EXIT_FAIL, "%s", STALE_MSG);
			goto done;
		}
		*notice = xstrdup(STALE_MSG "; using keywords");
		goto keyword;
	}
	*out = router_new_classifier(reg, m, cfg->router_threshold,
	    cfg->router_min_score);
	m = NULL;
	goto done;
keyword:
	*out = router_new_keyword(reg, cfg->router_min_score);
done:
	clf_free(m);
	free(path);
	return err;
}
