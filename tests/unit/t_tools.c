/* t_tools.c: reading tool calls from answers, and the stderr brief. */
#include <stdlib.h>
#include <string.h>

#include "tools.h"
#include "unit.h"
#include "util.h"

/* The call in content, as "name args | problem" ("none" if no call). */
static char *
text_call(const char *content, size_t *start, size_t *end)
{
	struct tool_call c;
	char *out;

	if (!tools_find_text(content, &c, start, end))
		return xstrdup("none");
	out = xasprintf("%s %s | %s", c.name, c.arguments,
	    c.problem ? c.problem : "ok");
	tool_call_release(&c);
	return out;
}

#define TEXT_CALL(content, want) do {					\
	size_t s_, e_;							\
	char *got_ = text_call(content, &s_, &e_);			\
	CHECK_STR(got_, want);						\
	free(got_);							\
} while (0)

TEST(tools_text_forms)
{
	size_t s, e;
	char *got;
	const char *a = "Let me see. <tool_call>{\"tool\": \"python\", "
	    "\"code\": \"347*28\"}</tool_call> and then";

	got = text_call(a, &s, &e);
	CHECK_STR(got, "python {\"code\":\"347*28\"} | ok");
	CHECK_INT(s, 12);
	CHECK_STR(a + e, " and then");
	free(got);
	/* Qwen's form; arguments as JSON text; a fence; no closing tag. */
	TEXT_CALL("<tool_call>{\"name\": \"sympy\", \"arguments\": "
	    "{\"code\": \"x\"}}</tool_call>", "sympy {\"code\":\"x\"} | ok");
	TEXT_CALL("<tool_call>{\"name\": \"python\", \"arguments\": "
	    "\"{\\\"code\\\": \\\"1\\\"}\"}</tool_call>",
	    "python {\"code\":\"1\"} | ok");
	TEXT_CALL("<tool_call>\n```json\n{\"tool\": \"python\", \"code\": "
	    "\"2\"}\n```\n</tool_call>", "python {\"code\":\"2\"} | ok");
	TEXT_CALL("<tool_call>{\"tool\": \"python\", \"code\": \"3\"}",
	    "python {\"code\":\"3\"} | ok");
	TEXT_CALL("<tool_call>{\"name\": \"python\"}</tool_call>",
	    "python {} | ok");
	TEXT_CALL("no call here, not even <tool_call", "none");
	TEXT_CALL("", "none");
}

TEST(tools_text_malformed)
{
	TEXT_CALL("<tool_call>{\"tool\": \"python\", code}</tool_call>",
	    " {} | the call is not a JSON object: {\"tool\": \"python\", "
	    "code}");
	TEXT_CALL("<tool_call></tool_call>",
	    " {} | the call is not a JSON object: (nothing)");
	TEXT_CALL("<tool_call>[1, 2]</tool_call>",
	    " {} | the call is not a JSON object: [1, 2]");
	TEXT_CALL("<tool_call>{\"code\": \"1\"}</tool_call>",
	    " {} | the call names no tool: write {\"tool\": NAME, \"code\": "
	    "...} or {\"name\": NAME, \"arguments\": {...}}");
	TEXT_CALL("<tool_call>{\"name\": \"python\", \"arguments\": 5}"
	    "</tool_call>",
	    "python {} | the call's arguments are not a JSON object");
	/* Control characters never reach a message raw. */
	TEXT_CALL("<tool_call>\x01{</tool_call>",
	    " {} | the call is not a JSON object: ?{");
}

TEST(tools_native_arguments)
{
	struct tool_call c;

	memset(&c, 0, sizeof(c));
	c.name = xstrdup("python");
	tools_parse_call("{\"code\": \"1+1\", \"name\": \"n\"}", 30, &c);
	CHECK_STR(c.name, "python");
	CHECK_STR(c.arguments, "{\"code\":\"1+1\",\"name\":\"n\"}");
	CHECK(c.problem == NULL);
	tool_call_release(&c);
	c.name = xstrdup("python");
	tools_parse_call("{\"code\": ", 9, &c);
	CHECK_STR(c.problem, "the call's arguments are not a JSON object: "
	    "{\"code\": ");
	tool_call_release(&c);
}

TEST(tools_names_and_brief)
{
	struct strbuf sb = STRBUF_INIT;
	struct tool_record r;
	enum tool_format f;

	CHECK_INT(tool_parse("python"), TOOL_PYTHON);
	CHECK_INT(tool_parse("sympy"), TOOL_SYMPY);
	CHECK_INT(tool_parse("shell"), 0);
	CHECK_INT(tool_format_parse("native", &f), 0);
	CHECK_INT(f, TOOL_FORMAT_NATIVE);
	CHECK_INT(tool_format_parse("json", &f), -1);
	tools_describe(TOOL_ALL, &sb);
	CHECK_STR(sb.buf, "python, sympy");
	strbuf_reset(&sb);
	tools_describe(0, &sb);
	CHECK_STR(sb.buf, "none");
	strbuf_reset(&sb);

	memset(&r, 0, sizeof(r));
	r.name = "python";
	r.code = "for i in range(3):\n    print(i)";
	r.arguments = "{}";
	r.result = "0\n1\n2";
	tool_record_brief(&r, &sb);
	CHECK_STR(sb.buf, "[tool python: for i in range(3):;     print(i) -> "
	    "0; 1; 2]");
	strbuf_reset(&sb);
	r.code = "'x' * 100000  # a long line of code that goes on and on "
	    "and on";
	r.result = "error: timed out after 10 s";
	tool_record_brief(&r, &sb);
	CHECK_STR(sb.buf, "[tool python: 'x' * 100000  # a long line of code "
	    "that goes on and on and ... -> error: timed out after 10 s]");
	strbuf_reset(&sb);
	/* Cut between characters, not inside one. */
	r.code = "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"";
	r.result = "ok";
	tool_record_brief(&r, &sb);
	CHECK(strstr(sb.buf, "\xc3\xa9...") != NULL);
	CHECK(strstr(sb.buf, "\xc3...") == NULL);
	strbuf_release(&sb);
}

TEST(tools_schema_lists)
{
	char *s = tools_schema(TOOL_PYTHON);

	CHECK(strstr(s, "\"name\":\"python\"") != NULL);
	CHECK(strstr(s, "\"required\":[\"code\"]") != NULL);
	CHECK(strstr(s, "sympy") == NULL);
	free(s);
	s = tools_schema(0);
	CHECK_STR(s, "[]");
	free(s);
}
