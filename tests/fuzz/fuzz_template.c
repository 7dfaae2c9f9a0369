/*
 * fuzz_template.c: template_render, for templates/re2.txt and plain.txt in
 * a registry directory.
 *
 * Input: the template, then optionally a NUL and the question, a NUL and
 * the domain (the adapter's name stays fixed).
 */
#include "fuzz.h"
#include "prompt.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *q = NULL, *d = NULL, *out = NULL;
	size_t tlen = strlen(s), i, opens = 0;
	struct tvar vars[3];
	struct error *err;

	if (tlen < size) {
		q = s + tlen + 1;
		if (q + strlen(q) < s + size)
			d = q + strlen(q) + 1;
	}
	vars[0].name = "question";
	vars[0].value = q ? q : "What is 2+2?";
	vars[1].name = "domain";
	vars[1].value = d;	/* NULL renders as "" */
	vars[2].name = "adapter";
	vars[2].value = "math";

	err = template_render("fuzz.txt", s, vars, 3, &out);
	if (err != NULL) {
		FUZZ_CHECK(out == NULL);
		FUZZ_CHECK(err->code == EXIT_CONFIG);
		fuzz_error_free(err);
	} else {
		FUZZ_CHECK(out != NULL);
		/* Without any brace the template comes out as it went in. */
		for (i = 0; i < tlen; i++)
			opens += s[i] == '{' || s[i] == '}';
		if (opens == 0)
			FUZZ_CHECK(strcmp(out, s) == 0);
		free(out);
	}
	free(s);
	return 0;
}
