/*
 * cmd_chat.c: loco chat, the interactive session.  Each line is a turn:
 * routed (in auto mode) to an adapter, sent with the conversation so far,
 * and streamed back.  Lines starting with '/' are commands (/help).
 *
 * Routing in auto mode: every turn is routed.  When the router decides
 * (the classifier above router.threshold, including a confident "none",
 * or a keyword match), the turn goes where it says; when nothing decides
 * (the chain fell through to the base model) the turn is a follow-up and
 * stays with the adapter of the previous turn.
 *
 * Context: before a turn, the conversation's size is estimated
 * (characters times the largest tokens-per-character ratio the server has
 * reported, at least 1/3).  With options.num_ctx set, it is sent and the
 * conversation is kept within it.  Unset, on a server that takes the
 * context per request (Ollama), nothing is sent while the conversation
 * and room for the answer fit in the 4096 tokens Ollama gives at least,
 * then 8192 and at most 16384 as it grows (each change a reload, said
 * once); on llama-server a slot has 4096.  When the conversation does not
 * fit, the oldest turns are dropped, the system prompt and the newest
 * turns kept, and the user is told.  Requests say "truncate": false, so
 * the server never trims silently: if it still finds the prompt too long
 * (the estimate was short), one more turn is dropped and the turn is
 * asked again.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ask.h"
#include "cmd.h"
#include "fsutil.h"
#include "history.h"
#include "jsonout.h"
#include "lineedit.h"
#include "prompt.h"
#include "router.h"
#include "strbuf.h"
#include "vote.h"
#include "tools.h"
#include "banned.h"

/* Tokens a chat template adds around each message, estimated. */
#define MESSAGE_OVERHEAD	8
/* The smallest tokens-per-character ratio assumed (BPE: ~1/4). */
#define MIN_TOKENS_PER_CHAR	(1.0 / 3.0)

enum { O_ADAPTER = 1, O_QUIET, O_SYSTEM };

static const struct opt chat_opts[] = {
	{ "adapter", 0, O_ADAPTER, OPT_VALUE, "name", "use this adapter "
	  "throughout; auto (default) routes each new topic, none uses the "
	  "base model", OC_ADAPTER },
	{ "backend", 0, 0, OPT_VALUE, "server", "a server of config.yaml's "
	  "backends, or a type", OC_BACKEND, NULL, "backend" },
	{ "host", 0, 0, OPT_VALUE, "url", "the server (default: backend.host, "
	  "OLLAMA_HOST)", OC_NONE, NULL, "backend.host" },
	{ "no-reread", 0, 0, OPT_FLAG, NULL, "ask once instead of re-reading "
	  "(RE2 off)", OC_NONE, NULL, "inference.reread", 0, "false" },
	OPT_TOOL_NO,
	{ "num-ctx", 0, 0, OPT_VALUE, "n", "context window; older turns are "
	  "dropped to fit", OC_NONE, NULL, "options.num_ctx" },
	{ "num-predict", 0, 0, OPT_VALUE, "n", "most tokens per answer (-1: no "
	  "limit)", OC_NONE, NULL, "options.num_predict" },
	{ "quiet", 0, O_QUIET, OPT_FLAG, NULL, "no routing decisions or "
	  "notices on stderr" },
	{ "seed", 0, 0, OPT_VALUE, "n", "sampling seed", OC_NONE, NULL,
	  "options.seed" },
	{ "system", 0, O_SYSTEM, OPT_VALUE, "text", "system prompt instead of "
	  "the adapter's" },
	{ "temperature", 0, 0, OPT_VALUE, "t", "sampling temperature, 0 to 2",
	  OC_NONE, NULL, "options.temperature" },
	{ "think", 0, 0, OPT_FLAG, NULL, NULL, OC_NONE, NULL,
	  "options.think", OPT_PAIR, "true" },
	{ "no-think", 0, 0, OPT_FLAG, NULL, "show a thinking model's reasoning "
	  "on stderr, or not", OC_NONE, NULL, "options.think", 0, "false" },
	OPT_TOOL_GIVEN,
	OPT_TOOL_UNSAFE,
	{ "votes", 0, 0, OPT_VALUE, "n", "sample n answers per turn and vote",
	  OC_NONE, NULL, "inference.votes" },
};
static const struct opt_form chat_forms[] = {
	{ NULL, NULL, NULL },
};
const struct optspec chat_spec = {
	"chat", "talk with the model and the adapters, turn after turn",
	chat_opts, OPT_NELEM(chat_opts), chat_forms, OPT_NELEM(chat_forms),
	NULL, 0, "Type /help in the chat for its commands.\n"
};

