/* tools.c: tool use: calls read from answers, run in the sandbox (tools.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "extract.h"
#include "json.h"
#include "jsonout.h"
#include "registry.h"
#include "sandbox.h"
#include "tools.h"
#include "util.h"
#include "banned.h"

#define OPEN_TAG	"<tool_call>"
#define CLOSE_TAG	"</tool_call>"
#define SYMPY_DIR	"/usr/lib/python3/dist-packages"

static const struct {
	const char	*name;
	unsigned	 bit;
	const char	*description;
} tool_table[] = {
	{ "python", TOOL_PYTHON, "Run Python 3 (standard library only) in a "
	  "sandbox without network. The code is an expression or a short "
	  "program: a final expression's value is printed; the result is "
	  "what the program printed." },
	{ "sympy", TOOL_SYMPY, "Run Python 3 with sympy (from sympy import *; "
	  "symbols x, y, z, t, n) in a sandbox without network. A final "
	  "expression's value is printed; the result is what the program "
	  "printed." },
};

unsigned
tool_parse(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tool_table); i++)
		if (strcmp(tool_table[i].name, name) == 0)
			return tool_table[i].bit;
	return 0;
}

const char *
tool_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tool_table); i++)
		if (tool_table[i].bit == bit)
			return tool_table[i].name;
	return "?";
}

struct error *
tool_list_parse(const char *text, unsigned *mask)
{
	const char *w = text, *end;
	struct strbuf known = STRBUF_INIT;
	struct error *err;
	unsigned bit;
	char *word, *clean;

	*mask = 0;
	while (*w != '\0') {
		while (*w == ',' || *w == ' ')
			w++;
		for (end = w; *end != '\0' && *end != ',' && *end != ' ';
		    end++)
			;
		if (end == w)
			break;
		word = xstrndup(w, (size_t)(end - w));
		if ((bit = tool_parse(word)) == 0) {
			tools_describe(TOOL_ALL, &known);
			clean = str_sanitize(word, 40);
			err = error_new(EXIT_USAGE, "unknown tool '%s' (known: "
			    "%s)", clean, known.buf);
			free(clean);
			free(word);
			strbuf_release(&known);
			return err;
		}
		*mask |= bit;
		free(word);
		w = end;
	}
	if (*mask == 0)
		return error_new(EXIT_USAGE, "no tool named (known: python, "
		    "sympy)");
	return NULL;
}

void
tools_describe(unsigned mask, struct strbuf *sb)
{
	size_t i;
	int any = 0;

	for (i = 0; i < ARRAY_SIZE(tool_table); i++)
		if (mask & tool_table[i].bit) {
			strbuf_addf(sb, "%s%s", any ? ", " : "",
			    tool_table[i].name);
			any = 1;
		}
	if (!any)
		strbuf_addstr(sb, "none");
}

int
tool_format_parse(const char *s, enum tool_format *f)
{
	if (strcmp(s, "text") == 0)
		*f = TOOL_FORMAT_TEXT;
	else if (strcmp(s, "native") == 0)
		*f = TOOL_FORMAT_NATIVE;
	else
		return -1;
	return 0;
}

const char *
tool_format_name(enum tool_format f)
{
	return f == TOOL_FORMAT_NATIVE ? "native" : "text";
}

int
tools_sympy_available(void)
{
	return access(SYMPY_DIR "/sympy/__init__.py", R_OK) == 0;
}

void
tool_settings_for(const struct adapter *a, const struct config *cfg,
    struct tool_settings *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->max_rounds = cfg->tools_max_rounds;
	s->wall_seconds = cfg->tools_timeout;
	s->memory_bytes = (size_t)cfg->tools_memory * 1024 * 1024;
	s->output_max = (size_t)cfg->tools_output_max;
	if (a == NULL)
		return;
	for (i = 0; i < a->ntools; i++)
		s->tools |= tool_parse(a->tools[i]);
	if (!tools_sympy_available())
		s->tools &= ~TOOL_SYMPY;
	if (a->tool_format != NULL)
		tool_format_parse(a->tool_format, &s->format);
}

struct error *
tools_check(int unsafe, char **missing)
{
	struct strbuf sb = STRBUF_INIT;
	struct error *err;
	unsigned mask;

	*missing = NULL;
	if (!unsafe) {
		if ((err = sandbox_check()) != NULL) {
			struct error *e2 = error_new(err->code, "tools: %s; or "
			    "pass --unsafe-tools to run the model's tool calls "
			    "in this sandbox anyway", err->msg);

			error_free(err);
			return e2;
		}
		return NULL;
	}
	if ((err = sandbox_probe(&mask)) != NULL)
		return error_prefix(err, "tools");
	if (!sandbox_policy_missing(sandbox_required(), mask, &sb)) {
		strbuf_release(&sb);
		return NULL;
	}
	*missing = strbuf_detach(&sb, NULL);
	/* Held to nothing: the protections there are, no refusal. */
	return sandbox_set_require("none");
}

