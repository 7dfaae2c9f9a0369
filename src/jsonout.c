/* jsonout.c: a JSON output builder over cJSON. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "jsonout.h"
#include "util.h"
#include "banned.h"

#define JOUT_DEPTH 32

struct jout {
	cJSON	*root;
	cJSON	*stack[JOUT_DEPTH];
	int	 top;
};

static struct jout *
jout_alloc(cJSON *root)
{
	struct jout *j = xcalloc(1, sizeof(*j));

	if (root == NULL)
		fatal("out of memory building JSON");
	j->root = root;
	j->stack[0] = root;
	return j;
}

struct jout *
jout_new(void)
{
	return jout_alloc(cJSON_CreateObject());
}

struct jout *
jout_new_array(void)
{
	return jout_alloc(cJSON_CreateArray());
}

static void
add(struct jout *j, const char *key, cJSON *item)
{
	cJSON *cur = j->stack[j->top];

	if (item == NULL)
		fatal("out of memory building JSON");
	if (cJSON_IsArray(cur))
		cJSON_AddItemToArray(cur, item);
	else
		cJSON_AddItemToObject(cur, key ? key : "", item);
}

void
jout_str(struct jout *j, const char *key, const char *val)
{
	add(j, key, val ? cJSON_CreateString(val) : cJSON_CreateNull());
}

void
jout_num(struct jout *j, const char *key, double val)
{
	add(j, key, isfinite(val) ? cJSON_CreateNumber(val) :
	    cJSON_CreateNull());
}

void
jout_int(struct jout *j, const char *key, long long val)
{
	add(j, key, cJSON_CreateNumber((double)val));
}

void
jout_bool(struct jout *j, const char *key, int val)
{
	add(j, key, cJSON_CreateBool(val));
}

void
jout_null(struct jout *j, const char *key)
{
	add(j, key, cJSON_CreateNull());
}

static void
push(struct jout *j, const char *key, cJSON *item)
{
	if (j->top + 1 >= JOUT_DEPTH)
		fatal("JSON output nested too deeply");
	add(j, key, item);
	j->stack[++j->top] = item;
}

void
jout_obj(struct jout *j, const char *key)
{
	push(j, key, cJSON_CreateObject());
}

void
jout_arr(struct jout *j, const char *key)
{
	push(j, key, cJSON_CreateArray());
}

void
jout_end(struct jout *j)
{
	if (j->top == 0)
		fatal("jout_end without an open object");
	j->top--;
}

char *
jout_finish(struct jout *j, int pretty)
{
	char *s = pretty ? cJSON_Print(j->root) : cJSON_PrintUnformatted(j->root);

	if (s == NULL)
		fatal("out of memory rendering JSON");
	cJSON_Delete(j->root);
	free(j);
	return s;
}

void
jout_free(struct jout *j)
{
	if (j == NULL)
		return;
	cJSON_Delete(j->root);
	free(j);
}

char *
json_quote(const char *s)
{
	cJSON *str = cJSON_CreateString(s);
	char *out;

	if (str == NULL || (out = cJSON_PrintUnformatted(str)) == NULL)
		fatal("out of memory rendering JSON");
	cJSON_Delete(str);
	return out;
}

const char *
json_library_version(void)
{
	return cJSON_Version();
}
