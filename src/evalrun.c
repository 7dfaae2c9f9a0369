/* evalrun.c: the benchmark runner of loco eval (see evalrun.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ask.h"
#include "config.h"
#include "evalrun.h"
#include "extract.h"
#include "fsutil.h"
#include "hash.h"
#include "json.h"
#include "progress.h"
#include "prompt.h"
#include "sandbox.h"
#include "strbuf.h"
#include "vote.h"
#include "banned.h"

#define CACHE_MAX (64u * 1024 * 1024)

struct error *
eval_target_open(struct backend *be, const struct registry *reg,
    const struct adapter *a, const char *label, struct eval_target *et)
{
	struct error *err;

	memset(et, 0, sizeof(*et));
	if ((err = backend_resolve(be, reg, a, &et->t)) != NULL ||
	    (err = backend_identity(be, &et->t, &et->identity)) != NULL)
		return err;
	et->s.label = label;
	et->s.model = et->t.label;
	et->s.target = &et->t;
	et->s.digest = et->identity;
	et->s.adapter = a;
	et->s.think = backend_thinks(be, &et->t);
	return NULL;
}

struct error *
eval_model_target(struct backend *be, const char *model, const char *name,
    const char *label, struct eval_target *et)
{
	struct error *err;

	memset(et, 0, sizeof(*et));
	et->t.model = xstrdup(model);
	et->t.label = xstrdup(name);
	if ((err = backend_identity(be, &et->t, &et->identity)) != NULL)
		return err;
	et->s.label = label;
	et->s.model = et->t.label;
	et->s.target = &et->t;
	et->s.digest = et->identity;
	et->s.think = backend_thinks(be, &et->t);
	return NULL;
}

struct error *
eval_judge_target(struct backend *be, const struct registry *reg,
    const char *judge_model, struct eval_target *et)
{
	struct error *err;

	if (judge_model == NULL || !backend_supports(be, BACKEND_MANAGE))
		return eval_target_open(be, reg, NULL, "judge", et);
	/* An Ollama model of the user's choice: not in the cache if gone. */
	memset(et, 0, sizeof(*et));
	et->t.model = xstrdup(judge_model);
	et->t.label = xstrdup(judge_model);
	if ((err = backend_identity(be, &et->t, &et->identity)) != NULL) {
		error_free(err);
		et->identity = NULL;
	}
	et->s.label = "judge";
	et->s.model = et->t.label;
	et->s.target = &et->t;
	et->s.digest = et->identity;
	et->s.think = backend_thinks(be, &et->t);
	return NULL;
}

void
eval_target_release(struct eval_target *et)
{
	backend_target_release(&et->t);
	free(et->identity);
	memset(et, 0, sizeof(*et));
}

void
eval_tally_load(struct eval_tally *t, long long load_ns)
{
	if (load_ns >= EVAL_LOAD_MIN_NS) {
		t->loads++;
		t->load_ns += load_ns;
	}
}

/* "12 requests sent", and the loads the server reported, if any. */
char *
eval_tally_text(const struct eval_tally *t)
{
	if (t->loads == 0)
		return xasprintf("%u request%s sent", t->requests,
		    t->requests == 1 ? "" : "s");
	return xasprintf("%u request%s sent, %u model load%s reported "
	    "(%.2f s)", t->requests, t->requests == 1 ? "" : "s", t->loads,
	    t->loads == 1 ? "" : "s", (double)t->load_ns / 1e9);
}

void
eval_result_release(struct eval_result *r)
{
	free(r->answer);
	free(r->extracted);
	free(r->reason);
	free(r->pending);
	memset(r, 0, sizeof(*r));
}

struct error *
eval_sandbox_check(const struct bench *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->cases[i].type == EVAL_CODE)
			return sandbox_check();
	return NULL;
}

char *
eval_sandbox_text(const struct eval_result *a, const struct eval_result *b,
    size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned all = ~0u;
	size_t i;
	int ran = 0;

	for (i = 0; i < 2 * n; i++) {
		const struct eval_result *r = i < n ? &a[i] : &b[i - n];

		if (r->sandbox != 0) {
			all &= r->sandbox;
			ran = 1;
		}
	}
	if (!ran)
		return NULL;
	sandbox_protections_describe(all, &sb);
	return strbuf_detach(&sb, NULL);
}

/* The request for a case: system, RE2 prompt, fixed options. */
struct request {
	struct prompt		 pr;
	struct chat_message	 msgs[2];
	struct chat_request	 cr;
	char			 key[SHA256_HEX_LEN + 1];
};

/*
 * The seed of case i.  Greedy answers do not depend on it: every case
 * keeps es->seed.  Sampled ones do: if every case had the same seed, every
 * case would draw the same random numbers (a seed whose first draws fall
 * in the tail would sink them all), so case i gets a seed of its own,
 * far enough from its neighbours' for a vote's samples (seed + k).
 */