struct turn {
	char			*question;	/* as typed */
	char			*answer;	/* as streamed (maybe partial) */
	const struct adapter	*adapter;	/* NULL: base */
	char			*model;
	char			*decision;	/* "[router -> math 0.91]" */
	const char		*route;		/* router, follow-up, flag */
	double			 confidence;	/* the router's, or NAN */
	long long		 prompt_tokens;
	long long		 answer_tokens;
	long long		 eval_ns;
	long long		 load_ns;
	long long		 wall_ns;
	int			 interrupted;
};

struct chat {
	const struct cmd	*cmd;
	struct loco		*lc;
	struct registry		*reg;
	struct backend		*be;
	struct router		*router;	/* auto mode, on first use */
	struct lineedit		*le;
	int			 autoroute;	/* adapter auto */
	const struct adapter	*current;	/* in use; NULL: base */
	char			*system;	/* /system or --system */
	struct turn		*turns;
	size_t			 nturns;
	size_t			 first;		/* older turns were dropped */
	long			 ctx_sent;	/* num_ctx chat asked for, or 0 */
	double			 tokens_per_char;
	int			 quiet;
	char			*session;
	time_t			 started;
	size_t			 failed;	/* turns that ended in error */
	int			 last_code;
	/* this turn's routing */
	const char		*route;
	double			 confidence;
	struct answer_out	 out;		/* the streamed answer */
	struct tool_flags	 tf;		/* --tools, --no-tools, ... */
};

/* ------------------------------------------------------------ streaming */

static struct error *
on_piece(const char *content, size_t clen, const char *thinking, size_t tlen,
    void *arg)
{
	struct chat *c = arg;

	return answer_piece(&c->out, content, clen, thinking, tlen);
}

static void
note(const struct chat *c, const char *fmt, ...) PRINTFLIKE(2, 3);

