/* vote.c: self-consistency voting over concurrent samples (see vote.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "rouge.h"
#include "strbuf.h"
#include "vote.h"
#include "banned.h"

static const char *const method_names[] = {
	[VOTE_MAJORITY] = "majority", [VOTE_BEST_OF_N] = "best_of_n",
	[VOTE_MEDOID] = "medoid", [VOTE_TESTS] = "tests",
};

int
vote_method_parse(const char *s, enum vote_method *m)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(method_names); i++)
		if (strcmp(s, method_names[i]) == 0) {
			*m = (enum vote_method)i;
			return 0;
		}
	return -1;
}

const char *
vote_method_name(enum vote_method m)
{
	return method_names[m];
}

void
vote_tally_build(enum answer_type t, double tol, char *const *answers,
    const int *done, size_t n, struct vote_tally *tally)
{
	vote_tally_build_weighted(t, tol, answers, done, NULL, n, tally);
}

void
vote_tally_build_weighted(enum answer_type t, double tol,
    char *const *answers, const int *done, const double *weights, size_t n,
    struct vote_tally *tally)
{
	struct vote_group *g, tmp;
	size_t i, j;

	memset(tally, 0, sizeof(*tally));
	tally->groups = xcalloc(n + 1, sizeof(*tally->groups));
	for (i = 0; i < n; i++) {
		if (!done[i])
			continue;
		if (answers[i] == NULL) {
			tally->invalid++;
			continue;
		}
		tally->valid++;
		for (j = 0; j < tally->ngroups; j++)
			if (answers_equal(t, tally->groups[j].answer,
			    answers[i], tol))
				break;
		g = &tally->groups[j];
		if (j == tally->ngroups) {
			g->answer = xstrdup(answers[i]);
			g->first = i;
			tally->ngroups++;
		}
		g->count++;
		g->weight += weights ? weights[i] : 1;
	}
	/* Rank: more weight (votes) first, then the earlier first sample. */
	for (i = 1; i < tally->ngroups; i++)
		for (j = i; j > 0; j--) {
			struct vote_group *a = &tally->groups[j - 1];
			struct vote_group *b = &tally->groups[j];

			if (a->weight > b->weight || (a->weight == b->weight &&
			    a->first < b->first))
				break;
			tmp = *a;
			*a = *b;
			*b = tmp;
		}
}

void
vote_tally_release(struct vote_tally *tally)
{
	size_t i;

	for (i = 0; i < tally->ngroups; i++)
		free(tally->groups[i].answer);
	free(tally->groups);
	memset(tally, 0, sizeof(*tally));
}

int
vote_decided(const struct vote_tally *tally, size_t remaining)
{
	size_t top, second;

	if (tally->ngroups == 0)
		return 0;
	top = tally->groups[0].count;
	second = tally->ngroups > 1 ? tally->groups[1].count : 0;
	/*
	 * Strictly ahead: a tie reached later could still favour another
	 * answer only through the tie rule, which the leader already wins
	 * (it came first), but a strict rule is easier to explain.
	 */
	return top > second + remaining;
}

int
vote_decided_weight(const struct vote_tally *tally, double remaining)
{
	double second;

	if (tally->ngroups == 0)
		return 0;
	second = tally->ngroups > 1 ? tally->groups[1].weight : 0;
	return tally->groups[0].weight > second + remaining;
}

static void
retally(struct vote_result *vr, enum answer_type t)
{
	char **answers = xcalloc(vr->n + 1, sizeof(*answers));
	int *done = xcalloc(vr->n + 1, sizeof(*done));
	double *w = xcalloc(vr->n + 1, sizeof(*w));
	size_t i;

	for (i = 0; i < vr->n; i++) {
		answers[i] = vr->samples[i].answer;
		done[i] = vr->samples[i].done;
		w[i] = vr->samples[i].weight;
	}
	vote_tally_release(&vr->tally);
	vote_tally_build_weighted(t, NUMBER_TOLERANCE, answers, done, w,
	    vr->n, &vr->tally);
	free(answers);
	free(done);
	free(w);
}

/* The response with the highest mean ROUGE-L F1 against the others. */
static long
medoid(const struct vote_result *vr, double *score)
{
	char **texts = xcalloc(vr->n + 1, sizeof(*texts));
	double best = -1, sum;
	long winner = -1;
	size_t i, j, k = 0;

	for (i = 0; i < vr->n; i++)
		if (vr->samples[i].done)
			texts[i] = strip_thinking(vr->samples[i].content);
	for (i = 0; i < vr->n; i++) {
		if (texts[i] == NULL)
			continue;
		sum = 0;
		k = 0;
		for (j = 0; j < vr->n; j++) {
			if (j == i || texts[j] == NULL)
				continue;
			sum += rouge_l(texts[i], texts[j]).f1;
			k++;
		}
		sum = k ? sum / (double)k : 1;
		if (sum > best) {
			best = sum;
			winner = (long)i;
		}
	}
	strv_free(texts, vr->n);
	*score = best < 0 ? 0 : best;
	return winner;
}