static long
case_seed(const struct eval_settings *es, size_t i)
{
	if (es->temperature <= 0 && es->votes <= 1)
		return es->seed;
	return es->seed + (long)(i % 1000000) * 1009;
}

/* The options of case i's requests. */
static void
settings(const struct eval_settings *es, const struct eval_subject *s,
    size_t i, struct ask_settings *as)
{
	/*
	 * Greedy (unless --temperature) and seeded: the same request gives
	 * the same answer.
	 */
	memset(as, 0, sizeof(*as));
	as->think = s->think;
	as->keep_alive = es->keep_alive;
	as->num_ctx = es->num_ctx;
	as->num_predict = es->num_predict;
	as->temperature = es->temperature;
	as->seed = case_seed(es, i);
}

static struct error *
request_make(struct backend *be, const struct eval_settings *es,
    const struct eval_subject *s, const struct bench_case *c, size_t i,
    struct request *rq)
{
	struct ask_settings as;
	struct error *err;
	char *question = bench_question(c);

	memset(rq, 0, sizeof(*rq));
	err = prompt_build(es->registry, s->adapter, question, es->reread,
	    NULL, &rq->pr);
	free(question);
	if (err != NULL)
		return err;
	settings(es, s, i, &as);
	ask_request(&rq->cr, rq->msgs, s->target, s->adapter, &rq->pr, NULL, 0,
	    &as);
	backend_cache_key(be, &rq->cr, s->digest, rq->key);
	return NULL;
}

static void
request_release(struct request *rq)
{
	prompt_release(&rq->pr);
}

static char *
cache_path(const char *key)
{
	char *home = loco_home(), *p;

	p = xasprintf("%s/cache/%.2s/%s.json", home, key, key);
	free(home);
	return p;
}

/*
 * A cached answer for key, or NULL; *truncated (may be NULL) says whether
 * it was cut at a token limit (entries from before this was kept: no).
 */
static char *
cache_get(const char *key, int *truncated)
{
	char *path = cache_path(key), *data = NULL, *content = NULL;
	struct error *err;
	size_t len;
	struct json *root;
	const char *d;

	if (truncated != NULL)
		*truncated = 0;
	if (fs_exists(path) && (err = fs_read_file(path, CACHE_MAX, &data,
	    &len)) == NULL) {
		root = json_parse(data, len, NULL);
		content = json_strdup(root, "content");
		if (truncated != NULL && (d = json_str(root, "done_reason")))
			*truncated = strcmp(d, "length") == 0;
		json_free(root);
		free(data);
	}
	free(path);
	return content;
}

static void
cache_put(const char *key, const char *model, const struct chat_result *res)
{
	char *path = cache_path(key), *dir, *text;
	struct error *err;
	struct json *root;

	dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	root = json_new_object();
	json_add_str(root, "model", model);
	json_add_str(root, "content", res->content ? res->content : "");
	json_add_num(root, "eval_count", (double)res->eval_count);
	if (res->done_reason != NULL)
		json_add_str(root, "done_reason", res->done_reason);
	text = json_print(root, 0);
	json_free(root);
	/* A cache that cannot be written costs time, not correctness. */
	if ((err = fs_mkdirs(dir, 1)) == NULL)
		err = fs_write_atomic(path, text, strlen(text));
	error_free(err);
	free(text);
	free(dir);
	free(path);
}

/*
 * After a failed attempt (the first is 1): whether to ask again, having
 * waited 0.1, 1 and 3 s (a reset or a passing 500 is usually over at
 * once; a server that keeps failing gets time).  Server errors, resets
 * and stalls are retried; an unreachable server, a missing model or
 * Ctrl-C are not.
 */
static int
retry_wait(const struct error *err, unsigned attempt, struct eval_tally *t)
{
	static const long wait_ms[EVAL_RETRIES] = { 100, 1000, 3000 };
	long ms;

	if (err->code != EXIT_FAIL || attempt > EVAL_RETRIES)
		return 0;
	for (ms = wait_ms[attempt - 1]; ms > 0 && !loco_interrupted; ms -= 50)
		usleep(50000);
	if (loco_interrupted)
		return 0;
	t->retries++;
	return 1;
}