/* A line for people on stderr ("[router -> math 0.91]"), unless --quiet. */
static void
note(const struct chat *c, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return;
	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* -------------------------------------------------------------- routing */

static const char *
adapter_label(const struct adapter *a)
{
	return a != NULL ? a->name : "base";
}

static struct error *
route_turn(struct chat *c, const char *question, struct strbuf *decision)
{
	struct route_result rr;
	struct error *err;
	int follow_up;

	c->route = "flag";
	c->confidence = NAN;
	if (!c->autoroute) {
		strbuf_addf(decision, "[adapter: %s]", adapter_label(c->current));
		return NULL;
	}
	if (c->router == NULL &&
	    (err = loco_router(c->lc, c->reg, &c->router, c->quiet)) != NULL)
		return err;
	memset(&rr, 0, sizeof(rr));
	if ((err = router_route(c->router, question, &rr)) != NULL)
		return err;
	/* Nothing decided and there is a conversation: a follow-up. */
	follow_up = strcmp(rr.link, "base") == 0 && c->nturns > c->first;
	if (follow_up) {
		c->route = "follow-up";
		strbuf_addf(decision, "[router -> %s, follow-up]",
		    adapter_label(c->current));
	} else {
		c->route = "router";
		c->confidence = rr.confidence;
		c->current = rr.adapter;
		if (rr.adapter != NULL || strcmp(rr.link, "classifier") == 0)
			strbuf_addf(decision, "[router -> %s %.2f]",
			    adapter_label(rr.adapter), rr.confidence);
		else
			strbuf_addf(decision, "[router -> base: %s]", rr.reason);
	}
	route_result_release(&rr);
	return NULL;
}

/* -------------------------------------------------------------- context */

static size_t
turn_chars(const struct turn *t)
{
	return strlen(t->question) + strlen(t->answer);
}

static long
estimate_tokens(const struct chat *c, size_t chars, size_t nmsgs)
{
	return (long)ceil((double)chars * c->tokens_per_char) +
	    (long)(nmsgs * MESSAGE_OVERHEAD);
}

/* The most chat asks for by itself: its KV cache fits an 8 GB laptop. */
#define CHAT_MAX_CTX 16384

/*
 * The num_ctx to send for this turn (0: none), after dropping the oldest
 * turns until the conversation, the new prompt and room for the answer
 * fit in the context.
 */
static long
compact(struct chat *c, const struct prompt *pr)
{
	long set = c->lc->cfg.num_ctx, ctx, reserve, est, need, send;
	int grow = set <= 0 && backend_supports(c->be, BACKEND_NUM_CTX);
	size_t fixed, chars, i, dropped = 0, nmsgs;

	ctx = grow ? CHAT_MAX_CTX : config_context(&c->lc->cfg);
	reserve = c->lc->cfg.num_predict > 0 ? c->lc->cfg.num_predict :
	    config_context(&c->lc->cfg) / 4;
	fixed = strlen(pr->user) + (pr->system ? strlen(pr->system) : 0);
	for (;;) {
		chars = fixed;
		nmsgs = 1 + (pr->system != NULL);
		for (i = c->first; i < c->nturns; i++) {
			chars += turn_chars(&c->turns[i]);
			nmsgs += 2;
		}
		est = estimate_tokens(c, chars, nmsgs);
		if (est + reserve <= ctx || c->first == c->nturns)
			break;
		c->first++;
		dropped++;
	}
	if (dropped > 0)
		note(c, "[context: num_ctx is %ld tokens; dropped the %zu "
		    "oldest turn%s, kept the system prompt and the last %zu]",
		    ctx, dropped, dropped == 1 ? "" : "s", c->nturns - c->first);
	if (est + reserve > ctx)
		note(c, "[context: this prompt alone is about %ld tokens, with "
		    "%ld for the answer more than num_ctx %ld: raise "
		    "options.num_ctx]", est, reserve, ctx);
	if (!grow)
		return set > 0 ? set : 0;
	need = est + reserve;
	send = need <= CONFIG_DEFAULT_CTX ? 0 : need <= 8192 ? 8192 :
	    CHAT_MAX_CTX;
	/* Never smaller again: each change is a reload. */
	if (send > c->ctx_sent) {
		note(c, "[context: the conversation needs about %ld tokens: "
		    "asking for num_ctx %ld (the server reloads the model; "
		    "options.num_ctx fixes it)]", need, send);
		c->ctx_sent = send;
	}
	return c->ctx_sent;
}

/* Learn the tokenizer's ratio from what the server counted. */
static void
learn_ratio(struct chat *c, size_t chars, size_t nmsgs, long long counted)
{
	double r;
	long long text;

	text = counted - (long long)(nmsgs * MESSAGE_OVERHEAD);
	if (chars == 0 || text <= 0)
		return;
	/*
	 * A server with a prompt cache may count only the new tokens, so
	 * the ratio only ever grows.
	 */
	r = (double)text / (double)chars;
	if (r > c->tokens_per_char)
		c->tokens_per_char = r;
}

/* ---------------------------------------------------------------- turns */

static void
turn_release(struct turn *t)
{
	free(t->question);
	free(t->answer);
	free(t->model);
	free(t->decision);
}

static void
record_history(struct chat *c, const struct turn *t,
    const struct vote_result *vr, const struct tool_log *tools)
{
	struct history_record h;

	memset(&h, 0, sizeof(h));
	h.kind = "chat";
	h.session = c->session;
	h.question = t->question;
	h.adapter = t->adapter ? t->adapter->name : NULL;
	h.model = t->model;
	h.route = t->route;
	h.confidence = t->confidence;
	h.answer = t->answer;
	h.prompt_tokens = t->prompt_tokens;
	h.answer_tokens = t->answer_tokens;
	h.wall_ns = t->wall_ns;
	h.load_ns = t->load_ns;
	h.eval_ns = t->eval_ns;
	h.vote = vr;
	h.tools = tools;
	h.interrupted = t->interrupted;
	history_append_warn(&c->lc->cfg, &h, NULL);
}

static void
vote_note(const struct chat *c, const struct vote_result *vr)
{
	struct strbuf sb = STRBUF_INIT;

	vote_describe(vr, &sb);
	note(c, "[%s]", sb.buf);
	strbuf_release(&sb);
}

static void
on_fallback(const char *wanted, const char *model, int vanished, void *arg)
{
	note(arg, "[model '%s' %s: answering with the base model and the "
	    "adapter's prompt; run 'loco setup']", wanted, vanished ?
	    "cannot run, a file of it is missing" : "is not in Ollama");
}

/* A tool call ran: its line on stderr. */
static void
on_tool(const struct tool_record *r, void *arg)
{
	const struct chat *c = arg;
	struct strbuf sb = STRBUF_INIT;

	if (c->out.printed && c->out.last != '\n' && !c->quiet) {
		fflush(stdout);
		fputc('\n', stderr);
	}
	tool_record_brief(r, &sb);
	note(c, "%s", sb.buf);
	strbuf_release(&sb);
}

/* The tools of the adapter in use (the sandbox checked once). */
static struct error *
turn_tools(struct chat *c, struct tool_settings *ts)
{
	struct error *err;

	if ((err = loco_tools(c->lc, c->current, &c->tf, c->quiet, ts)))
		return err;
	ts->on_call = on_tool;
	ts->arg = c;
	return NULL;
}

/* Send one question with the conversation; the turn is kept either way. */
static struct error *
ask(struct chat *c, const char *question)
{
	struct loco *lc = c->lc;
	struct strbuf decision = STRBUF_INIT;
	struct prompt pr;
	struct ask_opts ao;
	struct ask_result ar;
	struct chat_message *hist = NULL;
	struct tool_settings ts;
	struct turn t;
	struct error *err;
	size_t i, n, chars;
	long ctx;
	int retried = 0;

	memset(&pr, 0, sizeof(pr));
	memset(&t, 0, sizeof(t));
	memset(&ar, 0, sizeof(ar));
	if ((err = route_turn(c, question, &decision)) != NULL)
		goto done;
	if ((err = turn_tools(c, &ts)) != NULL)
		goto done;
	if ((err = prompt_build(c->reg, c->current, question, lc->cfg.reread,
	    c->system, &pr)) != NULL)
		goto done;
again:
	ctx = compact(c, &pr);
	n = 0;
	hist = xcalloc(2 * (c->nturns - c->first) + 1, sizeof(*hist));
	chars = strlen(pr.user) + (pr.system ? strlen(pr.system) : 0);
	for (i = c->first; i < c->nturns; i++) {
		hist[n].role = "user";
		hist[n++].content = c->turns[i].question;
		hist[n].role = "assistant";
		hist[n++].content = c->turns[i].answer;
		chars += turn_chars(&c->turns[i]);
	}

	memset(&ao, 0, sizeof(ao));
	ao.reg = c->reg;
	ao.adapter = c->current;
	ao.question = question;
	ao.prompt = &pr;
	ao.reread = lc->cfg.reread;
	ao.history = hist;
	ao.nhistory = n;
	ask_settings_from_config(&ao.s, &lc->cfg);
	ao.s.num_ctx = ctx;
	ao.s.no_truncate = 1;
	ao.votes = lc->cfg.votes;
	ao.vote_temperature = lc->cfg.vote_temperature;
	/* --temperature wins; otherwise the votes' own temperature. */
	ao.temperature_given = config_source_of(&lc->cfg,
	    config_key_find("options.temperature")) == CONFIG_SRC_FLAG;
	vote_method_parse(lc->cfg.vote_method, &ao.vote_method);
	ao.parallel = (size_t)config_parallel(&lc->cfg);
	ao.fn = on_piece;
	ao.arg = c;
	ao.show_thinking = lc->cfg.think;
	ao.fallback = 1;
	ao.on_fallback = on_fallback;
	ao.tools = &ts;

	if (!retried)
		note(c, "%s", decision.buf);
	err = ask_run(c->be, &ao, &ar);
	answer_end(&c->out);
	if (err != NULL && strstr(err->msg, "exceeds the context length") &&
	    c->first < c->nturns) {
		/* The estimate was short: loco trims, never the server. */
		error_free(err);
		ask_result_release(&ar);
		memset(&ar, 0, sizeof(ar));
		free(hist);
		hist = NULL;
		c->first++;
		note(c, "[context: the server found the conversation longer "
		    "than its context; dropped the oldest turn, kept the last "
		    "%zu]", c->nturns - c->first);
		retried = 1;
		goto again;
	}

	t.question = xstrdup(question);
	t.answer = xstrdup(ar.res.content ? ar.res.content : "");
	t.adapter = c->current;
	t.model = xstrdup(ar.target.label ? ar.target.label : "");
	t.decision = strbuf_detach(&decision, NULL);
	t.route = c->route;
	t.confidence = c->confidence;
	t.prompt_tokens = ar.res.prompt_eval_count;
	t.answer_tokens = ar.res.eval_count;
	t.eval_ns = ar.res.eval_duration;
	t.load_ns = ar.res.load_duration;
	t.wall_ns = ar.wall_ns;
	if (err != NULL && err->code == EXIT_INTERRUPT) {
		/* Ctrl-C: keep what arrived, and the session. */
		error_free(err);
		err = NULL;
		loco_interrupted = 0;
		t.interrupted = 1;
		note(c, "[interrupted: the partial answer stays in the "
		    "conversation; /clear forgets it]");
	}
	if (err == NULL) {
		if (ar.voted && !t.interrupted)
			vote_note(c, &ar.vote);
		if (ar.truncated)
			note(c, "[the answer was cut at the token limit: raise "
			    "%s]", ar.raise);
		learn_ratio(c, chars, ar.nmessages, ar.res.prompt_eval_count);
		c->turns = xreallocarray(c->turns, c->nturns + 1,
		    sizeof(*c->turns));
		c->turns[c->nturns++] = t;
		record_history(c, &t, ar.voted && !t.interrupted ? &ar.vote :
		    NULL, ar.used_tools ? &ar.tools : NULL);
		memset(&t, 0, sizeof(t));
	}
done:
	turn_release(&t);
	strbuf_release(&decision);
	free(hist);
	prompt_release(&pr);
	ask_result_release(&ar);
	return err;
}

/* ------------------------------------------------------- slash commands */

struct slash {
	const char	*name;
	struct error	*(*fn)(struct chat *, const char *arg);
	const char	*args;
	const char	*help;
};

static struct error *sl_help(struct chat *, const char *);

static struct error *
sl_adapter(struct chat *c, const char *arg)
{
	const struct adapter *a;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (*arg == '\0') {
		char *s = xasprintf("adapter: %s%s\n", c->autoroute ? "auto, "
		    "now " : "", adapter_label(c->current));

		loco_write(s, strlen(s));
		free(s);
		return NULL;
	}
	if (strcmp(arg, "auto") == 0) {
		c->autoroute = 1;
		c->current = NULL;
		note(c, "[adapter: auto: the next question is routed]");
		return NULL;
	}
	if (strcmp(arg, "none") == 0) {
		c->autoroute = 0;
		c->current = NULL;
		note(c, "[adapter: none: the base model answers]");
		return NULL;
	}
	if ((a = registry_find(c->reg, arg)) == NULL) {
		struct error *err;
		char *clean = str_sanitize(arg, 64);

		for (i = 0; i < c->reg->nadapters; i++)
			strbuf_addf(&sb, "%s%s", i ? ", " : "",
			    c->reg->adapters[i].name);
		err = error_new(EXIT_USAGE, "no adapter named '%s'; one of: "
		    "%s, auto, none", clean, sb.buf);
		free(clean);
		strbuf_release(&sb);
		return err;
	}
	c->autoroute = 0;
	c->current = a;
	note(c, "[adapter: %s (%s)]", a->name, a->model);
	return NULL;
}

static struct error *
sl_adapters(struct chat *c, const char *arg)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < c->reg->nadapters; i++) {
		const struct adapter *a = &c->reg->adapters[i];
		char *d = str_sanitize(a->description ? a->description : "",
		    60);

		strbuf_addf(&sb, "%c %-16s %-10s %-24s %s\n",
		    a == c->current ? '*' : ' ', a->name, a->domain, a->model,
		    d);
		free(d);
	}
	strbuf_addf(&sb, "%c %-16s %-10s %-24s %s\n", c->current == NULL ?
	    '*' : ' ', "none", "-", c->reg->base.tag, "the base model");
	loco_write(sb.buf, sb.len);
	strbuf_release(&sb);
	return NULL;
}

