/* benchfile.c: benchmark files and importers (see benchfile.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchfile.h"
#include "config.h"
#include "extract.h"
#include "fsutil.h"
#include "json.h"
#include "package.h"
#include "registry.h"
#include "strbuf.h"
#include "strmap.h"
#include "banned.h"

#define BENCH_MAX (256u * 1024 * 1024)

static const char *const type_names[] = {
	[EVAL_EXACT] = "exact_match", [EVAL_CONTAINS] = "contains",
	[EVAL_CHOICE] = "multiple_choice", [EVAL_ROUGE] = "rouge_l",
	[EVAL_CODE] = "code_execution", [EVAL_JUDGE] = "llm_judge",
	[EVAL_CUSTOM] = "custom",
};

static const char *const case_keys[] = {
	"id", "instruction", "input", "expected_output", "evaluation_type",
	"evaluation_config", "difficulty", "tags", "question", "answer"
};

static const char *const eval_config_keys[] = {
	"answer_type", "extract_pattern", "normalize", "tolerance",
	"threshold", "substring", "language", "entry_point", "tests",
	"timeout", "rubric", "command", "scale"
};

const char *
eval_type_name(enum eval_type t)
{
	return type_names[t];
}

int
eval_type_parse(const char *s, enum eval_type *t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(type_names); i++)
		if (strcmp(s, type_names[i]) == 0) {
			*t = (enum eval_type)i;
			return 0;
		}
	return -1;
}

static void
case_release(struct bench_case *c)
{
	free(c->id);
	free(c->instruction);
	free(c->input);
	free(c->expected);
	free(c->answer_type);
	free(c->extract_pattern);
	free(c->normalize);
	free(c->substring);
	free(c->language);
	free(c->entry_point);
	free(c->tests);
	free(c->rubric);
	free(c->command);
	free(c->difficulty);
	strv_free(c->tags, c->ntags);
}

void
bench_free(struct bench *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		case_release(&b->cases[i]);
	free(b->cases);
	free(b->path);
	free(b);
}

struct where {
	const char	*path;
	long		 line;
};

static struct error *
field_error(const struct where *w, const char *field, const char *fmt, ...)
    PRINTFLIKE(3, 4);

static struct error *
field_error(const struct where *w, const char *field, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	struct error *err;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	err = error_new(EXIT_CONFIG, "cannot read benchmark '%s': line %ld: "
	    "%s%s%s%s", w->path, w->line, field ? "\"" : "", field ? field :
	    "", field ? "\": " : "", msg);
	free(msg);
	return err;
}

/*
 * A string member, required or not.  Answers may be written as numbers
 * ("expected_output": 42): those keys take a number as its text.
 */
static struct error *
get_string(const struct where *w, const struct json *obj, const char *key,
    int required, char **out)
{
	const struct json *v = json_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return field_error(w, key, "missing");
		return NULL;
	}
	if (json_is_string(v))
		*out = xstrdup(json_string(v));
	else if (json_is_number(v) && (strcmp(key, "expected_output") == 0 ||
	    strcmp(key, "answer") == 0)) {
		char buf[64];
		double d = json_number_or(v, 0);

		if (d == floor(d) && fabs(d) < 1e15)
			snprintf(buf, sizeof(buf), "%.0f", d);
		else
			snprintf(buf, sizeof(buf), "%.17g", d);
		*out = xstrdup(buf);
	} else
		return field_error(w, key, "expected a string");
	return NULL;
}

static struct error *
get_number(const struct where *w, const struct json *obj, const char *key,
    double min, double max, double *out)
{
	const struct json *v = json_get(obj, key);
	double d;

	*out = -1;
	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_number(v, &d) == -1 || d < min || d > max)
		return field_error(w, key, "expected a number from %g to %g",
		    min, max);
	*out = d;
	return NULL;
}

static struct error *
unknown_keys(const struct where *w, const struct json *obj,
    const char *const *keys, size_t n, const char *what)
{
	const struct json *it;
	const char *key;
	size_t i;

	JSON_FOREACH(it, obj) {
		key = json_key(it);
		for (i = 0; i < n; i++)
			if (key[0] == keys[i][0] && strcmp(key, keys[i]) == 0)
				break;
		if (i == n) {
			char *clean = str_sanitize(key, 60);
			struct error *err = field_error(w, NULL, "unknown "
			    "field '%s'%s", clean, what);
			free(clean);
			return err;
		}
	}
	return NULL;
}