char *
tools_schema(unsigned mask)
{
	struct jout *j = jout_new_array();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tool_table); i++) {
		if (!(mask & tool_table[i].bit))
			continue;
		jout_obj(j, NULL);
		jout_str(j, "type", "function");
		jout_obj(j, "function");
		jout_str(j, "name", tool_table[i].name);
		jout_str(j, "description", tool_table[i].description);
		jout_obj(j, "parameters");
		jout_str(j, "type", "object");
		jout_obj(j, "properties");
		jout_obj(j, "code");
		jout_str(j, "type", "string");
		jout_str(j, "description", "an expression or a short program");
		jout_end(j);		/* code */
		jout_end(j);		/* properties */
		jout_arr(j, "required");
		jout_str(j, NULL, "code");
		jout_end(j);
		jout_end(j);		/* parameters */
		jout_end(j);		/* function */
		jout_end(j);
	}
	return jout_finish(j, 0);
}

void
tool_call_release(struct tool_call *c)
{
	free(c->id);
	free(c->name);
	free(c->arguments);
	free(c->problem);
	memset(c, 0, sizeof(*c));
}

static void
call_problem(struct tool_call *c, const char *what, const char *detail)
{
	free(c->problem);
	c->problem = detail ? xasprintf("%s: %s", what, detail) :
	    xstrdup(what);
}

void
tools_parse_call(const char *json, size_t len, struct tool_call *c)
{
	struct json *root, *args = NULL, *parsed = NULL;
	const char *name;
	char *clean;
	int native = c->name != NULL && *c->name != '\0';

	if (c->name == NULL)
		c->name = xstrdup("");
	if (c->arguments == NULL)
		c->arguments = xstrdup("{}");
	/* What a model writes after the call is not the call's. */
	root = json_parse_head(json, len, NULL);
	if (!json_is_object(root)) {
		char *text = xstrndup(json, len);

		json_free(root);
		clean = str_sanitize(len > 0 ? text : "(nothing)", 80);
		free(text);
		call_problem(c, native ? "the call's arguments are not a JSON "
		    "object" : "the call is not a JSON object", clean);
		free(clean);
		return;
	}
	if (native)	/* the arguments alone: the server named the tool */
		args = root;
	else if ((name = json_str(root, "tool")) != NULL) {
		/* {"tool": NAME, ...arguments} */
		free(c->name);
		c->name = xstrdup(name);
		json_remove(root, "tool");
		args = root;
	} else if ((name = json_str(root, "name")) != NULL) {
		/* {"name": NAME, "arguments": {...}} */
		free(c->name);
		c->name = xstrdup(name);
		args = json_get(root, "arguments");
		if (args == NULL)
			args = json_get(root, "parameters");
		/* Some models write the arguments as JSON text. */
		if (json_is_string(args))
			args = parsed = json_parse_head(json_string(args),
			    strlen(json_string(args)), NULL);
		else if (args == NULL)
			args = parsed = json_new_object();
	} else
		call_problem(c, "the call names no tool: write "
		    "{\"tool\": NAME, \"code\": ...} or {\"name\": NAME, "
		    "\"arguments\": {...}}", NULL);
	if (c->problem == NULL && *c->name == '\0')
		call_problem(c, "the call's tool name is empty", NULL);
	if (json_is_object(args)) {
		free(c->arguments);
		c->arguments = json_print(args, 0);
	} else if (c->problem == NULL)
		call_problem(c, "the call's arguments are not a JSON object",
		    NULL);
	json_free(parsed);
	json_free(root);
}

