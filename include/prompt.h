/*
 * prompt.h: prompt templates and RE2 ("Re-Reading", Xu et al., EMNLP 2024).
 *
 * A template is text with {name} placeholders; "{{" and "}}" stand for
 * literal braces.  Variables: {question}, {domain}, {adapter}.  The default
 * RE2 template reads the question twice:
 *
 *     {question}
 *     Read the question again: {question}
 *
 * and the plain one (--no-reread) once.  A registry may override either
 * with a file in its directory: templates/re2.txt, templates/plain.txt.
 */
#ifndef LOCO_PROMPT_H
#define LOCO_PROMPT_H

#include <stddef.h>

#include "error.h"
#include "registry.h"

#define PROMPT_RE2_DEFAULT "{question}\nRead the question again: {question}"
#define PROMPT_PLAIN_DEFAULT "{question}"

struct tvar {
	const char	*name;
	const char	*value;
};

/*
 * Render tmpl with vars.  Errors (EXIT_CONFIG) name the template (what)
 * and the byte offset: an unknown variable, an unclosed '{', a stray '}'.
 */
struct error	*template_render(const char *what, const char *tmpl,
		    const struct tvar *vars, size_t nvars, char **out);

struct prompt {
	char	*system;	/* NULL: no system message */
	char	*user;
};

/*
 * Build the prompt for a question.  system_override (may be NULL) replaces
 * the adapter's system prompt; adapter may be NULL (base model).
 */
struct error	*prompt_build(const struct registry *, const struct adapter *,
		    const char *question, int reread,
		    const char *system_override, struct prompt *);
void		 prompt_release(struct prompt *);

#endif