static int
is_number_text(const char *s)
{
	double d;

	return parse_double(s, -HUGE_VAL, HUGE_VAL, &d) == 0;
}

/*
 * A pattern PCRE2 cannot compile is the benchmark's error, found before
 * any model is asked, not a wrong answer in every case that has it.
 */
static struct error *
check_pattern(const struct where *w, const char *pattern)
{
	struct error *perr, *err;
	char *clean;

	if (*pattern == '\0')
		return field_error(w, "extract_pattern", "must not be empty");
	if ((perr = extract_pattern_check(pattern)) == NULL)
		return NULL;
	clean = str_sanitize(pattern, 80);
	err = field_error(w, "extract_pattern", "invalid PCRE2 pattern '%s': "
	    "%s", clean, perr->msg);
	free(clean);
	error_free(perr);
	return err;
}

static struct error *
parse_config(const struct where *w, const struct json *cfg,
    struct bench_case *c)
{
	struct error *err;

	if (cfg == NULL || json_is_null(cfg))
		return NULL;
	if (!json_is_object(cfg))
		return field_error(w, "evaluation_config", "expected an object");
	if ((err = unknown_keys(w, cfg, eval_config_keys, ARRAY_SIZE(eval_config_keys),
	    " in \"evaluation_config\"")) != NULL ||
	    (err = get_string(w, cfg, "answer_type", 0, &c->answer_type)) ||
	    (err = get_string(w, cfg, "extract_pattern", 0,
	    &c->extract_pattern)) ||
	    (err = get_string(w, cfg, "normalize", 0, &c->normalize)) ||
	    (err = get_number(w, cfg, "tolerance", 0, 1, &c->tolerance)) ||
	    (err = get_number(w, cfg, "threshold", 0, 1, &c->threshold)) ||
	    (err = get_string(w, cfg, "substring", 0, &c->substring)) ||
	    (err = get_string(w, cfg, "language", 0, &c->language)) ||
	    (err = get_string(w, cfg, "entry_point", 0, &c->entry_point)) ||
	    (err = get_string(w, cfg, "tests", 0, &c->tests)) ||
	    (err = get_number(w, cfg, "timeout", 0.001, 3600, &c->timeout)) ||
	    (err = get_string(w, cfg, "rubric", 0, &c->rubric)) ||
	    (err = get_string(w, cfg, "command", 0, &c->command)))
		return err;
	if (c->answer_type != NULL) {
		enum answer_type t;

		/* Unknown, it used to fall back to a guess from the answer. */
		if (answer_type_parse(c->answer_type, &t) == -1) {
			char *clean = str_sanitize(c->answer_type, 40);

			err = field_error(w, "answer_type", "unknown type '%s' "
			    "(number, choice, regex, code or text)", clean);
			free(clean);
			return err;
		}
		if (t == ANSWER_REGEX && c->extract_pattern == NULL)
			return field_error(w, "answer_type", "regex needs "
			    "\"extract_pattern\"");
	}
	if (c->extract_pattern != NULL)
		return check_pattern(w, c->extract_pattern);
	return NULL;
}

static struct error *
parse_case(const struct where *w, const struct json *obj, size_t index,
    struct bench_case *c)
{
	const struct json *tags, *it;
	struct error *err;
	char *type = NULL;

