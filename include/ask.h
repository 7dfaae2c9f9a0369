/*
 * ask.h: the one place that asks the model.  query, chat, eval and the
 * judges all build their requests here and send them through here: the
 * prompt (system prompt, RE2), the request's options, one answer or a
 * vote of several, the seed policy, the fallback to the base model when
 * an adapter's model is missing, and the totals for the stats line.
 *
 * Seed policy: a given seed is used as it is (sample i of a vote uses
 * seed + i); a vote without one gets a fresh seed, reported in the result
 * so that it can be replayed.  Votes sample at vote_temperature unless a
 * temperature was given explicitly.
 */
#ifndef LOCO_ASK_H
#define LOCO_ASK_H

#include <stddef.h>

#include "backend.h"
#include "error.h"
#include "prompt.h"
#include "registry.h"
#include "tools.h"
#include "vote.h"

/*
 * The options every request carries.  ask_run sets think from the model:
 * a model that thinks is asked with think on, so that its reasoning comes
 * apart from the answer (and is shown only when asked).
 */
struct ask_settings {
	int		 think;		/* 0, 1 */
	const char	*keep_alive;	/* NULL: omit */
	long		 num_ctx;	/* <= 0: omit */
	long		 num_predict;	/* CONFIG_UNSET_INT: omit */
	double		 temperature;	/* NAN: the model's default */
	long		 seed;		/* CONFIG_UNSET_INT: none */
	int		 no_truncate;	/* chat_request's */
};

struct config;
/* The settings from configuration (options.*). */
void		 ask_settings_from_config(struct ask_settings *,
		    const struct config *);

/*
 * A request to target: msgs (room for the history, the system prompt and
 * the question) gets the messages, cr the options and the adapter's
 * parameters.  cr points into pr, msgs and t: keep them while it is used.
 */
void		 ask_request(struct chat_request *cr, struct chat_message *msgs,
		    const struct backend_target *t, const struct adapter *a,
		    const struct prompt *pr, const struct chat_message *history,
		    size_t nhistory, const struct ask_settings *s);

struct ask_result;

/* A member of an ensemble and the weight of its samples. */
struct ask_member {
	const struct adapter	*adapter;
	double			 weight;
};

struct ask_opts {
	const struct registry	*reg;
	const struct adapter	*adapter;	/* NULL: the base model */
	/*
	 * The target, when the caller resolved it already (eval); NULL:
	 * resolved here from adapter.
	 */
	const struct backend_target *target;
	const char		*question;
	/* The prompt, when the caller built it (chat); NULL: built here. */
	const struct prompt	*prompt;
	const char		*system;	/* replaces the adapter's */
	int			 reread;
	const struct chat_message *history;	/* earlier turns (chat) */
	size_t			 nhistory;
	struct ask_settings	 s;

	/* Votes: more than one sample. */
	long			 votes;
	double			 vote_temperature;
	int			 temperature_given;	/* it wins for votes */
	enum vote_method	 vote_method;
	size_t			 parallel;
	const char		*answer_type;	/* NULL: the adapter's, or text */
	/* Or an extractor of the caller's (eval: by the case's type). */
	const struct extractor	*x;
	int			 no_early_stop;
	void			(*vote_progress)(const struct vote_result *,
				    size_t i, void *arg);

	/*
	 * An ensemble (nmembers > 0): every member is asked with its own
	 * prompt and target, votes times when votes > 1 (at the votes'
	 * temperature, seeds seed + i), else once with the settings'
	 * temperature and seed; the samples go into one weighted majority
	 * vote (vote.h), member after member on a backend that reloads to
	 * change model.  adapter, target, prompt and fallback are not used;
	 * the extractor is the first member's unless answer_type or x say.
	 */
	const struct ask_member	*members;
	size_t			 nmembers;

	/*
	 * Pieces of the answer as they stream (a vote's winner at its end);
	 * a thinking model's reasoning only with show_thinking.
	 */
	chat_piece_fn		 fn;
	void			*arg;
	int			 show_thinking;

	/*
	 * Told once the prompt and target are known, before anything is
	 * sent (may be NULL); an error stops the run.
	 */
	struct error		*(*on_send)(const struct ask_result *,
				    void *arg);
	/*
	 * Tool use (tools.h): NULL, or settings with no tools, for none.
	 * The caller has checked that tools may run here (tools_check).
	 * The answer, and each sample of a vote, runs its own calls; the
	 * vote counts the final answers.  An ensemble calls no tools.
	 */
	const struct tool_settings *tools;
	/* When an adapter's model is missing, let the base answer. */
	int			 fallback;
	/*
	 * Told before the base is asked instead (may be NULL); vanished:
	 * the model is there but a file of it is missing.
	 */
	void			(*on_fallback)(const char *wanted,
				    const char *model, int vanished,
				    void *arg);
};

struct ask_result {
	struct prompt		 pr;		/* what was sent */
	struct backend_target	 target;	/* who answered */
	char			*wanted;	/* fallback: what was missing */
	/*
	 * The answer.  With votes: the winner's text, tokens and durations
	 * summed over the samples, the longest load.
	 */
	struct chat_result	 res;
	int			 voted;
	struct vote_result	 vote;
	/* An ensemble's: each member's target (labels, models). */
	struct backend_target	*members;
	size_t			 nmembers;
	long			 vote_seed;
	double			 vote_temperature;
	const char		*answer_type;	/* the votes' */
	size_t			 nmessages;	/* sent */
	/*
	 * The answer was cut at a token limit (one answer), or every sample
	 * of the vote was; raise names the setting to raise.
	 */
	int			 truncated;
	const char		*raise;
	const char		*backend;	/* "ollama", "llama-server" */
	long long		 wall_ns;
	/* The tool calls that ran (every sample's), and the rounds cut. */
	struct tool_log		 tools;
	int			 used_tools;	/* tools were offered */
	size_t			 tool_requests;	/* sent after calls ran */
};

/*
 * Ask once, or vote when opts->votes > 1.  On error, res holds what
 * arrived (an interrupted answer's text).  EXIT_NOMODEL errors say what
 * to run.
 */
struct error	*ask_run(struct backend *, const struct ask_opts *,
		    struct ask_result *);
void		 ask_result_release(struct ask_result *);

/* A seed for a vote when none was given (time and pid, mixed). */
long		 ask_fresh_seed(void);

#endif
