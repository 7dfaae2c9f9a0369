/*
 * fuzz_toolcall.c: the tool calls read from a model's answer
 * (tools_find_text, the text form), the input as native arguments
 * (tools_parse_call with a name), and the stderr brief of a call.  A
 * call found lies inside the answer; its arguments are a JSON object
 * that parses again; a call with no problem has a name; the brief is one
 * line of bounded length without control characters.
 */
#include "fuzz.h"
#include "json.h"
#include "strbuf.h"
#include "tools.h"

static void
check_call(const struct tool_call *c)
{
	struct json *args;

	FUZZ_CHECK(c->name != NULL && c->arguments != NULL);
	args = json_parse(c->arguments, strlen(c->arguments), NULL);
	FUZZ_CHECK(json_is_object(args));
	json_free(args);
	if (c->problem == NULL)
		FUZZ_CHECK(c->name[0] != '\0');
	else
		FUZZ_CHECK(strchr(c->problem, '\n') == NULL);
}

static void
check_brief(const struct tool_call *c, const char *result)
{
	struct strbuf sb = STRBUF_INIT;
	struct tool_record r;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.name = c->name;
	r.arguments = c->arguments;
	r.result = (char *)result;
	tool_record_brief(&r, &sb);
	for (i = 0; i < sb.len; i++)
		FUZZ_CHECK((unsigned char)sb.buf[i] >= 0x20 &&
		    sb.buf[i] != 0x7f);
	/* name 20, code 60, result 60, each with "..." and "; " joins. */
	FUZZ_CHECK(sb.len <= 4 * (20 + 60 + 60) + 64);
	strbuf_release(&sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tool_call c;
	char *answer = fuzz_cstr(data, size);
	size_t start = 0, end = 0, len = strlen(answer);

	if (tools_find_text(answer, &c, &start, &end)) {
		FUZZ_CHECK(start < end && end <= len);
		FUZZ_CHECK(strncmp(answer + start, "<tool_call>", 11) == 0);
		check_call(&c);
		check_brief(&c, answer);
		tool_call_release(&c);
	} else
		FUZZ_CHECK(strstr(answer, "<tool_call>") == NULL);

	memset(&c, 0, sizeof(c));
	c.name = xstrdup("python");
	tools_parse_call((const char *)data, size, &c);
	check_call(&c);
	FUZZ_CHECK(strcmp(c.name, "python") == 0);
	tool_call_release(&c);
	free(answer);
	return 0;
}