static struct error *
sl_votes(struct chat *c, const char *arg)
{
	long n;

	if (*arg == '\0') {
		char *s = xasprintf("votes: %ld\n", c->lc->cfg.votes);

		loco_write(s, strlen(s));
		free(s);
		return NULL;
	}
	if (parse_long(arg, 1, 64, &n) == -1)
		return error_new(EXIT_USAGE, "/votes: want a number from 1 to "
		    "64, not '%s'", arg);
	c->lc->cfg.votes = n;
	note(c, "[votes: %ld%s]", n, n == 1 ? " (one sample, no vote)" : "");
	return NULL;
}

static struct error *
sl_reread(struct chat *c, const char *arg)
{
	int on;

	if (*arg == '\0') {
		loco_write(c->lc->cfg.reread ? "reread: on\n" : "reread: off\n",
		    c->lc->cfg.reread ? 11 : 12);
		return NULL;
	}
	if (parse_bool(arg, &on) == -1)
		return error_new(EXIT_USAGE, "/reread: want on or off, not '%s'",
		    arg);
	c->lc->cfg.reread = on;
	note(c, "[reread: %s]", on ? "on" : "off");
	return NULL;
}

static struct error *
sl_system(struct chat *c, const char *arg)
{
	free(c->system);
	c->system = *arg ? xstrdup(arg) : NULL;
	note(c, "%s", *arg ? "[system prompt set]" :
	    "[system prompt: the adapter's own]");
	return NULL;
}