/* One judge run: greedy for a single run, else seeded samples. */
static struct error *
judge_ask(void *arg, const char *prompt, char **reply)
{
	struct eval_judge *ej = arg;
	struct chat_message msgs[2];
	struct prompt pr = { NULL, (char *)prompt };
	struct ask_settings as;
	struct chat_request cr;
	struct chat_result res;
	struct error *err;
	char key[SHA256_HEX_LEN + 1];
	unsigned attempt;

	memset(&as, 0, sizeof(as));
	as.think = ej->think;
	as.keep_alive = ej->es->keep_alive;
	as.num_ctx = ej->es->num_ctx;
	as.num_predict = ej->es->num_predict;
	/*
	 * Each case asks `runs` times: the first greedy, the others seeded
	 * samples; by call number, so the same case gets the same seeds
	 * whatever order the cases finish in.
	 */
	as.temperature = ej->run % ej->judge.runs > 0 ? 0.5 : 0;
	as.seed = ej->es->seed + ej->run++ % ej->judge.runs;
	ask_request(&cr, msgs, ej->target, NULL, &pr, NULL, 0, &as);
	*reply = NULL;
	key[0] = '\0';
	if (ej->es->cache && ej->digest != NULL) {
		backend_cache_key(ej->be, &cr, ej->digest, key);
		if ((*reply = cache_get(key, NULL)) != NULL)
			return NULL;
	}
	for (attempt = 1;; attempt++) {
		chat_result_init(&res);
		err = backend_chat(ej->be, &cr, NULL, NULL, &res);
		ej->tally->requests++;
		if (err == NULL || !retry_wait(err, attempt, ej->tally))
			break;
		error_free(err);
		chat_result_release(&res);
	}
	eval_tally_load(ej->tally, res.load_duration);
	if (err == NULL && key[0] != '\0')
		cache_put(key, ej->model, &res);
	*reply = err ? NULL : res.content;
	res.content = NULL;
	chat_result_release(&res);
	return err ? error_prefix(err, "judge '%s'", ej->model) : NULL;
}

struct error *
eval_judge_init(struct eval_judge *ej, struct backend *be,
    const struct eval_settings *es, const struct backend_target *target,
    const char *digest, int runs, struct eval_tally *tally)
{
	struct error *err;
	char *path;
	size_t len;

	memset(ej, 0, sizeof(*ej));
	ej->be = be;
	ej->es = es;
	ej->target = target;
	ej->model = target->label;
	ej->think = backend_thinks(be, target);
	ej->digest = digest;
	ej->tally = tally;
	ej->judge.ask = judge_ask;
	ej->judge.arg = ej;
	ej->judge.runs = runs > 0 ? runs : 1;
	/* The judge prompt is a file: the registry's templates/judge.txt. */
	path = xasprintf("%s/templates/judge.txt", es->registry->dir);
	if (fs_exists(path) && (err = fs_read_file(path, 65536,
	    &ej->template_, &len)) != NULL) {
		free(path);
		return err;
	}
	free(path);
	ej->judge.template_ = ej->template_;
	return NULL;
}

void
eval_judge_release(struct eval_judge *ej)
{
	free(ej->template_);
	memset(ej, 0, sizeof(*ej));
}

/* The calls of a case that ran with tools. */
static void
log_tools(struct json *o, const struct tool_log *tl)
{
	struct json *arr = json_add_arr(o, "tools"), *t;
	size_t i;

	for (i = 0; i < tl->n; i++) {
		const struct tool_record *r = &tl->calls[i];

		t = json_add_obj(arr, NULL);
		json_add_str(t, "name", r->name);
		if (r->code != NULL)
			json_add_str(t, "code", r->code);
		else
			json_add_null(t, "code");
		json_add_str(t, "arguments", r->arguments);
		json_add_str(t, "result", r->result);
		if (r->error != NULL)
			json_add_str(t, "error", r->error);
		else
			json_add_null(t, "error");
		json_add_num(t, "seconds", r->seconds);
		json_add_num(t, "round", r->round);
		json_add_num(t, "sample", (double)r->sample);
	}
	json_add_bool(o, "tool_limit", tl->limited > 0);
}

static void
log_case_tools(FILE *log, const struct eval_subject *s,
    const struct bench_case *c, const struct eval_result *r,
    const char *response, const char *key, const struct tool_log *tl);

static void
log_case(FILE *log, const struct eval_subject *s, const struct bench_case *c,
    const struct eval_result *r, const char *response, const char *key)
{
	log_case_tools(log, s, c, r, response, key, NULL);
}