int
tools_find_text(const char *content, struct tool_call *c, size_t *start,
    size_t *end)
{
	const char *open = strstr(content, OPEN_TAG), *body, *close;
	size_t len;

	memset(c, 0, sizeof(*c));
	if (open == NULL)
		return 0;
	body = open + strlen(OPEN_TAG);
	close = strstr(body, CLOSE_TAG);
	len = close ? (size_t)(close - body) : strlen(body);
	*start = (size_t)(open - content);
	*end = close ? (size_t)(close - content) + strlen(CLOSE_TAG) :
	    strlen(content);
	/* Spaces and a ```json fence around the JSON are allowed. */
	while (len > 0 && isspace((unsigned char)*body))
		body++, len--;
	if (len >= 3 && strncmp(body, "```", 3) == 0) {
		const char *nl = memchr(body, '\n', len);

		if (nl != NULL) {
			len -= (size_t)(nl + 1 - body);
			body = nl + 1;
		}
	}
	while (len > 0 && (isspace((unsigned char)body[len - 1]) ||
	    body[len - 1] == '`'))
		len--;
	tools_parse_call(body, len, c);
	return 1;
}

/*
 * The program that runs a call's code.py: the REPL's rule for a value.
 * It uses _ast, built in, not ast, whose import costs more than the rest
 * of the run.
 */
static const char runner[] =
    "import sys, _ast\n"
    "def _run(sympy):\n"
    "    with open('code.py', encoding='utf-8') as f:\n"
    "        src = f.read()\n"
    "    g = {'__name__': '__main__', '__builtins__': __builtins__}\n"
    "    if sympy:\n"
    "        sys.path.append('" SYMPY_DIR "')\n"
    "        exec(\"from sympy import *\\nx, y, z, t, n = "
    "symbols('x y z t n')\", g)\n"
    "    tree = compile(src, '<tool>', 'exec', _ast.PyCF_ONLY_AST)\n"
    "    last = None\n"
    "    if tree.body and isinstance(tree.body[-1], _ast.Expr):\n"
    "        last = _ast.Expression(tree.body.pop().value)\n"
    "    exec(compile(tree, '<tool>', 'exec'), g)\n"
    "    if last is not None:\n"
    "        v = eval(compile(last, '<tool>', 'eval'), g)\n"
    "        if v is not None:\n"
    "            print(v)\n"
    "try:\n"
    "    _run(SYMPY)\n"
    "except SystemExit:\n"
    "    raise\n"
    "except BaseException as e:\n"
    "    sys.stdout.flush()\n"
    "    m = str(e)\n"
    "    sys.stderr.write(type(e).__name__ + (': ' + m if m else '') + "
    "'\\n')\n"
    "    sys.exit(1)\n";

/* The last line of text with something on it, or NULL. */
static char *
last_line(const char *text, size_t len)
{
	size_t e = len, b;

	while (e > 0 && isspace((unsigned char)text[e - 1]))
		e--;
	if (e == 0)
		return NULL;
	for (b = e; b > 0 && text[b - 1] != '\n'; b--)
		;
	return xstrndup(text + b, e - b);
}

/* Cut result to max bytes (at a UTF-8 boundary), saying how much. */
static char *
cut_result(char *result, size_t max, int more)
{
	size_t len = strlen(result), keep = max;
	char *out;

	if (len <= max && !more)
		return result;
	if (keep > len)
		keep = len;
	while (keep > 0 && ((unsigned char)result[keep] & 0xc0) == 0x80)
		keep--;
	out = xasprintf("%.*s\n[output cut: %zu of %s%zu bytes shown]",
	    (int)keep, result, keep, more ? "more than " : "", len);
	free(result);
	return out;
}