static struct error *
sl_clear(struct chat *c, const char *arg)
{
	size_t i;

	for (i = 0; i < c->nturns; i++)
		turn_release(&c->turns[i]);
	free(c->turns);
	c->turns = NULL;
	c->nturns = c->first = 0;
	if (c->autoroute)
		c->current = NULL;
	note(c, "[conversation cleared]");
	return NULL;
}

static double
secs(long long ns)
{
	return (double)ns / 1e9;
}

static struct error *
sl_stats(struct chat *c, const char *arg)
{
	struct strbuf sb = STRBUF_INIT;
	long long pt = 0, at = 0, ev = 0, wall = 0;
	size_t i;

	if (c->nturns == 0) {
		loco_write("no turns yet\n", 13);
		return NULL;
	}
	strbuf_addf(&sb, "%4s  %-14s %8s %8s %9s %8s\n", "turn", "adapter",
	    "prompt", "answer", "tokens/s", "seconds");
	for (i = 0; i < c->nturns; i++) {
		const struct turn *t = &c->turns[i];

		strbuf_addf(&sb, "%4zu%c %-14s %8lld %8lld ", i + 1,
		    i < c->first ? '-' : ' ', adapter_label(t->adapter),
		    t->prompt_tokens, t->answer_tokens);
		if (t->eval_ns > 0)
			strbuf_addf(&sb, "%9.1f", (double)t->answer_tokens /
			    secs(t->eval_ns));
		else
			strbuf_addf(&sb, "%9s", "-");
		strbuf_addf(&sb, " %8.2f%s\n", secs(t->wall_ns),
		    t->interrupted ? "  (interrupted)" : "");
		pt += t->prompt_tokens;
		at += t->answer_tokens;
		ev += t->eval_ns;
		wall += t->wall_ns;
	}
	strbuf_addf(&sb, "%4s  %-14s %8lld %8lld ", "all", "", pt, at);
	if (ev > 0)
		strbuf_addf(&sb, "%9.1f", (double)at / secs(ev));
	else
		strbuf_addf(&sb, "%9s", "-");
	strbuf_addf(&sb, " %8.2f\n", secs(wall));
	if (c->first > 0)
		strbuf_addf(&sb, "(- : dropped from the context; %zu of %zu "
		    "turns are sent)\n", c->nturns - c->first, c->nturns);
	loco_write(sb.buf, sb.len);
	strbuf_release(&sb);
	return NULL;
}

