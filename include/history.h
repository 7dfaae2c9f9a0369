/*
 * history.h: the history of questions and answers, one JSON object a line
 * in $LOCO_HOME/history.jsonl.  Every `loco query` (and every chat turn)
 * appends a record when inference.history is true; `loco history` lists,
 * searches and grades them.
 *
 * Ids are sequence numbers, 1, 2, 3, ...: short to type and in the order
 * of the records.  The next id is one more than the last record's, found
 * under the lock from the end of the file, so reading it costs little
 * however long the file grows.  `loco history --clear` leaves a marker
 * that carries the last id on, so an id is never given twice to two
 * records of one file (unless the file is cut by hand).
 *
 * Appends hold $LOCO_HOME/history.jsonl.lock, write each record with a
 * single write() to a file opened O_APPEND, and fsync it.  A record that
 * could not be written whole is cut off again; a torn last line left by a
 * crash is ended with a newline before the next record, so it can never
 * swallow one.  Readers skip the lines they cannot use and report them as
 * "FILE:LINE: ..." warnings, and go on with the rest.
 *
 * Lines, each an object with "kind":
 *   query, chat   a record (the fields of struct history_entry; see
 *                 loco(1) for the JSON shape)
 *   feedback      {"kind":"feedback","time":T,"ref":ID,"verdict":V}: the
 *                 last verdict on a record wins
 *   clear         {"kind":"clear","time":T,"last_id":ID}: written by
 *                 history_clear so the numbering goes on
 * Lines of other kinds are ignored, for newer versions of loco.
 */
#ifndef LOCO_HISTORY_H
#define LOCO_HISTORY_H

#include <stddef.h>

#include "config.h"
#include "error.h"

struct vote_result;
struct tool_log;

/* What to record of one answer; the strings are only read. */
struct history_record {
	const char	*kind;		/* "query" or "chat" */
	/* A chat's session id, a --continue conversation's, or NULL. */
	const char	*session;
	const char	*question;	/* the user's question as typed */
	const char	*adapter;	/* adapter name, NULL = base model */
	const char	*model;		/* Ollama model name used */
	const char	*route;		/* "router", "flag", "sticky"... or NULL */
	double		 confidence;	/* router confidence, NAN if none */
	const char	*answer;
	long long	 prompt_tokens, answer_tokens;
	long long	 wall_ns, load_ns, eval_ns;
	/* NULL when not voting: the tally, invalid and samples are kept. */
	const struct vote_result *vote;
	/* NULL when the model had no tools: the calls that ran. */
	const struct tool_log *tools;
	int		 interrupted;	/* answer cut short by Ctrl-C */
};

/* $LOCO_HOME/history.jsonl; free it. */
char		*history_path(void);

/*
 * Append one record to history_path() when cfg->history is true (*id gets
 * its id, "42", to free; NULL when nothing was written).  id may be NULL.
 */
struct error	*history_append(const struct config *cfg,
		    const struct history_record *r, char **id);
/* The same to any file (tests, tools). */
struct error	*history_append_file(const char *path,
		    const struct history_record *r, char **id);
/*
 * history_append for commands: a failure is a warning on stderr,
 * "loco: history: MESSAGE", given once per process, and never fails the
 * query or the chat turn.
 */
void		 history_append_warn(const struct config *cfg,
		    const struct history_record *r, char **id);

/*
 * Record a verdict, "good" or "bad", on the record with id (its text as
 * typed).  Errors: EXIT_USAGE for another verdict, EXIT_FAIL for an id no
 * record of path has ("no entry '12' in the history").
 */
struct error	*history_feedback(const char *path, const char *id,
		    const char *verdict);

/*
 * Remove every record: path is replaced atomically by a file holding only
 * the marker that carries the numbering on.  *removed (may be NULL) gets
 * the number of records there were.  A missing file stays missing.
 */
struct error	*history_clear(const char *path, size_t *removed);

/* Reading. */

struct history_vote_group {
	char		*answer;
	long long	 count;
};

struct history_vote {
	char				*method;	/* majority, ... */
	char				*answer;	/* voted answer, or NULL */
	struct history_vote_group	*groups;	/* the tally, ranked */
	size_t				 ngroups;
	long long			 invalid;	/* samples without answer */
	long long			 samples;	/* samples completed */
	double				 confidence;	/* NAN if absent */
};

struct history_entry {
	long long		 id;
	char			*kind;		/* "query" or "chat" */
	char			*time;		/* "YYYY-MM-DDTHH:MM:SSZ", or NULL */
	char			*session;	/* or NULL */
	char			*question;	/* never NULL */
	char			*adapter;	/* NULL: the base model */
	char			*model;		/* or NULL */
	char			*route;		/* or NULL */
	double			 confidence;	/* NAN if none */
	char			*answer;	/* never NULL */
	long long		 prompt_tokens, answer_tokens;
	long long		 wall_ns, load_ns, eval_ns;
	int			 interrupted;
	struct history_vote	*vote;		/* NULL when not voting */
	/* The tool calls that ran; NULL when the model had no tools. */
	struct tool_log		*tools;
	const char		*feedback;	/* "good", "bad" or NULL */
};

/* Which records to read; all zero reads every one. */
struct history_filter {
	size_t		 limit;		/* only the last limit that match; 0 all */
	/* A substring, in any ASCII case, of question, answer or adapter. */
	const char	*search;
	const char	*adapter;	/* only this adapter; "none": the base */
	const char	*session;	/* only this session */
	long long	 id;		/* only this id; 0 any */
};

#define HISTORY_WARNINGS_MAX 10

struct history {
	struct history_entry	*v;		/* oldest first */
	size_t			 n;
	size_t			 nrecords;	/* records in the file */
	long long		 last_id;	/* the highest id in the file */
	/*
	 * "FILE:LINE: what is wrong; skipped" for unusable lines: the first
	 * HISTORY_WARNINGS_MAX, and how many there were in all.
	 */
	char			**warnings;
	size_t			 nwarnings;
	size_t			 nbad;
};

/*
 * Read the records of path that pass f (may be NULL), with their latest
 * verdicts.  A missing file is an empty history; only a file that cannot
 * be read is an error.  Free h with history_release, also after an error.
 */
struct error	*history_read(const char *path, const struct history_filter *f,
		    struct history *h);
void		 history_release(struct history *);

/*
 * The session of a chain of `loco query --continue` that began with a
 * lone query: this prefix and that query's id ("query-12").
 */
#define HISTORY_QUERY_SESSION "query-"

/*
 * The last conversation of path, for `loco query --continue`: the most
 * recent record and, when it has a session, every record of that session
 * (a chat's turns, or a chain of --continue), oldest first; a session
 * "query-N" begins with record N, the query first continued.  *session
 * gets the session the next turn belongs to, to free: the record's own,
 * or "query-ID" for a lone query.  An empty history leaves h->n 0 (and
 * *session may be NULL).  h has the warnings of a full read; free it with
 * history_release, also after an error.
 */
struct error	*history_conversation(const char *path, struct history *h,
		    char **session);

#endif