static void
log_case_tools(FILE *log, const struct eval_subject *s,
    const struct bench_case *c, const struct eval_result *r,
    const char *response, const char *key, const struct tool_log *tl)
{
	struct json *o;
	char *text;

	if (log == NULL)
		return;
	o = json_new_object();
	json_add_str(o, "subject", s->label);
	json_add_str(o, "model", s->model);
	json_add_str(o, "id", c->id);
	{
		char *q = bench_question(c);

		json_add_str(o, "question", q);
		free(q);
	}
	if (c->expected != NULL)
		json_add_str(o, "expected", c->expected);
	if (!r->done) {
		/* An answer for the judge: kept, so a resumed run has it. */
		json_add_bool(o, "pending", 1);
		goto tail;
	}
	json_add_bool(o, "pass", r->pass);
	json_add_num(o, "score", r->score);
	if (r->extracted)
		json_add_str(o, "extracted", r->extracted);
	else
		json_add_null(o, "extracted");
	if (r->reason)
		json_add_str(o, "reason", r->reason);
	else
		json_add_null(o, "reason");
	if (r->sandbox != 0) {
		struct strbuf sb = STRBUF_INIT;

		sandbox_protections_describe(r->sandbox, &sb);
		json_add_str(o, "sandbox", sb.buf);
		strbuf_release(&sb);
	}
tail:
	json_add_bool(o, "cached", r->cached);
	json_add_bool(o, "truncated", r->truncated);
	if (key != NULL)
		json_add_str(o, "request_sha256", key);
	json_add_str(o, "response", response ? response : "");
	if (tl != NULL)
		log_tools(o, tl);
	json_add_num(o, "time", (double)time(NULL));
	text = json_print(o, 0);
	json_free(o);
	fprintf(log, "%s\n", text);
	fflush(log);
	/* Each case is on disk before the next is counted done. */
	fsync(fileno(log));
	free(text);
}

/*
 * An llm_judge case's answer waits for the judge, who is asked after
 * every subject has answered: in Ollama each change of model is a
 * reload, and the judge is another model (or the base again).
 */
static int
defer_judge(const struct bench_case *c, const char *response,
    const struct judge *j, struct eval_result *r)
{
	if (j == NULL || c->type != EVAL_JUDGE || r->truncated)
		return 0;
	free(r->pending);
	r->pending = xstrdup(response != NULL ? response : "");
	return 1;
}

/* The answer type a vote extracts case c's answers by. */
static enum answer_type
case_vote_type(const struct bench_case *c)
{
	enum answer_type t = ANSWER_TEXT;

	if (c->extract_pattern != NULL)
		return ANSWER_REGEX;
	if (c->type == EVAL_EXACT && c->answer_type != NULL)
		answer_type_parse(c->answer_type, &t);
	else if (c->type == EVAL_CHOICE)
		t = ANSWER_CHOICE;
	else if (c->type == EVAL_CODE)
		t = ANSWER_CODE;
	return t;
}

/* What an ensemble's vote counts for a response: NULL when it was cut. */
static char *
vote_answer(const struct bench_case *c, const char *response, int truncated)
{
	struct extractor *x;
	char *ans;

	if (truncated || response == NULL ||
	    extractor_new(case_vote_type(c), c->extract_pattern, &x) != NULL)
		return NULL;
	ans = extractor_run(x, response);
	extractor_free(x);
	return ans;
}

void
eval_ensemble_combine(const struct bench *b,
    struct eval_result *const *members, const double *weights,
    size_t nmembers, struct eval_result *out, size_t *winner, size_t *needed)
{
	struct vote_tally vt;
	char **answers = xcalloc(nmembers + 1, sizeof(*answers));
	int *done = xcalloc(nmembers + 1, sizeof(*done));
	double rest;
	size_t i, k, m, w;

	*needed = 0;
	for (i = 0; i < b->n; i++) {
		const struct eval_result *src;

		memset(&vt, 0, sizeof(vt));
		for (k = 0; k < nmembers; k++) {
			answers[k] = members[k][i].answer;
			done[k] = 1;
			vote_tally_release(&vt);
			vote_tally_build_weighted(case_vote_type(&b->cases[i]),
			    NUMBER_TOLERANCE, answers, done, weights, k + 1,
			    &vt);
			for (m = k + 1, rest = 0; m < nmembers; m++)
				rest += weights[m];
			if (vote_decided_weight(&vt, rest))
				break;
		}
		*needed += k < nmembers ? k + 1 : nmembers;
		w = vt.ngroups > 0 ? vt.groups[0].first : 0;
		vote_tally_release(&vt);
		if (winner != NULL)
			winner[i] = w;
		src = &members[w][i];
		eval_result_release(&out[i]);
		out[i].done = 1;
		out[i].pass = src->pass;
		out[i].score = src->score;
		out[i].truncated = src->truncated;
		out[i].extracted = src->extracted ? xstrdup(src->extracted) :
		    NULL;
		out[i].reason = src->reason ? xstrdup(src->reason) : NULL;
		out[i].answer = src->answer ? xstrdup(src->answer) : NULL;
	}
	free(answers);
	free(done);
}

