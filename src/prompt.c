/* prompt.c: template rendering and the RE2 prompt. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prompt.h"
#include "strbuf.h"
#include "banned.h"

#define TEMPLATE_MAX (64u * 1024)

struct error *
template_render(const char *what, const char *tmpl, const struct tvar *vars,
    size_t nvars, char **out)
{
	struct strbuf sb;
	const char *p = tmpl, *end;
	size_t i, len;

	*out = NULL;
	strbuf_init(&sb, 0);
	while (*p != '\0') {
		if (p[0] == '{' && p[1] == '{') {
			strbuf_addch(&sb, '{');
			p += 2;
			continue;
		}
		if (p[0] == '}' && p[1] == '}') {
			strbuf_addch(&sb, '}');
			p += 2;
			continue;
		}
		if (*p == '}') {
			strbuf_release(&sb);
			return error_new(EXIT_CONFIG, "template %s: offset %zu: "
			    "stray '}' (write '}}' for a literal brace)", what,
			    (size_t)(p - tmpl));
		}
		if (*p != '{') {
			len = strcspn(p, "{}");
			strbuf_add(&sb, p, len);
			p += len;
			continue;
		}
		end = strchr(p, '}');
		len = end ? (size_t)(end - p - 1) : 0;
		if (end == NULL || memchr(p + 1, '{', len) != NULL) {
			strbuf_release(&sb);
			return error_new(EXIT_CONFIG, "template %s: offset %zu: "
			    "unclosed '{' (write '{{' for a literal brace)",
			    what, (size_t)(p - tmpl));
		}
		for (i = 0; i < nvars; i++)
			if (strlen(vars[i].name) == len &&
			    memcmp(vars[i].name, p + 1, len) == 0)
				break;
		if (i == nvars) {
			char *name = xstrndup(p + 1, len);
			char *clean = str_sanitize(name, 40);
			struct error *err = error_new(EXIT_CONFIG, "template "
			    "%s: offset %zu: unknown variable '{%s}'", what,
			    (size_t)(p - tmpl), clean);
			free(clean);
			free(name);
			strbuf_release(&sb);
			return err;
		}
		strbuf_addstr(&sb, vars[i].value ? vars[i].value : "");
		p = end + 1;
	}
	*out = strbuf_detach(&sb, NULL);
	return NULL;
}

/* Read an override template; *text NULL when the file does not exist. */
static struct error *
read_template(const char *path, char **text)
{
	FILE *fp;
	struct strbuf sb;
	char buf[4096];
	size_t n;

	*text = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return NULL;
		return error_new(EXIT_CONFIG, "cannot open template '%s': %s",
		    path, strerror(errno));
	}
	strbuf_init(&sb, TEMPLATE_MAX);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (strbuf_add(&sb, buf, n) == -1) {
			fclose(fp);
			strbuf_release(&sb);
			return error_new(EXIT_CONFIG, "template '%s' is larger "
			    "than %u bytes", path, TEMPLATE_MAX);
		}
	fclose(fp);
	/* An editor's final newline is not part of the prompt. */
	while (sb.len > 0 && sb.buf[sb.len - 1] == '\n')
		strbuf_setlen(&sb, sb.len - 1);
	*text = strbuf_detach(&sb, NULL);
	return NULL;
}

struct error *
prompt_build(const struct registry *reg, const struct adapter *a,
    const char *question, int reread, const char *system_override,
    struct prompt *pr)
{
	struct tvar vars[3];
	struct error *err;
	char *path = NULL, *text = NULL;
	const char *file = reread ? "re2.txt" : "plain.txt";

	memset(pr, 0, sizeof(*pr));
	if (reg != NULL && reg->dir != NULL) {
		path = xasprintf("%s/templates/%s", reg->dir, file);
		if ((err = read_template(path, &text)) != NULL) {
			free(path);
			return err;
		}
	}
	vars[0].name = "question";
	vars[0].value = question;
	vars[1].name = "domain";
	vars[1].value = a ? a->domain : "";
	vars[2].name = "adapter";
	vars[2].value = a ? a->name : "";
	err = template_render(text ? path : (reread ? "re2 (built in)" :
	    "plain (built in)"), text ? text : (reread ? PROMPT_RE2_DEFAULT :
	    PROMPT_PLAIN_DEFAULT), vars, 3, &pr->user);
	free(text);
	free(path);
	if (err != NULL)
		return err;
	if (system_override != NULL)
		pr->system = *system_override ? xstrdup(system_override) : NULL;
	else if (a != NULL && a->system != NULL)
		pr->system = xstrdup(a->system);
	return NULL;
}

void
prompt_release(struct prompt *pr)
{
	free(pr->system);
	free(pr->user);
	memset(pr, 0, sizeof(*pr));
}
