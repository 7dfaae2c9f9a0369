/*
 * cmd.h: the command table and what commands share.  Each command lives in
 * src/cmd_NAME.c (router's two in cmd_router_train.c and
 * cmd_router_eval.c) with the table of its options (opt.h), and returns
 * an error value; main() prints it once and exits with its code.
 */
#ifndef LOCO_CMD_H
#define LOCO_CMD_H

#include <stdio.h>

#include "config.h"
#include "error.h"
#include "backend.h"
#include "ollama.h"
#include "registry.h"
#include "opt.h"

/* Everything a command may need, set up by main() once. */
struct loco {
	struct config	 cfg;
	struct registry	*reg;		/* loaded on first loco_registry() */
	int		 stdout_tty;
	/* stderr takes progress bars: term_level() >= TERM_REWRITE */
	int		 stderr_progress;
};

struct subcmd;

struct cmd {
	const char	*name;
	struct error	*(*fn)(struct loco *, int argc, char *argv[]);
	/* The table of second-level commands that fn dispatches, or NULL. */
	const struct subcmd *(*subcmds)(size_t *n);
	/*
	 * The command's options (opt.h): its usage, help and completion come
	 * from it.  A command with subcommands has one without forms, for
	 * its summary; each subcommand has its own.
	 */
	const struct optspec *spec;
};

/* loco's own usage and the command list. */
void			 loco_usage(FILE *fp);
/* loco's own options, before the command: --backend, --registry, ... */
extern const struct optspec loco_spec;
enum {
	O_LOCO_BACKEND = 1, O_LOCO_REGISTRY, O_LOCO_HELP, O_LOCO_VERSION
};
/* "loco [--registry file] command [argument ...]": the global options. */
const char		*loco_main_usage(void);
/* A command, or one of the unlisted ones for scripts (__complete). */
const struct cmd	*cmd_find(const char *name);
/* The command nearest to a mistyped name (str_suggest), or NULL. */
const char		*cmd_suggest(const char *name);
/* The commands loco lists. */
const struct cmd	*cmd_table(size_t *n);
/* The one-line summary. */
const char		*cmd_summary(const struct cmd *);
/* "usage: <usage>" on fp. */
void			 cmd_usage(const struct cmd *, FILE *fp);
/* Print usage and help on stdout (for -h). */
void			 cmd_help_print(const struct cmd *);
/*
 * Second-level commands (loco adapters install, loco router train): a
 * table per command, each with its own table of options.
 */
struct subcmd {
	const char	*name;
	struct error	*(*fn)(struct loco *, const struct subcmd *, int,
			    char *[]);
	const struct optspec *spec;
};

/* The subcommand tables, for struct cmd. */
const struct subcmd	*adapters_subcmds(size_t *n);
const struct subcmd	*router_subcmds(size_t *n);
const struct subcmd	*bench_subcmds(size_t *n);
const struct subcmd	*runs_subcmds(size_t *n);

/* Run argv[1] from the command's subcmds, with -h and the usage errors. */
struct error		*cmd_subcommand(struct loco *, const struct cmd *,
			    int argc, char *argv[]);
struct error		*sub_usage_error(const struct subcmd *,
			    const char *fmt, ...) PRINTFLIKE(2, 3);
/* Print a message and the usage on stderr; returns an EXIT_USAGE error. */
struct error		*cmd_usage_error(const struct cmd *, const char *fmt,
			    ...) PRINTFLIKE(2, 3);

/* $LOCO_HOME/adapters/installed.yaml; free it. */
char		*installed_path(void);
/*
 * The registry, loaded once (registry.path or the search order), with
 * the adapters installed from packages.
 */
struct error	*loco_registry(struct loco *, struct registry **);
/*
 * The GGUF file Ollama keeps for tag, from its manifest on disk
 * ($OLLAMA_MODELS, else ~/.ollama/models), or NULL; free it.
 */
char		*ollama_blob(const char *tag);
/* An Ollama client for backend.host (model management). */
struct error	*loco_client(struct loco *, struct ollama **);
/* The backend that answers: backend.type at backend.host (backend.h). */
struct error	*loco_backend(struct loco *, struct backend **);
struct tool_settings;
/* Tool options of query, chat and eval. */
struct tool_flags {
	int		 no_tools;	/* --no-tools */
	int		 unsafe;	/* --unsafe-tools */
	unsigned	 given;		/* --tools: TOOL_* bits; 0: the adapter's */
	int		 checked;	/* the sandbox was found fit */
};
/*
 * The tools of adapter a (NULL: the base, which has none) into ts, or
 * those --tools gives (in the adapter's form when it has tools, else the
 * server's native calling); none with --no-tools.  When there are some,
 * the sandbox must meet sandbox.require (EXIT_SANDBOX naming
 * --unsafe-tools), or with --unsafe-tools the calls run in the sandbox
 * there is, said on stderr unless quiet.  The sandbox is checked once.
 */