static void
score_into(const struct bench_case *c, const char *response,
    const struct judge *j, struct eval_result *r, struct error **err)
{
	struct score_result sr;

	free(r->answer);
	r->answer = vote_answer(c, response, r->truncated);

	if (r->truncated) {
		/* A cut answer is not scored: it is wrong, and reported. */
		r->pass = 0;
		r->score = 0;
		r->reason = xstrdup("cut at the token limit (done_reason "
		    "length): raise --num-predict");
		r->done = 1;
		*err = NULL;
		return;
	}
	*err = score_case(c, response, j, &sr);
	if (*err != NULL) {
		/* The scorer could not run: a failed case, with why. */
		r->pass = 0;
		r->score = 0;
		r->reason = xstrdup((*err)->msg);
		error_free(*err);
		*err = NULL;
	} else {
		r->pass = sr.pass;
		r->score = sr.score;
		r->extracted = sr.extracted;
		r->reason = sr.reason;
		sr.extracted = sr.reason = NULL;
		r->sandbox = sr.sandbox;
	}
	score_result_release(&sr);
	r->done = 1;
}

/*
 * The progress line: a subject's cases, and what waits for the model's
 * first byte ("; waiting for the model (12s, 3 of 4 requests)").
 */
static struct {
	const char	*label;
	size_t		 done, n;
	long long	 start;
	char		 wait[96];
	int		 on;
} line;

static void
draw_line(void)
{
	double el, eta;

	el = (double)(now_ns() - line.start) / 1e9;
	eta = line.done ? el / (double)line.done *
	    (double)(line.n - line.done) : 0;
	fprintf(stderr, "\r\033[Keval %s: %zu of %zu cases, %.0f s, ETA %.0f s"
	    "%s%s", line.label, line.done, line.n, el, eta,
	    *line.wait ? "; " : "", line.wait);
	fflush(stderr);
}

/*
 * Off a terminal (a CI log): "eval LABEL: 40 of 200 cases, 3.9 cases/s,
 * ETA 41 s" at most every es->progress_every seconds, and "eval LABEL:
 * 200 of 200 cases in 52 s" at the end when a line came before it; a
 * short run prints nothing.
 */
static void
plain_progress(const struct eval_settings *es, const char *label,
    size_t done, size_t n, long long start)
{
	static long long last;
	static int printed;
	long long now = now_ns();
	double el = (double)(now - start) / 1e9;

	if (done == 0 || last < start) {
		last = start;
		printed = 0;
	}
	if (done >= n) {
		if (printed)
			fprintf(stderr, "eval %s: %zu of %zu cases in %.0f s\n",
			    label, done, n, el);
		printed = 0;
		return;
	}
	if ((double)(now - last) / 1e9 < es->progress_every)
		return;
	fprintf(stderr, "eval %s: %zu of %zu cases, %.1f cases/s, ETA %.0f s\n",
	    label, done, n, el > 0 ? (double)done / el : 0,
	    done ? el / (double)done * (double)(n - done) : 0);
	fflush(stderr);
	last = now;
	printed = 1;
}

static void
show_progress(const struct eval_settings *es, const char *label, size_t done,
    size_t n, long long start)
{
	if (!es->progress) {
		if (es->progress_every > 0)
			plain_progress(es, label, done, n, start);
		return;
	}
	line.label = label;
	line.done = done;
	line.n = n;
	line.start = start;
	line.on = done < n;
	draw_line();
	if (done == n)
		fputs("\r\033[K", stderr);
}

/* A backend_wait_fn: the wait, on the progress line. */
static void
show_wait(size_t waiting, size_t running, long long waited_ns, void *arg)
{
	char text[sizeof(line.wait)];

	(void)arg;
	progress_wait_text(text, sizeof(text), waiting, running, waited_ns);
	if (strcmp(text, line.wait) == 0)
		return;
	memcpy(line.wait, text, sizeof(text));
	if (line.on)
		draw_line();
}

/*
 * One ask per case (a vote, or one answer through the tool loop), the
 * cases one after another.
 */
static struct error *
run_votes(struct backend *be, const struct eval_settings *es,
    const struct bench *b, const struct eval_subject *s,
    const struct judge *j, FILE *log, struct eval_result *results,
    struct eval_tally *tally)
{
	struct error *err = NULL;
	long long start = now_ns();
	size_t i, done = 0;

