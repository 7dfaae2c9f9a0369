/*
 * classifier.h: the trained router's text classifier, and the training
 * set it learns from.
 *
 * Features: word unigrams ("w:solve"), word bigrams ("b:solve for"),
 * character 2- to 5-grams within words, the word marked with '<' and '>'
 * ("c:<cal"), so typos still share most of their features (the 2- and
 * 3-grams, shared by more unrelated words, weigh 1/2 and 3/4), and the first
 * word and first two words as start features ("s:write", "s:write a"),
 * which weigh double: a question mostly says first what it wants.  Words
 * are router_words' (router.h).  Values are TF-IDF, 1 + ln(count) times
 * the feature's idf, the vector L2-normalised.  Model: multinomial logistic
 * regression trained by stochastic gradient descent with L2 decay, in a
 * fixed order from a fixed seed for a fixed number of epochs, so the same
 * data gives the same model.  Probabilities are calibrated by a
 * temperature fitted (least log loss) on every fifth example, held out
 * from a first training run; the model then trains on everything.
 *
 * Model file (text, one record a line, fields separated by tabs):
 *	loco-router-model	3
 *	data	SHA-256 of the training set (see router_data)
 *	check	64-bit FNV-1a of the same, 16 hex digits
 *	classes	NAME ...
 *	temperature	T
 *	bias	B ...			(one per class)
 *	features	N
 *	index	E	BYTES		(E entries in BYTES bytes:)
 *	FEATURE	OFFSET			(every 32nd feature from the first,
 *					 and the offset of its line from
 *					 the first feature line)
 *	FEATURE	IDF	W ...		(N lines, one weight per class,
 *					 sorted by FEATURE, bytewise)
 * Loading maps the file and reads only the header.  A text's features
 * are found by bisection over the index, then over the 32 lines of the
 * entry found, and a feature's numbers are read (and its line checked
 * against its neighbours: the order that bisection relies on) when a
 * text first uses it, so routing one question touches a few pages of a
 * model of megabytes; a malformed line is an error then (clf_predict,
 * clf_explain).  Version 2 files (no index line or entries) are read,
 * by bisection over all their lines; version 1 files (unsorted) must be
 * trained again.
 *
 * Stamp file (PATH.stamp, beside the model; see clf_sources_unchanged):
 *	loco-router-stamp	1	STAMP	(16 hex digits)
 */
#ifndef LOCO_CLASSIFIER_H
#define LOCO_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hash.h"
#include "registry.h"

#define CLF_NONE "none"		/* the class of questions for the base model */

struct classifier;

/* A labelled training set; labels index classes. */
struct clf_data {
	char	**classes;
	size_t	  nclasses;
	char	**texts;
	size_t	 *labels;
	size_t	  n;
	char	  sha256[SHA256_HEX_LEN + 1];	/* of classes, labels, texts */
	uint64_t  check;		/* router data: clf_sources_check */
	uint64_t  stamp;		/* ... and the files' stat (see below) */
	int	  stamped;		/* stamp is worth keeping */
};

void		 clf_data_init(struct clf_data *);
/* Add a class (if new); returns its index. */
size_t		 clf_data_class(struct clf_data *, const char *name);
void		 clf_data_add(struct clf_data *, size_t label, const char *text);
/* Compute sha256 over everything added so far. */
void		 clf_data_seal(struct clf_data *);
void		 clf_data_release(struct clf_data *);

/*
 * The router's training set: one class per domain that has an active
 * adapter (registry order), each with every question of the domain's
 * benchmark (the active adapter's, else the standard one) and every
 * adapter's router_examples, and the class "none" with the lines of
 * general.txt, found like the standard benchmarks (benchfile.h).
 * A domain without a benchmark or examples is left out.  Its sha256 is
 * clf_sources_sha256's.
 */
struct error	*clf_data_collect(const struct registry *,
		    struct clf_data *);
/*
 * The SHA-256 of the sources of that set: the files, byte for byte, and
 * the registry's examples and keywords; a model trained on other data
 * has another.
 */
struct error	*clf_sources_sha256(const struct registry *,
		    char hex[SHA256_HEX_LEN + 1]);
/*
 * A 64-bit FNV-1a of the same sources: what routing compares with the
 * model's, to tell a stale model without starting OpenSSL.  It detects
 * change, not tampering.
 */
struct error	*clf_sources_check(const struct registry *, uint64_t *);
/*
 * Whether the model's stamp file says its sources are as they were when
 * it was trained, so that clf_sources_check need not read them: 1 when
 * it does, 0 when it cannot tell.  clf_save writes PATH.stamp beside the
 * model: a hash of the model file's stat, its check, and the stat (size,
 * modification and change times, inode, device) of every file of the
 * sources, with the registry's keywords and examples.  Only when those
 * files last changed STAMP_SETTLE (2) seconds or more before training;
 * else the stamp could miss a change made within the same tick of the
 * file system's clock, and no stamp file is written.
 */
int		 clf_sources_unchanged(const struct classifier *,
		    const struct registry *);

/*
 * A labelled file: lines "domain<TAB>query" ('#' comments and blank lines
 * skipped), or JSON Lines {"domain": ..., "query": ...} (a .jsonl or
 * .json name, or a line that starts with '{').  Classes in order of
 * appearance.  Errors name the file and the line.
 */
struct error	*router_labels_load(const char *path, struct clf_data *);

/* min_df: features seen in fewer training texts are dropped. */
struct classifier *clf_train(const struct clf_data *, size_t min_df);
/* Save a model made by clf_train (a loaded one has not read it all). */
struct error	*clf_save(const struct classifier *, const char *path);
/* Errors name the file and the line. */
struct error	*clf_load(const char *path, struct classifier **);
void		 clf_free(struct classifier *);

const char	*clf_data_sha256(const struct classifier *);
uint64_t	 clf_data_check(const struct classifier *);
size_t		 clf_nclasses(const struct classifier *);
const char	*clf_class(const struct classifier *, size_t);
size_t		 clf_nfeatures(const struct classifier *);
double		 clf_temperature(const struct classifier *);

/*
 * probs: clf_nclasses() entries, calibrated, summing to 1.  The model
 * caches the numbers it reads, hence not const.
 */
struct error	*clf_predict(struct classifier *, const char *text,
		    double *probs);

struct clf_feature {
	const char	*name;		/* points into the model */
	double		 contrib;	/* weight x value for the class */
};
/*
 * The features of text that push hardest towards class, largest
 * contribution first; at most max of them, only positive ones, *n.
 */
struct error	*clf_explain(struct classifier *, const char *text,
		    size_t cls, struct clf_feature *out, size_t max, size_t *n);

#endif
