/* ask.c: the one place that asks the model (ask.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ask.h"
#include "config.h"
#include "extract.h"
#include "strbuf.h"
#include "banned.h"

void
ask_settings_from_config(struct ask_settings *s, const struct config *cfg)
{
	s->think = cfg->think;
	s->keep_alive = cfg->keep_alive;
	s->num_ctx = cfg->num_ctx;
	s->num_predict = cfg->num_predict;
	s->temperature = cfg->temperature;
	s->seed = cfg->seed;
	s->no_truncate = 0;
}

void
ask_request(struct chat_request *cr, struct chat_message *msgs,
    const struct backend_target *t, const struct adapter *a,
    const struct prompt *pr, const struct chat_message *history,
    size_t nhistory, const struct ask_settings *s)
{
	size_t n = 0, i;

	memset(cr, 0, sizeof(*cr));
	if (pr->system != NULL) {
		memset(&msgs[n], 0, sizeof(*msgs));
		msgs[n].role = "system";
		msgs[n++].content = pr->system;
	}
	for (i = 0; i < nhistory; i++)
		msgs[n++] = history[i];
	memset(&msgs[n], 0, sizeof(*msgs));
	msgs[n].role = "user";
	msgs[n++].content = pr->user;
	cr->messages = msgs;
	cr->nmessages = n;
	cr->model = t->model;
	cr->lora = t->lora;
	cr->nlora = t->nlora;
	cr->stream = 1;
	cr->think = s->think;
	cr->keep_alive = s->keep_alive;
	cr->params = a ? a->params : NULL;
	cr->nparams = a ? a->nparams : 0;
	cr->num_ctx = s->num_ctx;
	cr->temperature = s->temperature;
	cr->seed = s->seed;
	cr->num_predict = s->num_predict;
	cr->no_truncate = s->no_truncate;
}

long
ask_fresh_seed(void)
{
	unsigned long long x = (unsigned long long)now_ns() ^
	    ((unsigned long long)getpid() << 32);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (long)(x % 1000000000ULL);
}

static struct error *take_winner(const struct ask_opts *,
    struct ask_result *);

/* A vote's options from the question's (at least one sample). */
static void
vote_opts_of(const struct ask_opts *o, const struct ask_result *ar,
    const struct extractor *x, struct vote_opts *vo)
{
	memset(vo, 0, sizeof(*vo));
	vo->n = o->votes > 1 ? (size_t)o->votes : 1;
	vo->parallel = o->parallel;
	vo->method = o->vote_method;
	vo->x = x;
	vo->seed = ar->vote_seed;
	vo->early_stop = !o->no_early_stop;
	vo->question = o->question;
	vo->progress = o->vote_progress;
	vo->arg = o->arg;
}

struct vote_tools;
static const struct chat_request *vote_next(void *, size_t,
    const struct chat_request *, struct chat_result *);

/*
 * A vote on cr; the winner's text (and sums) go to res.  With vt, each
 * sample runs its own tool calls.
 */
static struct error *
vote(struct backend *be, const struct ask_opts *o, struct chat_request *cr,
    struct ask_result *ar, struct vote_tools *vt)
{
	struct vote_opts vo;
	struct extractor *own = NULL;
	const struct extractor *x = o->x;
	struct error *err;
	enum answer_type t = ANSWER_TEXT;

	if (x == NULL) {
		const char *type = o->answer_type;

		if (type == NULL && o->adapter != NULL)
			type = o->adapter->answer_type;
		if (type == NULL)
			type = "text";
		ar->answer_type = type;
		answer_type_parse(type, &t);
		if ((err = extractor_new(t, o->adapter ?
		    o->adapter->answer_pattern : NULL, &own)) != NULL)
			return err;
		x = own;
	} else
		ar->answer_type = answer_type_name(extractor_type(x));
	vote_opts_of(o, ar, x, &vo);
	cr->temperature = ar->vote_temperature;
	if (vt != NULL) {
		vo.next = vote_next;
		vo.next_arg = vt;
	}

	vote_result_release(&ar->vote);
	err = vote_run(be, cr, &vo, &ar->vote);
	extractor_free(own);
	ar->voted = 1;
	if (err != NULL)
		return err;
	return take_winner(o, ar);
}

