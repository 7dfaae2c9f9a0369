/*
 * tools.h: tool use.  A model that may call tools (registry: an adapter's
 * tools and tool_format) asks for a computation; loco runs it in the
 * sandbox (sandbox.h), sends the result back as a message with role
 * "tool", and the model goes on, at most tools.max_rounds times.
 *
 * Two ways to carry a call:
 *   text    the answer holds <tool_call>{"tool": "python", "code":
 *           "347*28"}</tool_call> (or Qwen's {"name": "python",
 *           "arguments": {"code": "..."}} inside the same tags).  The
 *           first call of an answer is run; text after its closing tag
 *           is dropped (a model that goes on writing has not seen the
 *           result).  The assistant message sent back ends with the
 *           closing tag.  A call inside thinking text is not a call.
 *   native  the server's own tool calling: the request lists the tools
 *           as JSON schemas ("tools"), the answer's tool_calls are run
 *           and each result goes back as a tool message (tool_name on
 *           Ollama, tool_call_id on OpenAI-style servers).
 *
 * Tools:
 *   python  Python 3's standard library; the code is an expression or a
 *           short program: the value of a final expression is printed,
 *           and the result is what the program printed.
 *   sympy   the same with "from sympy import *" and the symbols x, y, z,
 *           t, n made, where python3-sympy is installed.
 * A call that fails (an exception, the time or memory limit) returns its
 * error to the model as the result: "error: ZeroDivisionError: division
 * by zero".  A result longer than tools.output_max bytes is cut, and the
 * model is told how much was cut.  Malformed calls and unknown tools are
 * results too, naming what is wrong and the tools there are.
 *
 * The answer of a run with tools is the text of every round with the
 * calls taken out; its tokens and durations are summed over the rounds.
 */
#ifndef LOCO_TOOLS_H
#define LOCO_TOOLS_H

#include <stddef.h>

#include "backend.h"
#include "error.h"
#include "strbuf.h"

enum tool_format { TOOL_FORMAT_TEXT, TOOL_FORMAT_NATIVE };

/* The tools, as bits of a mask. */
#define TOOL_PYTHON	(1u << 0)
#define TOOL_SYMPY	(1u << 1)
#define TOOL_ALL	(TOOL_PYTHON | TOOL_SYMPY)

/* "python" -> TOOL_PYTHON; 0 for a name that is no tool. */
unsigned	 tool_parse(const char *name);
const char	*tool_name(unsigned bit);
/*
 * A list of tool names separated by commas or spaces ("python,sympy")
 * into *mask; EXIT_USAGE names a word that is no tool.
 */
struct error	*tool_list_parse(const char *, unsigned *mask);
/* "python, sympy": the names of mask's tools, or "none". */
void		 tools_describe(unsigned mask, struct strbuf *);
/* "text", "native"; -1 for anything else. */
int		 tool_format_parse(const char *, enum tool_format *);
const char	*tool_format_name(enum tool_format);
/* Whether the sandbox's Python can import sympy (python3-sympy). */
int		 tools_sympy_available(void);

/* One call that ran, for stderr, --json, history and eval logs. */
struct tool_record {
	char	*name;		/* as the model wrote it */
	char	*code;		/* python and sympy: the code, else NULL */
	char	*arguments;	/* the call's arguments, JSON text */
	char	*result;	/* what went back to the model */
	char	*error;		/* NULL, or why the call failed */
	double	 seconds;	/* its run's wall time */
	size_t	 sample;	/* a vote's sample, else 0 */
	int	 round;		/* 1 for the answer's first call */
};

struct tool_log {
	struct tool_record *calls;
	size_t		 n;
	/*
	 * Answers whose call was not run because tools.max_rounds rounds
	 * had been: the answer is the text before it.
	 */
	size_t		 limited;
};