	for (i = 0; i < b->n; i++)
		if (results[i].done || results[i].pending)
			done++;
	show_progress(es, s->label, done, b->n, start);
	for (i = 0; i < b->n && err == NULL; i++) {
		const struct bench_case *c = &b->cases[i];
		const struct vote_result *vr;
		struct ask_opts ao;
		struct ask_result ar;
		struct extractor *x = NULL;
		char *question;

		if (results[i].done || results[i].pending)
			continue;
		if ((err = extractor_new(case_vote_type(c),
		    c->extract_pattern, &x)) != NULL)
			break;
		question = bench_question(c);
		memset(&ao, 0, sizeof(ao));
		ao.reg = es->registry;
		ao.adapter = s->adapter;
		ao.target = s->target;
		ao.question = question;
		ao.reread = es->reread;
		settings(es, s, i, &ao.s);
		ao.votes = es->votes;
		ao.vote_temperature = es->vote_temperature;
		ao.vote_method = c->type == EVAL_ROUGE || c->type == EVAL_JUDGE ?
		    VOTE_MEDOID : VOTE_MAJORITY;
		ao.parallel = es->jobs;
		ao.x = x;
		/* pass@k needs every sample of a code case. */
		ao.no_early_stop = c->type == EVAL_CODE;
		ao.tools = s->tools;
		err = ask_run(be, &ao, &ar);
		vr = &ar.vote;
		if (err == NULL && !ar.voted) {
			/* One answer (a subject with tools). */
			tally->requests += 1 + (unsigned)ar.tool_requests;
			eval_tally_load(tally, ar.res.load_duration);
			results[i].truncated = ar.truncated;
			if (!defer_judge(c, ar.res.content, j, &results[i]))
				score_into(c, ar.res.content, j, &results[i],
				    &err);
			log_case_tools(log, s, c, &results[i], ar.res.content,
			    NULL, ar.used_tools ? &ar.tools : NULL);
			show_progress(es, s->label, ++done, b->n, start);
			goto next;
		}
		if (err == NULL && c->type == EVAL_CODE) {
			size_t k;

			for (k = 0; k < vr->n; k++) {
				struct score_result sr;

				if (!vr->samples[k].done)
					continue;
				results[i].samples++;
				if (score_case(c, vr->samples[k].content, j, &sr)
				    == NULL && sr.pass)
					results[i].samples_passed++;
				score_result_release(&sr);
			}
		}
		if (err == NULL) {
			size_t k;

			tally->requests += (unsigned)vr->completed +
			    (unsigned)ar.tool_requests;
			for (k = 0; k < vr->n; k++)
				eval_tally_load(tally,
				    vr->samples[k].res.load_duration);
			results[i].truncated = ar.truncated;
			if (!defer_judge(c, vr->samples[vr->winner].content, j,
			    &results[i]))
				score_into(c, vr->samples[vr->winner].content,
				    j, &results[i], &err);
			log_case_tools(log, s, c, &results[i],
			    vr->samples[vr->winner].content, NULL,
			    ar.used_tools ? &ar.tools : NULL);
			show_progress(es, s->label, ++done, b->n, start);
		}
next:
		ask_result_release(&ar);
		extractor_free(x);
		free(question);
	}
	return err;
}

static struct error *
subject_run(struct backend *be, const struct eval_settings *es,
    const struct bench *b, const struct eval_subject *s,
    const struct judge *j, FILE *log, struct eval_result *results,
    struct eval_tally *tally)
{
	struct chat_batch *batch;
	struct request *rqs;
	struct chat_result res;
	struct error *err = NULL, *serr;
	size_t nslots, *slot_case, slot, next = 0, done = 0, i;
	unsigned *tries;
	long long start = now_ns();
	char *content;

	/* Model code runs only in a sandbox that sandbox.require accepts. */
	for (i = 0; i < b->n; i++)
		if (b->cases[i].type == EVAL_CODE && !results[i].done)
			break;
	if (i < b->n && (err = sandbox_check()) != NULL)
		return err;
	if (es->progress)
		backend_on_wait(be, show_wait, NULL);
	if (es->votes > 1 || (s->tools != NULL && s->tools->tools != 0)) {
		err = run_votes(be, es, b, s, j, log, results, tally);
		backend_on_wait(be, NULL, NULL);
		if (es->progress && err != NULL)
			fputs("\r\033[K", stderr);
		return err;
	}
	nslots = es->jobs > 0 ? es->jobs : 1;
	rqs = xcalloc(b->n + 1, sizeof(*rqs));
	tries = xcalloc(b->n + 1, sizeof(*tries));
	slot_case = xcalloc(nslots, sizeof(*slot_case));
	batch = chat_batch_new(be, nslots);
	chat_result_init(&res);
	for (i = 0; i < b->n; i++)
		if (results[i].done || results[i].pending)
			done++;
	show_progress(es, s->label, done, b->n, start);