static void
iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *
conversation_json(const struct chat *c)
{
	struct jout *j = jout_new();
	char when[32];
	size_t i;

	iso_time(c->started, when, sizeof(when));
	jout_str(j, "session", c->session);
	jout_str(j, "started", when);
	jout_str(j, "base_model", c->reg->base.tag);
	jout_str(j, "system", c->system);
	jout_arr(j, "turns");
	for (i = 0; i < c->nturns; i++) {
		const struct turn *t = &c->turns[i];

		jout_obj(j, NULL);
		jout_str(j, "question", t->question);
		jout_str(j, "answer", t->answer);
		jout_str(j, "adapter", t->adapter ? t->adapter->name : NULL);
		jout_str(j, "model", t->model);
		jout_str(j, "decision", t->decision);
		jout_int(j, "prompt_tokens", t->prompt_tokens);
		jout_int(j, "answer_tokens", t->answer_tokens);
		jout_num(j, "seconds", round(secs(t->wall_ns) * 1000) / 1000);
		jout_bool(j, "interrupted", t->interrupted);
		jout_bool(j, "in_context", i >= c->first);
		jout_end(j);
	}
	jout_end(j);
	return jout_finish(j, 1);
}

static char *
conversation_markdown(const struct chat *c)
{
	struct strbuf sb = STRBUF_INIT;
	char when[32];
	size_t i;

	iso_time(c->started, when, sizeof(when));
	strbuf_addf(&sb, "# loco chat, %s\n\nBase model: %s\n", when,
	    c->reg->base.tag);
	if (c->system != NULL)
		strbuf_addf(&sb, "\nSystem: %s\n", c->system);
	for (i = 0; i < c->nturns; i++) {
		const struct turn *t = &c->turns[i];

		strbuf_addf(&sb, "\n## You\n\n%s\n\n## %s (%s)\n\n%s\n",
		    t->question, adapter_label(t->adapter), t->model,
		    t->answer);
		if (t->interrupted)
			strbuf_addstr(&sb, "\n*(interrupted)*\n");
	}
	return strbuf_detach(&sb, NULL);
}

static struct error *
sl_save(struct chat *c, const char *arg)
{
	struct error *err;
	char *text;

	if (*arg == '\0')
		return error_new(EXIT_USAGE, "/save: want a file name "
		    "(.json for JSON, anything else for Markdown)");
	if (str_endswith(arg, ".json")) {
		char *j = conversation_json(c);

		text = xasprintf("%s\n", j);
		free(j);
	} else
		text = conversation_markdown(c);
	err = fs_write_atomic(arg, text, strlen(text));
	free(text);
	if (err == NULL)
		note(c, "[saved %zu turn%s to %s]", c->nturns,
		    c->nturns == 1 ? "" : "s", arg);
	return err;
}

static struct error *
sl_quit(struct chat *c, const char *arg)
{
	return error_new(EXIT_OK, "%s", "");
}

