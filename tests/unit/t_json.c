/* t_json.c: the JSON reading module (json.h). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "unit.h"

static struct json *
parse(const char *text)
{
	return json_parse(text, strlen(text), NULL);
}

/* The error json_parse gives for text (which must fail). */
static void
check_parse_error(const char *file, int line, const char *text,
    const char *want)
{
	struct error *err = NULL;
	struct json *j = json_parse(text, strlen(text), &err);

	if (j != NULL) {
		unit_fail(file, line, "'%s' parsed, expected \"%s\"", text, want);
		json_free(j);
	} else if (err == NULL)
		unit_fail(file, line, "'%s': no error", text);
	else if (strcmp(err->msg, want) != 0)
		unit_fail(file, line, "'%s': \"%s\", expected \"%s\"", text,
		    err->msg, want);
	error_free(err);
}
#define PARSE_ERR(text, want) check_parse_error(__FILE__, __LINE__, text, want)

TEST(json_parse_errors)
{
	PARSE_ERR("", "no JSON value");
	PARSE_ERR(" \n\t", "no JSON value");
	PARSE_ERR("{", "line 1, column 1: not valid JSON");
	PARSE_ERR("{\"a\": 1,\n \"b\": nope}", "line 2, column 7: not valid JSON");
	PARSE_ERR("[1, 2]\n]", "line 2, column 1: text after the JSON value");
	PARSE_ERR("{} {}", "line 1, column 4: text after the JSON value");
	PARSE_ERR("\"abc", "line 1, column 2: not valid JSON");
	/* No NUL is needed after the text, and none is read past len. */
	{
		char buf[4] = { '[', '7', ']', 'x' };
		struct json *j = json_parse(buf, 3, NULL);

		CHECK(json_is_array(j));
		CHECK_INT(json_count(j), 1);
		json_free(j);
		CHECK(json_parse(buf, 4, NULL) == NULL);
	}
	/* White space around the value is fine. */
	{
		struct error *err = NULL;
		struct json *j = json_parse(" \r\n{\"a\":1}\n\n", 11, &err);

		CHECK(json_is_object(j));
		CHECK(err == NULL);
		json_free(j);
	}
	CHECK(json_parse_object("[1]", 3) == NULL);
	/* A model's value with its talk after it. */
	{
		const char *text = " {\"a\": [1]} and then some";
		size_t used = 0;
		struct json *j = json_parse_head(text, strlen(text), &used);

		CHECK(json_is_object(j));
		CHECK_INT(used, 11);	/* the space and the object */
		json_free(j);
		CHECK(json_parse_head("nope {}", 7, &used) == NULL);
		CHECK(json_parse_head("", 0, NULL) == NULL);
	}
	CHECK(json_parse_object("nope", 4) == NULL);
}

TEST(json_members_and_types)
{
	struct json *j = parse("{\"s\": \"x\", \"n\": 2.5, \"t\": true, "
	    "\"f\": false, \"z\": null, \"a\": [], \"o\": {\"S\": \"y\"}}");
	double d = 0;

	CHECK(json_is_object(j));
	CHECK_STR(json_str(j, "s"), "x");
	CHECK_STR(json_str(j, "n"), NULL);	/* not a string */
	CHECK_STR(json_str(j, "missing"), NULL);
	CHECK_STR(json_str(j, "S"), NULL);	/* case matters */
	CHECK_STR(json_str(json_get(j, "o"), "S"), "y");
	CHECK_STR(json_str(json_get(j, "nope"), "S"), NULL);
	CHECK_INT(json_num(j, "n", &d), 0);
	CHECK_DBL(d, 2.5, 0);
	CHECK_INT(json_num(j, "s", &d), -1);
	CHECK_DBL(json_number_or(json_get(j, "n"), 7), 2.5, 0);
	CHECK_DBL(json_number_or(json_get(j, "s"), 7), 7, 0);
	CHECK_DBL(json_number_or(NULL, -1), -1, 0);
	CHECK_INT(json_type(json_get(j, "s")), JSON_STRING);
	CHECK_INT(json_type(json_get(j, "n")), JSON_NUMBER);
	CHECK_INT(json_type(json_get(j, "t")), JSON_BOOL);
	CHECK_INT(json_type(json_get(j, "z")), JSON_NULL);
	CHECK_INT(json_type(json_get(j, "a")), JSON_ARRAY);
	CHECK_INT(json_type(json_get(j, "o")), JSON_OBJECT);
	CHECK_INT(json_type(json_get(j, "missing")), JSON_NONE);
	CHECK(json_is_true(json_get(j, "t")));
	CHECK(!json_is_true(json_get(j, "f")));
	CHECK(json_is_bool(json_get(j, "f")));
	CHECK(json_is_false(json_get(j, "f")));
	CHECK(!json_is_false(json_get(j, "t")));
	CHECK(!json_is_false(json_get(j, "missing")));
	CHECK(json_is_null(json_get(j, "z")));
	CHECK(!json_is_null(json_get(j, "missing")));
	CHECK_INT(json_count(j), 7);
	CHECK_STR(json_key(json_at(j, 1)), "n");
	{
		char *s = json_strdup(j, "s");

		CHECK_STR(s, "x");
		free(s);
		CHECK(json_strdup(j, "t") == NULL);
	}
	/* A lookup on something other than an object finds nothing. */
	CHECK(json_get(json_get(j, "a"), "x") == NULL);
	CHECK(json_get(NULL, "x") == NULL);
	json_free(j);
}