/* The vote's winner becomes the answer: its text, the sums. */
static struct error *
take_winner(const struct ask_opts *o, struct ask_result *ar)
{
	const struct vote_sample *w;
	struct chat_result *res = &ar->res;
	size_t i;

	w = &ar->vote.samples[ar->vote.winner];
	chat_result_release(res);
	res->content = xstrdup(w->content);
	res->thinking = xstrdup(w->res.thinking ? w->res.thinking : "");
	res->done_reason = w->res.done_reason ? xstrdup(w->res.done_reason) :
	    NULL;
	res->model = w->res.model ? xstrdup(w->res.model) : NULL;
	res->prompt_eval_count = ar->vote.prompt_tokens;
	res->eval_count = ar->vote.eval_tokens;
	res->load_duration = ar->vote.load_ns;
	for (i = 0; i < ar->vote.n; i++) {
		res->eval_duration += ar->vote.samples[i].res.eval_duration;
		res->prompt_eval_duration +=
		    ar->vote.samples[i].res.prompt_eval_duration;
	}
	if (o->fn != NULL)
		return o->fn(res->content, strlen(res->content), "", 0, o->arg);
	return NULL;
}

/* A piece for the caller: the reasoning only when it asked for it. */
static struct error *
piece(const char *content, size_t clen, const char *thinking, size_t tlen,
    void *arg)
{
	const struct ask_opts *o = arg;

	if (!o->show_thinking)
		thinking = "", tlen = 0;
	if (clen == 0 && tlen == 0)
		return NULL;
	return o->fn(content, clen, thinking, tlen, o->arg);
}

/* Each sample of a vote with tools: a session of its own. */
struct vote_tools {
	struct tool_settings	 ts;
	struct tool_session	**sessions;
	size_t			 n;
};

static const struct chat_request *
vote_next(void *arg, size_t i, const struct chat_request *req,
    struct chat_result *res)
{
	struct vote_tools *vt = arg;

	if (i >= vt->n)
		return NULL;
	if (vt->sessions[i] == NULL)
		vt->sessions[i] = tool_session_new(&vt->ts, req, i);
	return tool_session_step(vt->sessions[i], res);
}

/* One answer, its tool calls run as they come. */
static struct error *
chat_tools(struct backend *be, const struct ask_opts *o,
    const struct tool_settings *ts, const struct chat_request *cr,
    struct ask_result *ar)
{
	struct tool_session *sess = tool_session_new(ts, cr, 0);
	const struct chat_request *r = cr;
	struct error *err;

	tool_session_output(sess, o->fn ? piece : NULL, (void *)o);
	for (;;) {
		err = backend_chat(be, r, o->fn ? tool_session_piece : NULL,
		    sess, &ar->res);
		if (err != NULL || (r = tool_session_step(sess, &ar->res)) ==
		    NULL)
			break;
	}
	ar->tool_requests += tool_session_requests(sess) - 1;
	tool_session_free(sess);
	return err;
}

static struct error *
send(struct backend *be, const struct ask_opts *o, struct ask_result *ar)
{
	struct ask_settings s = o->s;
	struct chat_message *msgs;
	struct chat_request cr;
	struct tool_settings ts;
	struct vote_tools vt;
	struct error *err;
	char *clean, *schema = NULL;
	size_t i;

	/* A model that thinks is asked to, so the reasoning comes apart. */
	s.think = backend_thinks(be, &ar->target);
	msgs = xcalloc(o->nhistory + 2, sizeof(*msgs));
	ask_request(&cr, msgs, &ar->target, o->adapter, &ar->pr, o->history,
	    o->nhistory, &s);
	ar->nmessages = cr.nmessages;
	memset(&vt, 0, sizeof(vt));
	if (o->tools != NULL && o->tools->tools != 0) {
		ts = *o->tools;
		ts.log = &ar->tools;
		ar->used_tools = 1;
		if (ts.format == TOOL_FORMAT_NATIVE)
			cr.tools = schema = tools_schema(ts.tools);
		vt.ts = ts;
		vt.n = o->votes > 1 ? (size_t)o->votes : 1;
		vt.sessions = xcalloc(vt.n, sizeof(*vt.sessions));
	}
	if (o->votes > 1)
		err = vote(be, o, &cr, ar, vt.sessions ? &vt : NULL);
	else if (vt.sessions != NULL)
		err = chat_tools(be, o, &vt.ts, &cr, ar);
	else
		err = backend_chat(be, &cr, o->fn ? piece : NULL, (void *)o,
		    &ar->res);
	for (i = 0; i < vt.n; i++)
		if (vt.sessions[i] != NULL) {
			ar->tool_requests +=
			    tool_session_requests(vt.sessions[i]) - 1;
			tool_session_free(vt.sessions[i]);
		}
	free(vt.sessions);
	free(schema);
	free(msgs);
	/* Reasoning that spilled into the answer is not the answer. */
	if (ar->res.content != NULL) {
		clean = strip_thinking(ar->res.content);
		free(ar->res.content);
		ar->res.content = clean;
	}
	return err;
}

