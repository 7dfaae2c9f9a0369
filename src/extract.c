/* extract.c: answer extraction with PCRE2 (see extract.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "strbuf.h"
#include "banned.h"

/*
 * A number as people write it: sign, currency, thousands separators,
 * decimals, a fraction, a percent sign; never inside a word ("x2", "3rd").
 */
#define NUM "(?:[-\xe2\x88\x92]\\s?)?[$\xe2\x82\xac\xc2\xa3]?\\s?" \
	"(?:(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|\\.\\d+)" \
	"(?:\\s*/\\s*\\d+(?:\\.\\d+)?)?(?:\\s?%)?"
#define NUMTOK "(?<![\\w.,])(" NUM ")(?!\\w)"

enum {
	P_ANSWER_IS, P_BOXED, P_HASHES, P_FINAL_EQ, P_FINAL_NUM, P_ANY_NUM,
	P_CHOICE_IS, P_CHOICE_LINE, P_CHOICE_PAREN, P_CHOICE_ALONE, P_FENCE,
	P_TEXT_IS, NPATTERNS
};

static const char *const sources[NPATTERNS] = {
	[P_ANSWER_IS] = "(?i)answer\\s*(?:is|:|=)\\s*:?\\s*[*_]*\\s*" NUMTOK,
	[P_BOXED] = "\\\\boxed\\{((?:[^{}]|\\{[^{}]*\\})*)\\}",
	[P_HASHES] = "####\\s*" NUMTOK,
	[P_FINAL_EQ] = "=\\s*" NUMTOK "\\s*[.!]?\\s*$",
	[P_FINAL_NUM] = "^\\s*[*_]*" NUMTOK "[*_]*\\s*[.!]?\\s*$",
	[P_ANY_NUM] = NUMTOK,
	/* Only the keyword ignores case: "answer is a prime" is no choice. */
	[P_CHOICE_IS] = "(?i:answer\\s*(?:is|:))\\s*[*_]*\\s*\\(?([A-E])\\)?(?![A-Za-z])",
	[P_CHOICE_LINE] = "^\\s*[*_]*\\(?([A-E])[).:]",
	[P_CHOICE_PAREN] = "\\(([A-E])\\)",
	[P_CHOICE_ALONE] = "^\\s*[*_]*\\(?([A-E])\\)?[*_]*\\s*[.!]?\\s*$",
	[P_FENCE] = "(?s)```[^\\n]*\\n(.*?)```",
	[P_TEXT_IS] = "(?is)(?:final\\s+)?answer\\s*(?:is|:)\\s*:?(.*)$",
};

struct extractor {
	enum answer_type	 type;
	pcre2_code		*user;		/* ANSWER_REGEX */
};

static pcre2_code	*compiled[NPATTERNS];

static const char *const type_names[] = {
	[ANSWER_NUMBER] = "number", [ANSWER_CHOICE] = "choice",
	[ANSWER_REGEX] = "regex", [ANSWER_CODE] = "code", [ANSWER_TEXT] = "text",
};

int
answer_type_parse(const char *s, enum answer_type *t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(type_names); i++)
		if (strcmp(s, type_names[i]) == 0) {
			*t = (enum answer_type)i;
			return 0;
		}
	return -1;
}

const char *
answer_type_name(enum answer_type t)
{
	return type_names[t];
}

/* The flags of a pattern from a benchmark or an adapter. */
#define USER_FLAGS	PCRE2_MULTILINE

static pcre2_code *
compile_nojit(const char *src, uint32_t flags, int *code, PCRE2_SIZE *off)
{
	return pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
	    flags | PCRE2_UTF | PCRE2_UCP, code, off, NULL);
}

static char *
compile_message(int code, PCRE2_SIZE off)
{
	PCRE2_UCHAR msg[256];

	pcre2_get_error_message(code, msg, sizeof(msg));
	return xasprintf("offset %zu: %s", (size_t)off, (char *)msg);
}

