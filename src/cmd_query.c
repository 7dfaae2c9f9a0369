/*
 * cmd_query.c: loco query: route a question, build the RE2 prompt, stream
 * the answer from Ollama, and report the decision and the timings: as
 * text, as one JSON object, or as JSON events one a line (--json --stream,
 * described in loco-json(7)).  With --continue the question is the next
 * turn of the history's last conversation (history_conversation), sent
 * with its turns to its adapter and recorded in its session.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ask.h"
#include "cmd.h"
#include "ensemble.h"
#include "history.h"
#include "jsonout.h"
#include "prompt.h"
#include "router.h"
#include "strbuf.h"
#include "tools.h"
#include "vote.h"
#include "banned.h"

enum {
	O_ADAPTER = 1, O_ANSWER_TYPE, O_CONTINUE, O_ENSEMBLE, O_JSON, O_QUIET,
	O_STREAM, O_SYSTEM
};

static const struct opt query_opts[] = {
	{ "adapter", 0, O_ADAPTER, OPT_VALUE, "name", "use this adapter; auto "
	  "(default) routes, none uses the base model", OC_ADAPTER },
	{ "answer-type", 0, O_ANSWER_TYPE, OPT_VALUE, "type", "how votes find "
	  "the answer (default: the adapter's)", OC_WORDS,
	  "number choice regex code text" },
	{ "backend", 0, 0, OPT_VALUE, "server", "a server of config.yaml's "
	  "backends, or a type", OC_BACKEND, NULL, "backend" },
	{ "continue", 0, O_CONTINUE, OPT_FLAG, NULL, "ask as the next turn of "
	  "the last conversation in the history, with its adapter" },
	{ "ensemble", 0, O_ENSEMBLE, OPT_MAYBE, "names", "ask every active "
	  "adapter of the domain (or the named ones) and vote, weighted by "
	  "accuracy" },
	{ "host", 0, 0, OPT_VALUE, "url", "the server (default: backend.host, "
	  "OLLAMA_HOST)", OC_NONE, NULL, "backend.host" },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print one JSON object instead of "
	  "streaming text" },
	{ "no-reread", 0, 0, OPT_FLAG, NULL, "ask once instead of re-reading "
	  "(RE2 off)", OC_NONE, NULL, "inference.reread", 0, "false" },
	{ "no-tools", 0, O_NO_TOOLS, OPT_FLAG, NULL, "run no tool calls, even "
	  "the adapter's" },
	{ "num-ctx", 0, 0, OPT_VALUE, "n", "context window sent to the model",
	  OC_NONE, NULL, "options.num_ctx" },
	{ "num-predict", 0, 0, OPT_VALUE, "n", "most tokens to generate (-1: "
	  "no limit)", OC_NONE, NULL, "options.num_predict" },
	{ "parallel", 0, 0, OPT_VALUE, "n", "vote samples in flight at once "
	  "(default: 1 on Ollama, serve.slots on llama-server)", OC_NONE, NULL,
	  "inference.parallel" },
	{ "quiet", 0, O_QUIET, OPT_FLAG, NULL, "no routing/stats line or "
	  "notices on stderr" },
	{ "seed", 0, 0, OPT_VALUE, "n", "sampling seed", OC_NONE, NULL,
	  "options.seed" },
	{ "stream", 0, O_STREAM, OPT_FLAG, NULL, "with --json: one JSON event "
	  "a line as the answer arrives (see loco-json(7))" },
	{ "system", 0, O_SYSTEM, OPT_VALUE, "text", "system prompt instead of "
	  "the adapter's" },
	{ "temperature", 0, 0, OPT_VALUE, "t", "sampling temperature, 0 to 2",
	  OC_NONE, NULL, "options.temperature" },
	{ "think", 0, 0, OPT_FLAG, NULL, NULL, OC_NONE, NULL,
	  "options.think", OPT_PAIR, "true" },
	{ "no-think", 0, 0, OPT_FLAG, NULL, "show a thinking model's reasoning "
	  "on stderr, or not", OC_NONE, NULL, "options.think", 0, "false" },
	{ "tools", 0, O_TOOLS, OPT_VALUE, "names", "tools the model may call "
	  "(python, sympy), in place of the adapter's" },
	{ "unsafe-tools", 0, O_UNSAFE_TOOLS, OPT_FLAG, NULL, "run tool calls "
	  "even in a sandbox that lacks what sandbox.require asks for" },
	{ "vote-method", 0, 0, OPT_VALUE, "method", "how the votes pick an "
	  "answer", OC_NONE, NULL, "inference.vote_method" },
	{ "votes", 0, 0, OPT_VALUE, "n", "sample n answers and vote "
	  "(self-consistency)", OC_NONE, NULL, "inference.votes" },
};
static const struct opt_form query_forms[] = {
	{ NULL, NULL, "question" },
};
static const struct opt_operand query_operands[] = {
	{ "question", "the question; - reads it from standard input" },
};
const struct optspec query_spec = OPTSPEC("query", "route a question, "
    "build the prompt and stream the answer", query_opts, query_forms,
    query_operands);

struct query {
	const struct cmd	*cmd;
	struct loco		*lc;
	int			 json;
	int			 stream;	/* --json --stream: events */
	int			 quiet;
	const char		*adapter_opt;	/* NULL or "auto": route */
	const char		*system;	/* --system, or NULL */
	const char		*answer_type;	/* --answer-type, or NULL */
	const char		*question;
	const struct choice	*choice;
	int			 ensemble;	/* --ensemble */
	const char		*ensemble_names; /* --ensemble=NAMES */
	struct ensemble		 ens;		/* its members, or none */
	struct ask_result	 ar;		/* the answer */
	struct answer_out	 out;		/* the streamed answer */
	struct tool_flags	 tf;		/* --tools, --no-tools, ... */
	struct tool_settings	 tools;		/* the model's, if any */
	/* --continue: the conversation, and the session it goes on in. */
	int			 cont;
	struct history		 conv;		/* its turns, oldest first */
	char			*session;
};

