/*
 * opt.h: one table of options per command, as git's parse-options and
 * tmux's command entries.  From the table come the parsing (getopt_long
 * underneath), the usage lines (word for word loco(1)'s SYNOPSIS), -h's
 * list of options and operands, the shell completion of options and their
 * values (complete.c), and "did you mean" for a mistyped option.
 *
 * A command or subcommand has one struct optspec:
 *
 *	static const struct opt opts[] = {
 *		{ "json", 0, O_JSON, OPT_FLAG, NULL, "print JSON" },
 *		{ "seed", 0, 0, OPT_VALUE, "n", "sampling seed",
 *		  .key = "options.seed" },
 *	};
 *	static const struct opt_form forms[] = { { NULL, NULL, "question" } };
 *	const struct optspec query_spec = OPTSPEC("query", "route ...",
 *	    opts, forms, operands);
 *
 * and parses with
 *
 *	opt_init(&p, lc, &query_spec, argc, argv);
 *	while ((id = opt_next(&p)) > 0)
 *		switch (id) { case O_JSON: json = 1; break; }
 *	if (id < 0)
 *		return opt_end(&p);	// an error, or NULL after -h
 *	argc = p.argc; argv = p.argv;	// the operands
 *
 * An option with a key sets that configuration key from its value itself
 * (a bad value is a usage error naming the option) and is not returned
 * unless it has an id; one with OC_WORDS only takes one of its words.
 */
#ifndef LOCO_OPT_H
#define LOCO_OPT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

struct loco;

enum opt_value {
	OPT_FLAG,	/* --json */
	OPT_VALUE,	/* --seed n, --seed=n */
	OPT_MAYBE	/* --ensemble[=names]: the value only after '=' */
};

/* What an option's value or an operand is, for completion. */
enum opt_complete {
	OC_NONE,	/* free text: nothing to offer */
	OC_FILE,
	OC_DIR,
	OC_ADAPTER,	/* a registry adapter (and auto, none for --adapter) */
	OC_DOMAIN,
	OC_COMMAND,	/* a loco command */
	OC_KEY,		/* a configuration key */
	OC_WORDS,	/* one of .words, and nothing else is accepted */
	OC_BACKEND,	/* a server of config.yaml's backends, or a type */
	OC_RUN		/* an eval run id or directory */
};

/* Usage: "[--think | --no-think]" with the next entry. */
#define OPT_PAIR	0x01u
/*
 * Required: written without brackets; its absence is a usage error.  On
 * the first of a pair, one of the pair is required: "--a x | --b y".
 */
#define OPT_MUST	0x02u
/* Repeatable (noted in -h). */
#define OPT_REPEAT	0x04u
/* Parsed but not shown in the usage line (-h lists it). */
#define OPT_NOUSAGE	0x08u

struct opt {
	const char		*name;		/* "adapter"; NULL: short only */
	int			 letter;	/* 'n' for -n, or 0 */
	int			 id;		/* > 0: what opt_next returns */
	enum opt_value		 value;
	const char		*meta;		/* the value's name: "name" */
	const char		*help;		/* for -h, wrapped when printed */
	enum opt_complete	 complete;
	const char		*words;		/* OC_WORDS: "table json" */
	const char		*key;		/* a configuration key it sets */
	unsigned		 flags;		/* OPT_* */
	const char		*set;		/* a flag: the value for key */
};

/*
 * One usage line: lead words (a subcommand's name is added before them),
 * the options named in only (blank-separated long names or letters;
 * NULL: every option without OPT_NOUSAGE, "": none) in the table's order,
 * then the operands as written: "question", "[name ...]", "bash | zsh".
 */
struct opt_form {
	const char	*lead;		/* "--oracle", "show", or NULL */
	const char	*only;
	const char	*args;
};

/* An operand as -h describes it and completion offers it. */
struct opt_operand {
	const char		*meta;		/* "question", as forms write it */
	const char		*help;
	enum opt_complete	 complete;
	const char		*words;
};

struct optspec {
	const char			*name;	/* "query", "adapters install" */
	const char			*summary;
	const struct opt		*opts;
	size_t				 nopts;
	const struct opt_form		*forms;
	size_t				 nforms;
	const struct opt_operand	*operands;
	size_t				 noperands;
	const char			*epilog;	/* -h's last lines, or NULL */
	unsigned			 flags;		/* OPTSPEC_* */
};