static pcre2_code *
compile(const char *src, uint32_t flags, struct error **err)
{
	pcre2_code *re;
	int code;
	PCRE2_SIZE off;
	char *msg;

	if ((re = compile_nojit(src, flags, &code, &off)) == NULL) {
		msg = compile_message(code, off);
		*err = error_new(EXIT_CONFIG, "bad answer pattern '%s': %s",
		    src, msg);
		free(msg);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

struct error *
extract_pattern_check(const char *pattern)
{
	struct error *err;
	pcre2_code *re;
	int code;
	PCRE2_SIZE off;
	char *msg;

	if ((re = compile_nojit(pattern, USER_FLAGS, &code, &off)) != NULL) {
		pcre2_code_free(re);
		return NULL;
	}
	msg = compile_message(code, off);
	err = error_new(EXIT_CONFIG, "%s", msg);
	free(msg);
	return err;
}

static pcre2_code *
builtin(int which)
{
	struct error *err = NULL;

	if (compiled[which] == NULL) {
		uint32_t flags = which == P_FINAL_EQ || which == P_FINAL_NUM ||
		    which == P_CHOICE_LINE || which == P_CHOICE_ALONE ?
		    0 : PCRE2_MULTILINE;

		compiled[which] = compile(sources[which], flags, &err);
		if (compiled[which] == NULL)
			fatal("built-in pattern %d: %s", which, err->msg);
	}
	return compiled[which];
}

struct error *
extractor_new(enum answer_type t, const char *pattern, struct extractor **out)
{
	struct extractor *x;
	struct error *err = NULL;

	*out = NULL;
	x = xcalloc(1, sizeof(*x));
	x->type = t;
	if (t == ANSWER_REGEX) {
		if (pattern == NULL || *pattern == '\0') {
			free(x);
			return error_new(EXIT_CONFIG, "answer type regex needs a "
			    "pattern");
		}
		if ((x->user = compile(pattern, USER_FLAGS, &err)) ==
		    NULL) {
			free(x);
			return err;
		}
	}
	*out = x;
	return NULL;
}

void
extractor_free(struct extractor *x)
{
	if (x == NULL)
		return;
	pcre2_code_free(x->user);
	free(x);
}

enum answer_type
extractor_type(const struct extractor *x)
{
	return x->type;
}

/*
 * The last match of re in subject (or the first, if first is set): the
 * text of group 1 when the pattern has one, else the whole match.
 */
static char *
match(pcre2_code *re, const char *subject, int first)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	PCRE2_SIZE len = strlen(subject), start = 0, *ov;
	uint32_t ngroups = 0;
	char *found = NULL;
	int rc, g;

	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ngroups);
	g = ngroups > 0 ? 1 : 0;
	while (start <= len && (rc = pcre2_match(re, (PCRE2_SPTR)subject, len,
	    start, 0, md, NULL)) > 0) {
		ov = pcre2_get_ovector_pointer(md);
		free(found);
		if (rc > g && ov[2 * g] != PCRE2_UNSET)
			found = xstrndup(subject + ov[2 * g],
			    ov[2 * g + 1] - ov[2 * g]);
		else
			found = xstrdup("");
		if (first)
			break;
		/* Step past an empty match without splitting a character. */
		if (ov[1] == ov[0]) {
			start = ov[1] + 1;
			while (start < len &&
			    ((unsigned char)subject[start] & 0xc0) == 0x80)
				start++;
		} else
			start = ov[1];
	}
	pcre2_match_data_free(md);
	return found;
}

char *
strip_thinking(const char *response)
{
	struct strbuf sb;
	const char *p = response, *open, *close;

	strbuf_init(&sb, 0);
	/*
	 * A thinking-only model asked not to think reasons anyway, and
	 * Ollama puts the reasoning, a lone "</think>" and the answer in the
	 * content: everything up to that tag is reasoning.
	 */
	close = strstr(p, "</think>");
	open = strstr(p, "<think>");
	if (close != NULL && (open == NULL || close < open)) {
		p = close + strlen("</think>");
		p += strspn(p, " \t\r\n");
	}
	while ((open = strstr(p, "<think>")) != NULL) {
		strbuf_add(&sb, p, (size_t)(open - p));
		if ((close = strstr(open, "</think>")) == NULL) {
			p = open + strlen(open);
			break;
		}
		p = close + strlen("</think>");
	}
	strbuf_addstr(&sb, p);
	return strbuf_detach(&sb, NULL);
}