static const char judge_intro[] =
    "Several answers to the same question follow. Decide which one is "
    "the most correct and complete.\n\nQuestion:\n";
static const char judge_outro[] =
    "Which answer is best? Reply with its number only.";

/* The first number in the judge's reply that names a sample, or -1. */
static long
judge_choice(const char *reply, size_t nshown, const long *shown)
{
	char *text = strip_thinking(reply);
	const char *p = text;
	long v;
	char *end;

	while (*p != '\0') {
		if (*p < '0' || *p > '9') {
			p++;
			continue;
		}
		v = strtol(p, &end, 10);
		p = end;
		if (v >= 1 && (size_t)v <= nshown) {
			free(text);
			return shown[v - 1];
		}
	}
	free(text);
	return -1;
}

static struct error *
best_of_n(struct backend *be, const struct chat_request *req,
    const struct vote_opts *opts, struct vote_result *vr)
{
	struct strbuf sb = STRBUF_INIT;
	struct chat_request jr = *req;
	struct chat_message msg;
	struct chat_result res;
	struct error *err;
	long *shown = xcalloc(vr->n + 1, sizeof(*shown));
	size_t i, k = 0;
	char *text;
	double score;

	strbuf_addstr(&sb, judge_intro);
	strbuf_addstr(&sb, opts->question ? opts->question : "");
	for (i = 0; i < vr->n; i++) {
		if (!vr->samples[i].done)
			continue;
		shown[k++] = (long)i;
		text = strip_thinking(vr->samples[i].content);
		strbuf_addf(&sb, "\n\nAnswer %zu:\n%s", k, text);
		free(text);
	}
	strbuf_addf(&sb, "\n\n%s", judge_outro);
	memset(&msg, 0, sizeof(msg));
	msg.role = "user";
	msg.content = sb.buf;
	jr.messages = &msg;
	jr.nmessages = 1;
	jr.tools = NULL;
	jr.temperature = 0;
	jr.seed = opts->seed;
	jr.stream = 1;
	chat_result_init(&res);
	err = backend_chat(be, &jr, NULL, NULL, &res);
	if (err == NULL) {
		vr->winner = judge_choice(res.content, k, shown);
		vr->prompt_tokens += res.prompt_eval_count;
		vr->eval_tokens += res.eval_count;
	}
	chat_result_release(&res);
	strbuf_release(&sb);
	free(shown);
	if (err != NULL)
		return error_prefix(err, "best_of_n judge");
	if (vr->winner < 0) {
		vr->winner = medoid(vr, &score);
		vr->note = xstrdup("the judge named no answer; used the medoid");
	}
	return NULL;
}

static void
pick_winner(struct vote_result *vr)
{
	size_t i, agree = 0;
	const char *ans;

	if (vr->method == VOTE_MAJORITY) {
		if (vr->tally.ngroups > 0) {
			double used = 0;

			for (i = 0; i < vr->n; i++)
				if (vr->samples[i].done)
					used += vr->samples[i].weight;
			vr->winner = (long)vr->tally.groups[0].first;
			vr->confidence = used > 0 ?
			    vr->tally.groups[0].weight / used : 0;
		} else {
			for (i = 0; i < vr->n && !vr->samples[i].done; i++)
				;
			vr->winner = i < vr->n ? (long)i : -1;
			vr->confidence = 0;
			vr->note = xstrdup("no sample had an answer");
		}
	}
	if (vr->winner < 0)
		return;
	ans = vr->samples[vr->winner].answer;
	vr->answer = ans ? xstrdup(ans) : NULL;
	if (vr->method == VOTE_BEST_OF_N) {
		for (i = 0; i < vr->n; i++)
			if (vr->samples[i].done && ans != NULL &&
			    vr->samples[i].answer != NULL &&
			    strcmp(vr->samples[i].answer, ans) == 0)
				agree++;
		vr->confidence = (double)agree / (double)vr->completed;
	}
}

/* The weight of the samples not done yet (for early stopping). */
static double
weight_to_come(const struct vote_result *vr)
{
	double w = 0;
	size_t i;

	for (i = 0; i < vr->n; i++)
		if (!vr->samples[i].done)
			w += vr->samples[i].weight;
	return w;
}

/*
 * Whether sample next may start now: a serial ensemble starts a member
 * only once every sample of the one before has ended.
 */