/* How the adapter was chosen, for the stats line and JSON. */
struct choice {
	const struct adapter	*adapter;	/* NULL: base */
	const char		*method;	/* "router", "flag" */
	struct route_result	 route;
	int			 routed;
};

/*
 * One event of --json --stream: a line of its own, flushed at once so a
 * reader sees it as it happens.  Returns -1 when stdout failed.
 */
static int
event_write(struct jout *j)
{
	char *s = jout_finish(j, 0);
	int rc;

	rc = loco_write(s, strlen(s));
	if (rc == 0)
		rc = loco_write("\n", 1);
	free(s);
	if (rc == 0 && fflush(stdout) != 0) {
		loco_write_failed = 1;
		loco_write_errno = errno;
		rc = -1;
	}
	return rc;
}

/* {"type":TYPE,"content":TEXT}: a piece of the answer or of the thinking. */
static int
event_piece(const char *type, const char *text, size_t len)
{
	struct jout *j = jout_new();
	char *piece = xstrndup(text, len);

	jout_str(j, "type", type);
	jout_str(j, "content", piece);
	free(piece);
	return event_write(j);
}

static struct error *
on_piece(const char *content, size_t clen, const char *thinking, size_t tlen,
    void *arg)
{
	struct query *q = arg;

	if (q->stream) {
		if ((tlen > 0 && event_piece("thinking", thinking, tlen) == -1) ||
		    (clen > 0 && event_piece("token", content, clen) == -1))
			return error_new(EXIT_FAIL, "%s", "");
		return NULL;
	}
	if (q->json)
		return NULL;
	return answer_piece(&q->out, content, clen, thinking, tlen);
}

static struct error *
choose_adapter(struct query *q, struct registry *reg, const char *question,
    struct choice *ch)
{
	const char *name = q->adapter_opt;
	struct router *r;
	struct error *err;

	memset(ch, 0, sizeof(*ch));
	if (name == NULL || strcmp(name, "auto") == 0) {
		if ((err = loco_router(q->lc, reg, &r, q->quiet)) != NULL)
			return err;
		err = router_route(r, question, &ch->route);
		router_free(r);
		if (err != NULL)
			return err;
		ch->adapter = ch->route.adapter;
		ch->method = "router";
		ch->routed = 1;
		return NULL;
	}
	ch->method = "flag";
	if (strcmp(name, "none") == 0)
		return NULL;
	if ((ch->adapter = registry_find(reg, name)) == NULL) {
		return registry_unknown(reg, name);
	}
	return NULL;
}