	/* Start the next case that needs the server; answer cached ones. */
#define FEED(slot_) do {						\
	while (next < b->n && err == NULL) {				\
		i = next++;						\
		if (results[i].done || results[i].pending)		\
			continue;					\
		if ((err = request_make(be, es, s, &b->cases[i], i,	\
		    &rqs[i])))						\
			break;						\
		if (es->cache && (content = cache_get(rqs[i].key,	\
		    &results[i].truncated))) {				\
			results[i].cached = 1;				\
			if (!defer_judge(&b->cases[i], content, j,	\
			    &results[i]))				\
				score_into(&b->cases[i], content, j,	\
				    &results[i], &serr);		\
			log_case(log, s, &b->cases[i], &results[i],	\
			    content, rqs[i].key);			\
			free(content);					\
			request_release(&rqs[i]);			\
			show_progress(es, s->label, ++done, b->n, start); \
			continue;					\
		}							\
		slot_case[slot_] = i;					\
		chat_batch_start(batch, slot_, &rqs[i].cr);		\
		tally->requests++;					\
		break;							\
	}								\
} while (0)

	for (slot = 0; slot < nslots && err == NULL; slot++)
		FEED(slot);
	while (err == NULL && chat_batch_next(batch, &slot, &res, &err)) {
		i = slot_case[slot];
		if (err != NULL && retry_wait(err, ++tries[i], tally)) {
			/* A server error or a reset: the same request again. */
			error_free(err);
			err = NULL;
			chat_result_release(&res);
			chat_batch_start(batch, slot, &rqs[i].cr);
			tally->requests++;
			continue;
		}
		if (err != NULL)
			break;
		if (es->cache)
			cache_put(rqs[i].key, s->model, &res);
		results[i].truncated = chat_truncated(&res);
		eval_tally_load(tally, res.load_duration);
		if (!defer_judge(&b->cases[i], res.content, j, &results[i]))
			score_into(&b->cases[i], res.content, j, &results[i],
			    &serr);
		log_case(log, s, &b->cases[i], &results[i], res.content,
		    rqs[i].key);
		/* Memory stays flat however long the benchmark. */
		request_release(&rqs[i]);
		chat_result_release(&res);
		show_progress(es, s->label, ++done, b->n, start);
		FEED(slot);
	}
#undef FEED
	chat_result_release(&res);
	chat_batch_free(batch);
	backend_on_wait(be, NULL, NULL);
	if (es->progress && err != NULL)
		fputs("\r\033[K", stderr);
	for (i = 0; i < b->n; i++)
		request_release(&rqs[i]);
	free(rqs);
	free(tries);
	free(slot_case);
	if (err != NULL)
		err = error_prefix(err, "%s '%s'", s->label, s->model);
	return err;
}

struct error *
eval_judge_pending(const struct eval_settings *es, const struct bench *b,
    const struct eval_subject *s, const struct judge *j, FILE *log,
    struct eval_result *results)
{
	struct error *serr;
	long long start = now_ns();
	size_t i, n = 0, done = 0;
	char *label;

	for (i = 0; i < b->n; i++)
		if (results[i].pending != NULL && !results[i].done)
			n++;
	if (n == 0)
		return NULL;
	label = xasprintf("%s (judge)", s->label);
	show_progress(es, label, 0, n, start);
	for (i = 0; i < b->n; i++) {
		struct eval_result *r = &results[i];
		char *answer = r->pending;

		if (answer == NULL || r->done)
			continue;
		r->pending = NULL;
		score_into(&b->cases[i], answer, j, r, &serr);
		log_case(log, s, &b->cases[i], r, answer, NULL);
		free(answer);
		show_progress(es, label, ++done, n, start);
	}
	free(label);
	return NULL;
}

/* A record's value as text, for saying what differs. */
static char *
record_text(const struct json *v)
{
	if (v == NULL)
		return xstrdup("(none)");
	if (json_is_string(v))
		return xstrdup(json_string(v));
	return json_print(v, 0);
}

struct error *
eval_record_check(const char *dir, const char *record, int resume)
{
	struct strbuf diff = STRBUF_INIT;
	struct error *err = NULL;
	struct json *old = NULL, *now, *it;
	char *path = xasprintf("%s/run.json", dir), *log, *data = NULL;
	size_t len, n = 0;

	log = xasprintf("%s/log.jsonl", dir);
	if (!resume) {
		if (fs_exists(path) || fs_exists(log))
			err = error_new(EXIT_USAGE, "'%s' holds a run already: "
			    "resume it with --resume, or give another "
			    "--output", dir);
		goto write;
	}
	if (!fs_exists(path)) {
		err = error_new(EXIT_USAGE, "cannot resume '%s': it has no "
		    "run.json (not a run of this loco): start a new run",
		    dir);
		goto done;
	}
	if ((err = fs_read_file(path, 1024 * 1024, &data, &len)) != NULL)
		goto done;
	if ((old = json_parse_object(data, len)) == NULL) {
		err = error_new(EXIT_USAGE, "cannot resume '%s': run.json is "
		    "not a JSON object: start a new run", dir);
		goto done;
	}
	now = json_parse(record, strlen(record), NULL);
	/* Every key of either, in the order of the new record. */
	JSON_FOREACH(it, now) {
		struct json *was = json_get(old, json_key(it));

		if (was != NULL && json_equal(was, it))
			continue;
		{
			char *a = record_text(was), *b = record_text(it);

			strbuf_addf(&diff, "%s%s %s (now %s)", n++ ? ", " : "",
			    json_key(it), a, b);
			free(a);
			free(b);
		}
	}
	JSON_FOREACH(it, old)
		if (json_get(now, json_key(it)) == NULL) {
			char *a = record_text(it);

			strbuf_addf(&diff, "%s%s %s (now none)", n++ ? ", " :
			    "", json_key(it), a);
			free(a);
		}
	json_free(now);
	if (n > 0) {
		err = error_new(EXIT_USAGE, "cannot resume '%s': it was run "
		    "with other settings: %s; give the same ones, or start a "
		    "new run", dir, diff.buf);
		goto done;
	}
write:
	if (err == NULL)
		err = fs_write_atomic(path, record, strlen(record));
done:
	strbuf_release(&diff);
	json_free(old);
	free(data);
	free(path);
	free(log);
	return err;
}