	memset(c, 0, sizeof(*c));
	c->line = (int)w->line;
	c->tolerance = c->threshold = c->timeout = -1;
	if (!json_is_object(obj))
		return field_error(w, NULL, "expected a JSON object");
	if ((err = unknown_keys(w, obj, case_keys, ARRAY_SIZE(case_keys), ""))
	    != NULL)
		return err;
	if (json_get(obj, "question") != NULL) {
		/* The short form. */
		if ((err = get_string(w, obj, "question", 1, &c->instruction)) ||
		    (err = get_string(w, obj, "answer", 1, &c->expected)))
			return err;
		c->id = xasprintf("case-%zu", index + 1);
		c->input = xstrdup("");
		c->type = EVAL_EXACT;
		c->answer_type = xstrdup(is_number_text(c->expected) ?
		    "number" : "text");
		return NULL;
	}
	if ((err = get_string(w, obj, "id", 1, &c->id)) ||
	    (err = get_string(w, obj, "instruction", 1, &c->instruction)) ||
	    (err = get_string(w, obj, "input", 0, &c->input)) ||
	    (err = get_string(w, obj, "expected_output", 1, &c->expected)) ||
	    (err = get_string(w, obj, "evaluation_type", 0, &type)) ||
	    (err = get_string(w, obj, "difficulty", 0, &c->difficulty)))
		goto done;
	if (c->input == NULL)
		c->input = xstrdup("");
	if (*c->id == '\0') {
		err = field_error(w, "id", "must not be empty");
		goto done;
	}
	if (type == NULL)
		c->type = EVAL_EXACT;
	else if (eval_type_parse(type, &c->type) == -1) {
		char *clean = str_sanitize(type, 40);
		err = field_error(w, "evaluation_type", "unknown type '%s' "
		    "(exact_match, contains, multiple_choice, rouge_l, "
		    "code_execution, llm_judge or custom)", clean);
		free(clean);
		goto done;
	}
	if ((err = parse_config(w, json_get(obj, "evaluation_config"),
	    c)) != NULL)
		goto done;
	if (c->type == EVAL_CODE && c->tests == NULL)
		err = field_error(w, "evaluation_config", "code_execution "
		    "needs \"tests\"");
	else if (c->type == EVAL_JUDGE && c->rubric == NULL)
		err = field_error(w, "evaluation_config", "llm_judge needs "
		    "\"rubric\"");
	else if (c->type == EVAL_CUSTOM && c->command == NULL)
		err = field_error(w, "evaluation_config", "custom needs "
		    "\"command\"");
	if (err != NULL)
		goto done;
	if ((tags = json_get(obj, "tags")) != NULL &&
	    !json_is_null(tags)) {
		if (!json_is_array(tags)) {
			err = field_error(w, "tags", "expected a list of "
			    "strings");
			goto done;
		}
		c->tags = xcalloc(json_count(tags) + 1,
		    sizeof(*c->tags));
		JSON_FOREACH(it, tags) {
			if (!json_is_string(it)) {
				err = field_error(w, "tags", "expected a list "
				    "of strings");
				goto done;
			}
			c->tags[c->ntags++] = xstrdup(json_string(it));
		}
	}
done:
	free(type);
	return err;
}

struct error *
bench_load(const char *path, size_t max_cases, struct bench **out)
{
	struct bench *b = xcalloc(1, sizeof(*b));
	struct error *err = NULL;
	struct where w;
	struct strmap *ids = NULL;
	char *data = NULL, *p, *nl;
	size_t len, alloc = 0, first;
	struct json *obj;

	*out = NULL;
	b->path = xstrdup(path);
	w.path = path;
	w.line = 0;
	if ((err = package_read_file(path, BENCH_MAX, &data, &len)) != NULL)
		goto done;
	sha256_hex(data, len, b->sha256);
	/* Ids seen so far: a duplicate is found in constant time. */
	ids = strmap_new(0);
	for (p = data; p < data + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(data + len - p));
		if (nl == NULL)
			nl = data + len;
		w.line++;
		while (p < nl && isspace((unsigned char)*p))
			p++;
		if (p == nl)
			continue;
		if (max_cases > 0 && b->n == max_cases)
			break;
		if ((obj = json_parse(p, (size_t)(nl - p), NULL)) == NULL) {
			err = field_error(&w, NULL, "not valid JSON");
			goto done;
		}
		/* The parser would cut such a string short, silently. */
		if (json_has_nul(p, (size_t)(nl - p))) {
			json_free(obj);
			err = field_error(&w, NULL, "a string holds \\u0000 (a NUL "
			    "character): remove it");
			goto done;
		}
		if (b->n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			b->cases = xreallocarray(b->cases, alloc,
			    sizeof(*b->cases));
		}
		err = parse_case(&w, obj, b->n, &b->cases[b->n]);
		json_free(obj);
		b->n++;
		if (err != NULL)
			goto done;
		/* The id strings stay put when b->cases grows. */
		if (!strmap_add(ids, b->cases[b->n - 1].id, b->n - 1, &first)) {
			char *clean = str_sanitize(b->cases[first].id, 60);
			err = field_error(&w, "id", "duplicate id '%s' (first at "
			    "line %d)", clean, b->cases[first].line);
			free(clean);
			goto done;
		}
	}
	if (b->n == 0)
		err = error_new(EXIT_CONFIG, "benchmark '%s' has no cases", path);