void
tools_run(const struct tool_settings *s, const struct tool_call *c,
    struct tool_record *rec)
{
	struct sandbox_limits lim;
	struct sandbox_result res;
	struct sandbox_file files[2];
	struct error *err;
	struct strbuf sb = STRBUF_INIT;
	unsigned bit = tool_parse(c->name);
	struct json *args;
	const char *code;
	char *main_py, *line;
	long long t0;

	memset(rec, 0, sizeof(*rec));
	rec->name = xstrdup(c->name);
	rec->arguments = xstrdup(c->arguments ? c->arguments : "{}");
	if (c->problem != NULL) {
		rec->error = xstrdup(c->problem);
		goto failed;
	}
	if (bit == 0 || !(s->tools & bit)) {
		char *clean = str_sanitize(c->name, 40);

		tools_describe(s->tools, &sb);
		rec->error = bit != 0 && bit == TOOL_SYMPY &&
		    !tools_sympy_available() ? xasprintf("sympy is not "
		    "installed here (python3-sympy); the tools are %s",
		    sb.buf) : xasprintf("unknown tool '%s': the tools are %s",
		    clean, sb.buf);
		free(clean);
		strbuf_release(&sb);
		goto failed;
	}
	args = json_parse_head(rec->arguments, strlen(rec->arguments), NULL);
	if ((code = json_str(args, "code")) == NULL) {
		rec->error = xasprintf("%s needs \"code\": a string with an "
		    "expression or a program", c->name);
		json_free(args);
		goto failed;
	}
	rec->code = xstrdup(code);
	json_free(args);

	sandbox_limits_default(&lim);
	lim.wall_seconds = s->wall_seconds > 0 ? s->wall_seconds : 10;
	lim.cpu_seconds = (long)ceil(lim.wall_seconds);
	if (s->memory_bytes > 0)
		lim.memory_bytes = s->memory_bytes;
	main_py = xasprintf("SYMPY = %d\n%s", bit == TOOL_SYMPY, runner);
	files[0].name = "main.py";
	files[0].data = main_py;
	files[0].len = strlen(main_py);
	files[1].name = "code.py";
	files[1].data = rec->code;
	files[1].len = strlen(rec->code);
	t0 = now_ns();
	err = sandbox_run_python_files(files, 2, &lim, &res);
	rec->seconds = (double)(now_ns() - t0) / 1e9;
	free(main_py);
	if (err != NULL) {
		rec->error = xstrdup(err->msg);
		error_free(err);
		sandbox_result_release(&res);
		goto failed;
	}
	strbuf_add(&sb, res.out.buf, res.out.len);
	while (sb.len > 0 && (sb.buf[sb.len - 1] == '\n' ||
	    sb.buf[sb.len - 1] == '\r'))
		strbuf_setlen(&sb, sb.len - 1);
	if (!sandbox_passed(&res)) {
		line = res.timed_out ? NULL : last_line(res.err.buf,
		    res.err.len);
		rec->error = line ? line : xstrdup(*res.reason ? res.reason :
		    "failed");
		strbuf_addf(&sb, "%serror: %s", sb.len ? "\n" : "",
		    rec->error);
	} else if (sb.len == 0)
		strbuf_addstr(&sb, "(no output)");
	rec->result = cut_result(strbuf_detach(&sb, NULL), s->output_max ?
	    s->output_max : 4096, res.out_truncated);
	sandbox_result_release(&res);
	return;
failed:
	rec->result = xasprintf("error: %s", rec->error);
}

void
tool_log_release(struct tool_log *log)
{
	size_t i;

	for (i = 0; i < log->n; i++) {
		struct tool_record *r = &log->calls[i];

		free(r->name);
		free(r->code);
		free(r->arguments);
		free(r->result);
		free(r->error);
	}
	free(log->calls);
	memset(log, 0, sizeof(*log));
}

