/*
 * complete.h: what may come next on a loco command line, for the shell
 * completion that 'loco completion' installs.  Nothing is listed by hand:
 * the command table gives the commands, each command's table of options
 * (opt.h) its options with their help, its subcommands (from their own
 * tables) and its operands, and each option's or operand's completion
 * kind what its values are: files, directories, one of its words, the
 * configuration keys, the commands, or the choices of the configuration
 * key an option sets.  What the tables cannot know, the adapters, domains,
 * backends and runs, comes from a callback that is asked only when they
 * are wanted.
 */
#ifndef LOCO_COMPLETE_H
#define LOCO_COMPLETE_H

#include <stddef.h>

enum complete_kind {
	COMPLETE_WORDS,		/* the candidates in words[] */
	COMPLETE_FILES,		/* file names, which the shell lists */
	COMPLETE_DIRS		/* directory names */
};

/* What the callback is asked for. */
enum complete_want {
	COMPLETE_ADAPTERS,	/* adapter names (name@version after an @) */
	COMPLETE_DOMAINS,
	COMPLETE_BACKENDS,	/* the servers of config.yaml's backends */
	COMPLETE_RUNS		/* the ids of the eval runs */
};

struct complete {
	enum complete_kind	 kind;
	/* The text being completed: candidates start with it. */
	char			*prefix;
	char			**words;
	char			**descs;	/* a NULL entry: none */
	size_t			 n;
	size_t			 alloc;
	/* The value of --registry before the command, or NULL. */
	char			*registry;
};

typedef void (*complete_fn)(struct complete *, enum complete_want,
	    void *arg);

/*
 * Fill c for words, the command line after "loco" up to the cursor: the
 * last word is the one being completed ("" for a new one).  An option's
 * value may be joined to it by "=", in one word or, as bash splits it, as
 * "--opt" "=" "value"; the candidates are then for the value alone.
 * fn adds the adapters, domains, backends or runs with complete_add().
 * A command without a table of options completes nothing after its name.
 */
void	complete_line(struct complete *, char *const words[], size_t n,
	    complete_fn fn, void *arg);
/* Add a candidate if it starts with c->prefix and is not there yet. */
void	complete_add(struct complete *, const char *word, const char *desc);
void	complete_release(struct complete *);

#endif