TEST(json_integer_range)
{
	struct json *j = parse("{\"i\": 42, \"neg\": -3, \"frac\": 1.5, "
	    "\"big\": 1e300, \"s\": \"7\", \"edge\": 9223372036854775807}");
	long long v = -1;

	CHECK_INT(json_int(j, "i", 0, 100, &v), 0);
	CHECK_INT(v, 42);
	CHECK_INT(json_int(j, "i", 0, 41, &v), -1);
	CHECK_INT(json_int(j, "i", 43, 100, &v), -1);
	CHECK_INT(json_int(j, "neg", 0, 100, &v), -1);
	CHECK_INT(json_int(j, "neg", -3, -3, &v), 0);
	CHECK_INT(v, -3);
	CHECK_INT(json_int(j, "frac", 0, 100, &v), -1);
	CHECK_INT(json_int(j, "big", 0, 9223372036854775807LL, &v), -1);
	CHECK_INT(json_int(j, "s", 0, 100, &v), -1);
	CHECK_INT(json_int(j, "missing", 0, 100, &v), -1);
	/* 2^63 - 1 is 2^63 as a double: out of range, not undefined. */
	CHECK_INT(json_int(j, "edge", 0, 9223372036854775807LL, &v), -1);
	CHECK_INT(v, -3);	/* untouched by the failures */
	json_free(j);
}

TEST(json_nested_arrays)
{
	struct json *j = parse("[[1, 2], [], [[3]], \"x\"]");
	struct json *it, *in;
	long long v, sum = 0;
	size_t n = 0;

	CHECK_INT(json_count(j), 4);
	JSON_FOREACH(it, j) {
		JSON_FOREACH(in, it)
			if (json_integer(in, 0, 10, &v) == 0)
				sum += v;
		n++;
	}
	CHECK_INT(n, 4);
	CHECK_INT(sum, 3);
	CHECK(json_integer(json_at(json_at(json_at(j, 2), 0), 0), 0, 10,
	    &v) == 0 && v == 3);
	CHECK(json_at(j, 4) == NULL);
	CHECK(json_at(json_at(j, 1), 0) == NULL);
	CHECK_INT(json_count(json_at(j, 3)), 0);	/* a string */
	CHECK(json_first(json_at(j, 3)) == NULL);
	CHECK(json_first(NULL) == NULL);
	json_free(j);
}

TEST(json_strings)
{
	/* Escapes decoded; \u0000 cuts the string (see json_has_nul). */
	struct json *j = parse("{\"e\": \"a\\n\\u00e9\\\"\", \"nul\": "
	    "\"ab\\u0000cd\"}");

	CHECK_STR(json_str(j, "e"), "a\n\xc3\xa9\"");
	CHECK_STR(json_str(j, "nul"), "ab");
	json_free(j);
}

TEST(json_build_and_edit)
{
	struct json *o = json_new_object(), *a, *p;
	char *s;

	json_add_str(o, "model", "m");
	json_add_str(o, "skipped", NULL);
	a = json_add_arr(o, "list");
	json_add_num(a, NULL, 1);
	json_add_str(a, NULL, "two");
	json_add_null(a, NULL);
	json_add_bool(json_add_obj(o, "opts"), "x", 1);
	json_add_num(o, "n", 0.5);
	json_set(o, "model", json_new_number(3));	/* in place */
	json_set(o, "new", json_new_number(4));		/* appended */
	json_remove(o, "n");
	json_remove(o, "n");				/* gone: no-op */
	CHECK(json_add_obj(NULL, "x") == NULL);
	CHECK(json_add_arr(o, NULL) == NULL);		/* key needed */
	s = json_print(o, 0);
	CHECK_STR(s, "{\"model\":3,\"list\":[1,\"two\",null],"
	    "\"opts\":{\"x\":true},\"new\":4}");
	p = parse(s);
	CHECK(json_equal(p, o));
	json_add_num(p, "more", 1);
	CHECK(!json_equal(p, o));
	free(s);
	json_free(p);
	json_free(o);
	CHECK(json_print(NULL, 0) == NULL);
}