done:
	strmap_free(ids);
	free(data);
	if (err != NULL) {
		bench_free(b);
		return err;
	}
	*out = b;
	return NULL;
}

/* The standard benchmark of a domain: the search order of benchmarks/. */
char *
bench_find_standard(const char *registry_dir, const char *domain)
{
	char *home = loco_home(), *cands[3], *found = NULL;
	size_t i;

	/*
	 * Never the current directory's: a score must not depend on where
	 * loco was run.
	 */
	cands[0] = xasprintf("%s/benchmarks/%s.jsonl", home, domain);
	cands[1] = xasprintf("%s/../benchmarks/%s.jsonl", registry_dir, domain);
	cands[2] = xasprintf("%s/benchmarks/%s.jsonl", LOCO_DATADIR, domain);
	free(home);
	for (i = 0; i < ARRAY_SIZE(cands); i++) {
		if (found == NULL && fs_exists(cands[i]))
			found = cands[i];
		else
			free(cands[i]);
	}
	return found;
}

char *
bench_for_adapter(const struct registry *reg, const struct adapter *a)
{
	return a->benchmark != NULL ? xstrdup(a->benchmark) :
	    bench_find_standard(reg->dir, a->domain);
}

char *
bench_for_domain(const struct registry *reg, const char *domain)
{
	size_t i;

	for (i = 0; i < reg->nadapters; i++) {
		const struct adapter *a = &reg->adapters[i];

		if (a->active && a->benchmark != NULL &&
		    strcmp(a->domain, domain) == 0)
			return xstrdup(a->benchmark);
	}
	return bench_find_standard(reg->dir, domain);
}

char *
bench_question(const struct bench_case *c)
{
	if (c->input == NULL || *c->input == '\0')
		return xstrdup(c->instruction);
	return xasprintf("%s\n\n%s", c->instruction, c->input);
}

/* Importers */

static void
emit(FILE *out, struct json *obj)
{
	char *s = json_print(obj, 0);

	fprintf(out, "%s\n", s);
	free(s);
}

static struct json *
full_case(const char *id, const char *instruction, const char *input,
    const char *expected, const char *type)
{
	struct json *o = json_new_object();

	json_add_str(o, "id", id);
	json_add_str(o, "instruction", instruction);
	json_add_str(o, "input", input);
	json_add_str(o, "expected_output", expected);
	json_add_str(o, "evaluation_type", type);
	return o;
}

/* GSM8K: the answer's last line is "#### N". */
static struct error *
import_gsm8k(const struct where *w0, const struct json *in, size_t index,
    FILE *out)
{
	struct where w = *w0;
	char *q, *a, *hash, *num, *p, *id;
	struct error *err;
	struct json *o, *cfg;

	if ((err = get_string(&w, in, "question", 1, &q)) != NULL)
		return err;
	if ((err = get_string(&w, in, "answer", 1, &a)) != NULL) {
		free(q);
		return err;
	}
	if ((hash = strstr(a, "####")) == NULL) {
		free(q);
		free(a);
		return field_error(&w, "answer", "no \"#### N\" final line");
	}
	num = xstrdup(hash + 4);
	str_trim(num);
	for (p = num; *p != '\0'; p++)	/* "1,000" -> "1000" */
		if (*p == ',')
			memmove(p, p + 1, strlen(p)), p--;
	id = xasprintf("gsm8k-%04zu", index + 1);
	o = full_case(id, q, "", num, "exact_match");
	cfg = json_add_obj(o, "evaluation_config");
	json_add_str(cfg, "answer_type", "number");
	emit(out, o);
	json_free(o);
	free(id);
	free(num);
	free(q);
	free(a);
	return NULL;
}