static void
decision_text(const struct query *q, const struct choice *ch,
    struct strbuf *sb)
{
	if (strcmp(ch->method, "continue") == 0)
		strbuf_addf(sb, "[continue: %s (kept)]", ch->adapter ?
		    ch->adapter->name : "none");
	else if (strcmp(ch->method, "ensemble") == 0)
		strbuf_addstr(sb, "[ensemble: named set (--ensemble)]");
	else if (ch->routed && ch->adapter != NULL)
		strbuf_addf(sb, "[router: %s, score %g, confidence %.2f]",
		    ch->adapter->name, ch->route.score, ch->route.confidence);
	else if (ch->routed)
		strbuf_addf(sb, "[router: base (%s)]", ch->route.reason);
	else if (ch->adapter != NULL)
		strbuf_addf(sb, "[adapter: %s (--adapter)]", ch->adapter->name);
	else
		strbuf_addstr(sb, "[adapter: none (--adapter none)]");
	if (q->cont) {
		/* "[adapter: code (--adapter), conversation query-12 turn 3]" */
		strbuf_setlen(sb, sb->len - 1);
		strbuf_addf(sb, ", conversation %s turn %zu]", q->session,
		    q->conv.n + 1);
	}
}

static double
tokens_per_second(const struct chat_result *res)
{
	if (res->eval_duration <= 0)
		return NAN;
	return (double)res->eval_count * 1e9 / (double)res->eval_duration;
}

static void
print_stats(const struct query *q, const struct choice *ch,
    const struct ask_result *ar)
{
	struct strbuf sb = STRBUF_INIT;
	const struct chat_result *res = &ar->res;
	const struct vote_result *vr = ar->voted ? &ar->vote : NULL;
	const char *wanted = ar->wanted;
	double tps = tokens_per_second(res);
	long long wall = ar->wall_ns;

	decision_text(q, ch, &sb);
	strbuf_addf(&sb, " model %s", ar->target.label);
	if (strcmp(ar->backend, "ollama") != 0)
		strbuf_addf(&sb, " via %s", ar->backend);
	if (wanted != NULL)
		strbuf_addf(&sb, " (fallback: %s not in Ollama)", wanted);
	if (vr != NULL) {
		strbuf_addstr(&sb, " | ");
		vote_describe(vr, &sb);
	}
	strbuf_addf(&sb, " | %lld prompt tokens, %lld answer tokens, ",
	    res->prompt_eval_count, res->eval_count);
	if (isnan(tps))
		strbuf_addstr(&sb, "- tokens/s");
	else
		strbuf_addf(&sb, "%.1f tokens/s", tps);
	strbuf_addf(&sb, ", load %.2f s, total %.2f s",
	    (double)res->load_duration / 1e9,
	    (double)(res->total_duration ? res->total_duration : wall) / 1e9);
	fprintf(stderr, "%s\n", sb.buf);
	if (vr != NULL && vr->note != NULL)
		fprintf(stderr, "loco: vote: %s\n", vr->note);
	strbuf_release(&sb);
}

void
route_describe_json(struct jout *j, const struct route_result *rr)
{
	size_t i, k;

	jout_str(j, "reason", rr->reason);
	jout_num(j, "score", rr->score);
	/* Four places are plenty, and keep the JSON readable. */
	jout_num(j, "confidence", round(rr->confidence * 1e4) / 1e4);
	jout_arr(j, "candidates");
	for (i = 0; i < rr->ncandidates; i++) {
		const struct route_candidate *c = &rr->candidates[i];

		jout_obj(j, NULL);
		jout_str(j, "adapter", c->adapter->name);
		jout_str(j, "domain", c->adapter->domain);
		jout_num(j, "score", c->score);
		jout_arr(j, "keywords");
		for (k = 0; k < c->nhits; k++)
			jout_str(j, NULL, c->hits[k]);
		jout_end(j);
		jout_end(j);
	}
	jout_end(j);
}

/*
 * "ensemble: math@1.0.0 weight 0.8 (recorded accuracy), math-b@1.0.0
 * weight 1 (no recorded accuracy)".
 */
static void
print_weights(const struct ensemble *ens)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addstr(&sb, "ensemble:");
	for (i = 0; i < ens->n; i++) {
		const struct ensemble_member *m = &ens->m[i];
		char *name = ensemble_member_name(m);

		strbuf_addf(&sb, "%s %s weight %.4g (%s)", i ? "," : "", name,
		    m->weight, strcmp(m->source, "recorded") == 0 ?
		    "recorded accuracy" : strcmp(m->source, "stale") == 0 ?
		    "its result is stale: unweighted" :
		    strcmp(m->source, "unweighted") == 0 ?
		    "another member has no recorded accuracy: unweighted" :
		    "no recorded accuracy: unweighted");
		free(name);
	}
	fprintf(stderr, "%s\n", sb.buf);
	strbuf_release(&sb);
}