/* Text on one line, at most max characters (bytes), "..." when cut. */
static void
add_short(struct strbuf *sb, const char *s, size_t max)
{
	size_t i, n = 0;
	int space = 0;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f) {
			space = n > 0;
			continue;
		}
		if (n >= max) {
			/* Not in the middle of a character. */
			if ((ch & 0xc0) == 0x80) {
				while (sb->len > 0 && ((unsigned char)
				    sb->buf[sb->len - 1] & 0xc0) == 0x80)
					strbuf_setlen(sb, sb->len - 1);
				if (sb->len > 0 &&
				    (unsigned char)sb->buf[sb->len - 1] >= 0xc0)
					strbuf_setlen(sb, sb->len - 1);
			}
			strbuf_addstr(sb, "...");
			return;
		}
		if (space)
			strbuf_addstr(sb, "; ");
		space = 0;
		strbuf_addch(sb, ch);
		n++;
	}
}

void
tool_record_brief(const struct tool_record *r, struct strbuf *sb)
{
	strbuf_addstr(sb, "[tool ");
	add_short(sb, r->name, 20);
	strbuf_addstr(sb, ": ");
	add_short(sb, r->code ? r->code : r->arguments, 60);
	strbuf_addstr(sb, " -> ");
	add_short(sb, r->result, 60);
	strbuf_addch(sb, ']');
}

/* A conversation with tools */

struct tool_session {
	struct tool_settings	 s;
	struct chat_request	 req;
	struct chat_message	*msgs;
	size_t			 nmsgs;
	char			**owned;	/* strings the messages hold */
	size_t			 nowned;
	struct chat_tool_call	**calls;	/* arrays the messages hold */
	size_t			 ncallsets;
	struct strbuf		 answer;	/* the shown text of rounds */
	struct strbuf		 thinking;
	struct strbuf		 round;		/* the round's streamed text */
	size_t			 shown;		/* of round, passed on */
	int			 hidden;	/* a call began: hold the rest */
	chat_piece_fn		 fn;
	void			*arg;
	size_t			 sample;
	long			 rounds;
	size_t			 requests;
	struct chat_result	 sum;
	struct tool_log		 log;	/* when the settings give none */
};

struct tool_session *
tool_session_new(const struct tool_settings *s, const struct chat_request *req,
    size_t sample)
{
	struct tool_session *ts = xcalloc(1, sizeof(*ts));

	ts->s = *s;
	if (ts->s.log == NULL)
		ts->s.log = &ts->log;
	ts->req = *req;
	ts->msgs = xcalloc(req->nmessages + 1, sizeof(*ts->msgs));
	memcpy(ts->msgs, req->messages, req->nmessages * sizeof(*ts->msgs));
	ts->nmsgs = req->nmessages;
	ts->req.messages = ts->msgs;
	strbuf_init(&ts->answer, 0);
	strbuf_init(&ts->thinking, 0);
	strbuf_init(&ts->round, 0);
	ts->sample = sample;
	ts->requests = 1;
	chat_result_init(&ts->sum);
	return ts;
}

void
tool_session_output(struct tool_session *ts, chat_piece_fn fn, void *arg)
{
	ts->fn = fn;
	ts->arg = arg;
}

size_t
tool_session_requests(const struct tool_session *ts)
{
	return ts->requests;
}

/* Pass on round[shown..upto). */
static struct error *
pass_on(struct tool_session *ts, size_t upto, const char *thinking,
    size_t tlen)
{
	struct error *err = NULL;

	if (ts->fn != NULL && (upto > ts->shown || tlen > 0))
		err = ts->fn(ts->round.buf + ts->shown, upto - ts->shown,
		    thinking, tlen, ts->arg);
	if (upto > ts->shown)
		ts->shown = upto;
	return err;
}