/*
 * An ensemble: each member's request (its prompt, target and parameters),
 * then one weighted vote over them all.  The result's prompt is the
 * first member's; its target names the ensemble.
 */
static struct error *
ensemble(struct backend *be, const struct ask_opts *o, struct ask_result *ar)
{
	struct chat_request *crs;
	struct chat_message *msgs;
	struct prompt *prs;
	struct vote_opts vo;
	struct extractor *own = NULL;
	struct strbuf label = STRBUF_INIT;
	struct error *err = NULL;
	const struct adapter *first = o->members[0].adapter;
	const struct extractor *x = o->x;
	enum answer_type t = ANSWER_TEXT;
	double *weights;
	size_t i, n = o->nmembers;

	crs = xcalloc(n, sizeof(*crs));
	msgs = xcalloc(2 * n, sizeof(*msgs));
	prs = xcalloc(n, sizeof(*prs));
	weights = xcalloc(n, sizeof(*weights));
	ar->members = xcalloc(n, sizeof(*ar->members));
	ar->nmembers = n;
	strbuf_addstr(&label, "ensemble:");
	for (i = 0; i < n && err == NULL; i++) {
		const struct adapter *a = o->members[i].adapter;
		struct ask_settings s = o->s;

		weights[i] = o->members[i].weight;
		strbuf_addf(&label, "%s%s@%s", i ? "," : "", a->name,
		    a->version);
		if ((err = prompt_build(o->reg, a, o->question, o->reread,
		    o->system, &prs[i])) != NULL ||
		    (err = backend_resolve(be, o->reg, a, &ar->members[i]))
		    != NULL)
			break;
		s.think = backend_thinks(be, &ar->members[i]);
		ask_request(&crs[i], &msgs[2 * i], &ar->members[i], a, &prs[i],
		    NULL, 0, &s);
		if (o->votes > 1)
			crs[i].temperature = ar->vote_temperature;
	}
	if (err == NULL) {
		ar->pr.system = prs[0].system ? xstrdup(prs[0].system) : NULL;
		ar->pr.user = xstrdup(prs[0].user);
		ar->target.model = xstrdup(ar->members[0].model);
		ar->target.label = strbuf_detach(&label, NULL);
		ar->target.lora = xcalloc(1, sizeof(*ar->target.lora));
		ar->nmessages = crs[0].nmessages;
		if (x == NULL) {
			const char *type = o->answer_type ? o->answer_type :
			    first->answer_type ? first->answer_type : "text";

			ar->answer_type = type;
			answer_type_parse(type, &t);
			err = extractor_new(t, first->answer_pattern, &own);
			x = own;
		} else
			ar->answer_type = answer_type_name(extractor_type(x));
	}
	if (err == NULL && o->on_send != NULL)
		err = o->on_send(ar, o->arg);
	if (err == NULL) {
		vote_opts_of(o, ar, x, &vo);
		vo.members = crs;
		vo.nmembers = n;
		vo.weights = weights;
		/* Ollama reloads to change model: one member at a time. */
		vo.serial = !backend_supports(be, BACKEND_LORA);
		err = vote_run(be, NULL, &vo, &ar->vote);
		ar->voted = 1;
		/* Which member's model is missing, for the message. */
		if (err != NULL && ar->vote.broke >= 0) {
			i = ar->vote.samples[ar->vote.broke].member;
			free(ar->target.model);
			ar->target.model = xstrdup(ar->members[i].model);
		}
		if (err == NULL)
			err = take_winner(o, ar);
	}
	strbuf_release(&label);
	extractor_free(own);
	for (i = 0; i < n; i++)
		prompt_release(&prs[i]);
	free(prs);
	free(msgs);
	free(crs);
	free(weights);
	return err;
}