/* The members, their weights and answers, and who won. */
static void
ensemble_json(struct jout *j, const struct query *q)
{
	const struct vote_result *vr = &q->ar.vote;
	const struct ensemble *ens = &q->ens;
	size_t i, k;

	jout_obj(j, "ensemble");
	jout_str(j, "domain", ens->m[0].adapter->domain);
	jout_arr(j, "members");
	for (i = 0; i < ens->n; i++) {
		const struct ensemble_member *m = &ens->m[i];

		jout_obj(j, NULL);
		jout_str(j, "adapter", m->adapter->name);
		jout_str(j, "version", m->adapter->version);
		jout_str(j, "model", q->ar.members[i].label);
		jout_num(j, "weight", m->weight);
		if (isnan(m->accuracy))
			jout_null(j, "accuracy");
		else
			jout_num(j, "accuracy", m->accuracy);
		jout_str(j, "weight_source", m->source);
		jout_arr(j, "answers");
		for (k = 0; k < vr->n; k++)
			if (vr->samples[k].member == i && vr->samples[k].done)
				jout_str(j, NULL, vr->samples[k].answer);
		jout_end(j);
		jout_end(j);
	}
	jout_end(j);
	if (vr->winner >= 0) {
		const struct ensemble_member *w =
		    &ens->m[vr->samples[vr->winner].member];

		jout_str(j, "winner", w->adapter->name);
		jout_str(j, "winner_version", w->adapter->version);
	} else {
		jout_null(j, "winner");
		jout_null(j, "winner_version");
	}
	jout_str(j, "answer", vr->answer);
	jout_end(j);
}

static void
vote_json(struct jout *j, const struct query *q)
{
	const struct vote_result *vr = &q->ar.vote;
	size_t i;

	jout_obj(j, "vote");
	vote_jout(j, vr);
	jout_int(j, "requested", (long long)vr->n);
	jout_int(j, "saved", (long long)vr->cancelled);
	jout_num(j, "confidence", round(vr->confidence * 1e4) / 1e4);
	jout_int(j, "winner", vr->winner);
	jout_str(j, "answer_type", q->ar.answer_type);
	if (q->ar.vote_seed == CONFIG_UNSET_INT)
		jout_null(j, "seed");
	else
		jout_int(j, "seed", q->ar.vote_seed);
	if (isnan(q->ar.vote_temperature))
		jout_null(j, "temperature");
	else
		jout_num(j, "temperature", q->ar.vote_temperature);
	jout_str(j, "note", vr->note);
	jout_arr(j, "responses");
	for (i = 0; i < vr->n; i++) {
		const struct vote_sample *sm = &vr->samples[i];

		jout_obj(j, NULL);
		if (sm->seed == CONFIG_UNSET_INT)
			jout_null(j, "seed");
		else
			jout_int(j, "seed", sm->seed);
		if (q->ens.n > 0) {
			jout_str(j, "adapter",
			    q->ens.m[sm->member].adapter->name);
			jout_num(j, "weight", sm->weight);
		}
		jout_bool(j, "done", sm->done);
		jout_str(j, "answer", sm->answer);
		jout_str(j, "response", sm->content);
		jout_end(j);
	}
	jout_end(j);
	jout_end(j);
}

/* --continue: the session and the earlier turns' history ids. */
static void
conversation_json(struct jout *j, const struct query *q)
{
	size_t i;

	if (!q->cont) {
		jout_null(j, "conversation");
		return;
	}
	jout_obj(j, "conversation");
	jout_str(j, "session", q->session);
	jout_int(j, "turn", (long long)q->conv.n + 1);
	jout_arr(j, "ids");
	for (i = 0; i < q->conv.n; i++)
		jout_int(j, NULL, q->conv.v[i].id);
	jout_end(j);
	jout_end(j);
}

static void
routing_json(struct jout *j, const struct choice *ch)
{
	jout_obj(j, "routing");
	jout_str(j, "method", ch->method);
	if (ch->routed)
		route_describe_json(j, &ch->route);
	jout_end(j);
}

/* The first event: where the question goes and what is sent. */
static struct error *
event_route(const struct ask_result *ar, void *arg)
{
	const struct query *q = arg;
	const struct choice *ch = q->choice;
	struct jout *j;

	if (!q->stream)
		return NULL;
	j = jout_new();
	jout_str(j, "type", "route");
	jout_str(j, "adapter", ch->adapter ? ch->adapter->name : NULL);
	jout_str(j, "domain", ch->adapter ? ch->adapter->domain : NULL);
	jout_str(j, "model", ar->target.label);
	jout_str(j, "backend", ar->backend);
	routing_json(j, ch);
	jout_bool(j, "reread", q->lc->cfg.reread);
	jout_str(j, "system", ar->pr.system);
	jout_str(j, "prompt", ar->pr.user);
	return event_write(j) == -1 ? error_new(EXIT_FAIL, "%s", "") : NULL;
}

