/*
 * json.h: read JSON, and build or edit trees where jsonout's builder does
 * not fit (request bodies that backends rewrite, the state file), without
 * exposing the JSON library to the rest of loco.
 *
 * A struct json is one node of a tree; only the root is freed, with
 * json_free.  Every reader accepts NULL and treats it as "missing", so a
 * path can be followed without checks in between:
 *
 *	json_str(json_get(root, "message"), "content")
 *
 * Pointers into a tree (json_string, json_str, json_key) live as long as
 * the tree; copy strings out (json_strdup) to keep them.  Strings are
 * NUL-terminated: one that held \u0000 is cut there, so where that matters,
 * refuse the text first (json_has_nul in util.h).
 */
#ifndef LOCO_JSON_H
#define LOCO_JSON_H

#include <stddef.h>

#include "error.h"

struct json;

enum json_type {
	JSON_NONE,		/* a NULL node: missing */
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

/*
 * Parse len bytes (no NUL needed) that hold one JSON value, with white
 * space around it and nothing else.  NULL on failure; then *err (if err is
 * not NULL) says where and what: "line 3, column 7: not valid JSON".
 */
struct json	*json_parse(const char *buf, size_t len, struct error **err);
/*
 * The value at the start of text a model wrote, where what follows it is
 * not JSON's business; *used (may be NULL) gets the bytes it took.
 */
struct json	*json_parse_head(const char *buf, size_t len, size_t *used);
/* json_parse, and NULL unless the value is an object. */
struct json	*json_parse_object(const char *buf, size_t len);
void		 json_free(struct json *);	/* a root; NULL is fine */

enum json_type	 json_type(const struct json *);
int		 json_is_null(const struct json *);
int		 json_is_bool(const struct json *);
int		 json_is_true(const struct json *);
int		 json_is_false(const struct json *);
int		 json_is_number(const struct json *);
int		 json_is_string(const struct json *);
int		 json_is_array(const struct json *);
int		 json_is_object(const struct json *);

/* An object's member (keys compared case-sensitively), or NULL. */
struct json	*json_get(const struct json *obj, const char *key);
/* The number of an array's elements or an object's members; else 0. */
size_t		 json_count(const struct json *);
/* An array's (or object's) i-th element, or NULL. */
struct json	*json_at(const struct json *, size_t i);
/*
 * Iterate over an array's elements or an object's members (in order);
 * nothing for other nodes or NULL.  json_key names an object member.
 */
struct json	*json_first(const struct json *);
struct json	*json_next(const struct json *);
#define JSON_FOREACH(it, parent) \
	for ((it) = json_first(parent); (it) != NULL; (it) = json_next(it))
const char	*json_key(const struct json *);

/* A string node's text, or NULL. */
const char	*json_string(const struct json *);
/* A number's value: 0 and *out set, or -1 when it is not a number. */
int		 json_number(const struct json *, double *out);
/* A number's value, or dflt when it is not a number. */
double		 json_number_or(const struct json *, double dflt);
/* A whole number in min .. max: 0 and *out set, or -1. */
int		 json_integer(const struct json *, long long min, long long max,
		    long long *out);

/* The same for an object's member: the common case made short. */
const char	*json_str(const struct json *obj, const char *key);
char		*json_strdup(const struct json *obj, const char *key);
int		 json_num(const struct json *obj, const char *key, double *out);
int		 json_int(const struct json *obj, const char *key,
		    long long min, long long max, long long *out);

/* Do a and b hold the same value (objects: the same members)? */
int		 json_equal(const struct json *a, const struct json *b);
/* The text of a node, pretty (with tabs) or on one line; free it. */
char		*json_print(const struct json *, int pretty);

/*
 * Building and editing.  Running out of memory is fatal.  The json_add
 * family appends to an object under key, or to an array with key NULL.
 */
struct json	*json_new_object(void);
struct json	*json_new_array(void);
struct json	*json_new_number(double);
/* Append item, which the parent now owns. */
void		 json_add(struct json *parent, const char *key, struct json *);
/* A string; nothing at all when val is NULL. */
void		 json_add_str(struct json *parent, const char *key,
		    const char *val);
void		 json_add_num(struct json *parent, const char *key, double);
void		 json_add_bool(struct json *parent, const char *key, int);
void		 json_add_null(struct json *parent, const char *key);
/* A new empty object or array, returned to fill in. */
struct json	*json_add_obj(struct json *parent, const char *key);
struct json	*json_add_arr(struct json *parent, const char *key);
/* Put item in place of the member key (where it was), or append it. */
void		 json_set(struct json *obj, const char *key, struct json *);
/* Remove and free the first member key, if any. */
void		 json_remove(struct json *obj, const char *key);

#endif