struct error *
ask_run(struct backend *be, const struct ask_opts *o, struct ask_result *ar)
{
	struct error *err;
	long long start = now_ns();

	memset(ar, 0, sizeof(*ar));
	chat_result_init(&ar->res);
	ar->backend = backend_name(be);
	ar->vote.winner = -1;
	if (o->nmembers > 0) {
		/* One answer each: the settings' temperature and seed. */
		ar->vote_seed = o->s.seed;
		ar->vote_temperature = o->s.temperature;
		if (o->votes > 1) {
			ar->vote_seed = o->s.seed != CONFIG_UNSET_INT ?
			    o->s.seed : ask_fresh_seed();
			ar->vote_temperature = o->temperature_given ?
			    o->s.temperature : o->vote_temperature;
		}
		err = ensemble(be, o, ar);
		goto sent;
	}
	if (o->prompt != NULL) {
		ar->pr.system = o->prompt->system ?
		    xstrdup(o->prompt->system) : NULL;
		ar->pr.user = xstrdup(o->prompt->user);
	} else if ((err = prompt_build(o->reg, o->adapter, o->question,
	    o->reread, o->system, &ar->pr)) != NULL)
		return err;
	if (o->target != NULL) {
		const struct backend_target *t = o->target;

		ar->target.model = xstrdup(t->model);
		ar->target.label = xstrdup(t->label);
		ar->target.nlora = t->nlora;
		ar->target.lora = xcalloc(t->nlora + 1, sizeof(*t->lora));
		if (t->nlora > 0)
			memcpy(ar->target.lora, t->lora,
			    t->nlora * sizeof(*t->lora));
	} else if ((err = backend_resolve(be, o->reg, o->adapter,
	    &ar->target)) != NULL)
		return err;
	if (o->votes > 1) {
		ar->vote_seed = o->s.seed != CONFIG_UNSET_INT ? o->s.seed :
		    ask_fresh_seed();
		ar->vote_temperature = o->temperature_given ?
		    o->s.temperature : o->vote_temperature;
	}
	if (o->on_send != NULL && (err = o->on_send(ar, o->arg)) != NULL)
		return err;
	err = send(be, o, ar);
	/* An adapter whose model is missing: the base can still answer. */
	if (err != NULL && err->code == EXIT_NOMODEL && o->fallback &&
	    o->adapter != NULL) {
		struct backend_target bt;
		int vanished = strstr(err->msg, BACKEND_VANISHED) !=
		    NULL;

		if (backend_resolve(be, o->reg, NULL, &bt) == NULL &&
		    !backend_target_same(&bt, &ar->target)) {
			error_free(err);
			ar->wanted = xstrdup(ar->target.label);
			backend_target_release(&ar->target);
			ar->target = bt;
			if (o->on_fallback != NULL)
				o->on_fallback(ar->wanted, ar->target.label,
				    vanished, o->arg);
			chat_result_release(&ar->res);
			err = send(be, o, ar);
		} else
			backend_target_release(&bt);
	}
sent:
	/*
	 * Ollama: a model that is not there is pulled or registered (one
	 * whose blob vanished already says that setup re-creates it).
	 */
	if (err != NULL && err->code == EXIT_NOMODEL &&
	    backend_supports(be, BACKEND_MANAGE) &&
	    strstr(err->msg, "'loco setup'") == NULL) {
		const char *m = ar->target.model;

		error_free(err);
		err = error_new(EXIT_NOMODEL, "model '%s' not found at %s: run "
		    "'loco setup' (or 'ollama pull %s')", m, backend_url(be),
		    m);
	}
	if (err == NULL) {
		ar->truncated = ar->voted ? ar->vote.truncated > 0 &&
		    ar->vote.truncated == ar->vote.completed :
		    chat_truncated(&ar->res);
		/* Which limit: num_predict when the answer reached it. */
		ar->raise = o->s.num_predict >= 0 &&
		    o->s.num_predict != CONFIG_UNSET_INT &&
		    ar->res.eval_count >= o->s.num_predict ?
		    "options.num_predict (--num-predict)" :
		    "options.num_ctx (--num-ctx)";
	}
	ar->wall_ns = now_ns() - start;
	return err;
}

void
ask_result_release(struct ask_result *ar)
{
	size_t i;

	prompt_release(&ar->pr);
	backend_target_release(&ar->target);
	free(ar->wanted);
	chat_result_release(&ar->res);
	vote_result_release(&ar->vote);
	tool_log_release(&ar->tools);
	for (i = 0; i < ar->nmembers; i++)
		backend_target_release(&ar->members[i]);
	free(ar->members);
	memset(ar, 0, sizeof(*ar));
}