static void
on_fallback(const char *wanted, const char *model, int vanished, void *arg)
{
	const struct query *q = arg;
	struct jout *j;

	if (!q->quiet && !q->stream)
		fprintf(stderr, "loco: model '%s' %s; answering with the "
		    "base model '%s' and the adapter's prompt (run 'loco "
		    "setup' to %s it)\n", wanted, vanished ? "cannot run: a "
		    "file of it is missing" : "is not in Ollama", model,
		    vanished ? "re-create" : "register");
	if (!q->stream)
		return;
	j = jout_new();
	jout_str(j, "type", "fallback");
	jout_str(j, "model", model);
	jout_str(j, "wanted_model", wanted);
	event_write(j);
}

/* The last event of a failed query; the exit status tells the same. */
static void
event_error(const struct error *err)
{
	struct jout *j = jout_new();

	jout_str(j, "type", "error");
	jout_str(j, "message", err->msg);
	jout_int(j, "exit", err->code);
	event_write(j);
}

/*
 * The result: --json's object, or with --stream the done event, which
 * has the same fields and a type.
 */
static void
print_json(const struct query *q, const struct choice *ch)
{
	const struct ask_result *ar = &q->ar;
	const struct chat_result *res = &ar->res;
	long long wall = ar->wall_ns;
	struct jout *j = jout_new();

	if (q->stream)
		jout_str(j, "type", "done");
	jout_str(j, "answer", res->content);
	jout_str(j, "thinking", res->thinking && *res->thinking ?
	    res->thinking : NULL);
	jout_str(j, "adapter", ch->adapter ? ch->adapter->name : NULL);
	jout_str(j, "domain", ch->adapter ? ch->adapter->domain : NULL);
	jout_str(j, "model", ar->target.label);
	jout_str(j, "backend", ar->backend);
	jout_bool(j, "fallback", ar->wanted != NULL);
	jout_str(j, "wanted_model", ar->wanted);
	routing_json(j, ch);
	jout_bool(j, "reread", q->lc->cfg.reread);
	jout_str(j, "system", ar->pr.system);
	jout_str(j, "prompt", ar->pr.user);
	jout_str(j, "done_reason", res->done_reason);
	jout_bool(j, "truncated", ar->truncated);
	tool_log_jout(j, "tools", &ar->tools);
	jout_bool(j, "tool_limit", ar->tools.limited > 0);
	if (ar->voted)
		vote_json(j, q);
	if (q->ens.n > 0)
		ensemble_json(j, q);
	else
		jout_null(j, "ensemble");
	conversation_json(j, q);
	jout_obj(j, "stats");
	jout_int(j, "prompt_tokens", res->prompt_eval_count);
	jout_int(j, "answer_tokens", res->eval_count);
	jout_num(j, "tokens_per_second",
	    round(tokens_per_second(res) * 100) / 100);
	jout_num(j, "load_seconds", (double)res->load_duration / 1e9);
	jout_num(j, "prompt_eval_seconds",
	    (double)res->prompt_eval_duration / 1e9);
	jout_num(j, "eval_seconds", (double)res->eval_duration / 1e9);
	jout_num(j, "total_seconds", (double)(res->total_duration ?
	    res->total_duration : wall) / 1e9);
	jout_num(j, "wall_seconds", (double)wall / 1e9);
	jout_end(j);
	if (q->stream) {
		event_write(j);
		return;
	}
	loco_print_json(j);
}