/* Copy s without the characters in drop. */
static char *
without(const char *s, const char *drop)
{
	char *out = xmalloc(strlen(s) + 1), *q = out;

	for (; *s != '\0'; s++)
		if (strchr(drop, *s) == NULL)
			*q++ = *s;
	*q = '\0';
	return out;
}

int
number_parse(const char *text, double *value)
{
	char *s, *p, *end, *slash;
	double v, den;
	int neg = 0, any = 0;

	/* \frac{a}{b} and \dfrac{a}{b} */
	if ((p = strstr(text, "frac{")) != NULL) {
		char *a = NULL, *b = NULL;
		const char *q = p + 5, *r;
		int ok;

		if ((r = strchr(q, '}')) != NULL && r[1] == '{') {
			a = xstrndup(q, (size_t)(r - q));
			q = r + 2;
			if ((r = strchr(q, '}')) != NULL)
				b = xstrndup(q, (size_t)(r - q));
		}
		ok = a && b && number_parse(a, &v) == 0 &&
		    number_parse(b, &den) == 0 && den != 0;
		free(a);
		free(b);
		if (!ok)
			return -1;
		v /= den;
		if (!isfinite(v))
			return -1;
		*value = (strstr(text, "-") && strstr(text, "-") < p) ? -v : v;
		return 0;
	}
	s = without(text, " ,$%\t\n");
	p = s;
	/* The euro and pound signs, and U+2212 MINUS SIGN. */
	if (str_startswith(p, "\xe2\x88\x92")) {
		neg = 1;
		p += 3;
	} else if (*p == '-') {
		neg = 1;
		p++;
	} else if (*p == '+')
		p++;
	if (str_startswith(p, "\xe2\x82\xac"))
		p += 3;
	else if (str_startswith(p, "\xc2\xa3"))
		p += 2;
	for (end = p; *end != '\0'; end++)
		if (isdigit((unsigned char)*end))
			any = 1;
	if (!any || *p == '-' || *p == '+') {
		free(s);
		return -1;
	}
	if ((slash = strchr(p, '/')) != NULL) {
		*slash = '\0';
		if (parse_double(p, -HUGE_VAL, HUGE_VAL, &v) == -1 ||
		    parse_double(slash + 1, -HUGE_VAL, HUGE_VAL, &den) == -1 ||
		    den == 0) {
			free(s);
			return -1;
		}
		v /= den;
		if (!isfinite(v)) {
			free(s);
			return -1;
		}
	} else if (parse_double(p, -HUGE_VAL, HUGE_VAL, &v) == -1) {
		free(s);
		return -1;
	}
	free(s);
	*value = neg ? -v : v;
	return 0;
}

/* 2^53: every whole number below it is a double, exactly. */
#define WHOLE_MAX 9007199254740992.0

static int
is_whole(double v)
{
	return isfinite(v) && v == trunc(v);
}

char *
number_canonical(double v)
{
	char buf[64];

	if (v == 0)
		v = 0;	/* no "-0" */
	/*
	 * Whole numbers in full, so that 12345678901 and 12345678902 stay
	 * two answers; the rest to what a double holds, so that rounding
	 * never makes a number whole (12345678901.5 is no 12345678900).
	 */
	if (is_whole(v) && fabs(v) < WHOLE_MAX)
		snprintf(buf, sizeof(buf), "%.0f", v);
	else
		snprintf(buf, sizeof(buf), "%.15g", v);
	return xstrdup(buf);
}

/* Canonical number from a matched piece of text, or NULL. */
static char *
canonical_number(const char *text)
{
	double v;

	if (text == NULL || number_parse(text, &v) == -1)
		return NULL;
	return number_canonical(v);
}

static char *
last_line(const char *s)
{
	size_t len = strlen(s), end;

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	end = len;
	while (len > 0 && s[len - 1] != '\n')
		len--;
	return xstrndup(s + len, end - len);
}

