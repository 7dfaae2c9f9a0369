/* json.c: reading (and editing) JSON over cJSON; see json.h. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "util.h"
#include "banned.h"

/* A struct json is a cJSON node; the type only hides that. */
#define C(j)	((cJSON *)(j))
#define J(c)	((struct json *)(c))

static void
where(const char *buf, const char *at, int *line, int *col)
{
	const char *p;

	*line = 1;
	*col = 1;
	for (p = buf; p < at; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

struct json *
json_parse(const char *buf, size_t len, struct error **err)
{
	const char *end = buf, *p;
	cJSON *root;
	int line, col;

	if (err != NULL)
		*err = NULL;
	for (p = buf; p != NULL && p < buf + len && strchr(" \t\r\n", *p) &&
	    *p != '\0'; p++)
		;
	if (buf == NULL || p == buf + len) {
		if (err != NULL)
			*err = error_new(EXIT_FAIL, "no JSON value");
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (root == NULL) {
		if (err != NULL) {
			where(buf, end, &line, &col);
			*err = error_new(EXIT_FAIL, "line %d, column %d: not "
			    "valid JSON", line, col);
		}
		return NULL;
	}
	/* cJSON stops after the value; what follows must be white space. */
	while (end < buf + len && *end != '\0' && strchr(" \t\r\n", *end))
		end++;
	if (end < buf + len) {
		cJSON_Delete(root);
		if (err != NULL) {
			where(buf, end, &line, &col);
			*err = error_new(EXIT_FAIL, "line %d, column %d: text "
			    "after the JSON value", line, col);
		}
		return NULL;
	}
	return J(root);
}

struct json *
json_parse_head(const char *buf, size_t len, size_t *used)
{
	const char *end = buf;
	cJSON *root;

	if (buf == NULL || len == 0)
		return NULL;
	if ((root = cJSON_ParseWithLengthOpts(buf, len, &end, 0)) != NULL &&
	    used != NULL)
		*used = (size_t)(end - buf);
	return J(root);
}

struct json *
json_parse_object(const char *buf, size_t len)
{
	struct json *j = json_parse(buf, len, NULL);

	if (j != NULL && !json_is_object(j)) {
		json_free(j);
		return NULL;
	}
	return j;
}

void
json_free(struct json *j)
{
	cJSON_Delete(C(j));
}

enum json_type
json_type(const struct json *j)
{
	if (j == NULL)
		return JSON_NONE;
	if (cJSON_IsNull(C(j)))
		return JSON_NULL;
	if (cJSON_IsBool(C(j)))
		return JSON_BOOL;
	if (cJSON_IsNumber(C(j)))
		return JSON_NUMBER;
	if (cJSON_IsString(C(j)))
		return JSON_STRING;
	if (cJSON_IsArray(C(j)))
		return JSON_ARRAY;
	if (cJSON_IsObject(C(j)))
		return JSON_OBJECT;
	return JSON_NONE;	/* cJSON's raw nodes: loco makes none */
}

int json_is_null(const struct json *j)	{ return cJSON_IsNull(C(j)); }
int json_is_bool(const struct json *j)	{ return cJSON_IsBool(C(j)); }
int json_is_true(const struct json *j)	{ return cJSON_IsTrue(C(j)); }
int json_is_false(const struct json *j) { return cJSON_IsFalse(C(j)); }
int json_is_number(const struct json *j) { return cJSON_IsNumber(C(j)); }
int json_is_string(const struct json *j) { return cJSON_IsString(C(j)); }
int json_is_array(const struct json *j)	{ return cJSON_IsArray(C(j)); }
int json_is_object(const struct json *j) { return cJSON_IsObject(C(j)); }

/*
 * First bytes are compared before whole keys: loading 100,000s of
 * benchmark cases looks a dozen keys up in each.
 */
struct json *
json_get(const struct json *obj, const char *key)
{
	const cJSON *it;

	if (!cJSON_IsObject(C(obj)) || key == NULL)
		return NULL;
	for (it = C(obj)->child; it != NULL; it = it->next)
		if (it->string != NULL && it->string[0] == key[0] &&
		    strcmp(it->string, key) == 0)
			return J(it);
	return NULL;
}

size_t
json_count(const struct json *j)
{
	const cJSON *it;
	size_t n = 0;

	if (!cJSON_IsArray(C(j)) && !cJSON_IsObject(C(j)))
		return 0;
	for (it = C(j)->child; it != NULL; it = it->next)
		n++;
	return n;
}

struct json *
json_at(const struct json *j, size_t i)
{
	const cJSON *it;

	for (it = json_first(j) ? C(j)->child : NULL; it != NULL && i > 0;
	    it = it->next)
		i--;
	return J(it);
}

struct json *
json_first(const struct json *j)
{
	if (!cJSON_IsArray(C(j)) && !cJSON_IsObject(C(j)))
		return NULL;
	return J(C(j)->child);
}

struct json *
json_next(const struct json *j)
{
	return j != NULL ? J(C(j)->next) : NULL;
}

const char *
json_key(const struct json *j)
{
	return j != NULL ? C(j)->string : NULL;
}

const char *
json_string(const struct json *j)
{
	return cJSON_IsString(C(j)) ? C(j)->valuestring : NULL;
}

int
json_number(const struct json *j, double *out)
{
	if (!cJSON_IsNumber(C(j)))
		return -1;
	*out = C(j)->valuedouble;
	return 0;
}

double
json_number_or(const struct json *j, double dflt)
{
	return cJSON_IsNumber(C(j)) ? C(j)->valuedouble : dflt;
}

int
json_integer(const struct json *j, long long min, long long max,
    long long *out)
{
	double d;
	long long v;

	if (json_number(j, &d) == -1 || d != floor(d) ||
	    !(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return -1;
	v = (long long)d;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

const char *
json_str(const struct json *obj, const char *key)
{
	return json_string(json_get(obj, key));
}

char *
json_strdup(const struct json *obj, const char *key)
{
	const char *s = json_str(obj, key);

	return s != NULL ? xstrdup(s) : NULL;
}

int
json_num(const struct json *obj, const char *key, double *out)
{
	return json_number(json_get(obj, key), out);
}

int
json_int(const struct json *obj, const char *key, long long min,
    long long max, long long *out)
{
	return json_integer(json_get(obj, key), min, max, out);
}

int
json_equal(const struct json *a, const struct json *b)
{
	return cJSON_Compare(C(a), C(b), 1);
}

char *
json_print(const struct json *j, int pretty)
{
	char *s;

	if (j == NULL)
		return NULL;
	s = pretty ? cJSON_Print(C(j)) : cJSON_PrintUnformatted(C(j));
	if (s == NULL)
		fatal("out of memory rendering JSON");
	return s;
}

static struct json *
made(cJSON *c)
{
	if (c == NULL)
		fatal("out of memory building JSON");
	return J(c);
}

struct json *
json_new_object(void)
{
	return made(cJSON_CreateObject());
}

struct json *
json_new_array(void)
{
	return made(cJSON_CreateArray());
}

struct json *
json_new_number(double d)
{
	return made(cJSON_CreateNumber(d));
}

/* Append item; 0 when there was nowhere to put it (then it is freed). */
static int
place(struct json *parent, const char *key, struct json *item)
{
	if (cJSON_IsArray(C(parent)))
		cJSON_AddItemToArray(C(parent), C(item));
	else if (cJSON_IsObject(C(parent)) && key != NULL) {
		if (!cJSON_AddItemToObject(C(parent), key, C(item)))
			fatal("out of memory building JSON");
	} else {
		cJSON_Delete(C(item));	/* as cJSON does */
		return 0;
	}
	return 1;
}

void
json_add(struct json *parent, const char *key, struct json *item)
{
	if (item != NULL)
		place(parent, key, item);
}

void
json_add_str(struct json *parent, const char *key, const char *val)
{
	if (val != NULL)
		json_add(parent, key, made(cJSON_CreateString(val)));
}

void
json_add_num(struct json *parent, const char *key, double d)
{
	json_add(parent, key, json_new_number(d));
}

void
json_add_bool(struct json *parent, const char *key, int b)
{
	json_add(parent, key, made(cJSON_CreateBool(b)));
}

void
json_add_null(struct json *parent, const char *key)
{
	json_add(parent, key, made(cJSON_CreateNull()));
}

struct json *
json_add_obj(struct json *parent, const char *key)
{
	struct json *o = json_new_object();

	return place(parent, key, o) ? o : NULL;
}

struct json *
json_add_arr(struct json *parent, const char *key)
{
	struct json *a = json_new_array();

	return place(parent, key, a) ? a : NULL;
}

void
json_set(struct json *obj, const char *key, struct json *item)
{
	if (json_get(obj, key) != NULL) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(C(obj), key,
		    C(item)))
			fatal("out of memory building JSON");
	} else
		json_add(obj, key, item);
}

void
json_remove(struct json *obj, const char *key)
{
	if (cJSON_IsObject(C(obj)))
		cJSON_DeleteItemFromObjectCaseSensitive(C(obj), key);
}

#ifdef LOCO_CJSON_DLOPEN
/*
 * With LOCO_CJSON_DLOPEN (the default build), libcjson is loaded on the
 * first call into it instead of at every start: loco route prints text and
 * never needs it.  Each cJSON function loco calls is defined here under its
 * own name, loading the library the first time and then calling through;
 * so the callers (this file, jsonout.c, and the JSONL reader of the
 * classifier) are the same in both builds.  `make CJSON_DLOPEN=0` links
 * libcjson the ordinary way and leaves all of this out.
 */
#include <dlfcn.h>
#include <stddef.h>

#define LIBCJSON_SONAME "libcjson.so.1"

/* X(return type, name, parameters, arguments) for each function used. */
#define CJSON_FUNCS(X)							\
	X(cJSON_bool, cJSON_AddItemToArray, (cJSON *a, cJSON *i), (a, i)) \
	X(cJSON_bool, cJSON_AddItemToObject,				\
	    (cJSON *o, const char *s, cJSON *i), (o, s, i))		\
	X(cJSON_bool, cJSON_Compare, (const cJSON *const a,		\
	    const cJSON *const b, const cJSON_bool cs), (a, b, cs))	\
	X(cJSON *, cJSON_CreateArray, (void), ())			\
	X(cJSON *, cJSON_CreateBool, (cJSON_bool b), (b))		\
	X(cJSON *, cJSON_CreateNull, (void), ())			\
	X(cJSON *, cJSON_CreateNumber, (double d), (d))			\
	X(cJSON *, cJSON_CreateObject, (void), ())			\
	X(cJSON *, cJSON_CreateString, (const char *s), (s))		\
	X(cJSON *, cJSON_GetObjectItemCaseSensitive,			\
	    (const cJSON *const o, const char *const s), (o, s))	\
	X(cJSON_bool, cJSON_IsArray, (const cJSON *const i), (i))	\
	X(cJSON_bool, cJSON_IsBool, (const cJSON *const i), (i))	\
	X(cJSON_bool, cJSON_IsFalse, (const cJSON *const i), (i))	\
	X(cJSON_bool, cJSON_IsNull, (const cJSON *const i), (i))	\
	X(cJSON_bool, cJSON_IsNumber, (const cJSON *const i), (i))	\
	X(cJSON_bool, cJSON_IsObject, (const cJSON *const i), (i))	\
	X(cJSON_bool, cJSON_IsString, (const cJSON *const i), (i))	\
	X(cJSON_bool, cJSON_IsTrue, (const cJSON *const i), (i))	\
	X(cJSON *, cJSON_Parse, (const char *v), (v))			\
	X(cJSON *, cJSON_ParseWithLengthOpts, (const char *v, size_t n,	\
	    const char **end, cJSON_bool z), (v, n, end, z))		\
	X(char *, cJSON_Print, (const cJSON *i), (i))			\
	X(char *, cJSON_PrintUnformatted, (const cJSON *i), (i))	\
	X(cJSON_bool, cJSON_ReplaceItemInObjectCaseSensitive,		\
	    (cJSON *o, const char *s, cJSON *i), (o, s, i))		\
	X(const char *, cJSON_Version, (void), ())
/* V(name, parameters, arguments) for those that return nothing. */
#define CJSON_VOID_FUNCS(V)						\
	V(cJSON_Delete, (cJSON *i), (i))				\
	V(cJSON_DeleteItemFromObjectCaseSensitive,			\
	    (cJSON *o, const char *s), (o, s))

static struct {
	void	*dl;
#define FIELD(ret, name, params, args)	ret (*name) params;
#define VFIELD(name, params, args)	void (*name) params;
	CJSON_FUNCS(FIELD)
	CJSON_VOID_FUNCS(VFIELD)
#undef FIELD
#undef VFIELD
} cj;

/* Load libcjson once.  Without it loco can read no JSON at all: fatal. */
static void
cjson_load(void)
{
	static const struct {
		const char	*name;
		size_t		 offset;
	} syms[] = {
#define SYM(ret, name, params, args) { #name, offsetof(__typeof__(cj), name) },
#define VSYM(name, params, args) { #name, offsetof(__typeof__(cj), name) },
		CJSON_FUNCS(SYM)
		CJSON_VOID_FUNCS(VSYM)
#undef SYM
#undef VSYM
	};
	size_t i;
	void *fn;
	const char *why;

	if ((cj.dl = dlopen(LIBCJSON_SONAME, RTLD_NOW | RTLD_LOCAL)) ==
	    NULL) {
		why = dlerror();
		fatal("cannot load cJSON: %s; install the libcjson1 package",
		    why ? why : LIBCJSON_SONAME);
	}
	for (i = 0; i < ARRAY_SIZE(syms); i++) {
		if ((fn = dlsym(cj.dl, syms[i].name)) == NULL)
			fatal("cannot load cJSON: %s lacks %s (cJSON 1.7.14 "
			    "or later is needed)", LIBCJSON_SONAME,
			    syms[i].name);
		/* POSIX guarantees data and function pointers convert. */
		memcpy((char *)&cj + syms[i].offset, &fn, sizeof(fn));
	}
}

#define STUB(ret, name, params, args)					\
	CJSON_PUBLIC(ret) name params					\
	{								\
		if (cj.dl == NULL)					\
			cjson_load();					\
		return cj.name args;					\
	}
#define VSTUB(name, params, args)					\
	CJSON_PUBLIC(void) name params					\
	{								\
		if (cj.dl == NULL)					\
			cjson_load();					\
		cj.name args;						\
	}
CJSON_FUNCS(STUB)
CJSON_VOID_FUNCS(VSTUB)
#undef STUB
#undef VSTUB
#endif /* LOCO_CJSON_DLOPEN */