static struct error *
parse_options(struct query *q, int argc, char *argv[], int *used)
{
	struct optparse p;
	int id;

	opt_init(&p, q->lc, &query_spec, argc, argv);
	while ((id = opt_next(&p)) > 0) {
		if (opt_tool_flag(&p, id, &q->tf)) {
			if (p.err != NULL)
				return opt_end(&p);
			continue;
		}
		switch (id) {
		case O_QUIET:
			q->quiet = q->out.quiet = 1;
			break;
		case O_ADAPTER:
			q->adapter_opt = p.arg;
			break;
		case O_CONTINUE:
			q->cont = 1;
			break;
		case O_ENSEMBLE:
			q->ensemble = 1;
			q->ensemble_names = p.arg;
			break;
		case O_JSON:
			q->json = 1;
			break;
		case O_STREAM:
			q->stream = 1;
			break;
		case O_SYSTEM:
			q->system = p.arg;
			break;
		case O_ANSWER_TYPE:
			q->answer_type = p.arg;
			break;
		}
	}
	if (id < 0) {
		struct error *err = opt_end(&p);

		/* -h: done, nothing more to do. */
		return err != NULL ? err : error_new(EXIT_OK, "%s", "");
	}
	*used = argc - p.argc;
	if (q->stream && !q->json)
		return cmd_usage_error(q->cmd, "--stream needs --json: without "
		    "it the answer streams as text already");
	if (q->cont && q->ensemble)
		return cmd_usage_error(q->cmd, "--continue cannot be used with "
		    "--ensemble: a conversation goes on with one adapter");
	return NULL;
}

static void
vote_progress(const struct vote_result *vr, size_t i, void *arg)
{
	(void)i;
	(void)arg;
	fprintf(stderr, "\r\033[Kvoting: %zu of %zu samples", vr->completed,
	    vr->n);
	if (vr->completed == vr->n)
		fputs("\r\033[K", stderr);
}

/* --json --stream: an event for each sample as it ends. */
static void
vote_event(const struct vote_result *vr, size_t i, void *arg)
{
	const struct query *q = arg;
	const struct vote_sample *sm = &vr->samples[i];
	struct jout *j = jout_new();

	jout_str(j, "type", "sample");
	jout_int(j, "index", (long long)i);
	if (sm->seed == CONFIG_UNSET_INT)
		jout_null(j, "seed");
	else
		jout_int(j, "seed", sm->seed);
	if (q->ens.n > 0) {
		jout_str(j, "adapter", q->ens.m[sm->member].adapter->name);
		jout_str(j, "version", q->ens.m[sm->member].adapter->version);
		jout_num(j, "weight", sm->weight);
	}
	jout_str(j, "answer", sm->answer);
	jout_int(j, "completed", (long long)vr->completed);
	jout_int(j, "requested", (long long)vr->n);
	event_write(j);
}

/* A tool call ran: a line on stderr, or with --stream an event. */
static void
on_tool(const struct tool_record *r, void *arg)
{
	const struct query *q = arg;
	struct strbuf sb = STRBUF_INIT;
	struct jout *j;

	if (q->stream) {
		j = jout_new();
		jout_str(j, "type", "tool");
		tool_record_jout(j, r);
		event_write(j);
		return;
	}
	if (q->quiet || q->json)
		return;
	/* The answer so far ends its line before the call's. */
	fflush(stdout);
	if (q->out.printed && q->out.last != '\n')
		fputc('\n', stderr);
	tool_record_brief(r, &sb);
	fprintf(stderr, "%s\n", sb.buf);
	strbuf_release(&sb);
}

/* Keep the question and its answer (a failure is only a warning). */
static void
add_history(const struct query *q, const struct choice *ch, int interrupted)
{
	const struct ask_result *ar = &q->ar;
	const struct chat_result *res = &ar->res;
	struct history_record r;

	memset(&r, 0, sizeof(r));
	r.kind = "query";
	r.session = q->cont ? q->session : NULL;
	r.question = q->question;
	r.adapter = ch->adapter ? ch->adapter->name : NULL;
	r.model = ar->target.label;
	r.route = ch->method;
	r.confidence = ch->routed ? ch->route.confidence : NAN;
	r.answer = res->content ? res->content : "";
	r.prompt_tokens = res->prompt_eval_count;
	r.answer_tokens = res->eval_count;
	r.wall_ns = ar->wall_ns;
	r.load_ns = res->load_duration;
	r.eval_ns = res->eval_duration;
	r.vote = interrupted || !ar->voted ? NULL : &ar->vote;
	r.tools = ar->used_tools ? &ar->tools : NULL;
	r.interrupted = interrupted;
	history_append_warn(&q->lc->cfg, &r, NULL);
}

/*
 * --continue: read the last conversation of the history.  Errors: the
 * history is off or empty (usage), or cannot be read.
 */