static int
may_start(const struct vote_opts *opts, const struct vote_result *vr,
    size_t next, size_t running)
{
	if (next >= vr->n)
		return 0;
	if (!opts->serial || next == 0 || running == 0)
		return 1;
	return vr->samples[next].member == vr->samples[next - 1].member;
}

struct error *
vote_run(struct backend *be, const struct chat_request *req,
    const struct vote_opts *opts, struct vote_result *vr)
{
	struct chat_batch *batch;
	struct chat_request *first;
	const struct chat_request **cur;
	const struct chat_request *reqs = opts->nmembers ? opts->members : req;
	struct chat_result res;
	struct error *err = NULL;
	size_t nslots, next = 0, slot, i, nfree, running = 0;
	size_t *slot_sample, *free_slots;
	enum answer_type t = extractor_type(opts->x);
	struct vote_sample *s;

	memset(vr, 0, sizeof(*vr));
	vr->method = opts->method;
	vr->winner = -1;
	vr->broke = -1;
	if (opts->method == VOTE_TESTS)
		return error_new(EXIT_USAGE, "vote method 'tests' needs test "
		    "cases: it is used by loco eval");
	if (opts->nmembers > 0 && opts->method != VOTE_MAJORITY)
		return error_new(EXIT_USAGE, "an ensemble votes by weighted "
		    "majority only, not '%s'", vote_method_name(opts->method));
	vr->nmembers = opts->nmembers ? opts->nmembers : 1;
	vr->per_member = opts->n;
	vr->weighted = opts->nmembers > 0;
	vr->n = opts->n * vr->nmembers;
	vr->samples = xcalloc(vr->n + 1, sizeof(*vr->samples));
	for (i = 0; i < vr->n; i++) {
		vr->samples[i].member = i / opts->n;
		vr->samples[i].seed = opts->seed + (long)(i % opts->n);
		vr->samples[i].weight = opts->weights ?
		    opts->weights[i / opts->n] : 1;
	}
	nslots = opts->parallel < vr->n ? opts->parallel : vr->n;
	if (nslots == 0)
		nslots = 1;
	slot_sample = xcalloc(nslots, sizeof(*slot_sample));
	free_slots = xcalloc(nslots, sizeof(*free_slots));
	first = xcalloc(vr->n, sizeof(*first));
	cur = xcalloc(vr->n, sizeof(*cur));
	for (nfree = 0; nfree < nslots; nfree++)
		free_slots[nfree] = nslots - 1 - nfree;
	batch = chat_batch_new(be, nslots);
	chat_result_init(&res);

/* Start samples while a slot is free and the order allows. */
#define FILL() do {							\
	while (nfree > 0 && may_start(opts, vr, next, running)) {	\
		slot = free_slots[--nfree];				\
		first[next] = reqs[vr->samples[next].member];		\
		first[next].seed = vr->samples[next].seed;		\
		cur[next] = &first[next];				\
		slot_sample[slot] = next;				\
		chat_batch_start(batch, slot, cur[next++]);		\
		running++;						\
	}								\
} while (0)

	FILL();
	while (chat_batch_next(batch, &slot, &res, &err)) {
		i = slot_sample[slot];
		s = &vr->samples[i];
		if (err != NULL) {
			/*
			 * No server, no model, Ctrl-C: the vote cannot go on.
			 * Anything else fails one sample: it is tried once more,
			 * then counted invalid, and the vote goes on.
			 */
			if (err->code == EXIT_INTERRUPT ||
			    err->code == EXIT_UNREACHABLE ||
			    err->code == EXIT_NOMODEL) {
				vr->broke = (long)i;
				break;
			}
			if (!s->retried) {
				s->retried = 1;
				error_free(err);
				err = NULL;
				chat_batch_start(batch, slot, cur[i]);
				continue;
			}
			if (vr->failed++ == 0)
				vr->failure = xstrdup(err->msg);
			error_free(err);
			err = NULL;
			s->failed = 1;
		} else if (opts->next != NULL && (cur[i] = opts->next(
		    opts->next_arg, i, &first[i], &res)) != NULL) {
			/* Its tool calls ran: the sample goes on. */
			chat_batch_start(batch, slot, cur[i]);
			continue;
		}
		running--;
		free_slots[nfree++] = slot;
		s->done = 1;
		s->res = res;
		chat_result_init(&res);
		s->content = xstrdup(s->res.content ? s->res.content : "");
		/* A cut answer is not an answer: invalid, never the winner. */
		if (s->failed)
			;
		else if (chat_truncated(&s->res))
			vr->truncated++;
		else
			s->answer = extractor_run(opts->x, s->content);
		vr->completed++;
		vr->prompt_tokens += s->res.prompt_eval_count;
		vr->eval_tokens += s->res.eval_count;
		if (s->res.load_duration > vr->load_ns)
			vr->load_ns = s->res.load_duration;
		retally(vr, t);
		if (opts->progress != NULL)
			opts->progress(vr, i, opts->arg);
		if (opts->method == VOTE_MAJORITY && opts->early_stop &&
		    vote_decided_weight(&vr->tally, weight_to_come(vr)))
			break;
		FILL();
	}
