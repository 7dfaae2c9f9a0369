/* t_results.c: reading an archived results.json back. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "results.h"
#include "unit.h"

/*
 * cJSON would cut a string holding \u0000 short without a word, so such
 * a file is refused, naming it; an escaped backslash before u0000 is no
 * NUL and reads on (to the next problem).
 */
TEST(results_refuse_nul)
{
	struct result r;
	const char *path;
	char *want;

	path = unit_write("nul.json", "{\"domain\":\"ma\\u0000th\",\"n\":3}");
	want = xasprintf("'%s' is not a results.json: a string holds "
	    "\\u0000 (a NUL character)", path);
	CHECK_ERR(result_read(path, &r), want);
	result_release(&r);
	free(want);
	path = unit_write("esc.json", "{\"domain\":\"ma\\\\u0000th\",\"n\":3}");
	want = xasprintf("'%s' is not a results.json: missing or bad "
	    "\"adapter\"", path);
	CHECK_ERR(result_read(path, &r), want);
	result_release(&r);
	free(want);
}
