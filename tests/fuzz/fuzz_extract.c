/*
 * fuzz_extract.c: extractor_run of every answer type (regex with a fixed
 * pattern) on the input as a model's response, and number_parse on it.
 * A canonical answer is non-empty text without NUL that equals itself;
 * a number's reads back with number_parse as the same number.
 */
#include <math.h>

#include "extract.h"
#include "fuzz.h"

static struct extractor	*xs[5];

static void
extract_cleanup(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(xs); i++)
		extractor_free(xs[i]);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const enum answer_type types[] = {
		ANSWER_NUMBER, ANSWER_CHOICE, ANSWER_REGEX, ANSWER_CODE,
		ANSWER_TEXT
	};
	struct error *err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		err = extractor_new(types[i], "answer: (\\w+)", &xs[i]);
		if (err != NULL) {
			fprintf(stderr, "extractor_new: %s\n", err->msg);
			exit(1);
		}
	}
	atexit(extract_cleanup);
	return 0;
}

static void
check_number(const char *answer)
{
	double v, w;
	char *again;

	if (number_parse(answer, &v) != 0) {
		fprintf(stderr, "number answer '%s' does not parse\n", answer);
		FUZZ_CHECK(!"a number's canonical answer parses back");
	}
	FUZZ_CHECK(isfinite(v));
	/* Canonical text is a fixed point. */
	again = number_canonical(v);
	FUZZ_CHECK(strcmp(again, answer) == 0);
	free(again);
	FUZZ_CHECK(number_parse(answer, &w) == 0 && w == v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum answer_type t;
	char *response, *answer, *stripped, *canon;
	double v;
	size_t i;

	response = fuzz_cstr(data, size);
	for (i = 0; i < ARRAY_SIZE(xs); i++) {
		t = extractor_type(xs[i]);
		FUZZ_CHECK(answer_type_name(t) != NULL);
		answer = extractor_run(xs[i], response);
		if (answer == NULL)
			continue;
		/* A C string: no NUL inside it by construction. */
		FUZZ_CHECK(strlen(answer) <= strlen(response) ||
		    t == ANSWER_NUMBER);
		FUZZ_CHECK(answers_equal(t, answer, answer, 1e-6));
		switch (t) {
		case ANSWER_NUMBER:
			check_number(answer);
			break;
		case ANSWER_CHOICE:
			FUZZ_CHECK(strlen(answer) == 1 &&
			    answer[0] >= 'A' && answer[0] <= 'E');
			break;
		case ANSWER_CODE:
		case ANSWER_TEXT:
			FUZZ_CHECK(answer[0] != '\0');
			break;
		case ANSWER_REGEX:
			break;
		}
		free(answer);
	}

	stripped = strip_thinking(response);
	FUZZ_CHECK(strlen(stripped) <= strlen(response));
	free(stripped);

	if (number_parse(response, &v) == 0) {
		FUZZ_CHECK(!isnan(v));
		canon = number_canonical(v);
		FUZZ_CHECK(canon != NULL && canon[0] != '\0');
		free(canon);
	}
	free(response);
	return 0;
}
