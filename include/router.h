/*
 * router.h: pick the adapter for a question.  A router is an interface
 * (router_route) with one implementation per kind; the keyword router is
 * the first.  No decision means the base model.
 *
 * Keyword router: the question and each keyword phrase are split into
 * words (runs of ASCII letters and digits, and any non-ASCII bytes, with a
 * trailing '+' or '#' kept so "c++" and "c#" are words), lower-cased.  A
 * phrase matches where its words occur consecutively in the question, so
 * "sum" does not match "assume" and "code" does not match "decode".  A
 * phrase word ending in '*' matches any word it begins ("integr*" matches
 * "integral" and "integrate").  An adapter scores the sum of the weights
 * of its distinct matching phrases.  Ranking: higher score, then more
 * matching phrases, then more matched words (more specific), then registry
 * order.  The top adapter wins when its score reaches router.min_score.
 * Only active adapters take part.
 *
 * Classifier router (classifier.h): a calibrated probability for every
 * domain and "none".  The top class decides when its probability reaches
 * router.threshold ("none": the base model); below it, or when no active
 * adapter has the domain, the keyword router decides, and when that finds
 * nothing, the base model: the chain classifier -> keywords -> base.
 */
#ifndef LOCO_ROUTER_H
#define LOCO_ROUTER_H

#include <stddef.h>

#include "error.h"
#include "registry.h"

/*
 * A question of at most this many words that the classifier puts in its
 * "none" class is not placed ("why?", "and then?"): keywords
 * decide, or nothing does (chat keeps such a follow-up with the adapter
 * of the turn before).
 */
#define ROUTE_SHORT_WORDS	3

struct route_candidate {
	const struct adapter	*adapter;
	double			 score;
	size_t			 nhits;		/* distinct phrases matched */
	size_t			 nwords;	/* words in those phrases */
	char			**hits;		/* the phrases, in match order */
};

struct route_feature {
	char	*name;		/* "w:solve", "b:solve for", "c:<sol" */
	double	 contrib;
};

struct route_result {
	const struct adapter	*adapter;	/* NULL: the base model */
	double			 score;		/* the winner's score, or 0 */
	/*
	 * How sure the router is, 0..1.  Keyword router: the winner's share
	 * of all candidates' scores (1 when only one adapter matched).
	 */
	double			 confidence;
	const char		*reason;	/* why, for people (static) */
	struct route_candidate	*candidates;	/* ranked, score > 0 only */
	size_t			 ncandidates;
	/* Which link of the chain decided: "classifier", "keyword", "base". */
	const char		*link;
	/* Classifier router: every class's probability, model order. */
	char			**classes;
	double			 *probs;
	size_t			  nclasses;
	/* The top class's strongest features (weight x value). */
	struct route_feature	 *features;
	size_t			  nfeatures;
};

struct router;

struct classifier;

struct router	*router_new_keyword(const struct registry *, double min_score);
/* Takes the model; the keyword router behind it uses min_score. */
struct router	*router_new_classifier(const struct registry *,
		    struct classifier *, double threshold, double min_score);
const char	*router_kind(const struct router *);
struct error	*router_route(struct router *, const char *question,
		    struct route_result *);
void		 route_result_release(struct route_result *);
void		 router_free(struct router *);

struct config;
/*
 * The router router.type asks for.  auto: the classifier when
 * router.model (default $LOCO_HOME/router.model) exists and was trained
 * on the current data, else the keywords, with *notice saying why when
 * the model is out of date (free it; the caller shows it unless asked to
 * be quiet); classifier: an error instead.  A malformed model is an error.
 */
struct error	*router_open(const struct config *, const struct registry *,
		    struct router **, char **notice);
/* router.model, or $LOCO_HOME/router.model; free it. */
char		*router_model_path(const struct config *);

/*
 * Split text into lower-case words as described above.  Returns the count;
 * *words is an array of allocated strings (free with words_free).
 */
size_t		 router_words(const char *text, char ***words);
void		 words_free(char **words, size_t n);

#endif