static char *
extract_number(const char *s)
{
	static const int order[] = { P_ANSWER_IS, P_BOXED, P_HASHES };
	char *m, *c, *line;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		m = match(builtin(order[i]), s, 0);
		c = canonical_number(m);
		free(m);
		if (c != NULL)
			return c;
	}
	line = last_line(s);
	m = match(builtin(P_FINAL_EQ), line, 0);
	if (m == NULL)
		m = match(builtin(P_FINAL_NUM), line, 0);
	free(line);
	c = canonical_number(m);
	free(m);
	if (c != NULL)
		return c;
	m = match(builtin(P_ANY_NUM), s, 0);
	c = canonical_number(m);
	free(m);
	return c;
}

static char *
extract_choice(const char *s)
{
	char *m, *line;

	if ((m = match(builtin(P_CHOICE_IS), s, 0)) != NULL)
		return m;
	line = last_line(s);
	m = match(builtin(P_CHOICE_LINE), line, 1);
	free(line);
	if (m != NULL)
		return m;
	if ((m = match(builtin(P_CHOICE_PAREN), s, 0)) != NULL)
		return m;
	return match(builtin(P_CHOICE_ALONE), s, 1);
}

static char *
tidy_code(const char *code)
{
	struct strbuf sb;
	const char *p = code, *nl;
	size_t len;

	strbuf_init(&sb, 0);
	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		strbuf_add(&sb, p, len);
		strbuf_addch(&sb, '\n');
		p = nl ? nl + 1 : p + strlen(p);
	}
	while (sb.len > 0 && sb.buf[sb.len - 1] == '\n')
		strbuf_setlen(&sb, sb.len - 1);
	/* Leading blank lines carry nothing either. */
	len = strspn(sb.buf, "\n");
	strbuf_remove_front(&sb, len);
	if (sb.len == 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

static char *
normalise_text(const char *s)
{
	struct strbuf sb;
	const char *p;
	int space = 0;
	size_t start, end;

	strbuf_init(&sb, 0);
	for (p = s; *p != '\0'; p++) {
		if (isspace((unsigned char)*p)) {
			space = sb.len > 0;
			continue;
		}
		if (space)
			strbuf_addch(&sb, ' ');
		space = 0;
		strbuf_addch(&sb, tolower((unsigned char)*p));
	}
	start = 0;
	end = sb.len;
	while (start < end && ispunct((unsigned char)sb.buf[start]))
		start++;
	while (end > start && ispunct((unsigned char)sb.buf[end - 1]))
		end--;
	if (start == end) {
		strbuf_release(&sb);
		return NULL;
	}
	p = xstrndup(sb.buf + start, end - start);
	strbuf_release(&sb);
	return (char *)p;
}

char *
extractor_run(const struct extractor *x, const char *response)
{
	char *s = strip_thinking(response), *m, *out = NULL;

	switch (x->type) {
	case ANSWER_NUMBER:
		out = extract_number(s);
		break;
	case ANSWER_CHOICE:
		out = extract_choice(s);
		break;
	case ANSWER_REGEX:
		out = match(x->user, s, 0);
		break;
	case ANSWER_CODE:
		/* Unfenced, the whole reply is the code: trim its margins. */
		m = match(builtin(P_FENCE), s, 1);
		out = tidy_code(m ? m : s + strspn(s, " \t\r\n"));
		free(m);
		break;
	case ANSWER_TEXT:
		m = match(builtin(P_TEXT_IS), s, 0);
		out = normalise_text(m && *m ? m : s);
		free(m);
		break;
	}
	free(s);
	return out;
}

int
number_equal(double x, double y, double tol)
{
	double d = fabs(x - y);

	/*
	 * Counts and amounts are exact: a relative tolerance of 1e-6 would
	 * take 1450001 for 1450000.  It is for what is not whole (0.1 + 0.2
	 * against 0.3, 1/3 written to six places).
	 */
	if (is_whole(x) && is_whole(y))
		return x == y;
	if (tol < 0)
		tol = NUMBER_TOLERANCE;
	return d <= 1e-9 || d <= tol * fmax(fabs(x), fabs(y));
}

int
answers_equal(enum answer_type t, const char *a, const char *b, double tol)
{
	double x, y;

	if (t == ANSWER_NUMBER && parse_double(a, -HUGE_VAL, HUGE_VAL, &x) == 0
	    && parse_double(b, -HUGE_VAL, HUGE_VAL, &y) == 0)
		return number_equal(x, y, tol);
	return strcmp(a, b) == 0;
}