static struct error *
import_humaneval(const struct where *w, const struct json *in, FILE *out)
{
	char *task = NULL, *prompt = NULL, *test = NULL, *entry = NULL;
	char *solution = NULL, *instruction, *tests, *expected, *id, *p;
	struct error *err;
	struct json *o, *cfg;

	if ((err = get_string(w, in, "task_id", 1, &task)) ||
	    (err = get_string(w, in, "prompt", 1, &prompt)) ||
	    (err = get_string(w, in, "test", 1, &test)) ||
	    (err = get_string(w, in, "entry_point", 1, &entry)) ||
	    (err = get_string(w, in, "canonical_solution", 0, &solution)))
		goto done;
	id = xstrdup(task);
	for (p = id; *p != '\0'; p++)
		if (*p == '/')
			*p = '-';
	for (p = id; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	instruction = xasprintf("Complete this Python function; reply with "
	    "the whole function in a code block.\n\n%s", prompt);
	tests = xasprintf("%s\n\ncheck(%s)\n", test, entry);
	expected = xasprintf("%s%s", prompt, solution ? solution : "");
	o = full_case(id, instruction, "", expected, "code_execution");
	cfg = json_add_obj(o, "evaluation_config");
	json_add_str(cfg, "language", "python");
	json_add_str(cfg, "entry_point", entry);
	json_add_str(cfg, "tests", tests);
	emit(out, o);
	json_free(o);
	free(id);
	free(instruction);
	free(tests);
	free(expected);
done:
	free(task);
	free(prompt);
	free(test);
	free(entry);
	free(solution);
	return err;
}

static void
emit_case(FILE *out, const struct bench_case *c)
{
	struct json *o = full_case(c->id, c->instruction, c->input, c->expected,
	    eval_type_name(c->type)), *cfg, *tags;
	size_t i;

	cfg = json_add_obj(o, "evaluation_config");
#define S(k, v) if ((v) != NULL) json_add_str(cfg, k, v)
#define N(k, v) if ((v) >= 0) json_add_num(cfg, k, v)
	S("answer_type", c->answer_type);
	S("extract_pattern", c->extract_pattern);
	S("normalize", c->normalize);
	N("tolerance", c->tolerance);
	N("threshold", c->threshold);
	S("substring", c->substring);
	S("language", c->language);
	S("entry_point", c->entry_point);
	S("tests", c->tests);
	N("timeout", c->timeout);
	S("rubric", c->rubric);
	S("command", c->command);
#undef S
#undef N
	if (c->difficulty != NULL)
		json_add_str(o, "difficulty", c->difficulty);
	if (c->ntags > 0) {
		tags = json_add_arr(o, "tags");
		for (i = 0; i < c->ntags; i++)
			json_add_str(tags, NULL, c->tags[i]);
	}
	emit(out, o);
	json_free(o);
}

struct error *
bench_import(const char *format, const char *path, FILE *out, size_t *count)
{
	struct error *err = NULL;
	struct bench *b;
	struct where w;
	char *data = NULL, *p, *nl;
	size_t len, i;
	struct json *obj;
	int gsm;

	*count = 0;
	if (strcmp(format, "jsonl") == 0) {
		if ((err = bench_load(path, 0, &b)) != NULL)
			return err;
		for (i = 0; i < b->n; i++)
			emit_case(out, &b->cases[i]);
		*count = b->n;
		bench_free(b);
		return NULL;
	}
	gsm = strcmp(format, "gsm8k") == 0;
	if (!gsm && strcmp(format, "humaneval") != 0)
		return error_new(EXIT_USAGE, "unknown format '%s': use gsm8k, "
		    "humaneval or jsonl", format);
	if ((err = package_read_file(path, BENCH_MAX, &data, &len)) != NULL)
		return err;
	w.path = path;
	w.line = 0;
	for (p = data; p < data + len && err == NULL; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(data + len - p));
		if (nl == NULL)
			nl = data + len;
		w.line++;
		while (p < nl && isspace((unsigned char)*p))
			p++;
		if (p == nl)
			continue;
		if ((obj = json_parse_object(p, (size_t)(nl - p))) == NULL)
			err = field_error(&w, NULL, "not a JSON object");
		else if (gsm)
			err = import_gsm8k(&w, obj, *count, out);
		else
			err = import_humaneval(&w, obj, out);
		json_free(obj);
		if (err == NULL)
			(*count)++;
	}
	free(data);
	if (err == NULL && *count == 0)
		err = error_new(EXIT_CONFIG, "'%s' holds no cases", path);
	return err;
}