static const struct slash slashes[] = {
	{ "help", sl_help, "", "this list" },
	{ "adapter", sl_adapter, "[name|auto|none]",
	  "show or choose the adapter (auto: route each new topic)" },
	{ "adapters", sl_adapters, "", "the adapters (* marks the one in use)" },
	{ "votes", sl_votes, "[n]", "sample n answers per turn and vote" },
	{ "reread", sl_reread, "[on|off]", "re-reading (RE2) prompts" },
	{ "system", sl_system, "[text]",
	  "system prompt (no text: the adapter's own)" },
	{ "clear", sl_clear, "", "forget the conversation" },
	{ "stats", sl_stats, "", "tokens, tokens/s and time per turn" },
	{ "save", sl_save, "file", "save as Markdown, or JSON for *.json" },
	{ "quit", sl_quit, "", "leave (also /exit, /bye, Ctrl-D)" },
	{ "exit", sl_quit, NULL, NULL },
	{ "bye", sl_quit, NULL, NULL },
};

static struct error *
sl_help(struct chat *c, const char *arg)
{
	struct strbuf sb = STRBUF_INIT;
	char *left;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(slashes); i++) {
		if (slashes[i].help == NULL)
			continue;
		left = xasprintf("/%s%s%s", slashes[i].name,
		    *slashes[i].args ? " " : "", slashes[i].args);

		strbuf_addf(&sb, "  %-24s %s\n", left, slashes[i].help);
		free(left);
	}
	strbuf_addstr(&sb, "Lines starting with \"\"\" continue until a line "
	    "ending with \"\"\".\nStart a question with // to send a leading "
	    "'/'.  Ctrl-C stops an answer, Ctrl-D quits.\n");
	loco_write(sb.buf, sb.len);
	strbuf_release(&sb);
	return NULL;
}


static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[32];

	if (la >= ARRAY_SIZE(d) || lb >= ARRAY_SIZE(d))
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = d[0], tmp;

		d[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (d[j] + 1 < best)
				best = d[j] + 1;
			if (d[j - 1] + 1 < best)
				best = d[j - 1] + 1;
			tmp = d[j];
			d[j] = best;
			diag = tmp;
		}
	}
	return d[lb];
}

static struct error *
slash(struct chat *c, char *line)
{
	char *name = line + 1, *arg;
	const char *guess = NULL;
	size_t i, best = 3;
	struct error *err;

	arg = name + strcspn(name, " \t");
	if (*arg != '\0')
		*arg++ = '\0';
	arg = str_trim(arg);
	for (i = 0; i < ARRAY_SIZE(slashes); i++)
		if (strcmp(slashes[i].name, name) == 0)
			return slashes[i].fn(c, arg);
	for (i = 0; i < ARRAY_SIZE(slashes); i++) {
		size_t d = edit_distance(name, slashes[i].name);

		if (str_startswith(slashes[i].name, name) && *name != '\0')
			d = 0;
		if (d < best) {
			best = d;
			guess = slashes[i].name;
		}
	}
	{
		char *clean = str_sanitize(name, 32);

		if (guess != NULL)
			err = error_new(EXIT_USAGE, "unknown command '/%s': did "
			    "you mean /%s?  (/help lists them)", clean, guess);
		else
			err = error_new(EXIT_USAGE, "unknown command '/%s' "
			    "(/help lists them)", clean);
		free(clean);
	}
	return err;
}

/* ----------------------------------------------------------------- input */

/*
 * One question: a line, or the lines between """ and """.  *text is NULL
 * at the end of input.
 */
static struct error *
read_input(struct chat *c, char **text)
{
	struct strbuf sb = STRBUF_INIT;
	enum lineedit_status st;
	struct error *err;
	char *line = NULL;
	size_t len;

	*text = NULL;
	for (;;) {
		if ((err = lineedit_read(c->le, ">>> ", &line, &st)) != NULL)
			return err;
		if (st == LINE_EOF)
			return NULL;
		if (st == LINE_INTERRUPT) {
			loco_interrupted = 0;
			continue;
		}
		if (!str_startswith(line, "\"\"\""))
			break;
		/* """ ... """ */
		strbuf_addstr(&sb, line + 3);
		len = strlen(line);
		free(line);
		line = NULL;
		if (len >= 6 && str_endswith(sb.buf, "\"\"\"")) {
			strbuf_setlen(&sb, sb.len - 3);
			*text = strbuf_detach(&sb, NULL);
			return NULL;
		}
		for (;;) {
			if ((err = lineedit_read(c->le, "... ", &line, &st)))
				goto fail;
			if (st == LINE_EOF) {
				note(c, "[end of input inside \"\"\": the "
				    "unfinished question was not sent]");
				strbuf_release(&sb);
				return NULL;
			}
			if (st == LINE_INTERRUPT) {
				loco_interrupted = 0;
				strbuf_reset(&sb);
				break;
			}
			if (sb.len > 0)
				strbuf_addch(&sb, '\n');
			strbuf_addstr(&sb, line);
			free(line);
			line = NULL;
			if (str_endswith(sb.buf, "\"\"\"")) {
				strbuf_setlen(&sb, sb.len - 3);
				*text = strbuf_detach(&sb, NULL);
				lineedit_remember(c->le, *text);
				return NULL;
			}
		}
	}
	*text = line;
	return NULL;
fail:
	strbuf_release(&sb);
	return err;
}