#undef FILL
	free(free_slots);
	chat_result_release(&res);
	vr->cancelled = vr->n - vr->completed;
	chat_batch_free(batch);	/* cancels whatever still runs */
	free(slot_sample);
	free(first);
	free(cur);
	if (err != NULL)
		return err;
	if (vr->completed == 0)
		return error_new(EXIT_FAIL, "no sample completed");
	if (vr->failed == vr->completed)
		return error_new(EXIT_FAIL, "every sample failed: %s",
		    vr->failure);
	if (opts->method == VOTE_MEDOID) {
		vr->winner = medoid(vr, &vr->confidence);
	} else if (opts->method == VOTE_BEST_OF_N) {
		if ((err = best_of_n(be, req, opts, vr)) != NULL)
			return err;
	}
	pick_winner(vr);
	if (vr->failed > 0) {
		char *f = xasprintf("%zu of %zu samples failed twice (counted "
		    "invalid): %s", vr->failed, vr->completed, vr->failure);

		if (vr->note != NULL) {
			char *both = xasprintf("%s; %s", vr->note, f);

			free(vr->note);
			free(f);
			f = both;
		}
		vr->note = f;
	}
	if (vr->truncated > 0) {
		char *cut = xasprintf("%zu of %zu samples were cut at the token "
		    "limit (counted invalid)", vr->truncated, vr->completed);

		if (vr->note != NULL) {
			char *both = xasprintf("%s; %s", vr->note, cut);

			free(vr->note);
			free(cut);
			cut = both;
		}
		vr->note = cut;
	}
	return NULL;
}

void
vote_result_release(struct vote_result *vr)
{
	size_t i;

	for (i = 0; i < vr->n; i++) {
		free(vr->samples[i].content);
		free(vr->samples[i].answer);
		chat_result_release(&vr->samples[i].res);
	}
	free(vr->samples);
	vote_tally_release(&vr->tally);
	free(vr->answer);
	free(vr->note);
	free(vr->failure);
	memset(vr, 0, sizeof(*vr));
}

/* "vote majority: 51 x4, 50 x1, invalid 0; 5 of 5 samples ..." */
void
vote_describe(const struct vote_result *vr, struct strbuf *sb)
{
	size_t i;

	if (vr->weighted)
		strbuf_addf(sb, "ensemble of %zu, weighted %s: ", vr->nmembers,
		    vote_method_name(vr->method));
	else
		strbuf_addf(sb, "vote %s: ", vote_method_name(vr->method));
	for (i = 0; i < vr->tally.ngroups && i < 5; i++) {
		char *a = str_sanitize(vr->tally.groups[i].answer, 24);

		strbuf_addf(sb, "%s%s x%zu", i ? ", " : "", a,
		    vr->tally.groups[i].count);
		if (vr->weighted)
			strbuf_addf(sb, " (weight %.3g)",
			    vr->tally.groups[i].weight);
		free(a);
	}
	if (vr->tally.ngroups > 5)
		strbuf_addf(sb, ", %zu more", vr->tally.ngroups - 5);
	strbuf_addf(sb, "%sinvalid %zu; %zu of %zu samples",
	    vr->tally.ngroups ? ", " : "", vr->tally.invalid, vr->completed,
	    vr->n);
	if (vr->cancelled)
		strbuf_addf(sb, " (%zu saved)", vr->cancelled);
	strbuf_addf(sb, ", confidence %.2f", vr->confidence);
}

void
vote_jout(struct jout *j, const struct vote_result *vr)
{
	size_t i;

	jout_str(j, "method", vote_method_name(vr->method));
	jout_str(j, "answer", vr->answer);
	jout_obj(j, "votes");
	for (i = 0; i < vr->tally.ngroups; i++)
		jout_int(j, vr->tally.groups[i].answer,
		    (long long)vr->tally.groups[i].count);
	jout_end(j);
	if (vr->weighted) {
		jout_obj(j, "weights");
		for (i = 0; i < vr->tally.ngroups; i++)
			jout_num(j, vr->tally.groups[i].answer,
			    round(vr->tally.groups[i].weight * 1e4) / 1e4);
		jout_end(j);
	}
	jout_int(j, "invalid", (long long)vr->tally.invalid);
	jout_int(j, "samples", (long long)vr->completed);
}