void		 tool_log_release(struct tool_log *);
/* "[tool python: 347*28 -> 9716]": shortened to one line. */
void		 tool_record_brief(const struct tool_record *, struct strbuf *);
struct jout;
/*
 * A call's fields into the open JSON object: name, code, arguments,
 * result, error, seconds, round, sample (loco-json(7)).
 */
void		 tool_record_jout(struct jout *, const struct tool_record *);
/* An array of the log's calls under key (empty for a NULL log). */
void		 tool_log_jout(struct jout *, const char *key,
		    const struct tool_log *);

struct tool_settings {
	unsigned	 tools;		/* TOOL_* the model may call */
	enum tool_format format;
	long		 max_rounds;	/* rounds of calls in one answer */
	double		 wall_seconds;	/* a call's wall-clock limit */
	size_t		 memory_bytes;	/* a call's address-space limit */
	size_t		 output_max;	/* bytes of a result sent back */
	/* Where the calls are recorded, and who is told of each (may be NULL). */
	struct tool_log	*log;
	void		(*on_call)(const struct tool_record *, void *arg);
	void		*arg;
};

struct config;
struct adapter;
/*
 * The settings for adapter a (NULL: the base, which has no tools) from
 * its registry entry and configuration (tools.*); s->tools is 0 when the
 * model calls no tools.  sympy is left out where it is not installed.
 */
void		 tool_settings_for(const struct adapter *a,
		    const struct config *, struct tool_settings *s);
/*
 * Whether tools may run here: the sandbox meets sandbox.require, or
 * unsafe (--unsafe-tools) lets them run with what it has (*missing then
 * names what it lacks, for a warning; "" when nothing; free it).
 * EXIT_SANDBOX errors say what is missing and name --unsafe-tools.
 */
struct error	*tools_check(int unsafe, char **missing);

/* The native tools list (chat_request.tools) for mask; free it. */
char		*tools_schema(unsigned mask);

/* A call as read from an answer. */
struct tool_call {
	char	*id;		/* native OpenAI-style: the call's id */
	char	*name;		/* "" when none could be read */
	char	*arguments;	/* JSON object text, "{}" when unreadable */
	char	*problem;	/* NULL, or why the call cannot be run */
};

void		 tool_call_release(struct tool_call *);
/*
 * The first <tool_call> of content, read into call: *start and *end are
 * the offsets of its opening tag and just past its closing one (the end
 * of content when it is not closed).  Returns 0 when there is none.
 */
int		 tools_find_text(const char *content, struct tool_call *call,
		    size_t *start, size_t *end);
/* A call's JSON, text form or native arguments, into call. */
void		 tools_parse_call(const char *json, size_t len,
		    struct tool_call *call);
/*
 * Run call (never outside the sandbox) under s's limits and tools; rec
 * gets it all.  Failures are results, not errors.
 */
void		 tools_run(const struct tool_settings *s,
		    const struct tool_call *call, struct tool_record *rec);

/*
 * A conversation with tools: one answer's requests and replies.  req is
 * its first request (copied; its messages must outlive the session).
 */
struct tool_session;

struct tool_session *tool_session_new(const struct tool_settings *,
		    const struct chat_request *req, size_t sample);
/*
 * The session's last request was answered with res.  Returns the next
 * request to send (res's calls have run, and res is cleared), or NULL
 * when res is the answer: it then holds the text of every round, the
 * calls taken out, and the counts and durations of all.
 */
const struct chat_request *tool_session_step(struct tool_session *,
		    struct chat_result *res);
/*
 * Streamed pieces of the answer go through here (the text form's calls
 * are held back, the rest passed on to fn): a chat_piece_fn whose arg is
 * the session.  tool_session_step passes on what was held back.
 */
void		 tool_session_output(struct tool_session *, chat_piece_fn fn,
		    void *arg);
struct error	*tool_session_piece(const char *content, size_t clen,
		    const char *thinking, size_t tlen, void *session);
/* Requests sent so far (the first included). */
size_t		 tool_session_requests(const struct tool_session *);
void		 tool_session_free(struct tool_session *);

#endif