struct error *
eval_log_open(const char *path, FILE **log)
{
	struct error *err;
	char *data, *nl;
	size_t len;
	int fd;

	*log = NULL;
	if (fs_exists(path)) {
		if ((err = fs_read_file(path, 1024u * 1024 * 1024, &data,
		    &len)) != NULL)
			return err;
		if (len > 0 && data[len - 1] != '\n') {
			/* A line torn by a kill: its case runs again. */
			for (nl = data + len; nl > data && nl[-1] != '\n';
			    nl--)
				;
			nl = nl > data ? nl - 1 : NULL;
			if (truncate(path, nl ? (off_t)(nl - data + 1) : 0)
			    == -1) {
				free(data);
				return error_new(EXIT_FAIL, "cannot cut the "
				    "torn last line of '%s': %s", path,
				    strerror(errno));
			}
		}
		free(data);
	}
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1 || (*log = fdopen(fd, "a")) == NULL) {
		if (fd != -1)
			close(fd);
		return error_new(EXIT_FAIL, "cannot write '%s': %s", path,
		    strerror(errno));
	}
	return NULL;
}

struct error *
eval_log_resume(const char *path, const struct bench *b, const char *label,
    struct eval_result *results, size_t *count)
{
	struct error *err;
	char *data, *p, *nl;
	size_t len, i;
	struct json *o, *pass;
	const char *sub, *id, *resp;
	double score;

	*count = 0;
	if (!fs_exists(path))
		return NULL;
	if ((err = fs_read_file(path, 1024u * 1024 * 1024, &data, &len)))
		return err;
	for (p = data; p < data + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(data + len - p))) == NULL)
			break;	/* a torn last line: that case runs again */
		if ((o = json_parse(p, (size_t)(nl - p), NULL)) == NULL)
			continue;
		sub = json_str(o, "subject");
		id = json_str(o, "id");
		pass = json_get(o, "pass");
		resp = json_str(o, "response");
		if (sub == NULL || strcmp(sub, label) != 0 || id == NULL)
			;
		else if (json_is_true(json_get(o, "pending")) && resp != NULL)
			for (i = 0; i < b->n; i++) {
				if (strcmp(b->cases[i].id, id) != 0 ||
				    results[i].done)
					continue;
				free(results[i].pending);
				results[i].pending = xstrdup(resp);
				break;
			}
		else if (json_is_bool(pass))
			for (i = 0; i < b->n; i++) {
				if (strcmp(b->cases[i].id, id) != 0 ||
				    results[i].done)
					continue;
				free(results[i].pending);
				results[i].pending = NULL;
				results[i].done = results[i].resumed = 1;
				results[i].truncated = json_is_true(json_get(o,
				    "truncated"));
				results[i].pass = json_is_true(pass);
				results[i].score = json_num(o, "score",
				    &score) == 0 ? score : results[i].pass;
				results[i].extracted = json_strdup(o,
				    "extracted");
				results[i].reason = json_strdup(o, "reason");
				if (resp != NULL)
					results[i].answer = vote_answer(
					    &b->cases[i], resp,
					    results[i].truncated);
				(*count)++;
				break;
			}
		json_free(o);
	}
	free(data);
	return NULL;
}

/* A subject's run, with the chats a Retry-After sent again counted. */
struct error *
eval_subject_run(struct backend *be, const struct eval_settings *es,
    const struct bench *b, const struct eval_subject *s,
    const struct judge *j, FILE *log, struct eval_result *results,
    struct eval_tally *tally)
{
	unsigned long before = backend_retries(be);
	struct error *err;

	err = subject_run(be, es, b, s, j, log, results, tally);
	tally->retries += (unsigned)(backend_retries(be) - before);
	return err;
}