struct error	*loco_tools(struct loco *, const struct adapter *a,
		    struct tool_flags *, int quiet, struct tool_settings *ts);
/*
 * While answers wait for their first byte, "waiting for the model (12s)"
 * on stderr, when it takes progress lines and quiet is 0 (--quiet, --json
 * and output for scripts pass 1).
 */
void		 loco_show_waits(struct loco *, struct backend *, int quiet);
/*
 * Join argv into one question, or read it from stdin when it is "-".
 * Errors when the question is empty.
 */
struct error	*loco_question(const struct cmd *, int argc, char *argv[],
		    char **question);
/*
 * An answer streamed as it arrives (query, chat): text to stdout, a
 * thinking model's thoughts to stderr between "Thinking..." and
 * "...done thinking." (unless quiet).  Zero it, set quiet, feed it the
 * pieces, then end it once: that ends the thoughts and the answer's line.
 */
struct answer_out {
	int	 quiet;
	int	 in_thinking;
	int	 printed;	/* answer bytes written */
	char	 last;		/* the last one */
};

struct error	*answer_piece(struct answer_out *, const char *content,
		    size_t clen, const char *thinking, size_t tlen);
void		 answer_end(struct answer_out *);

/* Write to stdout; on failure remember it for the final check. */
int		 loco_write(const void *, size_t);
extern int	 loco_write_failed;
extern int	 loco_write_errno;
/*
 * --json: render the builder (pretty, with a final newline) on stdout
 * through loco_write and free it.  The shapes are in loco-json(7).
 */
struct jout;
void		 loco_print_json(struct jout *);

struct error	*cmd_query(struct loco *, int, char *[]);
extern const struct optspec query_spec;
struct error	*cmd_chat(struct loco *, int, char *[]);
extern const struct optspec chat_spec;
struct error	*cmd_route(struct loco *, int, char *[]);
extern const struct optspec route_spec;
struct error	*cmd_router(struct loco *, int, char *[]);
extern const struct optspec router_spec;
/* loco router eval (cmd_router_eval.c), in router's table. */
struct error	*cmd_router_eval(struct loco *, const struct subcmd *, int,
		    char *[]);
extern const struct optspec router_eval_spec;
struct error	*cmd_adapters(struct loco *, int, char *[]);
extern const struct optspec adapters_spec;
struct error	*cmd_config(struct loco *, int, char *[]);
extern const struct optspec config_spec;
struct error	*cmd_version(struct loco *, int, char *[]);
extern const struct optspec version_spec;
struct error	*cmd_help(struct loco *, int, char *[]);
extern const struct optspec help_spec;
struct error	*cmd_setup(struct loco *, int, char *[]);
extern const struct optspec setup_spec;
struct error	*cmd_doctor(struct loco *, int, char *[]);
extern const struct optspec doctor_spec;
struct error	*cmd_modelfile(struct loco *, int, char *[]);
extern const struct optspec modelfile_spec;
struct error	*cmd_bench(struct loco *, int, char *[]);
extern const struct optspec bench_spec;
struct error	*cmd_eval(struct loco *, int, char *[]);
extern const struct optspec eval_spec;
struct error	*cmd_leaderboard(struct loco *, int, char *[]);
extern const struct optspec leaderboard_spec;
struct error	*cmd_report(struct loco *, int, char *[]);
extern const struct optspec report_spec;
struct error	*cmd_completion(struct loco *, int, char *[]);
extern const struct optspec completion_spec;
struct error	*cmd_complete(struct loco *, int, char *[]);
extern const struct optspec complete_spec;
struct error	*cmd_history(struct loco *, int, char *[]);
extern const struct optspec history_spec;
struct error	*cmd_runs(struct loco *, int, char *[]);
extern const struct optspec runs_spec;
struct error	*cmd_serve(struct loco *, int, char *[]);
extern const struct optspec serve_spec;
/*
 * What loco serve would load (cmd_serve.c): the binary, the base and every
 * active LoRA adapter, each GGUF checked.
 */
struct serve_state;
struct error	*serve_plan(struct loco *, struct serve_state *);
/* The first line of `BINARY --version`, without "version: ". */
struct error	*serve_binary_version(const char *binary, char **version);
/* loco setup for the llama-server backend (cmd_serve.c). */
struct error	*serve_setup(struct loco *, int quiet);

/* The router router.type asks for (router_open), its notice on stderr. */
struct router;
struct error	*loco_router(struct loco *, struct registry *,
		    struct router **, int quiet);

/* Shared by query and route: the route in words and as JSON. */
struct route_result;
struct jout;
void		 route_describe_json(struct jout *, const struct route_result *);

#endif