static struct error *
load_conversation(struct query *q)
{
	struct error *err;
	char *path;
	size_t i;

	if (!q->lc->cfg.history)
		return error_new(EXIT_USAGE, "nothing to continue: the history "
		    "is off; set inference.history to true (see 'loco config "
		    "inference.history')");
	path = history_path();
	err = history_conversation(path, &q->conv, &q->session);
	for (i = 0; i < q->conv.nwarnings; i++)
		fprintf(stderr, "loco: %s\n", q->conv.warnings[i]);
	if (q->conv.nbad > q->conv.nwarnings)
		fprintf(stderr, "loco: %s: %zu more unusable lines skipped\n",
		    path, q->conv.nbad - q->conv.nwarnings);
	free(path);
	if (err == NULL && q->conv.n == 0)
		err = error_new(EXIT_USAGE, "nothing to continue: the history "
		    "is empty; ask a question first");
	return err;
}

/*
 * --continue without --adapter: the adapter of the conversation's last
 * turn, not routed again.  One gone from the registry is an error that
 * says what to do.
 */
static struct error *
keep_adapter(struct query *q, const struct registry *reg, struct choice *ch)
{
	const struct history_entry *last = &q->conv.v[q->conv.n - 1];
	char *name;
	struct error *err;

	memset(ch, 0, sizeof(*ch));
	ch->method = "continue";
	if (last->adapter == NULL)
		return NULL;
	if ((ch->adapter = registry_find(reg, last->adapter)) != NULL)
		return NULL;
	name = str_sanitize(last->adapter, 64);
	err = error_new(EXIT_FAIL, "cannot continue conversation %s: its "
	    "adapter '%s' is not in '%s' any more; install it again, or "
	    "choose one with --adapter (auto routes, none is the base model)",
	    q->session, name, reg->path);
	free(name);
	return err;
}

/*
 * --ensemble: the named set, or the active adapters of the chosen
 * adapter's domain.  A question the base model answers has no domain:
 * it is answered alone, and said so.
 */
static struct error *
choose_members(struct query *q, const struct registry *reg,
    struct choice *ch)
{
	struct error *err;
	enum vote_method m;

	vote_method_parse(q->lc->cfg.vote_method, &m);
	if (m != VOTE_MAJORITY)
		return cmd_usage_error(q->cmd, "--ensemble votes by weighted "
		    "majority: --vote-method must be majority, not '%s'",
		    q->lc->cfg.vote_method);
	if (q->ensemble_names == NULL && ch->adapter == NULL) {
		if (!q->quiet && !q->json)
			fprintf(stderr, "loco: --ensemble: the base model "
			    "answers this question, and it has no domain: no "
			    "ensemble\n");
		return NULL;
	}
	err = ensemble_select(reg, q->ensemble_names, q->ensemble_names ?
	    NULL : ch->adapter->domain, &q->ens);
	if (err == NULL && q->ensemble_names != NULL &&
	    q->adapter_opt == NULL)
		ch->adapter = q->ens.m[0].adapter;
	return err;
}