/*
 * Options end at the first operand (getopt's '+'): loco's own options,
 * before the command.  The spec's name is then "" (usage "loco ...").
 */
#define OPTSPEC_IN_ORDER	0x01u

#define OPT_NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define OPTSPEC(name, summary, opts, forms, operands) \
	{ (name), (summary), (opts), OPT_NELEM(opts), (forms), \
	  OPT_NELEM(forms), (operands), OPT_NELEM(operands), NULL }

/*
 * A table with its own "help" entry (letter 'h') gets -h and --help back
 * as that entry's id instead of opt_help's text.
 */

/* The ids of the options several commands share (opt_shared_*). */
enum {
	O_TOOLS = 1000, O_NO_TOOLS, O_UNSAFE_TOOLS
};

/*
 * Entries for the table of a command that runs tools: --no-tools, --tools
 * and --unsafe-tools together, or each where the table's order puts it.
 */
#define OPT_TOOL_NO \
	{ "no-tools", 0, O_NO_TOOLS, OPT_FLAG, NULL, \
	  "run no tool calls, even the adapter's" }
#define OPT_TOOL_GIVEN \
	{ "tools", 0, O_TOOLS, OPT_VALUE, "names", \
	  "tools the model may call (python, sympy), in place of the " \
	  "adapter's", OC_NONE, NULL, NULL, 0 }
#define OPT_TOOL_UNSAFE \
	{ "unsafe-tools", 0, O_UNSAFE_TOOLS, OPT_FLAG, NULL, \
	  "run tool calls even in a sandbox that lacks what " \
	  "sandbox.require asks for", OC_NONE, NULL, NULL, 0 }
#define OPT_TOOL_ENTRIES	OPT_TOOL_NO, OPT_TOOL_GIVEN, OPT_TOOL_UNSAFE

struct optparse {
	const struct optspec	*spec;
	struct loco		*lc;
	int			 argc;	/* after the options: the operands */
	char			**argv;
	const char		*arg;	/* the value of the option returned */
	struct error		*err;
	int			 done;
	/* internal */
	int			 in_argc;
	char			**in_argv;
	void			*longs;
	char			*shorts;
	unsigned char		*seen;
};

void		 opt_init(struct optparse *, struct loco *,
		    const struct optspec *, int argc, char *argv[]);
/*
 * The next option's id (its value in p->arg), 0 when the operands begin
 * (p->argc, p->argv), -1 when parsing stops: -h was printed (p->err NULL)
 * or a usage error (p->err).  Options with a key and no id are applied
 * and skipped.
 */
int		 opt_next(struct optparse *);
/*
 * The parser's error (NULL after -h or success), released: call it when
 * opt_next returned -1, or to stop early (set p->err first if need be).
 */
struct error	*opt_end(struct optparse *);

/* "usage: " and every usage line of spec, on fp. */
void		 opt_usage(const struct optspec *, FILE *fp);
/* One usage line of spec (form i) without "usage: "; free it. */
char		*opt_usage_line(const struct optspec *, size_t form);
/* -h: the usage lines, the summary, the options and operands, on stdout. */
void		 opt_help(const struct optspec *);
/* The option and operand list of -h on fp (no usage, no summary). */
void		 opt_help_list(const struct optspec *, FILE *fp);
/* "loco: MESSAGE" and a newline on stderr. */
void		 opt_vmessage(const char *fmt, va_list ap) PRINTFLIKE(1, 0);
/* Print a message and spec's usage on stderr; an EXIT_USAGE error. */
struct error	*opt_usage_error(const struct optspec *, const char *fmt, ...)
		    PRINTFLIKE(2, 3);
/* The option named "--name" or "-n", or NULL. */
const struct opt *opt_find(const struct optspec *, const char *arg);
/* "--name" or "-n" of an option, in buf. */
const char	*opt_label(const struct opt *, char *buf, size_t size);
/* Whether word is one of the blank-separated words. */
int		 opt_word_in(const char *words, const char *word);

/*
 * --tools, --no-tools, --unsafe-tools into tf (struct tool_flags of
 * cmd.h): 1 when id was one of them (p->err set on a bad value), else 0.
 */
struct tool_flags;
int		 opt_tool_flag(struct optparse *, int id,
		    struct tool_flags *tf);

#endif