/* ------------------------------------------------------------- options */

/* The options; --adapter's value in *adapter.  EXIT_OK after -h. */
static struct error *
parse_options(struct chat *c, int argc, char *argv[], const char **adapter)
{
	struct error *err;
	struct optparse p;
	int id;

	opt_init(&p, c->lc, &chat_spec, argc, argv);
	while ((id = opt_next(&p)) > 0) {
		if (opt_tool_flag(&p, id, &c->tf)) {
			if (p.err != NULL)
				return opt_end(&p);
			continue;
		}
		switch (id) {
		case O_QUIET:
			c->quiet = c->out.quiet = 1;
			break;
		case O_ADAPTER:
			*adapter = p.arg;
			break;
		case O_SYSTEM:
			free(c->system);
			c->system = xstrdup(p.arg);
			break;
		}
	}
	if (id < 0) {
		err = opt_end(&p);
		/* -h: done, nothing more to do. */
		return err != NULL ? err : error_new(EXIT_OK, "%s", "");
	}
	if (p.argc > 0)
		return cmd_usage_error(c->cmd, "unexpected argument '%s' (chat "
		    "reads its questions from the terminal or standard input)",
		    p.argv[0]);
	return NULL;
}

/* --adapter: auto (or none given), none, or an adapter of the registry. */
static struct error *
choose_adapter(struct chat *c, const char *adapter)
{
	if (adapter == NULL || strcmp(adapter, "auto") == 0) {
		c->autoroute = 1;
		return NULL;
	}
	if (strcmp(adapter, "none") == 0)
		return NULL;
	if ((c->current = registry_find(c->reg, adapter)) == NULL)
		return registry_unknown(c->reg, adapter);
	return NULL;
}

static void
chat_release(struct chat *c)
{
	size_t i;

	for (i = 0; i < c->nturns; i++)
		turn_release(&c->turns[i]);
	free(c->turns);
	free(c->system);
	free(c->session);
	router_free(c->router);
	backend_free(c->be);
	lineedit_free(c->le);
}

struct error *
cmd_chat(struct loco *lc, int argc, char *argv[])
{
	struct chat c;
	struct error *err;
	char *text = NULL, *home, *histfile;
	const char *adapter = NULL;
	size_t turns = 0;

	memset(&c, 0, sizeof(c));
	c.cmd = cmd_find("chat");
	c.lc = lc;
	c.tokens_per_char = MIN_TOKENS_PER_CHAR;
	c.started = time(NULL);
	/* -h and usage errors need no registry. */
	if ((err = parse_options(&c, argc, argv, &adapter)) != NULL ||
	    (err = loco_registry(lc, &c.reg)) != NULL ||
	    (err = choose_adapter(&c, adapter)) != NULL)
		goto done;
	if ((err = loco_backend(lc, &c.be)) != NULL)
		goto done;
	loco_show_waits(lc, c.be, c.quiet);
	c.session = xasprintf("%lld-%ld", (long long)c.started,
	    (long)getpid());
	home = loco_home();
	histfile = xasprintf("%s/chat_history", home);
	c.le = lineedit_new(histfile);
	free(histfile);
	free(home);
	if (lineedit_interactive(c.le))
		note(&c, "loco chat with %s, adapter %s.  /help for commands, "
		    "Ctrl-D to leave.", c.reg->base.tag, c.autoroute ? "auto "
		    "(each new topic is routed)" : adapter_label(c.current));

	for (;;) {
		struct error *terr;

		free(text);
		if ((err = read_input(&c, &text)) != NULL || text == NULL)
			break;
		if (*str_trim(text) == '\0')
			continue;
		if (text[0] == '/' && text[1] != '/') {
			lineedit_remember(c.le, text);
			terr = slash(&c, text);
			if (terr != NULL && terr->code == EXIT_OK) {
				error_free(terr);
				break;
			}
		} else {
			const char *q = text[0] == '/' ? text + 1 : text;

			lineedit_remember(c.le, text);
			turns++;
			terr = ask(&c, q);
			if (terr != NULL) {
				c.failed++;
				c.last_code = terr->code;
			}
		}
		if (terr != NULL) {
			if (*terr->msg != '\0')
				fprintf(stderr, "loco: %s\n", terr->msg);
			error_free(terr);
		}
	}
	if (err == NULL && c.failed > 0)
		err = error_new(c.last_code, "%zu of %zu turn%s failed",
		    c.failed, turns, turns == 1 ? "" : "s");
done:
	free(text);
	chat_release(&c);
	return err;
}
