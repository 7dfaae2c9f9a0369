/*
 * fuzz_results.c: result_read on a file holding the input, as loco
 * leaderboard and loco report read archived results.json files.  A result
 * that reads must be self-consistent; every error must be clean text.
 */
#include <math.h>

#include "fuzz.h"
#include "results.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init("results.json");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result r;
	struct error *err;

	fuzz_file_write(data, size);
	memset(&r, 0, sizeof(r));
	err = result_read(fuzz_path, &r);
	if (err != NULL)
		fuzz_error_free(err);
	else {
		char term[RESULT_TERM_LEN];

		result_term(&r, term);
		FUZZ_CHECK(memchr(term, '\0', RESULT_TERM_LEN) != NULL);
	}
	result_release(&r);
	return 0;
}