struct error *
tool_session_piece(const char *content, size_t clen, const char *thinking,
    size_t tlen, void *arg)
{
	struct tool_session *ts = arg;
	const char *open;
	size_t upto, k, tag = strlen(OPEN_TAG);

	strbuf_add(&ts->round, content, clen);
	if (ts->s.format == TOOL_FORMAT_NATIVE)
		return pass_on(ts, ts->round.len, thinking, tlen);
	if (ts->hidden)
		return pass_on(ts, ts->shown, thinking, tlen);
	if ((open = strstr(ts->round.buf + ts->shown, OPEN_TAG)) != NULL) {
		ts->hidden = 1;
		return pass_on(ts, (size_t)(open - ts->round.buf), thinking,
		    tlen);
	}
	/* Hold back an end that may be the start of the tag. */
	upto = ts->round.len;
	for (k = tag - 1; k > 0; k--)
		if (ts->round.len - ts->shown >= k &&
		    memcmp(ts->round.buf + ts->round.len - k, OPEN_TAG, k) == 0) {
			upto = ts->round.len - k;
			break;
		}
	return pass_on(ts, upto, thinking, tlen);
}

static char *
own(struct tool_session *ts, char *s)
{
	ts->owned = xreallocarray(ts->owned, ts->nowned + 1,
	    sizeof(*ts->owned));
	ts->owned[ts->nowned++] = s;
	return s;
}

static struct chat_message *
add_message(struct tool_session *ts, const char *role, const char *content)
{
	struct chat_message *m;

	ts->msgs = xreallocarray(ts->msgs, ts->nmsgs + 1, sizeof(*ts->msgs));
	m = &ts->msgs[ts->nmsgs++];
	memset(m, 0, sizeof(*m));
	m->role = role;
	m->content = content;
	ts->req.messages = ts->msgs;
	ts->req.nmessages = ts->nmsgs;
	return m;
}

/* Counts and durations of every round. */
static void
add_sums(struct tool_session *ts, const struct chat_result *res)
{
	struct chat_result *s = &ts->sum;

	s->prompt_eval_count += res->prompt_eval_count;
	s->prompt_eval_duration += res->prompt_eval_duration;
	s->eval_count += res->eval_count;
	s->eval_duration += res->eval_duration;
	s->total_duration += res->total_duration;
	if (res->load_duration > s->load_duration)
		s->load_duration = res->load_duration;
	if (res->thinking != NULL)
		strbuf_addstr(&ts->thinking, res->thinking);
}

static void
record(struct tool_session *ts, const struct tool_call *c)
{
	struct tool_log *log = ts->s.log;
	struct tool_record *r;

	log->calls = xreallocarray(log->calls, log->n + 1, sizeof(*log->calls));
	r = &log->calls[log->n++];
	tools_run(&ts->s, c, r);
	r->sample = ts->sample;
	r->round = (int)ts->rounds + 1;
	if (ts->s.on_call != NULL)
		ts->s.on_call(r, ts->s.arg);
}

/* The result of the call recorded last. */
static const char *
last_result(struct tool_session *ts)
{
	return ts->s.log->calls[ts->s.log->n - 1].result;
}

