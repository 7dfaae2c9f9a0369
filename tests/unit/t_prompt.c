/* t_prompt.c: template rendering and the RE2 prompt. */
#include <stdlib.h>
#include <sys/stat.h>

#include "error.h"
#include "prompt.h"
#include "unit.h"

static const struct tvar vars[] = {
	{ "question", "What is 2+2?" }, { "domain", "math" },
};

TEST(template_basic)
{
	char *out;

	CHECK_OK(template_render("t", "Q: {question} ({domain})", vars, 2,
	    &out));
	CHECK_STR(out, "Q: What is 2+2? (math)");
	free(out);
	CHECK_OK(template_render("t", "{{literal}} {question}}}", vars, 2,
	    &out));
	CHECK_STR(out, "{literal} What is 2+2?}");
	free(out);
	CHECK_OK(template_render("t", "", vars, 2, &out));
	CHECK_STR(out, "");
	free(out);
	/* A value is inserted as is, never expanded again. */
	{
		struct tvar v = { "question", "{domain}" };
		CHECK_OK(template_render("t", "{question}", &v, 1, &out));
		CHECK_STR(out, "{domain}");
		free(out);
	}
}

TEST(template_errors)
{
	char *out = NULL;

	CHECK_ERR(template_render("x.txt", "a {nope} b", vars, 2, &out),
	    "template x.txt: offset 2: unknown variable '{nope}'");
	CHECK_ERR(template_render("x.txt", "a {question", vars, 2, &out),
	    "template x.txt: offset 2: unclosed '{' (write '{{' for a literal "
	    "brace)");
	CHECK_ERR(template_render("x.txt", "a } b", vars, 2, &out),
	    "template x.txt: offset 2: stray '}' (write '}}' for a literal "
	    "brace)");
	CHECK_ERR(template_render("x.txt", "{a{question}", vars, 2, &out),
	    "template x.txt: offset 0: unclosed '{' (write '{{' for a literal "
	    "brace)");
	CHECK(out == NULL);
}

TEST(prompt_re2)
{
	struct adapter a;
	struct prompt pr;

	memset(&a, 0, sizeof(a));
	a.name = "math";
	a.domain = "math";
	a.system = "Be careful.";
	CHECK_OK(prompt_build(NULL, &a, "What is 2+2?", 1, NULL, &pr));
	CHECK_STR(pr.user, "What is 2+2?\nRead the question again: "
	    "What is 2+2?");
	CHECK_STR(pr.system, "Be careful.");
	prompt_release(&pr);
	CHECK_OK(prompt_build(NULL, &a, "What is 2+2?", 0, "Other.", &pr));
	CHECK_STR(pr.user, "What is 2+2?");
	CHECK_STR(pr.system, "Other.");
	prompt_release(&pr);
	/* An empty --system removes the system prompt. */
	CHECK_OK(prompt_build(NULL, &a, "q", 0, "", &pr));
	CHECK(pr.system == NULL);
	prompt_release(&pr);
	CHECK_OK(prompt_build(NULL, NULL, "q", 1, NULL, &pr));
	CHECK(pr.system == NULL);
	CHECK_STR(pr.user, "q\nRead the question again: q");
	prompt_release(&pr);
}

TEST(prompt_override_file)
{
	struct registry reg;
	struct prompt pr;
	char dir[512];

	memset(&reg, 0, sizeof(reg));
	snprintf(dir, sizeof(dir), "%s/templates", unit_tmpdir());
	mkdir(dir, 0700);
	unit_write("templates/re2.txt", "Q: {question}\nAgain: {question}\n"
	    "A ({adapter}):\n");
	reg.dir = (char *)unit_tmpdir();
	CHECK_OK(prompt_build(&reg, NULL, "hi", 1, NULL, &pr));
	CHECK_STR(pr.user, "Q: hi\nAgain: hi\nA ():");
	prompt_release(&pr);
	/* plain.txt is absent: the built-in plain template. */
	CHECK_OK(prompt_build(&reg, NULL, "hi", 0, NULL, &pr));
	CHECK_STR(pr.user, "hi");
	prompt_release(&pr);
	unit_write("templates/plain.txt", "{oops}");
	{
		char want[1024];
		snprintf(want, sizeof(want), "template %s/templates/plain.txt: "
		    "offset 0: unknown variable '{oops}'", unit_tmpdir());
		CHECK_ERR(prompt_build(&reg, NULL, "hi", 0, NULL, &pr), want);
	}
}