struct error *
cmd_query(struct loco *lc, int argc, char *argv[])
{
	struct query q;
	struct choice ch;
	struct registry *reg;
	struct backend *be = NULL;
	struct ask_opts ao;
	struct ask_member *members = NULL;
	struct chat_message *hist = NULL;
	struct error *err;
	char *question = NULL;
	size_t i;
	int used = 0;

	memset(&q, 0, sizeof(q));
	memset(&ch, 0, sizeof(ch));
	q.cmd = cmd_find("query");
	q.lc = lc;
	q.choice = &ch;
	if ((err = parse_options(&q, argc, argv, &used)) != NULL) {
		if (err->code == EXIT_OK) {
			error_free(err);
			err = NULL;
		}
		return err;
	}
	if ((err = loco_question(q.cmd, argc - used, argv + used, &question)))
		return err;
	q.question = question;
	if ((err = loco_registry(lc, &reg)) != NULL)
		goto done;
	if (q.cont && (err = load_conversation(&q)) != NULL)
		goto done;
	if (q.cont && q.adapter_opt == NULL) {
		if ((err = keep_adapter(&q, reg, &ch)) != NULL)
			goto done;
	} else if (q.ensemble && q.ensemble_names != NULL &&
	    q.adapter_opt == NULL) {
		/* A named set needs no routing. */
		ch.method = "ensemble";
	} else if ((err = choose_adapter(&q, reg, question, &ch)) != NULL)
		goto done;
	if (q.ensemble && (err = choose_members(&q, reg, &ch)) != NULL)
		goto done;
	if (q.ens.n == 0 && (err = loco_tools(lc, ch.adapter, &q.tf,
	    q.quiet || q.json, &q.tools)) != NULL)
		goto done;
	if ((err = loco_backend(lc, &be)) != NULL)
		goto done;
	loco_show_waits(lc, be, q.quiet || q.json);
	q.tools.on_call = on_tool;
	q.tools.arg = &q;

	memset(&ao, 0, sizeof(ao));
	ao.reg = reg;
	ao.adapter = ch.adapter;
	ao.question = question;
	ao.system = q.system;
	ao.reread = lc->cfg.reread;
	if (q.cont) {
		/* The earlier turns, as the user typed and the model said. */
		hist = xcalloc(2 * q.conv.n, sizeof(*hist));
		for (i = 0; i < q.conv.n; i++) {
			hist[2 * i].role = "user";
			hist[2 * i].content = q.conv.v[i].question;
			hist[2 * i + 1].role = "assistant";
			hist[2 * i + 1].content = q.conv.v[i].answer;
		}
		ao.history = hist;
		ao.nhistory = 2 * q.conv.n;
	}
	ask_settings_from_config(&ao.s, &lc->cfg);
	/* A conversation is never trimmed silently by the server. */
	ao.s.no_truncate = q.cont;
	ao.votes = lc->cfg.votes;
	ao.vote_temperature = lc->cfg.vote_temperature;
	/* --temperature wins; otherwise the votes' own temperature. */
	ao.temperature_given = config_source_of(&lc->cfg,
	    config_key_find("options.temperature")) == CONFIG_SRC_FLAG;
	vote_method_parse(lc->cfg.vote_method, &ao.vote_method);
	ao.parallel = (size_t)config_parallel(&lc->cfg);
	ao.answer_type = q.answer_type;
	if (q.ens.n > 0) {
		members = xcalloc(q.ens.n, sizeof(*members));
		for (i = 0; i < q.ens.n; i++) {
			members[i].adapter = q.ens.m[i].adapter;
			members[i].weight = q.ens.m[i].weight;
		}
		ao.members = members;
		ao.nmembers = q.ens.n;
		if (!q.quiet && !q.stream)
			print_weights(&q.ens);
	}
	if (q.stream)
		ao.vote_progress = vote_event;
	else if (lc->stderr_progress && !q.quiet && !q.json)
		ao.vote_progress = vote_progress;
	/* A vote's winner is printed whole; with --json it is in the JSON. */
	ao.fn = (ao.votes > 1 || ao.nmembers > 0) && q.json ? NULL : on_piece;
	ao.arg = &q;
	ao.show_thinking = lc->cfg.think;
	ao.on_send = event_route;
	ao.fallback = 1;
	ao.on_fallback = on_fallback;
	ao.tools = &q.tools;
	err = ask_run(be, &ao, &q.ar);
	if (ao.vote_progress == vote_progress && q.ar.voted &&
	    q.ar.vote.completed < q.ar.vote.n)
		fputs("\r\033[K", stderr);
	answer_end(&q.out);
	if (err != NULL && q.cont &&
	    strstr(err->msg, "exceeds the context length") != NULL) {
		struct error *why = err;

		err = error_new(why->code, "%s: conversation %s (%zu earlier "
		    "turn%s) does not fit the context; raise --num-ctx",
		    why->msg, q.session, q.conv.n, q.conv.n == 1 ? "" : "s");
		error_free(why);
	}
	if (err != NULL) {
		if (err->code == EXIT_INTERRUPT)
			add_history(&q, &ch, 1);
		goto done;
	}
	if (q.json)
		print_json(&q, &ch);
	if (!q.quiet && !q.json)
		print_stats(&q, &ch, &q.ar);
	if (q.ar.truncated && !q.quiet && !q.stream)
		fprintf(stderr, "loco: the answer was cut at the token limit "
		    "(done_reason \"length\"): raise %s\n", q.ar.raise);
	if (q.ar.tools.limited > 0 && !q.quiet && !q.stream)
		fprintf(stderr, "loco: tools: the model called a tool after "
		    "%ld rounds of calls; that call was not run, and the "
		    "answer is the text before it (raise tools.max_rounds)\n",
		    q.tools.max_rounds);
	add_history(&q, &ch, 0);
done:
	/* With --stream every failure after the question ends the events. */
	if (q.stream && err != NULL && err->msg[0] != '\0')
		event_error(err);
	ask_result_release(&q.ar);
	ensemble_release(&q.ens);
	free(members);
	free(hist);
	history_release(&q.conv);
	free(q.session);
	route_result_release(&ch.route);
	backend_free(be);
	free(question);
	return err;
}