const struct chat_request *
tool_session_step(struct tool_session *ts, struct chat_result *res)
{
	struct tool_call call;
	struct chat_message *m;
	struct chat_tool_call *copy;
	size_t start = 0, end = 0, i, n;
	char *content = strip_thinking(res->content ? res->content : "");
	int found;

	add_sums(ts, res);
	memset(&call, 0, sizeof(call));
	if (ts->s.format == TOOL_FORMAT_TEXT)
		found = tools_find_text(content, &call, &start, &end);
	else
		found = res->ntool_calls > 0;
	if (found && ts->rounds >= ts->s.max_rounds) {
		/* The round limit: the answer is what came before the call. */
		ts->s.log->limited++;
		if (ts->s.format == TOOL_FORMAT_TEXT)
			content[start] = '\0';
		found = 0;
	} else if (!found)
		(void)pass_on(ts, ts->round.len, "", 0);
	if (!found) {
		tool_call_release(&call);
		strbuf_addstr(&ts->answer, content);
		free(content);
		free(res->content);
		res->content = strbuf_detach(&ts->answer, NULL);
		free(res->thinking);
		res->thinking = strbuf_detach(&ts->thinking, NULL);
		res->prompt_eval_count = ts->sum.prompt_eval_count;
		res->prompt_eval_duration = ts->sum.prompt_eval_duration;
		res->eval_count = ts->sum.eval_count;
		res->eval_duration = ts->sum.eval_duration;
		res->total_duration = ts->sum.total_duration;
		res->load_duration = ts->sum.load_duration;
		return NULL;
	}
	if (ts->s.format == TOOL_FORMAT_TEXT) {
		/* What the model wrote up to its call's closing tag. */
		char *said = own(ts, xasprintf("%.*s%s", (int)end, content,
		    strncmp(content + (end >= strlen(CLOSE_TAG) ? end -
		    strlen(CLOSE_TAG) : 0), CLOSE_TAG, strlen(CLOSE_TAG)) ==
		    0 ? "" : CLOSE_TAG));

		strbuf_add(&ts->answer, content, start);
		add_message(ts, "assistant", said);
		record(ts, &call);
		add_message(ts, "tool", last_result(ts));
		tool_call_release(&call);
	} else {
		n = res->ntool_calls;
		copy = xcalloc(n, sizeof(*copy));
		for (i = 0; i < n; i++) {
			copy[i].id = own(ts, xstrdup(res->tool_calls[i].id));
			copy[i].name = own(ts, xstrdup(res->tool_calls[i].name));
			copy[i].arguments = own(ts,
			    xstrdup(res->tool_calls[i].arguments));
		}
		ts->calls = xreallocarray(ts->calls, ts->ncallsets + 1,
		    sizeof(*ts->calls));
		ts->calls[ts->ncallsets++] = copy;
		strbuf_addstr(&ts->answer, content);
		m = add_message(ts, "assistant", own(ts, xstrdup(content)));
		m->tool_calls = copy;
		m->ntool_calls = n;
		for (i = 0; i < n; i++) {
			memset(&call, 0, sizeof(call));
			call.name = xstrdup(copy[i].name);
			call.arguments = xstrdup("{}");
			tools_parse_call(copy[i].arguments,
			    strlen(copy[i].arguments), &call);
			record(ts, &call);
			m = add_message(ts, "tool", last_result(ts));
			m->tool_call_id = copy[i].id;
			m->tool_name = copy[i].name;
			tool_call_release(&call);
		}
	}
	free(content);
	ts->rounds++;
	ts->requests++;
	strbuf_reset(&ts->round);
	ts->shown = 0;
	ts->hidden = 0;
	chat_result_release(res);
	return &ts->req;
}

void
tool_session_free(struct tool_session *ts)
{
	size_t i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->nowned; i++)
		free(ts->owned[i]);
	free(ts->owned);
	for (i = 0; i < ts->ncallsets; i++)
		free(ts->calls[i]);
	free(ts->calls);
	tool_log_release(&ts->log);
	free(ts->msgs);
	strbuf_release(&ts->answer);
	strbuf_release(&ts->thinking);
	strbuf_release(&ts->round);
	free(ts);
}

void
tool_record_jout(struct jout *j, const struct tool_record *r)
{
	jout_str(j, "name", r->name);
	jout_str(j, "code", r->code);
	jout_str(j, "arguments", r->arguments);
	jout_str(j, "result", r->result);
	jout_str(j, "error", r->error);
	jout_num(j, "seconds", round(r->seconds * 1e4) / 1e4);
	jout_int(j, "round", r->round);
	jout_int(j, "sample", (long long)r->sample);
}

void
tool_log_jout(struct jout *j, const char *key, const struct tool_log *log)
{
	size_t i;

	jout_arr(j, key);
	for (i = 0; log != NULL && i < log->n; i++) {
		jout_obj(j, NULL);
		tool_record_jout(j, &log->calls[i]);
		jout_end(j);
	}
	jout_end(j);
}
