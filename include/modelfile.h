/*
 * modelfile.h: Ollama Modelfiles, read and written.
 *
 * The parser follows Ollama's own (parser/parser.go) so that a file loco
 * accepts means the same thing to "ollama create":
 *   - instructions are case-insensitive: FROM, ADAPTER, PARAMETER, TEMPLATE,
 *     SYSTEM, MESSAGE, LICENSE, REQUIRES (Ollama's DRAFT, RENDERER and
 *     PARSER are recognised and refused: loco has nowhere to keep them);
 *   - '#' starts a comment only as the first non-blank character of a line
 *     outside a value;
 *   - a value runs to the end of the line and is trimmed; a value that
 *     starts with """ (or ") runs on, across lines, until a line that ends
 *     with """ (or ") after trailing white space; the quotes are removed and
 *     everything between them is kept as is, including a newline right
 *     after the opening quotes.  There are no escape sequences, so a """
 *     inside a value is only a problem at the end of a line;
 *   - PARAMETER name value: the name is case-sensitive letters, digits and
 *     '_'; repeated names (stop) accumulate in order;
 *   - MESSAGE role text with role system, user or assistant.
 * loco is stricter than Ollama where Ollama's leniency hides mistakes:
 * exactly one FROM, at most one ADAPTER, SYSTEM, TEMPLATE and REQUIRES,
 * and an instruction needs a value (an empty one must be written "").
 *
 * Errors have code EXIT_CONFIG and read "'PATH': line N: message".
 */
#ifndef LOCO_MODELFILE_H
#define LOCO_MODELFILE_H

#include <stddef.h>

#include "error.h"
#include "registry.h"

struct mf_message {
	char	*role;		/* system, user or assistant */
	char	*content;
};

struct modelfile {
	/*
	 * A model tag as written ("qwen3:4b"), or a resolved path when the
	 * value looks like one (starts with ./ ../ / or ~, or ends in .gguf)
	 * or names something that exists next to the Modelfile; then
	 * from_is_file is set.  Relative paths are resolved against the
	 * Modelfile's directory, ~ and ~user against home directories.
	 */
	char			*from;
	int			 from_is_file;
	char			*adapter;	/* resolved path or NULL */
	char			*system;	/* NULL if absent */
	char			*template_;
	char			*license;	/* several: blank line between */
	char			*requires;	/* Ollama version as written */
	struct param		*params;	/* in file order */
	size_t			 nparams;
	struct mf_message	*messages;
	size_t			 nmessages;
};

/*
 * Parse len bytes of text.  path names the file in messages and gives the
 * directory relative paths are resolved against; nothing is read from it.
 * On error *mf is left empty (released).
 */
struct error	*modelfile_parse(const char *path, const char *text,
		    size_t len, struct modelfile *mf);
/* Read and parse a file; a file that cannot be read is EXIT_FAIL. */
struct error	*modelfile_read(const char *path, struct modelfile *mf);
void		 modelfile_release(struct modelfile *mf);

/*
 * Can this adapter be written as a Modelfile?  Ollama has no escape
 * sequences, so a few values cannot be written at all: a system prompt
 * or parameter value holding a control character other than tab and
 * newline (Ollama would drop it), or a multi-line one in which a line
 * other than the last ends with """ (that line would end the value,
 * whatever the quoting).  Paths and tags cannot hold control characters
 * either.  Nor can a composition: Ollama applies one adapter per model.
 * The error (EXIT_CONFIG) names the adapter and the value.
 */
struct error	*modelfile_check(const struct registry *,
		    const struct adapter *);
/*
 * The canonical Modelfile for an adapter of the registry:
 *
 * # loco adapter NAME VERSION (TYPE): generated from the registry; do not edit
 *   FROM <base tag>		lora and prompt; merged: FROM <file>;
 *				tag: FROM <tag>
 *   ADAPTER <file>		lora only
 *   SYSTEM """<system>"""	if set
 *   PARAMETER <name> <value>	one per value, in registry order
 *
 * Files are written relative to the registry's directory ("./x.gguf")
 * when they are inside it, so the Modelfile belongs next to the registry.
 * SYSTEM always uses """.  Parameter values (and FROM, ADAPTER) are
 * written bare when they are printable ASCII without spaces and do not
 * start with a quote, else in " or """, whichever reads back right.
 * Reading the result with modelfile_parse() gives the same values.
 *
 * Returns NULL when modelfile_check() fails; call that first to say why.
 */
char		*modelfile_render(const struct registry *,
		    const struct adapter *);

#endif
